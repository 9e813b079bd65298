"""Training pictures with matplotlib (optional extra ``plot``): curves, filters, activations,
optimizer trajectories.

Each function draws on its own ``matplotlib.figure.Figure`` (the Agg canvas, no ``pyplot``), so
nothing changes the user's backend or leaks open figures; each returns the Figure (shown inline
in Jupyter) and also saves it as a PNG when given a ``path``.
matplotlib is imported when a function is called: training never needs it.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["plot_history", "plot_filters", "plot_activations", "plot_trajectories"]


def _figure(op: str, figsize: tuple[float, float]) -> Any:
    """A new Agg-backed Figure; a clear ImportError when matplotlib is missing."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as e:
        raise ImportError(
            f"{op} needs matplotlib: pip install 'tinygrad_lite[plot]' (or pip install "
            f"matplotlib). Training and viz.to_dot work without it."
        ) from e
    fig = Figure(figsize=figsize, dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Any, path: str | os.PathLike | None, tight: bool = False) -> Any:
    """Write ``fig`` as a PNG when ``path`` is given (creating the folder), and return ``fig``;
    ``tight`` grows or trims the canvas to its content, so no tick label is cut off at the edge
    of a narrow figure."""
    if path is None:
        return fig
    path = os.fspath(path)
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    fig.savefig(path, format="png", bbox_inches="tight" if tight else None)
    return fig


def _array(x: Any) -> np.ndarray:
    """Data of a Tensor / array-like as a numpy array (no graph, no copy when possible)."""
    return np.asarray(x.data if hasattr(x, "data") and hasattr(x, "grad_fn") else x)


def _columns(history: Any) -> dict[str, list[float]]:
    """A dict of lists from a dict of lists or a list of per-epoch dicts."""
    if isinstance(history, Mapping):
        return {str(k): list(v) for k, v in history.items()}
    if isinstance(history, Sequence) and all(isinstance(r, Mapping) for r in history):
        cols: dict[str, list[float]] = {}
        for row in history:
            for k, v in row.items():
                cols.setdefault(str(k), []).append(v)
        return cols
    raise TypeError(
        f"plot_history: history must be a dict of lists or a list of dicts, "
        f"got {type(history).__name__}"
    )


def _panel(key: str) -> str:
    """Which panel a history series belongs to, from its name."""
    low = key.lower()
    if "acc" in low:
        return "accuracy"
    if low == "lr" or low.startswith("lr_") or low.endswith("_lr") or "learning_rate" in low:
        return "learning rate"
    return "loss"


def plot_history(
    history: Any, path: str | os.PathLike | None = None, title: str | None = None
) -> Any:
    """Loss and accuracy curves: one panel for losses, one for accuracies, one for learning rates.

    ``history`` is a dict of lists (``{'train_loss': [...], 'test_acc': [...]}``) or a list of
    per-epoch dicts.  Keys containing ``acc`` go to the accuracy panel, ``lr`` to a log-scale
    learning-rate panel, all other numeric series to the loss panel; an ``epoch`` (or ``step``)
    series, when present, is the x axis.
    """
    cols = _columns(history)
    x_key = next((k for k in ("epoch", "step") if k in cols), None)
    panels: dict[str, list[str]] = {"loss": [], "accuracy": [], "learning rate": []}
    for k, v in cols.items():
        if k == x_key or not v or not all(isinstance(e, (int, float, np.number)) for e in v):
            continue
        panels[_panel(k)].append(k)
    panels = {p: ks for p, ks in panels.items() if ks}
    if not panels:
        raise ValueError(f"plot_history: no numeric series in history (keys: {sorted(cols)})")
    fig = _figure("plot_history", (5.0 * len(panels), 3.8))
    from matplotlib.ticker import MaxNLocator

    for i, (panel, keys) in enumerate(panels.items()):
        ax = fig.add_subplot(1, len(panels), i + 1)
        for k in keys:
            y = np.asarray(cols[k], dtype=np.float64)
            xs = cols[x_key] if x_key and len(cols[x_key]) == len(y) else np.arange(1, len(y) + 1)
            ax.plot(xs, y, marker="o" if len(y) <= 30 else None, markersize=3, label=k)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs: no 1.25 ticks
        ax.set_xlabel(x_key or "epoch")
        ax.set_ylabel(panel)
        if panel == "learning rate":
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path)


def _kernel_mosaic(w: np.ndarray, max_out: int, max_in: int) -> dict[str, Any]:
    """Kernels as one image with a NaN gap between cells (fast for 64 x 64 channels).

    Several input channels: row = output channel, column = input channel.  One input channel
    (a first layer): the output channels in a near-square grid, each cell labelled."""
    n_out, n_in, kh, kw = w.shape
    shown = w[:max_out, :max_in].astype(np.float64)
    so, si = shown.shape[:2]
    if si == 1:
        cols = math.ceil(math.sqrt(so))
        rows = math.ceil(so / cols)
        cells = [(o // cols, o % cols, shown[o, 0], str(o)) for o in range(so)]
    else:
        rows, cols = so, si
        cells = [(o, i, shown[o, i], None) for o in range(so) for i in range(si)]
    mosaic = np.full((rows * (kh + 1) - 1, cols * (kw + 1) - 1), np.nan)
    for r, c, kernel, _ in cells:
        mosaic[r * (kh + 1) : r * (kh + 1) + kh, c * (kw + 1) : c * (kw + 1) + kw] = kernel
    more = f" (first {so} of {n_out} out, {si} of {n_in} in)" if (so, si) != (n_out, n_in) else ""
    return {"mosaic": mosaic, "rows": rows, "cols": cols, "cells": cells, "kh": kh, "kw": kw,
            "grid": si == 1, "more": more, "vmax": float(np.nanmax(np.abs(shown))) or 1.0}


def plot_filters(
    conv: Any,
    path: str | os.PathLike | None = None,
    max_out: int = 32,
    max_in: int = 16,
    title: str | Sequence[str] | None = None,
) -> Any:
    """Convolution kernels, one panel per layer, each cell upscaled with a gap around it.

    ``conv`` is a conv layer (anything with ``.weight``), a Tensor or an array of shape
    ``(out, in, kh, kw)``, or a list of them (one panel each, ``title`` then a list too).  In a
    panel, row = output channel and column = input channel; a layer with one input channel (a
    first layer) shows its output channels as a labelled near-square grid.  A panel's kernels
    share one colour scale, symmetric about zero (blue negative, red positive, with a colour
    bar), so they can be compared; the first ``max_out`` x ``max_in`` pairs are shown.
    """
    layers = list(conv) if isinstance(conv, (list, tuple)) else [conv]
    titles = list(title) if isinstance(title, (list, tuple)) else [title] * len(layers)
    if not layers or len(titles) != len(layers):
        raise ValueError(
            f"plot_filters: {len(layers)} layers and {len(titles)} titles; give one title each"
        )
    panels = []
    for layer in layers:
        w = _array(layer.weight if hasattr(layer, "weight") else layer)
        if w.ndim != 4:
            raise ValueError(
                f"plot_filters: expected a weight of shape (out, in, kh, kw), got {tuple(w.shape)}"
            )
        if w.size == 0 or max_out < 1 or max_in < 1:
            raise ValueError(
                f"plot_filters: nothing to draw: weight {tuple(w.shape)}, "
                f"max_out={max_out}, max_in={max_in}"
            )
        panels.append(_kernel_mosaic(w, max_out, max_in))
    inch = 0.16  # per kernel pixel: a 3x3 kernel is about half an inch
    widths = [p["mosaic"].shape[1] * inch + 1.6 for p in panels]
    height = max(p["mosaic"].shape[0] * inch for p in panels) + 1.4
    fig = _figure("plot_filters", (min(sum(widths), 24.0), min(max(height, 2.5), 16.0)))
    import matplotlib

    cmap = matplotlib.colormaps["RdBu_r"].with_extremes(bad="white")  # the NaN gaps
    for k, (p, name) in enumerate(zip(panels, titles)):
        ax = fig.add_subplot(1, len(panels), k + 1)
        im = ax.imshow(p["mosaic"], cmap=cmap, vmin=-p["vmax"], vmax=p["vmax"],
                       interpolation="nearest")  # fmt: skip
        kh, kw = p["kh"], p["kw"]
        if p["grid"]:
            ax.set_xticks([])
            ax.set_yticks([])
            for r, c, _, label in p["cells"]:
                ax.text(c * (kw + 1) - 0.45, r * (kh + 1) - 0.5, label, fontsize=6,
                        va="bottom", ha="left", color="#333333")  # fmt: skip
            ax.set_xlabel("output channels")
        else:
            ax.set_xticks([i * (kw + 1) + (kw - 1) / 2 for i in range(p["cols"])],
                          [str(i) for i in range(p["cols"])])  # fmt: skip
            ax.set_yticks([o * (kh + 1) + (kh - 1) / 2 for o in range(p["rows"])],
                          [str(o) for o in range(p["rows"])])  # fmt: skip
            ax.set_xlabel("input channel")
            ax.set_ylabel("output channel")
        ax.tick_params(labelsize=7, length=0)
        for side in ax.spines.values():
            side.set_visible(False)
        tallest = max(q["mosaic"].shape[0] for q in panels)
        fig.colorbar(im, ax=ax, shrink=0.8 * max(p["mosaic"].shape[0] / tallest, 0.3))
        ax.set_title((name or f"{kh}x{kw} kernels") + p["more"], fontsize=9, pad=10)
    return _save(fig, path, tight=True)  # a narrow panel: no tick label cut off


def plot_activations(
    activations: Any,
    path: str | os.PathLike | None = None,
    index: int = 0,
    max_maps: int = 32,
    title: str | None = None,
) -> Any:
    """Feature maps of one sample: a grid of ``C`` images, each with its own colour scale.

    ``activations`` is a Tensor or array of shape ``(C, H, W)`` or ``(N, C, H, W)`` (sample
    ``index`` is drawn); at most ``max_maps`` channels are shown.
    """
    a = _array(activations)
    if a.ndim == 4:
        if not -a.shape[0] <= index < a.shape[0]:
            raise IndexError(f"plot_activations: index {index} out of range for batch {a.shape[0]}")
        a = a[index]
    if a.ndim != 3:
        raise ValueError(
            f"plot_activations: expected activations (C, H, W) or (N, C, H, W), "
            f"got {tuple(_array(activations).shape)}"
        )
    c = min(a.shape[0], max_maps)
    if c < 1 or a.size == 0:
        raise ValueError(
            f"plot_activations: nothing to draw: activations {tuple(a.shape)}, max_maps={max_maps}"
        )
    cols = math.ceil(math.sqrt(c))
    rows = math.ceil(c / cols)
    fig = _figure("plot_activations", (1.6 * cols + 0.5, 1.6 * rows + 0.6))
    for k in range(c):
        ax = fig.add_subplot(rows, cols, k + 1)
        ax.imshow(a[k].astype(np.float64), cmap="viridis", interpolation="nearest")
        ax.set_title(f"ch {k}", fontsize=7)
        ax.set_axis_off()
    more = f" (first {c} of {a.shape[0]} channels)" if c < a.shape[0] else ""
    fig.suptitle((title or "activations") + more, fontsize=9)
    fig.tight_layout()
    return _save(fig, path)


def plot_trajectories(
    trajectories: Mapping[str, Any],
    path: str | os.PathLike | None = None,
    f: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    levels: int = 30,
    title: str | None = None,
) -> Any:
    """Optimizer paths on a 2-D function: ``{name: points of shape (T, 2)}`` over contours of ``f``.

    ``f(X, Y)`` must accept numpy grids (vectorised).  Positive functions get log-spaced contour
    levels (Rosenbrock's valley stays visible).  The range covers every path with a margin;
    circles mark starts and crosses ends.
    """
    if not trajectories:
        raise ValueError("plot_trajectories: no trajectories given")
    paths = {}
    for name, pts in trajectories.items():
        p = np.asarray([_array(q) for q in pts] if isinstance(pts, list) else _array(pts), float)
        if p.ndim != 2 or p.shape[1] != 2:
            raise ValueError(
                f"plot_trajectories: trajectory {name!r} must have shape (T, 2), got {p.shape}"
            )
        paths[str(name)] = p
    allp = np.concatenate([p[np.isfinite(p).all(axis=1)] for p in paths.values()])
    if allp.size == 0:
        raise ValueError("plot_trajectories: the trajectories hold no finite point to draw")
    lo, hi = allp.min(axis=0), allp.max(axis=0)
    pad = np.maximum((hi - lo) * 0.1, 0.5)
    lo, hi = lo - pad, hi + pad
    fig = _figure("plot_trajectories", (6.0, 5.0))
    ax = fig.add_subplot(1, 1, 1)
    if f is not None:
        X, Y = np.meshgrid(np.linspace(lo[0], hi[0], 200), np.linspace(lo[1], hi[1], 200))
        Z = np.asarray(f(X, Y), dtype=np.float64)
        from matplotlib.colors import LogNorm, Normalize

        if np.all(Z > 0) and Z.max() > 10 * Z.min():
            lv = np.geomspace(max(Z.min(), Z.max() * 1e-5), Z.max(), levels)
            norm = LogNorm(lv[0], lv[-1])
        else:
            lv = np.linspace(Z.min(), Z.max(), levels)
            norm = Normalize(lv[0], lv[-1])
        ax.contour(X, Y, Z, levels=lv, cmap="viridis", norm=norm, linewidths=0.6, alpha=0.7)
    for name, p in paths.items():
        line = ax.plot(p[:, 0], p[:, 1], linewidth=1.2, label=name)[0]
        ax.plot(p[0, 0], p[0, 1], "o", color=line.get_color(), markersize=4)
        ax.plot(p[-1, 0], p[-1, 1], "x", color=line.get_color(), markersize=6)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend(fontsize=8, loc="best")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return _save(fig, path)
