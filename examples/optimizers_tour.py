"""A tour of the optimizers on two 2-D functions: one smooth, one not.

* Rosenbrock, $f(x, y) = (1-x)^2 + 100\\,(y-x^2)^2$: smooth, minimum 0 at (1, 1) at the end of
  a long curved valley, the classic test of momentum and of per-coordinate step sizes.
* $f(x, y) = |x| + 2|y|$: convex but non-smooth, minimum 0 at (0, 0).  Its subgradient has
  the same size everywhere, so a constant step never settles: the iterate keeps jumping across
  the kink.  Methods whose effective step shrinks (AdaGrad's growing sum, Adam's averaging of
  sign-flipping gradients) get closer.

Every optimizer runs ``--steps`` steps from the same start.  Two step counts are printed:
"first <= tol", the first step whose loss is at most ``--tol``, and "stays <= tol", the step
from which the loss never goes above ``--tol`` again, counted only when that holds for at least
the last tenth of the run ("-" otherwise): an optimizer that keeps jumping across a kink can hit
the tolerance once and leave it again.  With ``--tune`` each optimizer's learning rate is picked
from a grid (fewest steps to "stays", then lowest final loss) instead of the fixed defaults.
When matplotlib is installed the paths are drawn over the contours into ``--out``
(``rosenbrock.png``, ``abs.png``).

    python examples/optimizers_tour.py                 # ~5 s
    python examples/optimizers_tour.py --tune          # lr grid search, ~1 min
    python examples/optimizers_tour.py --steps 50 --no-plot
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import tinygrad_lite as tl
from tinygrad_lite import optim


def rosenbrock(x: Any, y: Any) -> Any:
    """Rosenbrock's banana function (Tensors or numpy arrays)."""
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def abs_sum(x: Any, y: Any) -> Any:
    """|x| + 2|y| (Tensors or numpy arrays)."""
    return abs(x) + 2 * abs(y)


# name -> (factory(params, lr), default lr on Rosenbrock, default lr on |x| + 2|y|)
OPTIMIZERS: dict[str, tuple[Callable[[list[tl.Tensor], float], optim.Optimizer], float, float]] = {
    "SGD": (lambda p, lr: optim.SGD(p, lr=lr), 1e-3, 1e-2),
    "SGD+momentum": (lambda p, lr: optim.SGD(p, lr=lr, momentum=0.9), 1e-3, 1e-2),
    "SGD+Nesterov": (lambda p, lr: optim.SGD(p, lr=lr, momentum=0.9, nesterov=True), 1e-3, 1e-2),
    "Adagrad": (lambda p, lr: optim.Adagrad(p, lr=lr), 0.3, 0.3),
    "Adadelta": (lambda p, lr: optim.Adadelta(p, lr=lr), 1.0, 1.0),
    "RMSprop": (lambda p, lr: optim.RMSprop(p, lr=lr), 1e-2, 1e-2),
    "Adam": (lambda p, lr: optim.Adam(p, lr=lr), 0.03, 0.03),
    "AdamW": (lambda p, lr: optim.AdamW(p, lr=lr, weight_decay=1e-2), 0.03, 0.03),
    "NAdam": (lambda p, lr: optim.NAdam(p, lr=lr), 0.03, 0.03),
}
PROBLEMS: dict[str, tuple[Callable[[Any, Any], Any], tuple[float, float], int]] = {
    # name -> (function, start, which default-lr column of OPTIMIZERS)
    "rosenbrock": (rosenbrock, (-1.5, 2.0), 1),
    "abs": (abs_sum, (1.5, -1.0), 2),
}
PLOT_RANGES = {"rosenbrock": ((-2.0, 2.0), (-1.0, 3.0)), "abs": ((-2.0, 2.0), (-2.0, 2.0))}
MINIMA = {"rosenbrock": (1.0, 1.0), "abs": (0.0, 0.0)}
WINDOW = 50
LOSS_FLOOR = {"rosenbrock": 1e-18, "abs": 1e-6}  # exact zeros would vanish from a log plot
LR_GRID = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0)


def run(
    make: Callable[[list[tl.Tensor], float], optim.Optimizer],
    f: Callable[[Any, Any], Any],
    start: tuple[float, float],
    lr: float,
    steps: int,
) -> tuple[np.ndarray, np.ndarray]:
    """``steps`` optimizer steps on ``f``; returns the points (steps+1, 2) and losses (steps+1,)."""
    p = tl.tensor(start, dtype=tl.float64, requires_grad=True)
    opt = make([p], lr)
    with np.errstate(over="ignore", invalid="ignore"):  # a too-large lr may diverge: allowed
        return _steps(opt, p, f, steps)


def _steps(
    opt: optim.Optimizer, p: tl.Tensor, f: Callable[[Any, Any], Any], steps: int
) -> tuple[np.ndarray, np.ndarray]:
    points = np.empty((steps + 1, 2))
    losses = np.empty(steps + 1)
    for t in range(steps + 1):
        opt.zero_grad()
        loss = f(p[0], p[1])
        points[t] = p.data
        losses[t] = loss.item()
        if t == steps or not np.isfinite(losses[t]):
            points[t + 1 :], losses[t + 1 :] = np.nan, np.inf
            break
        loss.backward()
        opt.step()
    return points, losses


def first_below(losses: np.ndarray, tol: float) -> int | None:
    """The first step whose loss is <= tol (None if none is)."""
    below = np.nonzero(losses <= tol)[0]
    return int(below[0]) if len(below) else None


def stays_below(losses: np.ndarray, tol: float) -> int | None:
    """The step from which every loss is <= tol, if that covers at least the last tenth."""
    above = np.nonzero(~(losses <= tol))[0]
    start = 0 if len(above) == 0 else int(above[-1] + 1)
    steps = len(losses) - 1
    return start if start <= steps - steps // 10 else None


def tune(make: Any, f: Any, start: tuple[float, float], steps: int, tol: float) -> float:
    """The grid lr with the fewest steps to tol (ties and misses: lowest final loss)."""

    def score(lr: float) -> tuple[float, float]:
        _, losses = run(make, f, start, lr, steps)
        hit = stays_below(losses, tol)
        final = losses[-1] if np.isfinite(losses[-1]) else np.inf
        return (hit if hit is not None else np.inf, final)

    return min(LR_GRID, key=score)


def tour(steps: int, tol: float, do_tune: bool, out: str | None) -> dict[str, dict[str, Any]]:
    """Run every optimizer on every problem, print a table, optionally draw the paths."""
    results: dict[str, dict[str, Any]] = {}
    for problem, (f, start, column) in PROBLEMS.items():
        print(f"\n{problem}: start {start}, {steps} steps, tol {tol:g}")
        print(f"{'optimizer':<14} {'lr':>7} {'first <= tol':>12} {'stays <= tol':>12} "
              f"{'final loss':>11} {'final point':>20}")
        results[problem] = {}
        for name, spec in OPTIMIZERS.items():
            make = spec[0]
            lr = tune(make, f, start, steps, tol) if do_tune else spec[column]
            points, losses = run(make, f, start, lr, steps)
            first, stays = first_below(losses, tol), stays_below(losses, tol)
            results[problem][name] = {"lr": lr, "first": first, "stays": stays,
                                      "points": points, "losses": losses}
            where = "(" + ", ".join(f"{v:.4f}" for v in points[-1]) + ")"
            print(f"{name:<14} {lr:>7g} {_count(first):>12} {_count(stays):>12} "
                  f"{losses[-1]:>11.3e} {where:>20}")
        if out is not None:
            _plot(problem, f, start, results[problem], out)
    return results


def _count(step: int | None) -> str:
    return "-" if step is None else str(step)


def _plot(
    problem: str, f: Any, start: tuple[float, float], results: dict[str, Any], out: str
) -> None:
    """``<problem>.png``: one panel per optimizer, its path over the contours of ``f``;
    ``<problem>_loss.png``: every loss curve on a log scale (plain matplotlib, Agg canvas)."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        print("(matplotlib not installed: no picture)")
        return
    (x0, x1), (y0, y1) = PLOT_RANGES[problem]
    X, Y = np.meshgrid(np.linspace(x0, x1, 300), np.linspace(y0, y1, 300))  # noqa: N806
    Z = f(X, Y)  # noqa: N806
    levels = np.geomspace(max(Z.min(), 1e-3), Z.max(), 25)
    fig = Figure(figsize=(10.5, 10.0), dpi=90)
    FigureCanvasAgg(fig)
    for k, (name, r) in enumerate(results.items()):
        ax = fig.add_subplot(3, 3, k + 1)
        ax.contour(X, Y, Z, levels=levels, cmap="Greys", linewidths=0.5)
        pts = r["points"][np.isfinite(r["points"]).all(axis=1)]
        ax.plot(pts[:, 0], pts[:, 1], "-", color="tab:red", linewidth=0.9, marker=".",
                markersize=2)
        ax.plot(*pts[0], "o", color="tab:blue", markersize=5)
        ax.plot(*MINIMA[problem], "*", color="gold", markeredgecolor="k", markersize=11)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_title(f"{name} (lr {r['lr']:g}): stays <= tol {_count(r['stays'])}", fontsize=9)
        ax.tick_params(labelsize=7)
    steps = len(r["points"]) - 1
    fig.suptitle(f"{problem}: {steps} steps from {start}")
    fig.tight_layout()
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, f"{problem}.png")
    fig.savefig(path)

    fig = Figure(figsize=(8.0, 4.5), dpi=90)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    styles = ["-", "--", ":"]
    for k, (name, r) in enumerate(results.items()):
        # the worst loss of the last WINDOW steps: an oscillating run shows its band's top
        losses = np.where(np.isfinite(r["losses"]), r["losses"], np.nan)
        padded = np.concatenate([np.full(WINDOW - 1, losses[0]), losses])
        envelope = np.lib.stride_tricks.sliding_window_view(padded, WINDOW).max(axis=1)
        ax.semilogy(np.maximum(envelope, LOSS_FLOOR[problem]), styles[k % 3], linewidth=1.1,
                    label=f"{name} ({r['lr']:g})")
    ax.set_xlabel("step")
    ax.set_ylabel(f"max loss over the last {WINDOW} steps")
    ax.set_title(f"{problem}: loss envelope per step (floored at {LOSS_FLOOR[problem]:g})")
    ax.legend(fontsize=7, ncol=3)
    fig.tight_layout()
    loss_path = os.path.join(out, f"{problem}_loss.png")
    fig.savefig(loss_path)
    print(f"saved {path} and {loss_path}")


def main(argv: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """Command-line entry point (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=3000, help="steps per run")
    parser.add_argument("--tol", type=float, default=1e-3, help="loss tolerance")
    parser.add_argument("--tune", action="store_true", help="pick each lr from a grid")
    parser.add_argument("--out", default="runs/optimizers_tour", help="folder for pictures")
    parser.add_argument("--no-plot", action="store_true", help="do not draw pictures")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    results = tour(args.steps, args.tol, args.tune, None if args.no_plot else args.out)
    print(f"\n({time.perf_counter() - t0:.1f} s)")
    return results


if __name__ == "__main__":
    main()
