r"""Clamp with number bounds (:class:`Clamp`) or Tensor bounds (:class:`ClampTensor`), and
``clamp``, which picks one.  The gradient passes *at* the bounds, as in PyTorch
(docs/subgradients.md); masked gradients are *selected* (:mod:`~tinygrad_lite.ops.masking`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import tinygrad_lite.tensor as _tm
from tinygrad_lite.autograd.function import Function
from tinygrad_lite.ops import elementwise as ew
from tinygrad_lite.ops.masking import select


class Clamp(Function):
    r"""$y = \min(\max(x, lo), hi)$. Backward: $\bar x = \bar y\,[lo \le x \le hi]$.

    The gradient passes *at* the bounds, as in PyTorch.  Forward is one ``np.clip``, or for one
    bound ``np.maximum(lo, x)`` / ``np.minimum(hi, x)`` (numpy returns the second argument on a
    tie, so ``clamp(-0., min=0.)`` is $-0$ as PyTorch's).  The mask is built in backward.
    """

    def forward(self, x: np.ndarray, lo: Any = None, hi: Any = None) -> np.ndarray:
        lo = None if lo is None else np.asarray(lo, dtype=x.dtype)
        hi = None if hi is None else np.asarray(hi, dtype=x.dtype)
        self.save_for_backward(x, lo, hi)
        if lo is None or hi is None:  # (np.clip keeps x on a tie only with both bounds)
            return np.asarray(np.minimum(hi, x) if lo is None else np.maximum(lo, x))
        return np.asarray(np.clip(x, lo, hi))

    def backward(self, grad: Any) -> Any:
        x, lo, hi = [None if v is None else ew.saved_array(v) for v in self.saved]
        if lo is None:
            mask = x <= hi
        else:
            mask = x >= lo
            if hi is not None:
                mask &= x <= hi
        return select(self.xp, mask, grad)  # where, not a product: an inf grad gives 0 outside


class ClampTensor(Function):
    r"""$y = \min(\max(x, lo), hi)$ with Tensor bounds, all three broadcast together.

    Backward, PyTorch's masks (``clamp_backward_min_max``): $\bar x = \bar y\,[lo \le x \le hi]$;
    $\overline{lo} = \bar y\,[x < lo][lo < hi]$; $\overline{hi} = \bar y\,([x > hi] \lor
    [hi < lo])$.  With one bound only: $\overline{lo} = \bar y\,[x < lo]$ or
    $\overline{hi} = \bar y\,[x > hi]$.  (Where $x < lo = hi$ no input gets the gradient.)
    """

    def forward(
        self, x: np.ndarray, *bounds: np.ndarray, has_lo: bool, dtype: np.dtype
    ) -> np.ndarray:
        lo = bounds[0] if has_lo else None
        hi = bounds[-1] if len(bounds) == 2 or not has_lo else None
        out = x
        mask_x = masks = ()
        if lo is not None:
            out = np.maximum(lo, out)  # out second: a tie keeps x (-0), as PyTorch
            mask_x = x >= lo
            masks = (x < lo) if hi is None else (x < lo) & (lo < hi),
        if hi is not None:
            out = np.minimum(hi, out)
            mask_x = (x <= hi) if lo is None else mask_x & (x <= hi)
            masks += (x > hi) if lo is None else (x > hi) | (hi < lo),
        shape = out.shape
        self.saved = (x.shape, np.broadcast_to(mask_x, shape))
        self.saved += tuple((b.shape, np.broadcast_to(m, shape)) for b, m in zip(bounds, masks))
        return out.astype(dtype, copy=False)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        unbroadcast = self.xp.unbroadcast
        x_shape, mask_x = self.saved[:2]
        xp = self.xp
        grads = [unbroadcast(select(xp, mask_x, grad), x_shape)]
        grads += [unbroadcast(select(xp, m, grad), shape) for shape, m in self.saved[2:]]
        return tuple(grads)


def clamp(x: Any, min: Any = None, max: Any = None) -> Any:
    """Clamp ``x`` into ``[min, max]``; either may be None, a number or a Tensor (broadcast).

    The result dtype follows PyTorch's promotion: an integer tensor clamped to a float bound
    becomes float32.
    """
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    bounds = [ew.as_tensor(b, x) for b in (min, max) if b is not None]
    dtype = ew.result_dtype_n(x.data, *[b.data for b in bounds])
    if any(isinstance(b, _tm.Tensor) for b in (min, max)):
        try:
            np.broadcast_shapes(x.shape, *[b.shape for b in bounds])
        except ValueError:
            shapes = " and ".join(str(t.shape) for t in (x, *bounds))
            raise RuntimeError(f"clamp: cannot broadcast shapes {shapes}") from None
        return ClampTensor.apply(x, *bounds, has_lo=min is not None, dtype=dtype)
    if x.dtype != dtype:  # an integer or bool tensor meets a wider bound: no gradient here
        x = _tm.Tensor._make(x.data.astype(dtype), None)
    return Clamp.apply(x, lo=min, hi=max)
