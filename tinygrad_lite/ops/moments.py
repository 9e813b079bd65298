r"""Variance and standard deviation over dims: two primitives with PyTorch's closed-form
backwards (``var``, ``std``; ``correction`` and the older ``unbiased`` flag as PyTorch).
The other reductions are in ``reduce.py``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_lite.autograd.fp import quiet_fp
from tinygrad_lite.autograd.function import Function, raw
from tinygrad_lite.ops.reduce import _count, _mean, _require_float, kept_shape, normalize_dims


def _variance(x: np.ndarray, axes: Any, correction: int, keepdim: bool) -> tuple[np.ndarray, int]:
    """``(sum((x - mean)^2) / (n - c), n - c)`` over ``axes``; a dof of 0 or less divides by
    0.0 (inf/nan, as PyTorch).  The divisor is a Python float, so float32 stays float32."""
    n = _count(x.shape, axes)
    centered = x - _mean(x, axes, True)
    ss = np.sum(centered * centered, axis=axes, keepdims=keepdim)
    dof = n - correction
    return ss / (float(dof) if dof > 0 else 0.0), dof


class Var(Function):
    r"""$v = \tfrac{1}{n - c} \sum_i (x_i - \bar x)^2$ over the reduced dims.

    Backward, PyTorch's closed form: $\bar x_i = 2\,\bar v\,(x_i - \bar x) / (n - c)$.  (The
    chain rule through $\bar x$ adds a term that sums to zero; dropping it keeps an infinite
    input's gradient $\mp\infty$ instead of NaN.)  Where $n \le c$, as PyTorch: over some
    dims the factor is $2 / (n - c)$ itself; over all, $\infty$ (NaN where $x_i = \bar x$).
    """

    @quiet_fp
    def forward(
        self, x: np.ndarray, axes: Any = None, correction: int = 1, keepdim: bool = False
    ) -> np.ndarray:
        out, dof = _variance(x, axes, correction, keepdim)
        self.saved = (x, axes, dof)
        return out

    def backward(self, grad: Any) -> Any:
        x, axes, dof = self.saved
        xp = self.xp
        xd = raw(x)
        grad = xp.reshape(grad, kept_shape(xd.shape, axes))
        if axes is None and dof <= 0:  # PyTorch: 2 / dof is inf, so nan where x is the mean
            return grad * np.where(xd == _mean(xd, None, False), np.nan, np.inf).astype(xd.dtype)
        centered = x - xp.sum(x, axes, keepdims=True) / _count(xd.shape, axes)
        return grad * centered * (2.0 / dof if dof else math.inf)


class Std(Function):
    r"""$s = \sqrt{\tfrac{1}{n - c} \sum_i (x_i - \bar x)^2}$ over the reduced dims.

    Backward: $\bar x_i = \bar s\,(x_i - \bar x) / (s\,(n - c))$, and $0$ where $s = 0$
    (all elements equal): PyTorch's choice at this kink of $\sqrt{\cdot}$, where the composite
    ``var().sqrt()`` would give $0 \cdot \infty = \mathrm{nan}$.
    """

    @quiet_fp
    def forward(
        self, x: np.ndarray, axes: Any = None, correction: int = 1, keepdim: bool = False
    ) -> np.ndarray:
        var, dof = _variance(x, axes, correction, keepdim)
        out = np.sqrt(var)
        self.saved = (x, out, axes, dof)
        return out

    def backward(self, grad: Any) -> Any:
        x, out, axes, dof = self.saved
        xp = self.xp
        xd = raw(x)
        kept = kept_shape(xd.shape, axes)
        n = _count(xd.shape, axes)
        out_k = xp.reshape(out, kept)
        zero = np.broadcast_to(raw(out).reshape(kept) == 0, xd.shape)
        centered = x - xp.sum(x, axes, keepdims=True) / n
        safe = xp.where(zero, 1.0, out_k * dof)
        return xp.where(zero, 0.0, xp.reshape(grad, kept) * centered / safe)


def _correction(dim: Any, correction: Any, unbiased: bool | None) -> tuple[Any, Any]:
    """``(dim, correction)``: PyTorch's older ``unbiased=`` flag, when given, decides the
    correction (1 or 0); so does a bool in ``dim``'s place (``x.var(False)``: all dims, biased)."""
    if isinstance(dim, (bool, np.bool_)):
        return None, int(bool(dim))
    return dim, (correction if unbiased is None else int(bool(unbiased)))


def var(
    x: Any, dim: Any = None, correction: int = 1, keepdim: bool = False,
    unbiased: bool | None = None,
) -> Any:
    r"""$\frac{1}{n - c} \sum_i (x_i - \bar x)^2$ over ``dim`` (unbiased: ``correction=1``;
    ``unbiased=False`` or ``x.var(False)`` mean ``correction=0``)."""
    dim, correction = _correction(dim, correction, unbiased)
    _require_float("var", x)
    axes = normalize_dims("var", dim, x.ndim)
    return Var.apply(x, axes=axes, correction=correction, keepdim=keepdim)


def std(
    x: Any, dim: Any = None, correction: int = 1, keepdim: bool = False,
    unbiased: bool | None = None,
) -> Any:
    r"""$\sqrt{\mathrm{var}(x)}$ over ``dim`` (unbiased by default); gradient 0 where it is 0."""
    dim, correction = _correction(dim, correction, unbiased)
    _require_float("std", x)
    axes = normalize_dims("std", dim, x.ndim)
    return Std.apply(x, axes=axes, correction=correction, keepdim=keepdim)
