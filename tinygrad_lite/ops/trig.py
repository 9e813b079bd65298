r"""Trigonometric primitives beyond ``sin``/``cos`` (``ops/unary.py``): tan."""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_lite.autograd.function import Function
from tinygrad_lite.ops.unary import floating

__all__ = ["Tan", "tan"]


class Tan(Function):
    r"""$y = \tan x$. Backward: $\bar x = \bar y\,(1 + y^2)$ (PyTorch's form, from the output)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        y = np.tan(floating(x))
        self.save_for_backward(y)
        return y

    def backward(self, grad: Any) -> Any:
        y = self.saved[0]
        return grad * (1 + y * y)


def tan(x: Any) -> Any:
    """Elementwise tangent (integer inputs give float32, as PyTorch)."""
    return Tan.apply(x)
