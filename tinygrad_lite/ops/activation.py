r"""Activation primitives whose gradient at a kink a composite cannot give cheaply: ``hardtanh``
(and so ``relu6``), ``hardsigmoid``, ``hardswish``; and ``logsigmoid``, whose composite form
($\min(x, 0) - \log(1 + e^{-|x|})$) is right to first order but has a wrong second derivative
at $x = 0$ (its pieces' kinks cancel only in the first derivative).

Each is one ``Function``; the choices at the kinks are PyTorch 2.13's (CPU kernels), probed at
the kink itself (``tests/nn/test_activations_extra.py``, docs/subgradients.md):

===========  ===============================================================
op           gradient at the kink
===========  ===============================================================
hardtanh     $0$ at $x = $ ``min_val`` and at $x = $ ``max_val`` (``clamp`` passes $1$ there)
hardsigmoid  $0$ at $x = \pm 3$; slope ``float32(1/6)`` in every dtype (PyTorch's constant)
hardswish    $0$ at $x = -3$, $1$ at $x = 3$ (PyTorch's ``x <= -3`` / ``x < 3`` branches)
celu         $e^{0} = 1$ at $x = 0$, up to PyTorch's float32 rounding of $1/\alpha$
===========  ===============================================================

``celu`` is a primitive for PyTorch's numbers too: its backward scales by ``1/float32(alpha)``
(float64 included), so for $\alpha = 0.7$ the gradient at $0$ is $1 + 1.7\cdot10^{-8}$; a
composite would be $10^{-8}$ off PyTorch, and six ops instead of one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_lite.autograd.function import Function
from tinygrad_lite.ops.unary import floating

# PyTorch's CPU hardsigmoid backward multiplies by the float constant 1/6 in every dtype, so
# its float64 gradient is 0.1666666716337204, not 1/6; we use the same number to agree exactly.
_ONE_SIXTH_F32 = float(np.float32(1.0) / np.float32(6.0))


class Hardtanh(Function):
    r"""$y = \min(\max(x, lo), hi)$. Backward: $\bar x = \bar y\,[lo < x < hi]$.

    Unlike ``clamp`` (which passes the gradient *at* its bounds), the gradient is $0$ at
    exactly $x = lo$ and $x = hi$: PyTorch's ``hardtanh_backward``.  Integer inputs keep their
    dtype, as in PyTorch.
    """

    def forward(self, x: np.ndarray, lo: float, hi: float) -> np.ndarray:
        lo_, hi_ = np.asarray(lo).astype(x.dtype), np.asarray(hi).astype(x.dtype)
        self.save_for_backward((x > lo_) & (x < hi_))
        return np.minimum(np.maximum(x, lo_), hi_)

    def backward(self, grad: Any) -> Any:
        (inside,) = self.saved
        return grad * inside


class Hardsigmoid(Function):
    r"""$y = \min(\max(x + 3, 0), 6) / 6$. Backward: $\bar x = \bar y \cdot \tfrac16\,[-3 < x < 3]$
    ($0$ at $x = \pm 3$; $\tfrac16$ rounded to float32 as PyTorch's kernel does)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = floating(x)
        three, six, zero = (np.asarray(v, dtype=x.dtype) for v in (3, 6, 0))
        slope = np.where((x > -three) & (x < three), _ONE_SIXTH_F32, 0.0).astype(x.dtype)
        self.save_for_backward(slope)
        return np.minimum(np.maximum(x + three, zero), six) / six

    def backward(self, grad: Any) -> Any:
        (slope,) = self.saved
        return grad * slope


class Hardswish(Function):
    r"""$y = x \min(\max(x + 3, 0), 6) / 6$.

    Backward (PyTorch's branches): $\bar x = 0$ for $x \le -3$, $\bar y\,(x/3 + \tfrac12)$ for
    $-3 < x < 3$, $\bar y$ for $x \ge 3$; so $0$ at $x = -3$ and $1$ at $x = 3$.  The middle
    piece is written in ``xp``, so the second derivative is $\tfrac13$ on $(-3, 3)$ and $0$
    elsewhere, bounds included, as PyTorch's.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = floating(x)
        three, six, zero = (np.asarray(v, dtype=x.dtype) for v in (3, 6, 0))
        self.save_for_backward(x, (x > -three) & (x < three), (x >= three).astype(x.dtype))
        return x * np.minimum(np.maximum(x + three, zero), six) / six

    def backward(self, grad: Any) -> Any:
        x, inside, above = self.saved
        return grad * self.xp.where(inside, x / 3 + 0.5, above)


class Celu(Function):
    r"""$y = x$ for $x > 0$, $\alpha\,(e^{x/\alpha} - 1)$ for $x \le 0$ (``expm1``).

    Backward: $\bar x = \bar y$ for $x > 0$, $\bar y\,c\,\alpha\,e^{c x}$ for $x \le 0$, with
    PyTorch's $c = 1 / \mathrm{float32}(\alpha)$ (``1.0 / alpha.toFloat()`` in its derivative
    formula): $e^{x/\alpha}$ up to that rounding.  The exponential sees $\min(x, 0)$ (via
    ``where``, so double backward still reaches $x$): no overflow for large $x$.
    """

    def forward(self, x: np.ndarray, alpha: float) -> np.ndarray:
        negative = x <= 0
        scale = 1.0 / float(np.float32(alpha))
        self.save_for_backward(x, negative, alpha * scale, scale)
        return np.where(negative, alpha * np.expm1(np.minimum(x, 0) / alpha), x)

    def backward(self, grad: Any) -> Any:
        x, negative, coef, scale = self.saved
        xp = self.xp
        slope = xp.exp(xp.where(negative, x, 0.0) * scale) * coef
        return grad * xp.where(negative, slope, 1.0)


class LogSigmoid(Function):
    r"""$y = \log\sigma(x) = \min(x, 0) - \log(1 + e^{-|x|})$: finite for every finite $x$.

    Backward: $\bar x = \bar y\,\sigma(-x) = \bar y\,e^{y - x}$ (since
    $\sigma(-x) = \sigma(x)\,e^{-x}$).  Written with the saved input and output only, so double
    backward differentiates it: $-\sigma(x)\sigma(-x)$, smooth at $0$ ($-\tfrac14$).
    $e^{y - x}$ is accurate in both tails: $y - x \approx -x$ for $x \gg 0$ and
    $y - x = -\log(1 + e^{x}) \to 0$ for $x \ll 0$.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        y = np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))
        self.save_for_backward(x, y)
        return y

    def backward(self, grad: Any) -> Any:
        x, y = self.saved
        return grad * self.xp.exp(y - x)


def hardtanh(x: Any, lo: float, hi: float) -> Any:
    """Elementwise ``min(max(x, lo), hi)`` with gradient 0 at the bounds (a Tensor)."""
    return Hardtanh.apply(x, lo=lo, hi=hi)


def hardsigmoid(x: Any) -> Any:
    """Elementwise ``relu6(x + 3) / 6`` of a Tensor."""
    return Hardsigmoid.apply(x)


def hardswish(x: Any) -> Any:
    """Elementwise ``x * relu6(x + 3) / 6`` of a Tensor."""
    return Hardswish.apply(x)


def celu(x: Any, alpha: float) -> Any:
    """Elementwise CELU of a float Tensor (PyTorch's numbers; see :class:`Celu`)."""
    return Celu.apply(x, alpha=alpha)


def logsigmoid(x: Any) -> Any:
    """Elementwise ``log(sigmoid(x))`` of a float Tensor, stable in both tails."""
    return LogSigmoid.apply(x)
