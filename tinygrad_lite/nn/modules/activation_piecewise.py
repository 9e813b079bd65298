"""Piecewise-linear activation modules: thin wrappers of
:mod:`tinygrad_lite.nn.functional.activations_piecewise` (same kink choices), with PyTorch's
constructor signatures and reprs."""

from __future__ import annotations

import warnings

from tinygrad_lite.nn.functional import activations_piecewise as P
from tinygrad_lite.nn.modules.activation import _InplaceFlag
from tinygrad_lite.nn.modules.module import Module
from tinygrad_lite.tensor import Tensor


class Hardtanh(Module):
    r"""$\min(\max(x, \text{min\_val}), \text{max\_val})$; gradient 0 at the bounds.

    ``min_value``/``max_value`` are PyTorch's deprecated spellings (they warn and win).
    """

    def __init__(
        self,
        min_val: float = -1.0,
        max_val: float = 1.0,
        inplace: bool = False,
        min_value: float | None = None,
        max_value: float | None = None,
    ) -> None:
        super().__init__()
        if min_value is not None:
            warnings.warn("keyword argument `min_value` is deprecated and rename to `min_val`",
                          FutureWarning, stacklevel=2)
            min_val = min_value
        if max_value is not None:
            warnings.warn("keyword argument `max_value` is deprecated and rename to `max_val`",
                          FutureWarning, stacklevel=2)
            max_val = max_value
        if not max_val > min_val:  # PyTorch asserts this (strictly) in the module
            raise AssertionError(
                f"{type(self).__name__}: max_val ({max_val}) must be greater than min_val "
                f"({min_val})"
            )
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """Apply :func:`~tinygrad_lite.nn.functional.hardtanh`."""
        return P.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        inplace = ", inplace=True" if self.inplace else ""
        return f"min_val={self.min_val}, max_val={self.max_val}{inplace}"


class ReLU6(Hardtanh):
    r"""$\min(\max(x, 0), 6)$; gradient 0 at exactly 0 and 6 (``Hardtanh(0, 6)``, as PyTorch)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Hardsigmoid(_InplaceFlag):
    r"""$\mathrm{relu6}(x + 3) / 6$ (PyTorch's repr shows no ``inplace``)."""

    def forward(self, input: Tensor) -> Tensor:
        """Apply :func:`~tinygrad_lite.nn.functional.hardsigmoid`."""
        return P.hardsigmoid(input, self.inplace)

    def extra_repr(self) -> str:
        return ""


class Hardswish(_InplaceFlag):
    r"""$x\,\mathrm{relu6}(x + 3) / 6$ (PyTorch's repr shows no ``inplace``)."""

    def forward(self, input: Tensor) -> Tensor:
        """Apply :func:`~tinygrad_lite.nn.functional.hardswish`."""
        return P.hardswish(input, self.inplace)

    def extra_repr(self) -> str:
        return ""


class Softshrink(Module):
    r"""$x \mp \lambda$ outside $[-\lambda, \lambda]$, $0$ inside."""

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def forward(self, input: Tensor) -> Tensor:
        """Apply :func:`~tinygrad_lite.nn.functional.softshrink`."""
        return P.softshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return str(self.lambd)


class Hardshrink(Module):
    r"""$x$ outside $[-\lambda, \lambda]$, $0$ inside."""

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def forward(self, input: Tensor) -> Tensor:
        """Apply :func:`~tinygrad_lite.nn.functional.hardshrink`."""
        return P.hardshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return str(self.lambd)


class Threshold(Module):
    r"""$x$ for $x > \text{threshold}$, else ``value``."""

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """Apply :func:`~tinygrad_lite.nn.functional.threshold`."""
        return P.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self) -> str:
        inplace = ", inplace=True" if self.inplace else ""
        return f"threshold={self.threshold}, value={self.value}{inplace}"
