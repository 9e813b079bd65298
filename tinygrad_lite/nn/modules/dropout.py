"""``Dropout`` and ``Dropout2d``: inverted (channel) dropout, active only in training mode."""

from __future__ import annotations

from tinygrad_lite.nn.functional.layers import dropout, dropout2d
from tinygrad_lite.nn.modules.module import Module
from tinygrad_lite.tensor import Tensor


class Dropout(Module):
    r"""Zero each element with probability ``p`` and scale the rest by $1/(1-p)$ in training;
    the identity in eval mode (see :func:`tinygrad_lite.nn.functional.dropout`)."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """Dropout in training mode, identity in eval mode."""
        return dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout2d(Dropout):
    r"""Zero whole channels ``input[n, c]`` with probability ``p`` (scale the rest by
    $1/(1-p)$) in training; the identity in eval mode (see
    :func:`tinygrad_lite.nn.functional.dropout2d`)."""

    def forward(self, input: Tensor) -> Tensor:
        """Channel dropout in training mode, identity in eval mode."""
        return dropout2d(input, self.p, self.training, self.inplace)
