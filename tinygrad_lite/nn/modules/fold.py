"""``Unfold`` and ``Fold``: im2col and col2im as layers (math in ``nn.functional.fold``)."""

from __future__ import annotations

from typing import Any

from tinygrad_lite.nn.functional.fold import fold, unfold
from tinygrad_lite.nn.modules.module import Module
from tinygrad_lite.tensor import Tensor


class Unfold(Module):
    """Extract sliding blocks, as ``torch.nn.Unfold``: (N, C, H, W) -> (N, C*kh*kw, L)."""

    def __init__(
        self, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input: Tensor) -> Tensor:
        """Unfold ``input`` (N, C, H, W) or unbatched (C, H, W)."""
        return unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
            f"padding={self.padding}, stride={self.stride}"
        )


class Fold(Module):
    """Sum sliding blocks into an image, as ``torch.nn.Fold``: (N, C*kh*kw, L) ->
    (N, C, *output_size); the adjoint of :class:`Unfold`."""

    def __init__(
        self, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
        stride: Any = 1,
    ) -> None:
        super().__init__()
        self.output_size = output_size
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input: Tensor) -> Tensor:
        """Fold ``input`` (N, C*kh*kw, L) or unbatched (C*kh*kw, L)."""
        return fold(
            input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride
        )

    def extra_repr(self) -> str:
        return (
            f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
            f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}"
        )
