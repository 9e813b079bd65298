r"""Reductions: sum, mean, amax/amin (and max/min), logsumexp (prod: ``product.py``; var and
std: ``moments.py``).

Every reduction takes ``dim`` (an int, a tuple of ints, or None for all dimensions) and
``keepdim``, as in PyTorch.  Backward re-inserts the reduced axes (``keepdim`` shape) and
broadcasts the output gradient back over them.

Subgradients at ties (see docs/subgradients.md):

* ``amax``/``amin`` and the full reductions ``max()``/``min()`` split the gradient *evenly*
  among all elements equal to the extremum;
* ``max(dim)``/``min(dim)`` return ``(values, indices)`` and route the gradient to the returned
  index only (the first extremum), as PyTorch does.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

import tinygrad_lite.tensor as _tm
from tinygrad_lite.argcheck import is_int
from tinygrad_lite.autograd.fp import quiet_fp
from tinygrad_lite.autograd.function import Function, raw
from tinygrad_lite.ops.masking import select

MaxMin = namedtuple("MaxMin", ["values", "indices"])  # torch.return_types.max / min


def normalize_dims(op: str, dim: Any, ndim: int) -> tuple[int, ...] | None:
    """Turn ``dim`` (int, tuple, list or None) into sorted non-negative axes, or None for all.

    An empty tuple means all dimensions too, as in PyTorch (``x.sum(dim=())``).
    """
    if dim is None:
        return None
    if isinstance(dim, (bool, np.bool_)):  # an int subclass, but never a dimension (PyTorch)
        raise TypeError(f"{op}: dim must be an int or a tuple of ints, not bool")
    if not isinstance(dim, (int, np.integer, tuple, list)):
        raise TypeError(f"{op}: dim must be an int or a tuple of ints, got {dim!r}")
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    if not dims:  # PyTorch: an empty dim list reduces over all dimensions
        return None
    out = []
    n = ndim if ndim > 0 else 1  # a 0-d tensor accepts dim 0 / -1, as in PyTorch
    for d in dims:
        if not is_int(d):  # 1.5 must not silently mean dimension 1
            raise TypeError(f"{op}: dim must be an int or a tuple of ints, got {dim!r}")
        d = int(d)
        if not -n <= d < n:
            raise IndexError(
                f"{op}: dimension out of range (expected to be in range of "
                f"[{-n}, {n - 1}], but got {d})"
            )
        d = d % n
        if d in out:
            raise RuntimeError(f"{op}: dim {d} appears multiple times in the list of dims")
        out.append(d)
    if ndim == 0:
        return None
    return tuple(sorted(out))


def check_nonempty(op: str, shape: tuple[int, ...], axes: tuple[int, ...] | None) -> None:
    """Raise if a max/min/arg reduction would reduce over an empty dimension (no identity).

    Reducing *other* dimensions of an empty tensor is fine (``zeros(0, 3).amax(1)`` is empty).
    """
    if axes is None:
        if 0 in shape:
            raise RuntimeError(
                f"{op}: cannot reduce an empty tensor of shape {shape} over all dimensions; "
                f"specify dim"
            )
        return
    for a in axes:
        if shape[a] == 0:
            raise IndexError(
                f"{op}: cannot reduce over dimension {a} of size 0 (tensor of shape {shape})"
            )


def kept_shape(shape: tuple[int, ...], axes: tuple[int, ...] | None) -> tuple[int, ...]:
    """``shape`` with the reduced axes set to 1 (the ``keepdim=True`` output shape)."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _count(shape: tuple[int, ...], axes: tuple[int, ...] | None) -> int:
    """Number of elements reduced into each output element."""
    if axes is None:
        return int(np.prod(shape, dtype=np.int64))
    return int(np.prod([shape[a] for a in axes], dtype=np.int64))


class Sum(Function):
    r"""$y = \sum_{i \in \text{dims}} x_i$. Backward: $\bar x = \mathrm{broadcast}(\bar y)$."""

    @quiet_fp
    def forward(self, x: np.ndarray, axes: Any = None, keepdim: bool = False) -> np.ndarray:
        self.saved = (x.shape, axes)
        if x.dtype == np.bool_:
            x = x.astype(np.int64)
        return np.sum(x, axis=axes, keepdims=keepdim)

    def backward(self, grad: Any) -> Any:
        shape, axes = self.saved
        xp = self.xp
        return xp.broadcast_to(xp.reshape(grad, kept_shape(shape, axes)), shape)


def _mean(x: np.ndarray, axes: Any, keepdims: bool) -> np.ndarray:
    """``np.mean``, except that a mean over no elements is NaN silently (as PyTorch), where
    numpy also warns "Mean of empty slice" (a Python warning no ``errstate`` turns off)."""
    if x.size == 0 and _count(x.shape, axes) == 0:
        with np.errstate(invalid="ignore"):
            return np.sum(x, axis=axes, keepdims=keepdims) / 0.0
    return np.mean(x, axis=axes, keepdims=keepdims)


class Mean(Function):
    r"""$y = \frac1n \sum_{i \in \text{dims}} x_i$.

    Backward: $\bar x = \mathrm{broadcast}(\bar y) / n$.
    """

    @quiet_fp
    def forward(self, x: np.ndarray, axes: Any = None, keepdim: bool = False) -> np.ndarray:
        self.saved = (x.shape, axes)
        return _mean(x, axes, keepdim)

    def backward(self, grad: Any) -> Any:
        shape, axes = self.saved
        xp = self.xp
        n = _count(shape, axes)
        return xp.broadcast_to(xp.reshape(grad, kept_shape(shape, axes)), shape) / n


class Extremum(Function):
    r"""$y = \max_{i \in \text{dims}} x_i$ (or min).

    Backward: $\bar x_i = \bar y\, w_i$ with weights $w$ saved by forward: ``split='even'``
    gives $w_i = [x_i = y] / \#\{j : x_j = y\}$ (ties share evenly, ``amax``);
    ``split='first'`` gives $w_i = 1$ only at the first extremum (``max(dim)``).  As PyTorch,
    ``max()``/``min()`` and ``max(dim)`` *select* the gradient ($0$ where $w_i = 0$, even for an
    infinite $\bar y$), while ``amax``/``amin`` multiply ($\infty \cdot 0$ is NaN there).
    """

    def forward(
        self, x: np.ndarray, axes: Any = None, keepdim: bool = False,
        largest: bool = True, split: str = "even", op: str = "max",
    ) -> np.ndarray:
        check_nonempty(op, x.shape, axes)
        y = (np.amax if largest else np.amin)(x, axis=axes, keepdims=True)
        if split == "even":
            mask = x == y
            if axes is None and op in ("max", "min") and x.size and np.isnan(y).any():
                mask = np.isnan(x)  # PyTorch: max() of a NaN sends it evenly to the NaNs
            # (amax/amin of a NaN: no element equals it, 0/0 makes the slice's gradient NaN)
            with np.errstate(invalid="ignore"):  # that 0/0 is meant: no warning
                weights = mask / np.sum(mask, axis=axes, keepdims=True, dtype=x.dtype)
        else:  # 'first': one-hot at the index argmax/argmin returns (axes is a single dim)
            (axis,) = axes
            idx = (np.argmax if largest else np.argmin)(x, axis=axis, keepdims=True)
            weights = np.zeros(x.shape, dtype=x.dtype)
            np.put_along_axis(weights, idx, 1, axis=axis)
        # PyTorch selects max()'s and max(dim)'s gradient (zeros elsewhere, even for an
        # infinite grad) but multiplies amax's by its weights (inf * 0 = NaN)
        selected = split == "first" or (axes is None and op in ("max", "min"))
        self.saved = (x.shape, axes, weights.astype(x.dtype, copy=False), selected)
        return y if keepdim else np.squeeze(y, axis=axes)

    def backward(self, grad: Any) -> Any:
        shape, axes, weights, selected = self.saved
        xp = self.xp
        g = xp.reshape(grad, kept_shape(shape, axes)) * weights
        return select(xp, raw(weights) != 0, g) if selected else g


class LogSumExp(Function):
    r"""$y = \log \sum_i e^{x_i}$, computed as $m + \log \sum_i e^{x_i - m}$ with $m = \max x$.

    Backward: $\bar x_i = \bar y\, e^{x_i - y}$ (the softmax).
    """

    @quiet_fp
    def forward(self, x: np.ndarray, axes: Any = None, keepdim: bool = False) -> np.ndarray:
        if x.size == 0:  # the log of an empty sum: -inf, as PyTorch
            with np.errstate(divide="ignore"):
                out = np.log(np.sum(np.exp(x), axis=axes, keepdims=keepdim))
            self.saved = (x, out, axes)
            return out
        m = np.amax(x, axis=axes, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)
        out = np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m
        if not keepdim:
            out = np.squeeze(out, axis=axes)
        self.saved = (x, out, axes)  # the output itself: under create_graph it joins the graph
        return out

    def backward(self, grad: Any) -> Any:
        x, out, axes = self.saved
        xp = self.xp
        kept = kept_shape(raw(x).shape, axes)
        return xp.reshape(grad, kept) * xp.exp(x - xp.reshape(out, kept))


# ----- the functions Tensor methods call -------------------------------------------------


def sum(x: Any, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001 (torch name)
    """Sum over ``dim``; bool and integer inputs give int64, as in PyTorch."""
    return Sum.apply(x, axes=normalize_dims("sum", dim, x.ndim), keepdim=keepdim)


def mean(x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """Arithmetic mean over ``dim`` (floating point inputs only, as in PyTorch)."""
    _require_float("mean", x)
    return Mean.apply(x, axes=normalize_dims("mean", dim, x.ndim), keepdim=keepdim)


def _require_float(op: str, x: Any) -> None:
    """PyTorch's rule for mean, var and std: floating point input only (RuntimeError)."""
    if x.dtype.kind not in "fc":
        raise RuntimeError(f"{op}: input dtype must be floating point, got {x.dtype} "
                           "(use .float() first)")  # fmt: skip


def amax(x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """Maximum over ``dim``; ties share the gradient evenly."""
    axes = normalize_dims("amax", dim, x.ndim)
    return Extremum.apply(x, axes=axes, keepdim=keepdim, largest=True, split="even", op="amax")


def amin(x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """Minimum over ``dim``; ties share the gradient evenly."""
    axes = normalize_dims("amin", dim, x.ndim)
    return Extremum.apply(x, axes=axes, keepdim=keepdim, largest=False, split="even", op="amin")


def _max_min(x: Any, dim: Any, keepdim: bool, largest: bool) -> Any:
    op = "max" if largest else "min"
    if dim is None:
        return Extremum.apply(x, axes=None, keepdim=False, largest=largest, split="even", op=op)
    if isinstance(dim, _tm.Tensor):  # x.max(other): PyTorch's elementwise maximum
        return x.maximum(dim) if largest else x.minimum(dim)
    if not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{op}: dim must be an int or a Tensor, got {dim!r}")
    axes = normalize_dims(op, dim, x.ndim)
    indices = (argmax if largest else argmin)(x, dim, keepdim)
    if axes is None:  # a 0-d tensor: max(0) is the value itself, index 0
        return MaxMin(x.reshape(()), indices)
    values = Extremum.apply(
        x, axes=axes, keepdim=keepdim, largest=largest, split="first", op=op
    )
    return MaxMin(values, indices)


def max(x: Any, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001
    """``max()``: the largest element (ties evenly); ``max(dim)``: ``(values, indices)``;
    ``max(other)``: the elementwise maximum with the Tensor ``other``."""
    return _max_min(x, dim, keepdim, True)


def min(x: Any, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001
    """``min()``: the smallest element (ties evenly); ``min(dim)``: ``(values, indices)``;
    ``min(other)``: the elementwise minimum with the Tensor ``other``."""
    return _max_min(x, dim, keepdim, False)


def _arg(x: Any, dim: Any, keepdim: bool, fn: Any, op: str) -> Any:
    axes = None if dim is None else normalize_dims(op, dim, x.ndim)
    check_nonempty(op, x.shape, axes)
    if axes is None:
        idx = np.asarray(fn(x.data))
        if keepdim:
            idx = idx.reshape((1,) * x.ndim)
    else:
        idx = fn(x.data, axis=axes[0], keepdims=keepdim)
    return _tm.Tensor._make(np.asarray(idx, dtype=np.int64), None)


def argmax(x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """Index of the first maximum (of the flattened tensor when ``dim`` is None); no gradient."""
    return _arg(x, dim, keepdim, np.argmax, "argmax")


def argmin(x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """Index of the first minimum; no gradient."""
    return _arg(x, dim, keepdim, np.argmin, "argmin")


def logsumexp(x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    r"""$\log \sum \exp(x)$ over ``dim``, stable for large inputs (no overflow at 1e3).

    Integer and bool inputs give float32, as PyTorch."""
    if x.dtype.kind not in "fc":
        x = x.to(np.float32)
    return LogSumExp.apply(x, axes=normalize_dims("logsumexp", dim, x.ndim), keepdim=keepdim)
