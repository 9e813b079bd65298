r"""The product reduction, with PyTorch's exact gradient when the input holds zeros."""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_lite.autograd.fp import quiet_fp
from tinygrad_lite.autograd.function import NUMPY_NS, Function, raw
from tinygrad_lite.ops.reduce import kept_shape, normalize_dims


class Prod(Function):
    r"""$y = \prod_{i \in \text{dims}} x_i$.

    Backward: $\bar x_i = \bar y\, y / x_i$ when no entry is 0; with a zero anywhere, PyTorch's
    exact $\bar x_i = \bar y \prod_{j \ne i} x_j$ (no division, so also right next to an
    infinity), from exclusive cumulative products taken from both ends of each slice -- except
    that the full product (no ``dim``) of an input with two or more zeros has gradient 0, as
    PyTorch's shortcut gives (even next to an infinity).  Under
    ``create_graph`` the zeros are handled by masking instead ($\prod_{j \ne i} x_j$ at a zero
    that is alone in its slice, 0 at the others).
    """

    @quiet_fp
    def forward(self, x: np.ndarray, axes: Any = None, keepdim: bool = False) -> np.ndarray:
        out = np.prod(x, axis=axes, keepdims=keepdim)
        self.saved = (x, out, axes)  # the output itself: under create_graph it joins the graph
        return out

    def backward(self, grad: Any) -> Any:
        x, out, axes = self.saved
        xp = self.xp
        xd = raw(x)
        kept = kept_shape(xd.shape, axes)
        g, out = xp.reshape(grad, kept), xp.reshape(out, kept)
        zero = xd == 0
        if not zero.any():
            return g * out / x
        if xp is NUMPY_NS:
            if axes is None and np.count_nonzero(zero) > 1:  # PyTorch's shortcut for prod()
                return np.zeros(xd.shape, dtype=np.result_type(xd, raw(grad)))
            return g * _product_of_others(xd, axes)
        x1 = xp.where(zero, 1.0, x)
        one_zero = (np.sum(zero, axis=axes, keepdims=True) == 1).astype(xd.dtype)
        others = xp.prod(x1, axes) * one_zero
        return xp.where(zero, g * others, g * out / x1)


def _product_of_others(x: np.ndarray, axes: tuple[int, ...] | None) -> np.ndarray:
    r"""For each $x_i$, the product of the other entries of its reduced slice (``axes``; None:
    all), without division: the exclusive cumulative product from the left times the one from
    the right."""
    axes = tuple(range(x.ndim)) if axes is None else axes
    k = len(axes)
    last = tuple(range(x.ndim - k, x.ndim))
    moved = np.moveaxis(x, axes, last)
    rows = moved.reshape(moved.shape[: x.ndim - k] + (-1,))
    left = np.ones_like(rows)
    np.cumprod(rows[..., :-1], axis=-1, out=left[..., 1:])
    right = np.ones_like(rows)
    right[..., :-1] = np.cumprod(rows[..., :0:-1], axis=-1)[..., ::-1]
    return np.moveaxis((left * right).reshape(moved.shape), last, axes)


def prod(x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """Product over ``dim`` (an int, or None for all elements)."""
    return Prod.apply(x, axes=normalize_dims("prod", dim, x.ndim), keepdim=keepdim)
