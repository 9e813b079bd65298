r"""Elementwise unary primitives: exp, log, sqrt, abs, sign, sin, cos, tanh, sigmoid, relu
(clamp: ``ops/clamp.py``; softmax and log-softmax: ``ops/softmax.py``).

Each is one ``Function`` with forward and backward side by side; backward formulas use
``self.xp`` and operators, so double backward needs no second formula.  Subgradients at kinks
follow PyTorch (see docs/subgradients.md):

=============  ==========================================================
op             choice at the kink
=============  ==========================================================
relu           $\mathrm{relu}'(0) = 0$
abs            $|x|'(0) = \mathrm{sign}(0) = 0$
sign           gradient 0 everywhere
sqrt           $+\infty$ at 0 (an infinite slope, as PyTorch)
=============  ==========================================================

Masked gradients (relu; clamp too) are *selected*, as PyTorch's (:mod:`~tinygrad_lite.ops.masking`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_lite import parallel
from tinygrad_lite.allocator import SCRATCH
from tinygrad_lite.autograd.fp import quiet_fp, restore, silence
from tinygrad_lite.autograd.function import NUMPY_NS, Function
from tinygrad_lite.ops import elementwise as ew
from tinygrad_lite.ops.masking import masked, zero_link

_FLOAT32 = np.dtype(np.float32)


def floating(x: np.ndarray) -> np.ndarray:
    """``x`` itself if floating point, else ``x`` as float32: PyTorch computes ``exp``,
    ``sqrt``, ``tanh``, ... of integer and bool tensors in the default float dtype."""
    return x if x.dtype.kind in "fc" else x.astype(_FLOAT32)


class Neg(Function):
    r"""$y = -x$. Backward: $\bar x = -\bar y$."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        if x.dtype == np.bool_:
            raise RuntimeError(
                "neg: negation, the `-` operator, on a bool tensor is not supported; to invert "
                "a mask use `~` or logical_not()"
            )
        return -x

    def backward(self, grad: Any) -> Any:
        return -grad


class Exp(Function):
    r"""$y = e^x$. Backward: $\bar x = \bar y\, y$."""

    @quiet_fp
    def forward(self, x: np.ndarray) -> np.ndarray:
        x = floating(x)
        y = parallel.elementwise(_exp_into, x) if x.size >= _THREADED else None
        if y is None:
            y = np.exp(x)
        self.saved = (y,)
        return y

    def backward(self, grad: Any) -> Any:
        return grad * self.saved[0]


class Log(Function):
    r"""$y = \ln x$. Backward: $\bar x = \bar y / x$."""

    @quiet_fp
    def forward(self, x: np.ndarray) -> np.ndarray:
        x = floating(x)
        self.saved = (x,)
        y = parallel.elementwise(_log_into, x) if x.size >= _THREADED else None
        return np.log(x) if y is None else y

    def backward(self, grad: Any) -> Any:
        return grad / self.saved[0]


class Sqrt(Function):
    r"""$y = \sqrt x$. Backward: $\bar x = \bar y / (2 y)$ (infinite at $x = 0$, as PyTorch)."""

    @quiet_fp
    def forward(self, x: np.ndarray) -> np.ndarray:
        y = np.sqrt(floating(x))
        self.saved = (y,)
        return y

    def backward(self, grad: Any) -> Any:
        return grad / (2 * self.saved[0])


def sign_array(x: np.ndarray) -> np.ndarray:
    """``np.sign`` with PyTorch's ``sign(nan) = 0`` (numpy gives nan) and ``sign(bool)``."""
    if x.dtype == np.bool_:  # numpy has no bool sign; PyTorch's is the identity
        return x.copy()
    s = np.asarray(np.sign(x))  # a 0-d input gives a numpy scalar: make it an array
    # np.max propagates nan: one fast reduction instead of a full nan_to_num pass over the
    # (almost always nan-free) result.
    if s.dtype.kind == "f" and s.size and np.isnan(np.max(s)):
        s[np.isnan(s)] = 0
    return s


class Abs(Function):
    r"""$y = |x|$. Backward: $\bar x = \bar y\,\mathrm{sign}(x)$, so $0$ at $x = 0$ (and at
    NaN, as PyTorch).  The sign is computed in backward from the saved input, so a forward
    pass without grad costs one ``np.abs``."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save_for_backward(x)
        return np.abs(x)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        if self.xp is NUMPY_NS:
            return grad * sign_array(ew.saved_array(x))
        return grad * self.xp.sign(x)  # PyTorch's grad * sgn(x): zeros when differentiated again


class Sign(Function):
    r"""$y = \mathrm{sign}(x)$ ($0$ at NaN, as PyTorch). Backward: $\bar x = 0$."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return sign_array(x)

    def backward(self, grad: Any) -> Any:
        return self.xp.zeros_like(grad)  # not grad * 0: inf * 0 is NaN (PyTorch: zeros)


class Sin(Function):
    r"""$y = \sin x$. Backward: $\bar x = \bar y \cos x$."""

    @quiet_fp
    def forward(self, x: np.ndarray) -> np.ndarray:
        x = floating(x)
        self.saved = (x,)
        return np.sin(x)

    def backward(self, grad: Any) -> Any:
        return grad * self.xp.cos(self.saved[0])


class Cos(Function):
    r"""$y = \cos x$. Backward: $\bar x = -\bar y \sin x$."""

    @quiet_fp
    def forward(self, x: np.ndarray) -> np.ndarray:
        x = floating(x)
        self.saved = (x,)
        return np.cos(x)

    def backward(self, grad: Any) -> Any:
        return -grad * self.xp.sin(self.saved[0])


# Below this many elements the fused backward kernels' extra Python calls cost more than the
# temporaries they save; both forms round identically (tests/ops/test_fast_paths.py).
_FEW = 1024
# From this many elements exp, log, tanh and sigmoid run on parallel.get_num_threads() threads
# (tinygrad_lite/parallel.py: the same values, bitwise)
_THREADED = parallel.MIN_ELEMENTS


class Tanh(Function):
    r"""$y = \tanh x$. Backward: $\bar x = \bar y\,(1 - y^2)$."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = floating(x)
        y = parallel.elementwise(_tanh_into, x) if x.size >= _THREADED else None
        if y is None:
            y = np.tanh(x)
        self.saved = (y,)
        return y

    def backward(self, grad: Any) -> Any:
        y = self.saved[0]
        if self.xp is NUMPY_NS and y.size > _FEW and same_layout(grad, y):
            return tanh_grad_array(grad, y)
        return grad * (1 - y * y)


def same_layout(grad: Any, y: np.ndarray) -> bool:
    """Whether an in-place backward kernel may combine ``grad`` and ``y``: same shape and dtype
    (then ``grad * (...)`` would give exactly that dtype and shape), at least 1-d (numpy
    returns scalars, which have no ``out=``, from 0-d operations)."""
    return (grad.__class__ is np.ndarray and grad.shape == y.shape and grad.dtype == y.dtype
            and y.ndim > 0)  # fmt: skip


def _threaded(kernel: Any, x: np.ndarray, *others: np.ndarray) -> np.ndarray:
    """``kernel(x, *others, out)`` into a new array like ``x``: on all threads for large
    arrays (:func:`tinygrad_lite.parallel.elementwise`), else on this one."""
    out = parallel.elementwise(kernel, x, *others) if x.size >= _THREADED else None
    if out is None:
        out = np.empty_like(x)
        kernel(x, *others, out)
    return out


def tanh_grad_array(grad: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``grad * (1 - y * y)`` with one temporary instead of three (the same roundings: IEEE
    multiplication is commutative); large arrays on all threads (``parallel``)."""
    return _threaded(_tanh_grad_into, y, grad)


def _tanh_grad_into(y: np.ndarray, grad: np.ndarray, out: np.ndarray) -> None:
    np.multiply(y, y, out=out)
    np.subtract(1, out, out=out)
    out *= grad


def sigmoid_array(x: np.ndarray) -> np.ndarray:
    r"""$1 / (1 + e^{-x})$ in one buffer: four in-place passes, no temporaries (small arrays:
    $\exp(-\operatorname{softplus}(-x))$ with ``np.logaddexp``, three calls and no overflow).

    $e^{-x}$ overflows to $+\infty$ for very negative $x$, and $1/(1 + \infty) = 0$ is the
    right limit, so the overflow warning is silenced.  Every step has full relative precision
    (unlike $\exp(-\log(1 + e^{-x}))$, whose error grows with $|x|$).
    """
    if x.size <= _FEW:  # small arrays: fewer numpy calls (the same to ~4 ulp)
        token = silence()  # (logaddexp warns at a NaN input; PyTorch is silent)
        try:
            return np.asarray(np.exp(-np.logaddexp(0, -x)))
        finally:
            restore(token)
    y = parallel.elementwise(_sigmoid_into, x) if x.size >= _THREADED else None
    if y is not None:
        return y
    y = np.empty_like(x)
    token = silence()  # np.errstate(over="ignore"), at a third of its cost (autograd/fp.py)
    try:
        _sigmoid_into(x, y)
    finally:
        restore(token)
    return y


def _sigmoid_into(x: np.ndarray, out: np.ndarray) -> None:
    """``out = 1 / (1 + exp(-x))`` in four in-place passes (see :func:`sigmoid_array`)."""
    np.negative(x, out=out)
    np.exp(out, out=out)
    out += 1
    np.reciprocal(out, out=out)


def _exp_into(x: np.ndarray, out: np.ndarray) -> None:
    np.exp(x, out=out)


def _log_into(x: np.ndarray, out: np.ndarray) -> None:
    np.log(x, out=out)


def _tanh_into(x: np.ndarray, out: np.ndarray) -> None:
    np.tanh(x, out=out)


def sigmoid_grad_array(grad: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``grad * y * (1 - y)`` with two temporaries instead of three (the same roundings);
    large arrays on all threads (``parallel``)."""
    return _threaded(_sigmoid_grad_into, y, grad)


def _sigmoid_grad_into(y: np.ndarray, grad: np.ndarray, out: np.ndarray) -> None:
    np.multiply(grad, y, out=out)
    out *= np.subtract(1, y)


class Sigmoid(Function):
    r"""$y = 1 / (1 + e^{-x})$ (:func:`sigmoid_array`: no overflow warning, and exactly $0$
    where $e^{-x}$ overflows, as PyTorch's float32 kernel).

    Backward: $\bar x = \bar y\, y (1 - y)$.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        y = sigmoid_array(floating(x))
        self.saved = (y,)
        return y

    def backward(self, grad: Any) -> Any:
        y = self.saved[0]
        if self.xp is NUMPY_NS and y.size > _FEW and same_layout(grad, y):
            return sigmoid_grad_array(grad, y)
        return grad * y * (1 - y)


class Relu(Function):
    r"""$y = \max(x, 0)$. Backward: $\bar x = \bar y$ where $\lnot(x \le 0)$, else $+0$ (selected,
    so an infinite $\bar y$ gives $0$ there, as PyTorch's ``threshold_backward``), so
    $\mathrm{relu}'(0) = 0$, and a NaN input passes its gradient (PyTorch's mask).

    ``np.maximum`` (one pass, NaN propagates, $-\infty \mapsto 0$), not ``x * mask``
    (which gives ``nan`` at $-\infty$ and $-0$ for negative inputs).  The saved mask is a
    quarter of the output's size (float32): rebuilding it in backward from the saved output
    saves a pass but keeps the output alive until then, which under glibc's malloc defaults
    cost more page faults than the pass (``bench/cnn.py``).  Writing the output in place
    still refuses backward (``saves_output``), as PyTorch's node saves the output.
    """

    saves_output = True

    def forward(self, x: np.ndarray) -> np.ndarray:
        if x.dtype == np.bool_:
            raise RuntimeError("relu: boolean inputs are not supported (as in PyTorch)")
        # x second: on a tie numpy returns it, so relu(-0) is -0, as PyTorch's (same speed)
        y = np.maximum(x.dtype.type(0), x, out=SCRATCH.empty_like(x))
        # y != 0 iff not x <= 0 (NaN included): one pass
        self.saved = (np.not_equal(y, 0, out=SCRATCH.empty_like(y, np.bool_)),)
        return y

    def backward(self, grad: Any) -> Any:
        (mask,) = self.saved
        if self.xp is NUMPY_NS:
            return masked(grad, mask)  # where(mask, grad, 0) at a multiply's speed
        # PyTorch's threshold_backward(grad, result): zeros, not None, when differentiated again
        return zero_link(self, self.xp.where(mask.data, grad, 0.0), -1)
