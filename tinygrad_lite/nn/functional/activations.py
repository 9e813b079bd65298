r"""Activation functions (``torch.nn.functional`` names and defaults), built from primitives.

Each is a composite of Tensor ops, so it needs no backward of its own, except ``softmax`` and
``log_softmax``: one primitive each (:mod:`tinygrad_lite.ops.softmax`), since the cross-entropy
of every training step goes through them.  Choices at kinks are PyTorch's, listed per function:

==============  =============================================================
function        gradient at the kink
==============  =============================================================
relu            $0$ at $x = 0$
leaky_relu      negative slope at $x = 0$ (PyTorch: ``x > 0 ? 1 : slope``)
elu             $\alpha$ at $x = 0$ (PyTorch: ``x <= 0 ? alpha * exp(x) : 1``)
softplus        $e^{\beta x}/(1+e^{\beta x})$ at $\beta x = $ ``threshold`` (linear above)
celu            $1$ at $x = 0$ (its two pieces have slope 1 there)
selu            $\lambda\alpha \approx 1.7581$ at $x = 0$ (the ``elu`` rule, scaled)
softsign        $1$ at $x = 0$ (from ``abs``'s $0$; the true derivative)
==============  =============================================================

The piecewise-linear family (``relu6``, ``hardtanh``, ``hardsigmoid``, ``hardswish``, the
shrinks, ``threshold``) is in :mod:`tinygrad_lite.nn.functional.activations_piecewise`.

``inplace=True`` (where PyTorch has it) goes through one helper, :func:`inplace_result`.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from tinygrad_lite.argcheck import is_int
from tinygrad_lite.autograd.fp import quiet_fp
from tinygrad_lite.autograd.grad_mode import is_grad_enabled
from tinygrad_lite.autograd.mutation import apply_inplace, check_writable
from tinygrad_lite.ops import activation, special
from tinygrad_lite.ops import elementwise as ew
from tinygrad_lite.ops import softmax as softmax_ops
from tinygrad_lite.tensor import Tensor

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def require_floating(op: str, input: Tensor) -> None:
    """Raise PyTorch's ``NotImplementedError`` for ops that have no integer or bool kernel."""
    if input.dtype.kind not in "fc":
        raise NotImplementedError(
            f"{op}: not implemented for {input.dtype} tensors (convert with .float() first)"
        )


def inplace_result(op: str, input: Tensor, f: Any, inplace: bool) -> Tensor:
    """``f(input)``, or with ``inplace=True`` ``input`` itself overwritten by it -- PyTorch's
    ``inplace`` flag: the same tensor object comes back, its version bumped, its ``grad_fn`` the
    op's node (the rules are in ``autograd/mutation.py``).

    In grad mode ``f`` runs on a ``clone()`` of the input: the nodes inside a composite may save
    the input's array, which the write is about to overwrite.
    """
    if not inplace:
        return f(input)
    check_writable(op, input)
    recording = is_grad_enabled() and input.requires_grad
    return apply_inplace(op, input, f(input.clone() if recording else input))


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    r"""$\max(x, 0)$; gradient $[x > 0]$, so $0$ at $x = 0$."""
    return inplace_result("relu", input, Tensor.relu, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    r"""$x$ for $x > 0$, else $\text{negative\_slope}\cdot x$.

    Gradient: $1$ for $x > 0$, ``negative_slope`` for $x \le 0$ (at $x = 0$ too, as PyTorch).
    """
    require_floating("leaky_relu", input)  # as PyTorch (no integer kernel)
    return inplace_result(
        "leaky_relu", input, lambda x: activation.leaky_relu(x, negative_slope), inplace
    )


@quiet_fp
def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    r"""$x$ for $x > 0$, else $\alpha (e^x - 1)$ (computed with ``expm1``).

    Gradient: $1$ for $x > 0$, $\alpha e^x$ for $x \le 0$, so $\alpha$ at $x = 0$ (PyTorch).
    The exponential sees $\min(x, 0)$, so large positive inputs cannot overflow it.
    """

    def f(x: Tensor) -> Tensor:
        # where, not clamp(max=0): a NaN input keeps its NaN gradient (PyTorch's vectorised
        # kernel), as the selected clamp gradient would drop it
        return ew.where(x > 0, x, special.expm1(ew.where(x > 0, 0.0, x)) * alpha)

    return inplace_result("elu", input, f, inplace)


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
    return inplace_result("silu", input, lambda x: x * x.sigmoid(), inplace)


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
    # where, not clamp: a NaN input keeps its (NaN) gradient, as PyTorch's
    smooth = special.log1p(ew.where(scaled > threshold, threshold, scaled).exp()) / beta
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
    One primitive (:class:`~tinygrad_lite.ops.softmax.Softmax`), gradient
    $y\,(\bar y - \sum_j \bar y_j y_j)$.
    """
    if dtype is not None:
        input = input.to(dtype)
    dim = _softmax_dim("softmax", input.ndim, dim)
    if input.ndim == 0:
        e = _shifted(input, dim).exp()
        return e / e.sum(dim, keepdim=True)
    return softmax_ops.Softmax.apply(input, dim=dim)


def log_softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    r"""$\log \mathrm{softmax}(x)_i = (x_i - m) - \log \sum_j e^{x_j - m}$ along ``dim``.

    One primitive (:class:`~tinygrad_lite.ops.softmax.LogSoftmax`), gradient
    $\bar y - e^{y} \sum_j \bar y_j$.
    """
    if dtype is not None:
        input = input.to(dtype)
    dim = _softmax_dim("log_softmax", input.ndim, dim)
    if input.ndim == 0:
        s = _shifted(input, dim)
        return s - s.exp().sum(dim, keepdim=True).log()
    return softmax_ops.LogSoftmax.apply(input, dim=dim)


@quiet_fp  # -inf * tanh(softplus(-inf)) = -inf * 0: nan, silently, as PyTorch
def mish(input: Tensor, inplace: bool = False) -> Tensor:
    r"""$x \tanh(\operatorname{softplus}(x))$ (Misra, 2019).  Smooth: no kink.

    The softplus switches to $x$ above $x = 20$, where $\tanh$ is $1$ to within $10^{-17}$.
    """
    require_floating("mish", input)
    return inplace_result("mish", input, lambda input: input * softplus(input).tanh(), inplace)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    r"""$\max(0, x) + \min(0, \alpha(e^{x/\alpha} - 1))$ (computed with ``expm1``).

    Gradient $1$ for $x > 0$ and $e^{x/\alpha}$ for $x \le 0$: $1$ at $x = 0$ from both sides
    (PyTorch rounds $1/\alpha$ to float32 in the gradient; so does the
    :class:`~tinygrad_lite.ops.activation.ScaledElu` primitive).
    """
    require_floating("celu", input)
    if alpha == 0:
        raise RuntimeError("celu: ZeroDivisionError: alpha cannot be 0 for CELU")
    return inplace_result("celu", input, lambda input: activation.celu(input, alpha), inplace)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    r"""$\lambda x$ for $x > 0$, else $\lambda\alpha(e^x - 1)$, with Klambauer et al.'s
    $\alpha \approx 1.6733$, $\lambda \approx 1.0507$.

    Gradient at $x = 0$: $\lambda\alpha \approx 1.7581$ (the negative branch, as ``elu``).
    """
    require_floating("selu", input)
    return inplace_result(
        "selu", input, lambda input: activation.selu(input, _SELU_ALPHA, _SELU_SCALE), inplace
    )


def softsign(input: Tensor) -> Tensor:
    r"""$x / (1 + |x|)$; gradient $1/(1 + |x|)^2$ ($1$ at $x = 0$)."""
    return input / (input.abs() + 1)


def tanhshrink(input: Tensor) -> Tensor:
    r"""$x - \tanh x$; gradient $\tanh^2 x$."""
    return input - input.tanh()


def logsigmoid(input: Tensor) -> Tensor:
    r"""$\log\sigma(x) = \min(x, 0) - \log(1 + e^{-|x|})$, stable in both tails.

    One primitive (:class:`~tinygrad_lite.ops.activation.LogSigmoid`), gradient
    $\sigma(-x)$ ($\tfrac12$ at $0$), second derivative $-\sigma(x)\sigma(-x)$.
    """
    require_floating("logsigmoid", input)
    return activation.logsigmoid(input)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    r"""Gated linear unit: split ``input`` in halves $a, b$ along ``dim``; $a \cdot \sigma(b)$."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    if not -input.ndim <= dim < input.ndim:
        raise IndexError(
            f"glu: dim {dim} is out of range for a tensor with {input.ndim} dimensions"
        )
    require_floating("glu", input)
    size = input.shape[dim]
    if size % 2:
        raise RuntimeError(
            f"glu: Halving dimension must be even, but dimension {dim % input.ndim} is size "
            f"{size}"
        )
    a, b = input.chunk(2, dim)
    return a * b.sigmoid()
