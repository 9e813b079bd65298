r"""Masked gradients: $\bar x = \bar y$ where a mask holds and exactly $+0$ elsewhere.

PyTorch's backwards of piecewise-linear ops (``threshold_backward`` for ``relu``,
``clamp_backward``, ``hardtanh_backward``, the shrinks, max-pooling's scatter, ...) *select*
the gradient with ``where``; they do not multiply it by a 0/1 mask.  The difference shows when
the upstream gradient is not finite: ``inf * 0`` and ``nan * 0`` are NaN, but a selected-away
entry is $0$; and a negative gradient times $0$ is $-0$, selected away it is $+0$.

``np.where`` on a random mask is ~10x slower than a multiply (it branches per element), so
:func:`masked` multiplies the gradient's *bit pattern*, read as integers, by the 0/1 mask:
$n \cdot 1 = n$ and $n \cdot 0 = 0$, the bits of $+0$ -- exactly ``np.where(mask, grad, 0)``,
at the speed of a multiply (``tests/ops/test_masking.py`` checks that the two agree).

Second derivatives: PyTorch's ``threshold_backward(grad, x)`` (and its siblings) is a function
of ``x`` too, with derivative $0$, so differentiating a ReLU's gradient again gives zeros, not
"unused".  :func:`zero_link` gives a ``create_graph`` backward that dependence.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import tinygrad_lite.tensor as _tm
from tinygrad_lite.allocator import SCRATCH
from tinygrad_lite.autograd.function import NUMPY_NS, Function
from tinygrad_lite.autograd.grad_mode import STATE

BITS = {2: np.int16, 4: np.int32, 8: np.int64}
"""The integer type of each float size (by ``itemsize``): views of a float array's bits."""
_BITS_OF = {np.dtype(f): BITS[np.dtype(f).itemsize] for f in (np.float16, np.float32, np.float64)}
_SMALL = 4096  # below this many values one mixed-type multiply beats the two passes


def masked(grad: Any, mask: np.ndarray) -> np.ndarray:
    r"""``np.where(mask, grad, 0)`` for numpy arrays (broadcast together): ``grad`` where
    ``mask`` holds, $+0$ elsewhere, even where ``grad`` is $\pm\infty$ or NaN.

    For float ``grad`` it multiplies ``grad``'s bits, as integers, by the 0/1 mask (no
    branches, unlike ``where``): small or broadcast arrays in one mixed-type multiply, large ones
    by writing the mask into an integer view of a pooled result and multiplying in place (two
    passes, but no casting buffer: faster).  Other dtypes use ``np.where``.
    """
    if grad.__class__ is not np.ndarray:
        grad = np.asarray(grad)
    bits = _BITS_OF.get(grad.dtype)
    if bits is None:
        return np.where(mask, grad, 0)  # (a Python 0 keeps grad's dtype)
    if grad.size < _SMALL or grad.shape != mask.shape:
        out = np.multiply(grad.view(bits), mask)
        return (out if out.__class__ is np.ndarray else np.asarray(out)).view(grad.dtype)
    out = SCRATCH.empty_like(grad)  # grad's memory order (channel-major layouts stay)
    out_bits = out.view(bits)
    np.copyto(out_bits, mask, casting="unsafe")  # 0 or 1
    np.multiply(grad.view(bits), out_bits, out=out_bits)
    return out


def select(xp: Any, mask: Any, grad: Any) -> Any:
    """``grad`` where ``mask`` holds, $+0$ elsewhere, in the backward namespace ``xp``: the
    fast :func:`masked` for numpy, ``where`` on Tensors under ``create_graph``."""
    if xp is NUMPY_NS:
        return masked(grad, mask)
    return xp.where(mask.data if isinstance(mask, _tm.Tensor) else mask, grad, 0.0)


class ZeroLink(Function):
    r"""$z = v$, seen as a function of ``v`` and of ``anchor`` with $\partial z / \partial
    \text{anchor} = 0$.  Backward: $\bar v = \bar z$, $\overline{\text{anchor}} = 0$.

    Only made by :func:`zero_link`, under ``create_graph``."""

    def forward(self, value: np.ndarray, anchor: np.ndarray) -> np.ndarray:
        self.anchor = (anchor.shape, anchor.dtype)  # metadata only: no version check
        return value  # the same array: ``value`` is a gradient nothing else holds

    def backward(self, grad: Any) -> tuple[Any, Any]:
        shape, dtype = self.anchor
        zeros = None
        if self.needs_input_grad[1]:
            zeros = self.xp.const(np.zeros(shape, dtype), grad)
        return grad, zeros


def zero_link(fn: Function, value: Any, source: int) -> Any:
    r"""Under ``create_graph``: ``value`` (a Tensor gradient that ``fn.backward`` built)
    made to depend, with derivative $0$, on ``fn``'s output (``source=-1``) or on its tensor
    input ``source``; in ordinary backward, ``value`` itself.

    PyTorch's backward of ``relu`` is ``threshold_backward(grad, result)``, of ``hardtanh``
    ``hardtanh_backward(grad, self)``, ...: functions of the saved tensor as well, whose
    derivative there is $0$.  So ``grad(grad(relu(x).sum(), x, create_graph=True)[0].sum(),
    x)`` is zeros in PyTorch, not an error about a tensor that does not require grad; the
    link gives the same.  The anchor Tensor stands for the output or input without its
    values (a zero-strided placeholder): only its node and shape matter.
    """
    if fn.xp is NUMPY_NS:
        return value
    if source == -1:
        node, shape, dtype = fn, fn.out_shape, fn.out_dtype
    else:
        node = fn.parents[source]
        if node is None:
            return value
        if not isinstance(node, Function):  # a leaf that requires grad: the tensor itself
            return ZeroLink.apply(value, node)
        shape, dtype = node.out_shape, node.out_dtype
    anchor = _tm.Tensor._make(np.broadcast_to(np.zeros((), dtype), shape), node)
    anchor._vc = node._vc
    return ZeroLink.apply(value, anchor)


class Anchored(Function):
    r"""$y = v$, where $v$ is the output of a *linear composite* of ``anchor`` (average
    pooling): backward passes $\bar y$ on to $v$, made under ``create_graph`` a function of
    ``anchor`` with derivative $0$ (:func:`zero_link`).  PyTorch's fused backward of such an
    op (``avg_pool2d_backward(grad, self)``) takes the input, so differentiating its gradient
    again gives zeros rather than "does not require grad"; this gives the composite the same.
    """

    def forward(self, value: np.ndarray, anchor: np.ndarray) -> np.ndarray:
        return value  # the same array: ``value`` is the composite's last, private result

    def backward(self, grad: Any) -> tuple[Any, None]:
        return zero_link(self, grad, 1), None


def anchored(value: Any, anchor: Any) -> Any:
    """``value`` (a Tensor computed linearly from ``anchor``) through :class:`Anchored`, when
    a gradient will be recorded; ``value`` itself otherwise (no extra node)."""
    if anchor.requires_grad and STATE.enabled:
        return Anchored.apply(value, anchor)
    return value
