r"""Activation functions (``torch.nn.functional`` names and defaults), built from primitives.

Each is a composite of Tensor ops, so it needs no backward of its own, except ``softmax`` and
``log_softmax``: one primitive each (:mod:`tinygrad_lite.ops.unary`), since the cross-entropy
of every training step goes through them.  Choices at kinks are PyTorch's, listed per function:

==============  =============================================================
function        gradient at the kink
==============  =============================================================
relu            $0$ at $x = 0$
leaky_relu      negative slope at $x = 0$ (PyTorch: ``x > 0 ? 1 : slope``)
elu             $\alpha$ at $x = 0$ (PyTorch: ``x <= 0 ? alpha * exp(x) : 1``)
softplus        $e^{\beta x}/(1+e^{\beta x})$ at $\beta x = $ ``threshold`` (linear above)
==============  =============================================================
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from tinygrad_lite.argcheck import is_int
from tinygrad_lite.autograd.fp import quiet_fp
from tinygrad_lite.ops import elementwise as ew
from tinygrad_lite.ops import special, unary
from tinygrad_lite.tensor import Tensor


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    r"""$\max(x, 0)$; gradient $[x > 0]$, so $0$ at $x = 0$."""
    return input.relu()


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    r"""$x$ for $x > 0$, else $\text{negative\_slope}\cdot x$.

    Gradient: $1$ for $x > 0$, ``negative_slope`` for $x \le 0$ (at $x = 0$ too, as PyTorch).
    """
    return ew.where(input > 0, input, input * negative_slope)


@quiet_fp
def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    r"""$x$ for $x > 0$, else $\alpha (e^x - 1)$ (computed with ``expm1``).

    Gradient: $1$ for $x > 0$, $\alpha e^x$ for $x \le 0$, so $\alpha$ at $x = 0$ (PyTorch).
    The exponential sees $\min(x, 0)$, so large positive inputs cannot overflow it.
    """
    negative = special.expm1(input.clamp(max=0.0)) * alpha
    return ew.where(input > 0, input, negative)


@quiet_fp
def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    r"""Gaussian error linear unit.

    ``approximate='none'``: $x\,\Phi(x) = \tfrac{x}{2}\,(1 + \mathrm{erf}(x/\sqrt2))$ with an
    accurate ``erf`` primitive.  ``approximate='tanh'``:
    $\tfrac{x}{2}\,(1 + \tanh(\sqrt{2/\pi}\,(x + 0.044715\,x^3)))$.  Smooth: no kink.
    """
    if approximate == "none":
        return input * 0.5 * (special.erf(input * (1.0 / math.sqrt(2.0))) + 1.0)
    if approximate == "tanh":
        inner = (input + input * input * input * 0.044715) * math.sqrt(2.0 / math.pi)
        return input * 0.5 * (inner.tanh() + 1.0)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


@quiet_fp
def silu(input: Tensor, inplace: bool = False) -> Tensor:
    r"""$x\,\sigma(x)$ (also called swish)."""
    return input * input.sigmoid()


def sigmoid(input: Tensor) -> Tensor:
    r"""$1 / (1 + e^{-x})$, without overflow."""
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    r"""$\tanh x$."""
    return input.tanh()


@quiet_fp
def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    r"""$\frac1\beta \log(1 + e^{\beta x})$, and $x$ itself where $\beta x > \text{threshold}$.

    Gradient: $e^{\beta x}/(1 + e^{\beta x})$, or $1$ where $\beta x > \text{threshold}$
    (PyTorch's switch; at equality the smooth branch is used).  The exponential sees
    $\min(\beta x, \text{threshold})$, so it never overflows.
    """
    scaled = input * beta
    smooth = special.log1p(scaled.clamp(max=threshold).exp()) / beta
    return ew.where(scaled > threshold, input, smooth)


def _softmax_dim(name: str, ndim: int, dim: int | None) -> int:
    """Resolve ``dim`` (PyTorch's legacy implicit choice when ``None``) and check its range."""
    if dim is None:
        warnings.warn(
            f"Implicit dimension choice for {name} has been deprecated. Change the call to "
            "include dim=X as an argument.",
            UserWarning,
            stacklevel=3,
        )
        dim = 0 if ndim in (0, 1, 3) else 1
    if not is_int(dim):
        raise TypeError(f"{name}: argument 'dim' must be int, not {type(dim).__name__}")
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(
            f"{name}: dim {dim} is out of range for a tensor with {ndim} dimensions"
        )
    return dim


def _shifted(input: Tensor, dim: int) -> Tensor:
    """``input`` minus its (constant) max along ``dim``: softmax is shift-invariant, so the
    shift needs no gradient, and every exponent is <= 0 (no overflow)."""
    if input.ndim == 0:
        return input - Tensor._make(input.data.copy(), None)
    peak = np.max(input.data, axis=dim, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0)  # all -inf row: leave as is (gives nan, as torch)
    return input - Tensor._make(peak, None)


def softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    r"""$\mathrm{softmax}(x)_i = e^{x_i - m} / \sum_j e^{x_j - m}$ along ``dim``, $m = \max_j x_j$.

    Subtracting the maximum keeps every exponent $\le 0$: logits of $\pm 10^3$ stay finite.
    One primitive (:class:`~tinygrad_lite.ops.unary.Softmax`), gradient
    $y\,(\bar y - \sum_j \bar y_j y_j)$.
    """
    if dtype is not None:
        input = input.to(dtype)
    dim = _softmax_dim("softmax", input.ndim, dim)
    if input.ndim == 0:
        e = _shifted(input, dim).exp()
        return e / e.sum(dim, keepdim=True)
    return unary.Softmax.apply(input, dim=dim)


def log_softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    r"""$\log \mathrm{softmax}(x)_i = (x_i - m) - \log \sum_j e^{x_j - m}$ along ``dim``.

    One primitive (:class:`~tinygrad_lite.ops.unary.LogSoftmax`), gradient
    $\bar y - e^{y} \sum_j \bar y_j$.
    """
    if dtype is not None:
        input = input.to(dtype)
    dim = _softmax_dim("log_softmax", input.ndim, dim)
    if input.ndim == 0:
        s = _shifted(input, dim)
        return s - s.exp().sum(dim, keepdim=True).log()
    return unary.LogSoftmax.apply(input, dim=dim)
