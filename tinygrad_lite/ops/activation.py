r"""Activation primitives: ``hardtanh`` (and so ``relu6``), ``hardsigmoid``, ``hardswish``,
``softshrink``/``hardshrink``, ``threshold``, ``leaky_relu``, whose gradients at the kinks a
composite cannot give cheaply (nor PyTorch's $+0$ values and selected gradients, nor its zero
second derivatives: :mod:`~tinygrad_lite.ops.masking`); ``celu``/``selu`` (one node instead of
six, PyTorch's rounding); and ``logsigmoid``, whose composite form
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

``celu`` and ``selu`` share one primitive, PyTorch's ``elu`` kernel (:class:`ScaledElu`): one
node instead of six, and PyTorch's numbers -- its ``celu`` backward scales by
``1/float32(alpha)`` (float64 included), so for $\alpha = 0.7$ the gradient at $0$ is
$1 + 1.7\cdot10^{-8}$, which a composite would miss by $10^{-8}$.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_lite.autograd.fp import quiet_fp
from tinygrad_lite.autograd.function import NUMPY_NS, Function
from tinygrad_lite.ops.masking import masked, select, zero_link
from tinygrad_lite.ops.unary import floating

# PyTorch's CPU hardsigmoid backward multiplies by the float constant 1/6 in every dtype, so
# its float64 gradient is 0.1666666716337204, not 1/6; we use the same number to agree exactly.
_ONE_SIXTH_F32 = float(np.float32(1.0) / np.float32(6.0))


class Hardtanh(Function):
    r"""$y = \min(\max(x, lo), hi)$. Backward: $\bar x = \bar y\,[lo < x < hi]$ ($0$ at a NaN
    input: PyTorch's vectorised kernel; its scalar loop, which only sees the last few elements
    of a tensor, passes the gradient there).

    Unlike ``clamp`` (which passes the gradient *at* its bounds), the gradient is $0$ at
    exactly $x = lo$ and $x = hi$: PyTorch's ``hardtanh_backward``, which selects the gradient
    ($0$ outside even for an infinite $\bar y$) and, differentiated again, gives zeros for
    $x$ (:mod:`~tinygrad_lite.ops.masking`).  Integer inputs keep their dtype, as in PyTorch.
    """

    def forward(self, x: np.ndarray, lo: float, hi: float) -> np.ndarray:
        lo_, hi_ = np.asarray(lo).astype(x.dtype), np.asarray(hi).astype(x.dtype)
        self.save_for_backward((x > lo_) & (x < hi_))
        return np.minimum(hi_, np.maximum(lo_, x))  # x second: numpy returns it on ties (-0)

    def backward(self, grad: Any) -> Any:
        (inside,) = self.saved
        if self.xp is NUMPY_NS:
            return masked(grad, inside)
        return zero_link(self, select(self.xp, inside, grad), 0)


class Hardsigmoid(Function):
    r"""$y = \min(\max(x + 3, 0), 6) / 6$. Backward: $\bar x = \bar y \cdot \tfrac16\,[-3 < x < 3]$
    ($0$ at $x = \pm 3$; $\tfrac16$ rounded to float32 as PyTorch's kernel does)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = floating(x)
        three, six, zero = (np.asarray(v, dtype=x.dtype) for v in (3, 6, 0))
        self.save_for_backward((x > -three) & (x < three))
        return np.minimum(np.maximum(x + three, zero), six) / six

    def backward(self, grad: Any) -> Any:
        (inside,) = self.saved
        return select(self.xp, inside, grad * _ONE_SIXTH_F32)  # 0 outside, even for inf grad


class Hardswish(Function):
    r"""$y = x \min(\max(x + 3, 0), 6) / 6$.

    Backward (PyTorch's branches): $\bar x = 0$ for $x \le -3$ (selected: $0$ even for an
    infinite $\bar y$), $\bar y\,(x/3 + \tfrac12)$ for $-3 < x < 3$, $\bar y$ for $x \ge 3$; so $0$
    at $x = -3$ and $1$ at $x = 3$ (NaN at a NaN input, as PyTorch's vectorised kernel).  Under
    ``create_graph`` the middle piece is built from ``x`` in ``xp`` (``where``), so the second
    derivative is $\tfrac13$ on $(-3, 3)$ and $0$ elsewhere, bounds included, as PyTorch's.
    First-order backward multiplies by the same slope, computed in forward without ``where``
    (which branches per element): $(\mathrm{clip}(x, -3, 3)/3 + \tfrac12)[-3 < x < 3] +
    [x \ge 3]$ -- the clip keeps $\pm\infty$ out of the product.
    """

    @quiet_fp  # -inf * 0 in the product: nan, silently, as PyTorch
    def forward(self, x: np.ndarray) -> np.ndarray:
        x = floating(x)
        three, six, zero = (np.asarray(v, dtype=x.dtype) for v in (3, 6, 0))
        inside, above = (x > -three) & (x < three), (x >= three).astype(x.dtype)
        slope = (np.clip(x, -three, three) / three + np.asarray(0.5, x.dtype)) * inside + above
        self.save_for_backward(x, inside, above, slope, ~(x <= -three))
        return x * np.minimum(np.maximum(x + three, zero), six) / six

    def backward(self, grad: Any) -> Any:
        x, inside, above, slope, alive = self.saved
        if self.xp is NUMPY_NS:
            return masked(grad * slope, alive)
        return select(self.xp, alive, grad * self.xp.where(inside, x / 3 + 0.5, above))


def fast_expm1(z: np.ndarray, u: np.ndarray) -> np.ndarray:
    r"""$e^z - 1$ from $u = e^z$ as $\tanh(z/2)\,(u + 1)$: exact identity, a few ulp accurate for
    every $z$ (tiny $z$ included, unlike $u - 1$), and vectorised, unlike ``np.expm1``, which
    is 5-10x slower than ``exp`` + ``tanh`` on float32 (``bench/layers13.py``)."""
    return np.tanh(z * np.asarray(0.5, z.dtype)) * (u + 1)


def fast_log1p(w: np.ndarray) -> np.ndarray:
    r"""$\log(1 + w)$ for $w \ge 0$ as $\log u - ((u - 1) - w)/u$ with $u = 1 + w$ rounded: the
    correction removes the rounding of $u$ (so tiny $w$ gives $w$, not $0$), about 1 ulp, and
    vectorised, unlike ``np.log1p`` (5-10x slower on float32)."""
    u = w + 1
    return np.log(u) - ((u - 1) - w) / u


class ScaledElu(Function):
    r"""PyTorch's ``elu`` kernel, which ``celu`` and ``selu`` call: $y = s x$ for $x > 0$ and
    $s\alpha\,(e^{c x} - 1)$ for $x \le 0$ (``celu``: $s = 1$, $c = 1/\alpha$; ``selu``:
    Klambauer et al.'s $s = \lambda$, $\alpha$, and $c = 1$).

    Backward: $\bar x = \bar y\,s$ for $x > 0$ and $\bar y\,s\alpha c' e^{c' x}$ for $x \le 0$,
    so $s\alpha c'$ at $x = 0$ (NaN at a NaN input, as PyTorch's vectorised kernel). $c'$ is $c$,
    except that PyTorch's ``celu`` gradient uses $1/\mathrm{float32}(\alpha)$ even in float64
    ($1 + 1.7\cdot10^{-8}$ at $0$ for $\alpha = 0.7$): ``grad_input_scale`` carries that.
    First-order backward multiplies by a slope computed in forward with arithmetic masks
    (``where`` branches per element: slow on random signs); under ``create_graph`` the same
    slope is built from ``x`` in ``xp``. The exponential only sees $\min(x, 0)$: no overflow.
    """

    def forward(self, x: np.ndarray, alpha: float, scale: float, input_scale: float,
                grad_input_scale: float) -> np.ndarray:
        negative = x <= 0
        z = np.minimum(0, x) * input_scale  # (x second: -0 stays -0, as PyTorch's value)
        u = np.exp(z)
        y = (alpha * scale) * fast_expm1(z, u) + scale * np.maximum(0, x)  # (-0 stays -0)
        if grad_input_scale != input_scale:
            u = np.exp(np.minimum(0, x) * grad_input_scale)
        coef = alpha * scale * grad_input_scale
        slope = negative * (coef * u) + ~negative * np.asarray(scale, x.dtype)
        self.save_for_backward(x, negative, slope, coef, grad_input_scale, scale)
        return y

    def backward(self, grad: Any) -> Any:
        x, negative, slope, coef, grad_input_scale, scale = self.saved
        if self.xp is NUMPY_NS:
            return grad * slope
        xp = self.xp
        exp_part = xp.exp(xp.where(negative, x, 0.0) * grad_input_scale) * coef
        return grad * xp.where(negative, exp_part, scale)


class LogSigmoid(Function):
    r"""$y = \log\sigma(x) = \min(x, 0) - \log(1 + e^{-|x|})$: finite for every finite $x$.

    Backward: $\bar x = \bar y\,\sigma(-x) = \bar y\,e^{y - x}$ (since
    $\sigma(-x) = \sigma(x)\,e^{-x}$).  Written with the saved input and output only, so double
    backward differentiates it: $-\sigma(x)\sigma(-x)$, smooth at $0$ ($-\tfrac14$).
    $e^{y - x}$ is accurate in both tails: $y - x \approx -x$ for $x \gg 0$ and
    $y - x = -\log(1 + e^{x}) \to 0$ for $x \ll 0$; at $x = -\infty$ (where $y - x$ is
    $-\infty + \infty$) the gradient is its limit $\bar y$, as PyTorch's.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        y = np.minimum(x, 0) - fast_log1p(np.exp(-np.abs(x)))
        self.save_for_backward(x, y)
        return y

    def backward(self, grad: Any) -> Any:
        x, y = self.saved
        g = grad * self.xp.exp(y - x)
        if self.xp is NUMPY_NS and y.size and y.min() == -np.inf:  # x = -inf: y - x is nan;
            g = np.where(x == -np.inf, grad, g)  # the limit of sigma(-x) is 1 (PyTorch: grad)
        return g


class Shrink(Function):
    r"""``softshrink`` ($y = x - \mathrm{clip}(x, -\lambda, \lambda)$) or ``hardshrink``
    ($y = x$ outside $[-\lambda, \lambda]$), $+0$ inside: PyTorch's kernels return a literal
    $0$, never $-0$, so ``hardshrink`` *selects* $x$ rather than multiplying it by a mask, and
    ``softshrink``'s $x - x$ is $+0$ anyway.  NaN stays NaN.

    Backward: $\bar x = \bar y$ where $|x| > \lambda$, else $+0$ (selected, so an infinite
    $\bar y$ gives $0$ inside), $0$ at $x = \pm\lambda$; differentiated again, zeros for $x$
    (PyTorch's ``softshrink_backward(grad, self)``).  At a NaN input the gradient is $0$:
    PyTorch's vectorised kernel (its scalar loop, which only sees the last few elements of a
    tensor, passes the gradient there).
    """

    def forward(self, x: np.ndarray, lambd: float, soft: bool) -> np.ndarray:
        lam = np.asarray(lambd, dtype=x.dtype)
        self.save_for_backward((x < -lam) | (x > lam))
        if soft:
            return x - np.clip(x, -lam, lam)  # x - x = +0 inside (no where: branch-free)
        return masked(x, ~((x >= -lam) & (x <= lam)))  # NaN passes (the value)

    def backward(self, grad: Any) -> Any:
        (outside,) = self.saved
        if self.xp is NUMPY_NS:
            return masked(grad, outside)
        return zero_link(self, select(self.xp, outside, grad), 0)


class Threshold(Function):
    r"""$y = x$ where $\lnot(x \le t)$, else ``value`` (cast to $x$'s dtype, as PyTorch's).

    Backward: $\bar x = \bar y$ where $\lnot(x \le t)$, else $+0$ (selected; a NaN input passes
    its gradient); differentiated again, zeros for $x$ (PyTorch's
    ``threshold_backward(grad, self)``).
    """

    def forward(self, x: np.ndarray, threshold: float, value: float) -> np.ndarray:
        keep = ~(x <= threshold)
        self.save_for_backward(keep)
        return np.where(keep, x, np.asarray(value).astype(x.dtype))

    def backward(self, grad: Any) -> Any:
        (keep,) = self.saved
        if self.xp is NUMPY_NS:
            return masked(grad, keep)
        return zero_link(self, select(self.xp, keep, grad), 0)


class LeakyRelu(Function):
    r"""$y = x$ for $x > 0$, else $s x$ (``negative_slope``).

    Backward: $\bar x = \bar y$ for $x > 0$, else $s\,\bar y$ -- a product, as PyTorch's
    ``leaky_relu_backward`` (so $s = 0$ and an infinite $\bar y$ give NaN there, as in
    PyTorch); at $x = 0$ the slope is $s$.  Differentiated again: zeros for $x$.
    """

    def forward(self, x: np.ndarray, negative_slope: float) -> np.ndarray:
        slope = np.where(x > 0, x.dtype.type(1), x.dtype.type(negative_slope))
        self.save_for_backward(slope)
        return x * slope  # = where(x > 0, x, s x) bitwise (x * 1 is x), one pass fewer

    def backward(self, grad: Any) -> Any:
        (slope,) = self.saved
        return zero_link(self, grad * slope, 0)


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
    """Elementwise CELU of a float Tensor (PyTorch's numbers; see :class:`ScaledElu`)."""
    return ScaledElu.apply(x, alpha=alpha, scale=1.0, input_scale=1.0 / alpha,
                           grad_input_scale=1.0 / float(np.float32(alpha)))


def selu(x: Any, alpha: float, scale: float) -> Any:
    """Elementwise SELU of a float Tensor (see :class:`ScaledElu`)."""
    return ScaledElu.apply(x, alpha=alpha, scale=scale, input_scale=1.0, grad_input_scale=1.0)


def logsigmoid(x: Any) -> Any:
    """Elementwise ``log(sigmoid(x))`` of a float Tensor, stable in both tails."""
    return LogSigmoid.apply(x)


def softshrink(x: Any, lambd: float) -> Any:
    """Elementwise soft shrinkage of a float Tensor (see :class:`Shrink`)."""
    return Shrink.apply(x, lambd=lambd, soft=True)


def hardshrink(x: Any, lambd: float) -> Any:
    """Elementwise hard shrinkage of a float Tensor (see :class:`Shrink`)."""
    return Shrink.apply(x, lambd=lambd, soft=False)


def threshold(x: Any, threshold: float, value: float) -> Any:
    """Elementwise ``x if not x <= threshold else value`` (see :class:`Threshold`)."""
    return Threshold.apply(x, threshold=threshold, value=value)


def leaky_relu(x: Any, negative_slope: float) -> Any:
    """Elementwise leaky ReLU of a float Tensor (see :class:`LeakyRelu`)."""
    return LeakyRelu.apply(x, negative_slope=negative_slope)
