"""``Linear``, ``Identity`` and ``Flatten`` (PyTorch's layouts, defaults and reprs)."""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_lite.argcheck import as_size
from tinygrad_lite.nn import init
from tinygrad_lite.nn.functional.layers import linear
from tinygrad_lite.nn.modules.module import Module, Parameter
from tinygrad_lite.tensor import Tensor


class Identity(Module):
    """Return the input unchanged (extra constructor arguments are ignored, as in PyTorch)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        """Return ``input``."""
        return input


class Linear(Module):
    r"""$y = x W^\top + b$; ``weight`` is ``(out_features, in_features)`` like PyTorch.

    Default init (PyTorch's): ``kaiming_uniform_(weight, a=sqrt(5))``, i.e.
    $W \sim \mathcal U(-1/\sqrt{\text{in}}, 1/\sqrt{\text{in}})$, and the same bound for $b$.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.in_features = as_size("Linear", "in_features", in_features)
        self.out_features = out_features = as_size("Linear", "out_features", out_features)
        in_features = self.in_features
        dt = np.dtype(np.float32 if dtype is None else dtype)
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dt))
        if bias:
            self.bias = Parameter(np.empty((out_features,), dtype=dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-draw weight and bias with PyTorch's default init."""
        init.default_layer_init_(self.weight, self.bias)

    def forward(self, input: Tensor) -> Tensor:
        """``input @ weight.T + bias`` for input ``(*, in_features)``."""
        return linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Flatten(Module):
    """Merge dimensions ``start_dim..end_dim`` (default: all but the batch dimension)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:
        """``input.flatten(start_dim, end_dim)``."""
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
