"""``Conv2d``: PyTorch's constructor, weight layout ``(out, in/groups, kh, kw)``, init and repr."""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_lite.argcheck import as_int, as_size, is_int
from tinygrad_lite.nn import init
from tinygrad_lite.nn.functional.conv import as_batch, conv2d, conv_padding
from tinygrad_lite.nn.modules.module import Module, Parameter
from tinygrad_lite.tensor import Tensor

_NUMPY_PAD_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _pair(value: Any, name: str, minimum: int) -> tuple[int, int]:
    """``value`` (an int or a pair of ints, each >= ``minimum``) as ``(h, w)``: ``TypeError``
    for anything but ints, ``RuntimeError`` for a value below ``minimum``."""
    pair = (value, value) if is_int(value) else value
    message = f"Conv2d: {name} must be an int or a pair of ints >= {minimum}, got {value!r}"
    if not isinstance(pair, (tuple, list)) or len(pair) != 2 or not all(map(is_int, pair)):
        raise TypeError(message)
    if min(pair) < minimum:
        raise RuntimeError(message)
    return int(pair[0]), int(pair[1])


def pad_by_mode(x: Tensor, pads: tuple[int, int, int, int], mode: str) -> Tensor:
    """Pad H by ``pads[:2]`` and W by ``pads[2:]`` with ``'reflect'``, ``'replicate'`` or
    ``'circular'`` values (PyTorch's padding modes), as one gather of source indices.

    ``x`` is (N, C, H, W) or (C, H, W).  The gradient of a padded pixel flows back to the pixel
    it copies (repeats accumulate).
    """
    pt, pb, pl, pr = pads
    h, w = x.shape[-2], x.shape[-1]
    if mode == "reflect" and (max(pt, pb) >= h or max(pl, pr) >= w):
        raise RuntimeError(
            f"Conv2d: padding {pads} must be smaller than the input size {(h, w)} for 'reflect'"
        )
    if mode == "circular" and (max(pt, pb) > h or max(pl, pr) > w):
        raise RuntimeError(
            f"Conv2d: padding {pads} must be at most the input size {(h, w)} for 'circular' "
            "(it would wrap around more than once)"
        )
    rows = np.pad(np.arange(h), (pt, pb), mode=_NUMPY_PAD_MODES[mode])
    columns = np.pad(np.arange(w), (pl, pr), mode=_NUMPY_PAD_MODES[mode])
    return x[..., rows[:, None], columns[None, :]]


class Conv2d(Module):
    r"""2-D convolution layer, as ``torch.nn.Conv2d`` (math in ``nn.functional.conv2d``).

    ``weight``: (out_channels, in_channels / groups, kh, kw); ``bias``: (out_channels,).
    Default init (PyTorch's): ``kaiming_uniform_(weight, a=sqrt(5))``, i.e.
    $W \sim \mathcal U(-1/\sqrt{f}, 1/\sqrt{f})$ with $f = \frac{C_{in}}{G} k_h k_w$, and
    $b \sim \mathcal U(-1/\sqrt{f}, 1/\sqrt{f})$.  ``padding_mode`` is ``'zeros'``,
    ``'reflect'``, ``'replicate'`` or ``'circular'``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        in_channels = as_size("Conv2d", "in_channels", in_channels)
        out_channels = as_size("Conv2d", "out_channels", out_channels)
        groups = as_int("Conv2d", "groups", groups)
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(
                f"Conv2d: groups={groups} must divide in_channels={in_channels} and "
                f"out_channels={out_channels}"
            )
        if padding_mode not in ("zeros", *_NUMPY_PAD_MODES):
            raise ValueError(
                "Conv2d: padding_mode must be 'zeros', 'reflect', 'replicate' or 'circular', "
                f"got {padding_mode!r}"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _pair(kernel_size, "kernel_size", 1)
        self.stride = _pair(stride, "stride", 1)
        self.padding = padding if isinstance(padding, str) else _pair(padding, "padding", 0)
        self.dilation = _pair(dilation, "dilation", 1)
        self.groups = groups
        self.padding_mode = padding_mode
        # validates 'same' with stride, bad strings, negative padding
        self._pads = conv_padding(self.padding, self.kernel_size, self.stride, self.dilation)
        dt = np.dtype(np.float32 if dtype is None else dtype)
        shape = (out_channels, in_channels // groups, *self.kernel_size)
        self.weight = Parameter(np.empty(shape, dtype=dt))
        if bias:
            self.bias = Parameter(np.empty((out_channels,), dtype=dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-draw weight and bias with PyTorch's default init."""
        init.default_layer_init_(self.weight, self.bias)

    def forward(self, input: Tensor) -> Tensor:
        """Convolve ``input`` (N, C_in, H, W) -> (N, C_out, H_out, W_out), or unbatched
        (C_in, H, W) -> (C_out, H_out, W_out)."""
        if self.padding_mode != "zeros":
            as_batch("conv2d", input)  # rank check before padding
            padded = pad_by_mode(input, self._pads, self.padding_mode)
            return conv2d(
                padded, self.weight, self.bias, self.stride, 0, self.dilation, self.groups
            )
        return conv2d(
            input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
        )

    def extra_repr(self) -> str:
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s
