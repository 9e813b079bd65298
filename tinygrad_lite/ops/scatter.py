r"""Writing at indices: ``scatter`` (primitive), ``scatter_add``, ``index_add``, ``masked_select``.

``scatter`` overwrites, so it is a primitive: for ``dim = 0``,
$y[\text{index}[i, j], j] = \text{src}[i, j]$ and $y = x$ elsewhere.  Several entries of
``src`` aimed at one place: the last one along ``dim`` wins (PyTorch's CPU loop order).
Backward, as PyTorch: $\bar x = \bar y$ with 0 where something was written, and
$\overline{\text{src}}[i, j] = \bar y[\text{index}[i, j], j]$ for *every* entry of ``src``,
the overwritten ones included (docs/subgradients.md).

The adding ops are composites of :class:`~tinygrad_lite.ops.indexing.IndexAdd` (zeros with
values added at an index; repeated indices accumulate), whose adjoint is the gather
$\overline{\text{src}} = \bar y[\text{index}]$:  ``scatter_add(x, dim, index, src)`` is
$x + \mathrm{IndexAdd}(\text{src})$ and ``index_add`` the same with whole slices.
``masked_select`` is a boolean ``getitem`` of the broadcast input.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import tinygrad_lite.tensor as _tm
from tinygrad_lite.autograd.function import Function, raw
from tinygrad_lite.ops import elementwise as ew
from tinygrad_lite.ops.indexing import IndexAdd, getitem, normalize_dim
from tinygrad_lite.ops.movement import expand

__all__ = ["Scatter", "scatter", "scatter_add", "index_add", "masked_select"]


def _index_array(op: str, index: Any) -> np.ndarray:
    arr = index.data if isinstance(index, _tm.Tensor) else np.asarray(index)
    if arr.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: Expected dtype int32/int64 for index, got {arr.dtype}")
    return arr


def _bounds(
    op: str, idx: np.ndarray, dim: int, size: int, error: type[Exception] = RuntimeError
) -> None:
    bad = idx[(idx < 0) | (idx >= size)] if idx.size else idx
    if bad.size:
        raise error(
            f"{op}: index {int(bad.flat[0])} is out of bounds for dimension {dim} with size "
            f"{size}"
        )


def _scatter_grid(
    op: str, x_shape: tuple[int, ...], dim: int, idx: np.ndarray, src_shape: Any
) -> tuple[Any, ...]:
    """Check ``index`` against ``x`` (and ``src``) as PyTorch does, and return the advanced
    index of the target positions: broadcast coordinate grids with ``index`` at ``dim``."""
    if idx.ndim != len(x_shape) and idx.size:
        raise RuntimeError(
            f"{op}: Index tensor must have the same number of dimensions as self tensor "
            f"(index {idx.shape}, self {x_shape})"
        )
    small = all(idx.shape[a] <= x_shape[a] for a in range(idx.ndim) if a != dim)
    if src_shape is not None:
        small = small and all(i <= s for i, s in zip(idx.shape, src_shape))
    if not small and idx.size:
        extra = f" and to be smaller size than src {src_shape}" if src_shape is not None else ""
        raise RuntimeError(
            f"{op}: Expected index {idx.shape} to be smaller than self {x_shape} apart from "
            f"dimension {dim}{extra}"
        )
    _bounds(op, idx, dim, x_shape[dim])
    grids = list(np.indices(idx.shape, sparse=True))
    grids[dim] = idx.copy()  # saved for backward: later writes to the index must not leak
    return tuple(grids)


def _last_wins(shape: tuple[int, ...], grid: tuple[Any, ...], dim: int) -> tuple[Any, Any]:
    """Flat target positions and the flat ``src`` positions that write them, one per target:
    of several writes to one place, the last along ``dim`` (PyTorch's loop order)."""
    target = np.ravel_multi_index(np.broadcast_arrays(*grid), shape)  # index.shape
    order = np.moveaxis(np.arange(target.size).reshape(target.shape), dim, -1).ravel()
    flat = target.ravel()[order]
    _, last = np.unique(flat[::-1], return_index=True)
    keep = order[::-1][last]
    return target.ravel()[keep], keep


class Scatter(Function):
    r"""$y = x$ with ``src`` written at ``index`` along ``dim`` (last write wins).

    Backward: $\bar x = \bar y\,[\text{not written}]$;
    $\overline{\text{src}} = \bar y[\text{index}]$ (a gather, zero-padded when ``src`` is
    larger than ``index``), for every entry of ``src`` (PyTorch's choice with duplicates).
    """

    def forward(self, x: np.ndarray, src: np.ndarray, dim: int, grid: tuple[Any, ...]) -> Any:
        idx_shape = np.broadcast_shapes(*[g.shape for g in grid])
        region = src[tuple(slice(0, n) for n in idx_shape)]
        targets, sources = _last_wins(x.shape, grid, dim)
        out = x.copy()
        out.flat[targets] = region.ravel()[sources]
        written = np.zeros(x.shape, dtype=bool)
        written.flat[targets] = True
        pad = tuple((0, s - n) for s, n in zip(src.shape, idx_shape))
        self.save_for_backward(written, grid, pad)
        return out

    def backward(self, grad: Any) -> tuple[Any, Any]:
        written, grid, pad = self.saved
        xp = self.xp
        need_x, need_src = self.needs_input_grad
        gx = xp.where(written, 0.0, grad) if need_x else None
        gsrc = None
        if need_src:
            gsrc = xp.getitem(grad, grid)
            if any(p for _, p in pad):
                gsrc = xp.pad(gsrc, pad)
        return gx, gsrc


def _same_dtype(op: str, x: Any, src: Any, name: str = "src") -> None:
    if not isinstance(src, _tm.Tensor):
        raise TypeError(f"{op}: argument '{name}' must be a Tensor, not {type(src).__name__}")
    if src.dtype != x.dtype:
        raise RuntimeError(
            f"{op}: Expected self.dtype to be equal to {name}.dtype ({x.dtype} and {src.dtype})"
        )


def scatter(
    x: Any, dim: int, index: Any, src: Any = None, value: Any = None, reduce: str | None = None
) -> Any:
    """A copy of ``x`` with ``src`` (a Tensor) or ``value`` (a number) written at ``index``
    along ``dim`` (``torch.scatter``).  ``reduce=`` is not supported: use ``scatter_add``."""
    if reduce is not None:
        raise NotImplementedError(
            f"scatter: reduce={reduce!r} is not implemented (PyTorch has no gradient for it "
            f"either); use scatter_add or index_add"
        )
    if src is not None and not isinstance(src, _tm.Tensor):
        src, value = None, src  # scatter(dim, index, 2.0): the value overload
    if (src is None) == (value is None):
        raise TypeError("scatter: give exactly one of 'src' (a Tensor) and 'value' (a number)")
    d = normalize_dim("scatter", dim, x.ndim)
    idx = _index_array("scatter", index)
    if x.ndim == 0:
        x1 = x.reshape(1)
        src1 = None if src is None else src.reshape(1)
        return scatter(x1, 0, idx.reshape(-1), src1, value).reshape(())
    if src is None:
        grid = _scatter_grid("scatter", x.shape, d, idx, None)
        written = np.zeros(x.shape, dtype=bool)
        if idx.size:
            written[grid] = True
        return ew.where(written, _tm.Tensor._make(np.array(value, dtype=x.dtype), None), x)
    _same_dtype("scatter", x, src)
    grid = _scatter_grid("scatter", x.shape, d, idx, src.shape)
    if not idx.size:
        return x * 1
    return Scatter.apply(x, src, dim=d, grid=grid)


def scatter_add(x: Any, dim: int, index: Any, src: Any) -> Any:
    r"""A copy of ``x`` with ``src`` added at ``index`` along ``dim``; repeated indices
    accumulate (``torch.scatter_add``).  Backward: $\bar x = \bar y$,
    $\overline{\text{src}} = \bar y[\text{index}]$."""
    _same_dtype("scatter_add", x, src)
    d = normalize_dim("scatter_add", dim, x.ndim)
    idx = _index_array("scatter_add", index)
    if x.ndim == 0:
        return scatter_add(x.reshape(1), 0, idx.reshape(-1), src.reshape(1)).reshape(())
    grid = _scatter_grid("scatter_add", x.shape, d, idx, src.shape)
    if not idx.size:
        return x * 1
    if src.shape != idx.shape:
        src = getitem(src, tuple(slice(0, n) for n in idx.shape))
    return x + IndexAdd.apply(src, shape=x.shape, index=grid)


def index_add(x: Any, dim: int, index: Any, source: Any, alpha: Any = 1) -> Any:
    r"""A copy of ``x`` with ``alpha * source`` added at the 1-D ``index`` along ``dim``;
    repeated indices accumulate (``torch.index_add``).  Backward: $\bar x = \bar y$,
    $\overline{\text{source}} = \alpha\, \bar y$ selected at ``index``."""
    _same_dtype("index_add", x, source, "source")
    d = normalize_dim("index_add", dim, x.ndim)
    idx = _index_array("index_add", index)
    if idx.ndim > 1:
        raise RuntimeError(f"index_add: index must be 0-d or 1-d, got shape {idx.shape}")
    idx = idx.reshape(-1)
    if x.ndim == 0:
        return index_add(x.reshape(1), 0, idx, source.reshape(1), alpha).reshape(())
    src_shape = source.shape if source.ndim else (1,)
    if len(src_shape) != x.ndim or src_shape[d] != idx.size:
        raise RuntimeError(
            f"index_add: Number of indices ({idx.size}) should be equal to source.size(dim): "
            f"({src_shape[d] if len(src_shape) > d else src_shape}), for dim: {d} "
            f"(self {x.shape}, source {source.shape})"
        )
    if any(s != n for a, (s, n) in enumerate(zip(src_shape, x.shape)) if a != d):
        raise RuntimeError(
            f"index_add: source {source.shape} must match self {x.shape} outside dimension {d}"
        )
    _bounds("index_add", idx, d, x.shape[d], IndexError)
    if alpha != 1:
        source = source * alpha
    index = (slice(None),) * d + (idx,)
    return x + IndexAdd.apply(source.reshape(src_shape), shape=x.shape, index=index)


def masked_select(x: Any, mask: Any) -> Any:
    """The entries of ``x`` where the bool ``mask`` is true, both broadcast, as a 1-D tensor
    in row-major order (``torch.masked_select``)."""
    m = raw(mask) if isinstance(mask, _tm.Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise RuntimeError(f"masked_select: expected BoolTensor for mask, got {m.dtype}")
    try:
        shape = np.broadcast_shapes(x.shape, m.shape)
    except ValueError:
        raise RuntimeError(
            f"masked_select: the mask {m.shape} and input {x.shape} are not broadcastable"
        ) from None
    if x.shape != shape:
        x = expand(x, shape)
    return getitem(x, (np.broadcast_to(m, shape),))
