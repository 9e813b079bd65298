"""Activation modules, each a thin wrapper of its ``nn.functional`` twin (same kink choices)."""

from __future__ import annotations

from tinygrad_lite.nn.functional import activations as A
from tinygrad_lite.nn.modules.module import Module
from tinygrad_lite.tensor import Tensor


class ReLU(Module):
    r"""$\max(x, 0)$; gradient 0 at $x = 0$."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """Apply :func:`~tinygrad_lite.nn.functional.relu`."""
        return A.relu(input, self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    r"""$x$ for $x > 0$ else ``negative_slope`` $\cdot x$; gradient at 0 is the slope."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """Apply :func:`~tinygrad_lite.nn.functional.leaky_relu`."""
        return A.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class ELU(Module):
    r"""$x$ for $x > 0$ else $\alpha(e^x - 1)$; gradient at 0 is $\alpha$."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """Apply :func:`~tinygrad_lite.nn.functional.elu`."""
        return A.elu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class GELU(Module):
    r"""$x\,\Phi(x)$ (exact, ``approximate='none'``) or its tanh approximation."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        """Apply :func:`~tinygrad_lite.nn.functional.gelu`."""
        return A.gelu(input, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    r"""$x\,\sigma(x)$."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """Apply :func:`~tinygrad_lite.nn.functional.silu`."""
        return A.silu(input, self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Sigmoid(Module):
    r"""$1/(1 + e^{-x})$."""

    def forward(self, input: Tensor) -> Tensor:
        """Apply :func:`~tinygrad_lite.nn.functional.sigmoid`."""
        return A.sigmoid(input)


class Tanh(Module):
    r"""$\tanh x$."""

    def forward(self, input: Tensor) -> Tensor:
        """Apply :func:`~tinygrad_lite.nn.functional.tanh`."""
        return A.tanh(input)


class Softplus(Module):
    r"""$\frac1\beta\log(1 + e^{\beta x})$, linear where $\beta x > $ ``threshold``."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input: Tensor) -> Tensor:
        """Apply :func:`~tinygrad_lite.nn.functional.softplus`."""
        return A.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softmax(Module):
    r"""$e^{x_i} / \sum_j e^{x_j}$ along ``dim``, computed stably."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        """Apply :func:`~tinygrad_lite.nn.functional.softmax`."""
        return A.softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    r"""$x_i - \log\sum_j e^{x_j}$ along ``dim``, computed stably."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        """Apply :func:`~tinygrad_lite.nn.functional.log_softmax`."""
        return A.log_softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class _InplaceFlag(Module):
    """An activation whose only option is PyTorch's ``inplace`` flag (shown when set)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Mish(_InplaceFlag):
    r"""$x \tanh(\operatorname{softplus}(x))$."""

    def forward(self, input: Tensor) -> Tensor:
        """Apply :func:`~tinygrad_lite.nn.functional.mish`."""
        return A.mish(input, self.inplace)


class CELU(Module):
    r"""$\max(0, x) + \min(0, \alpha(e^{x/\alpha} - 1))$; gradient 1 at $x = 0$."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """Apply :func:`~tinygrad_lite.nn.functional.celu`."""
        return A.celu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class SELU(_InplaceFlag):
    r"""$\lambda x$ for $x > 0$ else $\lambda\alpha(e^x - 1)$; gradient $\lambda\alpha$ at 0."""

    def forward(self, input: Tensor) -> Tensor:
        """Apply :func:`~tinygrad_lite.nn.functional.selu`."""
        return A.selu(input, self.inplace)


class Softsign(Module):
    r"""$x / (1 + |x|)$."""

    def forward(self, input: Tensor) -> Tensor:
        """Apply :func:`~tinygrad_lite.nn.functional.softsign`."""
        return A.softsign(input)


class Tanhshrink(Module):
    r"""$x - \tanh x$."""

    def forward(self, input: Tensor) -> Tensor:
        """Apply :func:`~tinygrad_lite.nn.functional.tanhshrink`."""
        return A.tanhshrink(input)


class LogSigmoid(Module):
    r"""$\log\sigma(x)$, stable in both tails."""

    def forward(self, input: Tensor) -> Tensor:
        """Apply :func:`~tinygrad_lite.nn.functional.logsigmoid`."""
        return A.logsigmoid(input)


class GLU(Module):
    r"""Gated linear unit $a \cdot \sigma(b)$ of the two halves of ``input`` along ``dim``."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        """Apply :func:`~tinygrad_lite.nn.functional.glu`."""
        return A.glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
