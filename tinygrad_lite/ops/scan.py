r"""Scans along one dimension: ``cumsum`` and ``cumprod`` (primitives), ``diff`` (composite).

=========  ==========================  ========================================================
primitive  forward                     backward
=========  ==========================  ========================================================
Cumsum     $y_i = \sum_{j \le i} x_j$  $\bar x_i = \sum_{j \ge i} \bar y_j$ (a reversed cumsum)
Cumprod    $y_i = \prod_{j \le i} x_j$ $\bar x_i = \sum_{j \ge i} \bar y_j \prod_{m \le j,
                                       m \ne i} x_m$
=========  ==========================  ========================================================

Cumprod's gradient is PyTorch's: $\sum_{j \ge i} \bar y_j y_j / x_i$ when the slice holds no
zero, and the exact product of the other entries (no division) when it does -- the entries
before the first zero, the first zero itself, and 0 after it (docs/subgradients.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import tinygrad_lite.tensor as _tm
from tinygrad_lite.autograd.function import NUMPY_NS, Function, raw
from tinygrad_lite.ops import elementwise as ew
from tinygrad_lite.ops.indexing import getitem, normalize_dim
from tinygrad_lite.ops.movement import cat

__all__ = ["Cumsum", "Cumprod", "cumsum", "cumprod", "diff"]


def _accumulator(x: np.ndarray) -> Any:
    """The dtype PyTorch's CPU scans accumulate in: float64 for float32/float16 (each output
    is the running float64 sum rounded once), the input's own dtype otherwise."""
    return np.float64 if x.dtype.kind == "f" and x.dtype.itemsize < 8 else None


def _scan_array(scan: Any, x: np.ndarray, dim: int) -> np.ndarray:
    """``np.cumsum``/``np.cumprod`` along ``dim`` with PyTorch's accumulator dtype."""
    acc = _accumulator(x)
    if acc is None:
        return scan(x, axis=dim)
    return scan(x, axis=dim, dtype=acc).astype(x.dtype)


def _cumsum_array(x: np.ndarray, dim: int, reverse: bool) -> np.ndarray:
    """Cumulative sum along ``dim``, from the end when ``reverse`` (PyTorch's reversed_cumsum:
    flip, cumsum, flip -- the same order of additions)."""
    if not reverse:
        return _scan_array(np.cumsum, x, dim)
    return np.flip(_scan_array(np.cumsum, np.flip(x, dim), dim), dim)


def _cumsum(xp: Any, x: Any, dim: int, reverse: bool) -> Any:
    """A (reversed) cumulative sum in namespace ``xp``: numpy, or the :class:`Cumsum` node."""
    if xp is NUMPY_NS:
        return _cumsum_array(x, dim, reverse)
    return Cumsum.apply(x, dim=dim, reverse=reverse)


class Cumsum(Function):
    r"""$y_i = \sum_{j \le i} x_j$ along ``dim`` (``reverse``: $y_i = \sum_{j \ge i} x_j$).

    Backward: $\bar x_i = \sum_{j \ge i} \bar y_j$ -- the cumulative sum from the other end
    (so the backward of a Cumsum is a Cumsum, and double backward needs no new formula).
    """

    def forward(self, x: np.ndarray, dim: int, reverse: bool = False) -> np.ndarray:
        self.save_for_backward(dim, reverse)
        return _cumsum_array(x, dim, reverse)

    def backward(self, grad: Any) -> Any:
        dim, reverse = self.saved
        return _cumsum(self.xp, grad, dim, not reverse)


class Cumprod(Function):
    r"""$y_i = \prod_{j \le i} x_j$ along ``dim``.

    Backward: $\bar x_i = \sum_{j \ge i} \bar y_j \prod_{m \le j, m \ne i} x_m$.  Without a
    zero in the slice that is $\big(\sum_{j \ge i} \bar y_j y_j\big) / x_i$.  With zeros, let
    $k$ be the first one: for $i < k$ the same formula over $j < k$; for $i = k$,
    $\sum_{j \ge k} \bar y_j z_j$ with $z$ the cumprod of $x$ with $x_k$ set to 1; for
    $i > k$, 0 (every product holds $x_k = 0$).  Under ``create_graph`` with zeros present,
    PyTorch's $O(n^2)$ form (one cumprod per $i$ with $x_i$ set to 1), whose derivative is
    exact everywhere.
    """

    def forward(self, x: np.ndarray, dim: int) -> np.ndarray:
        with np.errstate(invalid="ignore"):  # 0 * inf: nan, as PyTorch, without a warning
            y = _scan_array(np.cumprod, x, dim)
        self.save_for_backward(x, y, dim)
        return y

    def backward(self, grad: Any) -> Any:
        x, y, dim = self.saved
        xp = self.xp
        xd = raw(x)
        if xd.shape[dim] <= 1:
            return grad
        zero = xd == 0
        if not zero.any():
            return _cumsum(xp, grad * y, dim, True) / x
        if xp is NUMPY_NS:
            return _cumprod_grad_with_zeros(x, y, grad, dim)
        return _cumprod_grad_graph(x, grad, dim)


def _cumprod_grad_with_zeros(
    x: np.ndarray, y: np.ndarray, grad: np.ndarray, dim: int
) -> np.ndarray:
    """Cumprod's exact gradient (numpy, O(n)) for slices that may hold zeros."""
    zero = x == 0
    seen = np.cumsum(zero, axis=dim)
    before = seen == 0  # entries before the first zero
    first = zero & (seen == 1)  # the first zero of each slice
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(before, grad * y, 0)
        g_before = _cumsum_array(w, dim, True) / np.where(before, x, 1)
        z = _scan_array(np.cumprod, np.where(first, 1, x), dim)
        after_first = np.cumsum(first, axis=dim) > 0
        g_first = np.sum(np.where(after_first, grad * z, 0), axis=dim, keepdims=True)
    out = np.where(before, g_before, 0)
    return np.where(first, g_first, out).astype(np.result_type(x, grad), copy=False)


def _cumprod_grad_graph(x: Any, grad: Any, dim: int) -> Any:
    r"""Cumprod's exact gradient from differentiable ops: for each $i$,
    $\sum_{j \ge i} \bar y_j\, \mathrm{cumprod}(x \text{ with } x_i = 1)_j$."""
    n = raw(x).shape[dim]
    lead = (slice(None),) * dim
    parts = []
    for i in range(n):
        mask = np.zeros((1,) * dim + (n,) + (1,) * (x.ndim - dim - 1), dtype=bool)
        mask[lead + (i,)] = True
        omitted = Cumprod.apply(ew.where(mask, 1.0, x), dim=dim)
        parts.append(getitem(grad * omitted, lead + (slice(i, None),)).sum(dim, keepdim=True))
    return cat(parts, dim)


def _scan_input(op: str, x: Any, dim: int, dtype: Any) -> tuple[Any, int, bool]:
    """The tensor to scan (cast to ``dtype``; integers and bools to int64, as PyTorch), the
    normalized ``dim`` and whether ``x`` is 0-d (scanned as one element)."""
    d = normalize_dim(op, dim, x.ndim)
    if dtype is not None:
        x = ew.cast(x, np.dtype(dtype))
    elif x.dtype.kind in "biu":
        x = _tm.Tensor._make(x.data.astype(np.int64), None)
    return x, d, x.ndim == 0


def cumsum(x: Any, dim: int, dtype: Any = None) -> Any:
    """Cumulative sum along ``dim`` (integer and bool inputs give int64, as PyTorch)."""
    x, d, scalar = _scan_input("cumsum", x, dim, dtype)
    if scalar:
        return Cumsum.apply(x.reshape(1), dim=0).reshape(())
    return Cumsum.apply(x, dim=d)


def cumprod(x: Any, dim: int, dtype: Any = None) -> Any:
    """Cumulative product along ``dim``; exact gradients with zeros (see :class:`Cumprod`)."""
    x, d, scalar = _scan_input("cumprod", x, dim, dtype)
    if scalar:
        return Cumprod.apply(x.reshape(1), dim=0).reshape(())
    return Cumprod.apply(x, dim=d)


def diff(x: Any, n: int = 1, dim: int = -1, prepend: Any = None, append: Any = None) -> Any:
    r"""The ``n``-th forward difference along ``dim``: $y_i = x_{i+1} - x_i$, applied ``n``
    times, after joining ``prepend`` and ``append`` (``torch.diff``).  Bool inputs give
    ``x_{i+1} != x_i``.  A composite of slices and a subtraction."""
    if x.ndim == 0:
        raise RuntimeError("diff: diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"diff: order must be non-negative but got {n}")
    d = normalize_dim("diff", dim, x.ndim)
    parts = []
    for name, extra in (("prepend", prepend), ("append", append)):
        if extra is None:
            continue
        if not isinstance(extra, _tm.Tensor):
            extra = _tm.Tensor(extra, dtype=x.dtype)
        if extra.ndim != x.ndim:
            raise RuntimeError(
                f"diff: {name} {extra.shape} must have the same number of dimensions as "
                f"input {x.shape}"
            )
        parts.append((name, extra))
    if parts:
        pieces = [t for name, t in parts if name == "prepend"] + [x]
        pieces += [t for name, t in parts if name == "append"]
        x = cat(pieces, d)
    lead = (slice(None),) * d
    for _ in range(n):
        hi, lo = getitem(x, lead + (slice(1, None),)), getitem(x, lead + (slice(None, -1),))
        x = hi != lo if x.dtype == np.bool_ else hi - lo
    return x
