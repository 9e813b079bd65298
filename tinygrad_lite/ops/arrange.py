r"""Rearranging entries: tril/triu, roll (primitive), repeat_interleave, outer, sum_to_size.

Only ``Roll`` is a primitive ($y = x$ shifted cyclically; backward: $\bar y$ shifted back).
The rest are composites: ``tril``/``triu`` are a ``where`` with a constant triangular mask
(gradient passes inside the triangle, 0 outside), ``repeat_interleave`` an index along ``dim``
(repeated entries accumulate their gradients), ``outer`` a broadcast product and
``sum_to_size`` a sum over the broadcast dimensions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import tinygrad_lite.tensor as _tm
from tinygrad_lite.autograd.function import NUMPY_NS, Function
from tinygrad_lite.ops import elementwise as ew
from tinygrad_lite.ops import reduce
from tinygrad_lite.ops.indexing import getitem, normalize_dim
from tinygrad_lite.ops.movement import _sizes, reshape

__all__ = [
    "Roll", "tril", "triu", "roll", "repeat_interleave", "outer", "sum_to_size",
]  # fmt: skip


def _triangle(op: str, x: Any, diagonal: int, lower: bool) -> Any:
    """``x`` with the entries outside the lower (upper) triangle of the last two dims zeroed."""
    if x.ndim < 2:
        raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions, got {x.shape}")
    n, m = x.shape[-2:]
    keep = np.tri(n, m, diagonal, dtype=bool) if lower else ~np.tri(n, m, diagonal - 1, dtype=bool)
    return ew.where(keep, x, _tm.Tensor._make(np.zeros((), x.dtype), None))


def tril(x: Any, diagonal: int = 0) -> Any:
    r"""The lower triangle $j \le i + \text{diagonal}$ of the last two dimensions, 0 elsewhere
    (the gradient passes inside the triangle only)."""
    return _triangle("tril", x, int(diagonal), lower=True)


def triu(x: Any, diagonal: int = 0) -> Any:
    r"""The upper triangle $j \ge i + \text{diagonal}$ of the last two dimensions, 0 elsewhere."""
    return _triangle("triu", x, int(diagonal), lower=False)


class Roll(Function):
    r"""$y_{i} = x_{(i - s) \bmod n}$ along each of ``dims`` (shift ``s``).

    Backward: $\bar x = \bar y$ rolled by $-s$ (a Roll again).
    """

    def forward(self, x: np.ndarray, shifts: tuple[int, ...], dims: tuple[int, ...]) -> np.ndarray:
        self.save_for_backward(shifts, dims)
        return np.roll(x, shifts, axis=dims)

    def backward(self, grad: Any) -> Any:
        shifts, dims = self.saved
        back = tuple(-s for s in shifts)
        if self.xp is NUMPY_NS:
            return np.roll(grad, back, axis=dims)
        return Roll.apply(grad, shifts=back, dims=dims)


def _ints(value: Any) -> tuple[int, ...]:
    return (int(value),) if isinstance(value, (int, np.integer)) else tuple(int(v) for v in value)


def roll(x: Any, shifts: Any, dims: Any = None) -> Any:
    """Shift entries cyclically by ``shifts`` along ``dims``; with ``dims=None`` the tensor
    is flattened, rolled and reshaped back (``torch.roll``)."""
    shifts = _ints(shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(
                f"roll: with dims=None, shifts must be a single int, got {shifts}"
            )
        flat = Roll.apply(reshape(x, (-1,)), shifts=shifts, dims=(0,))
        return reshape(flat, x.shape)
    dims = _ints(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(
            f"roll: shifts and dimensions must align. shifts: {len(shifts)}, dims: {len(dims)}"
        )
    axes = tuple(normalize_dim("roll", d, x.ndim) for d in dims)
    if x.ndim == 0:
        return reshape(x, ())
    return Roll.apply(x, shifts=shifts, dims=axes)


def repeat_interleave(
    x: Any, repeats: Any = None, dim: int | None = None, output_size: int | None = None
) -> Any:
    r"""Repeat entry $i$ of ``x`` ``repeats[i]`` times (or ``repeats`` times) along ``dim``;
    flattened when ``dim`` is None.  ``repeat_interleave(r)`` with one integer tensor gives
    ``[0]*r[0] + [1]*r[1] + ...`` (``torch.repeat_interleave``)."""
    if repeats is None:  # the one-argument form
        r = x.data
        if r.ndim > 1 or r.dtype.kind not in "iu":
            raise RuntimeError(
                f"repeat_interleave: repeats must be a 0-d or 1-d integer tensor, got "
                f"{r.dtype} of shape {r.shape}"
            )
        r = r.reshape(-1)
        if np.any(r < 0):
            raise RuntimeError("repeat_interleave: repeats can not be negative")
        return _tm.Tensor._make(np.repeat(np.arange(r.size, dtype=np.int64), r), None)
    if dim is None:
        x, d = reshape(x, (-1,)), 0
    else:
        d = normalize_dim("repeat_interleave", dim, x.ndim)
        if x.ndim == 0:
            x = reshape(x, (1,))
    n = x.shape[d]
    r = repeats.data if isinstance(repeats, _tm.Tensor) else np.asarray(repeats)
    if r.dtype.kind not in "iu" or r.ndim > 1:
        raise RuntimeError(
            f"repeat_interleave: repeats must be an int or a 0-d or 1-d integer tensor, got "
            f"{r.dtype} of shape {r.shape}"
        )
    if r.ndim == 1 and r.size not in (1, n):
        raise RuntimeError(
            f"repeat_interleave: repeats must have the same size as input along dim, but got "
            f"repeats.size(0) = {r.size} and input.size({d}) = {n}"
        )
    if np.any(r < 0):
        raise RuntimeError("repeat_interleave: repeats can not be negative")
    index = np.repeat(np.arange(n), np.broadcast_to(r.reshape(-1), (n,)))
    if output_size is not None and output_size != index.size:
        raise RuntimeError(
            f"repeat_interleave: output_size {output_size} does not match the total number of "
            f"repeats {index.size}"
        )
    return getitem(x, (slice(None),) * d + (index,))


def outer(x: Any, vec2: Any) -> Any:
    r"""$y_{ij} = x_i v_j$ for 1-D ``x`` and ``vec2`` (``torch.outer``)."""
    for name, t in (("self", x), ("vec2", vec2)):
        if not isinstance(t, _tm.Tensor):
            raise TypeError(f"outer: argument '{name}' must be a Tensor, not {type(t).__name__}")
        if t.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t.ndim}-D")
    return reshape(x, (-1, 1)) * reshape(vec2, (1, -1))


def sum_to_size(x: Any, size: Any) -> Any:
    """Sum ``x`` down to ``size``, which must expand to ``x``'s shape: the adjoint of
    ``expand`` (``torch.Tensor.sum_to_size``)."""
    size = tuple(int(s) for s in _sizes(size))
    shape = x.shape
    lead = len(shape) - len(size)
    if lead < 0 or any(s not in (1, n) for s, n in zip(size, shape[lead:])):
        raise RuntimeError(
            f"sum_to_size: size {list(size)} is not expandable to size {list(shape)}"
        )
    axes = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(size) if s == 1 and shape[lead + i] != 1
    )
    if not axes:
        return x
    return reshape(reduce.sum(x, axes, True), size)
