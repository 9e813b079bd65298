r"""Sorting: ``sort``, ``argsort`` and ``topk`` (composites: an index, then ``gather``).

The values are ``gather(x, dim, indices)``, so the gradient of a sorted value flows to the
entry it came from, and double backward comes free.  Order, as PyTorch: NaN is larger than
every number (last ascending, first descending).  Ties: PyTorch's ``stable=True`` keeps equal
entries in their original order, descending too; with ``stable=False`` PyTorch's order among
equal entries is unspecified (it is stable up to 16 entries, not beyond), and ``topk``'s is
too.  tinygrad_lite always returns the stable order (lowest index first among equals), which
is PyTorch's ``stable=True`` result; a tie's gradient goes to the index returned
(docs/subgradients.md).
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

import tinygrad_lite.tensor as _tm
from tinygrad_lite.ops.indexing import gather, normalize_dim

__all__ = ["SortResult", "TopkResult", "sort", "argsort", "topk", "stable_order"]

SortResult = namedtuple("SortResult", ["values", "indices"])  # torch.return_types.sort
TopkResult = namedtuple("TopkResult", ["values", "indices"])  # torch.return_types.topk


def stable_order(x: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """The int64 indices that sort ``x`` along ``axis``, equal entries in their original order.

    Descending: a stable ascending sort of the reversed array, read backwards, gives the
    values from largest to smallest (NaN first) with equal entries still in original order.
    """
    if not descending:
        return np.argsort(x, axis=axis, kind="stable").astype(np.int64, copy=False)
    n = x.shape[axis]
    rev = np.argsort(np.flip(x, axis), axis=axis, kind="stable")
    return (n - 1 - np.flip(rev, axis)).astype(np.int64)


def _order(op: str, x: Any, dim: int, descending: bool) -> tuple[np.ndarray, int]:
    """The sorting indices of ``x`` along ``dim`` (0-d: a 0-d zero) and the normalized dim."""
    d = normalize_dim(op, dim, x.ndim)
    if x.ndim == 0:
        return np.zeros((), dtype=np.int64), d
    return stable_order(x.data, d, descending), d


def argsort(x: Any, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
    """The indices that sort ``x`` along ``dim`` (``torch.argsort``); always stable."""
    idx, _ = _order("argsort", x, dim, descending)
    return _tm.Tensor._make(idx, None)


def sort(x: Any, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Any:
    """``(values, indices)`` of ``x`` sorted along ``dim`` (``torch.sort``); always stable.

    The gradient of ``values`` flows back to the entries at ``indices``.
    """
    idx, d = _order("sort", x, dim, descending)
    if x.ndim == 0:
        return SortResult(gather(x, 0, idx), _tm.Tensor._make(idx, None))
    return SortResult(gather(x, d, idx), _tm.Tensor._make(idx, None))


def topk(x: Any, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
    """``(values, indices)`` of the ``k`` largest (``largest=False``: smallest) entries along
    ``dim``, in sorted order (``torch.topk``; ``sorted=False`` returns them sorted too).

    Among equal entries the lowest index comes first; the gradient flows to the entries
    returned.
    """
    d = normalize_dim("topk", dim, x.ndim)
    n = x.shape[d] if x.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError(
            f"topk: selected index k out of range (k={k}, dimension {d} of a tensor of shape "
            f"{x.shape})"
        )
    if x.ndim == 0:
        idx = np.zeros((), dtype=np.int64)
        return TopkResult(gather(x, 0, idx), _tm.Tensor._make(idx, None))
    order = stable_order(x.data, d, descending=largest)
    idx = np.ascontiguousarray(order[(slice(None),) * d + (slice(0, k),)])
    return TopkResult(gather(x, d, idx), _tm.Tensor._make(idx, None))
