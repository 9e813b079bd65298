"""Convolution layers over 1, 2 or 3 spatial axes, plain and transposed: PyTorch's constructors,
weight layouts (``(out, in/groups, *kernel)``; transposed: ``(in, out/groups, *kernel)``), init
and repr.  One base class per family holds the code; ``Conv1d``/``Conv2d``/``Conv3d`` and
``ConvTranspose1d/2d/3d`` only name their number of spatial axes."""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_lite.argcheck import as_int, as_size, is_int
from tinygrad_lite.nn import init
from tinygrad_lite.nn.functional.conv import (
    _conv_transposend,
    _convnd,
    as_batch_nd,
    conv_padding,
)
from tinygrad_lite.nn.modules.module import Module, Parameter
from tinygrad_lite.tensor import Tensor

_NUMPY_PAD_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _ntuple(value: Any, name: str, minimum: int, nd: int, layer: str) -> tuple[int, ...]:
    """``value`` (an int or ``nd`` ints, each >= ``minimum``) as a tuple of ``nd`` ints:
    ``TypeError`` for anything but ints, ``RuntimeError`` for a value below ``minimum``."""
    values = (value,) * nd if is_int(value) else value
    what = {1: "an int", 2: "an int or a pair of ints"}.get(nd, f"an int or {nd} ints")
    message = f"{layer}: {name} must be {what} >= {minimum}, got {value!r}"
    if not isinstance(values, (tuple, list)) or len(values) != nd or not all(map(is_int, values)):
        raise TypeError(message)
    if min(values) < minimum:
        raise RuntimeError(message)
    return tuple(int(v) for v in values)


def pad_by_mode(x: Tensor, pads: tuple[int, ...], mode: str, layer: str = "Conv2d") -> Tensor:
    """Pad the last ``len(pads) // 2`` axes of ``x`` by ``pads`` (``(lo, hi)`` per axis) with
    ``'reflect'``, ``'replicate'`` or ``'circular'`` values (PyTorch's padding modes), as one
    gather of source indices.

    The gradient of a padded pixel flows back to the pixel it copies (repeats accumulate).
    """
    nd = len(pads) // 2
    spatial = tuple(x.shape[-nd:])
    lo_hi = [(pads[2 * a], pads[2 * a + 1]) for a in range(nd)]
    if mode == "reflect" and any(max(p) >= n for p, n in zip(lo_hi, spatial)):
        raise RuntimeError(
            f"{layer}: padding {pads} must be smaller than the input size {spatial} for 'reflect'"
        )
    if mode == "circular" and any(max(p) > n for p, n in zip(lo_hi, spatial)):
        raise RuntimeError(
            f"{layer}: padding {pads} must be at most the input size {spatial} for 'circular' "
            "(it would wrap around more than once)"
        )
    sources = [np.pad(np.arange(n), p, mode=_NUMPY_PAD_MODES[mode]) for n, p in zip(spatial, lo_hi)]
    return x[(Ellipsis, *np.ix_(*sources))]


class _ConvNd(Module):
    """The code of ``Conv1d``/``Conv2d``/``Conv3d``; subclasses set ``_nd``."""

    _nd = 2

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
        layer, nd = type(self).__name__, self._nd
        in_channels = as_size(layer, "in_channels", in_channels)
        out_channels = as_size(layer, "out_channels", out_channels)
        groups = as_int(layer, "groups", groups)
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(
                f"{layer}: groups={groups} must divide in_channels={in_channels} and "
                f"out_channels={out_channels}"
            )
        if padding_mode not in ("zeros", *_NUMPY_PAD_MODES):
            raise ValueError(
                f"{layer}: padding_mode must be 'zeros', 'reflect', 'replicate' or 'circular', "
                f"got {padding_mode!r}"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _ntuple(kernel_size, "kernel_size", 1, nd, layer)
        self.stride = _ntuple(stride, "stride", 1, nd, layer)
        self.padding = (
            padding if isinstance(padding, str) else _ntuple(padding, "padding", 0, nd, layer)
        )
        self.dilation = _ntuple(dilation, "dilation", 1, nd, layer)
        self.groups = groups
        self.padding_mode = padding_mode
        # validates 'same' with stride, bad strings, negative padding
        self._pads = conv_padding(
            self.padding, self.kernel_size, self.stride, self.dilation, layer
        )
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
        """Convolve ``input`` (N, C_in, *spatial) -> (N, C_out, *spatial_out), or unbatched
        (C_in, *spatial) -> (C_out, *spatial_out)."""
        op, nd = f"conv{self._nd}d", self._nd
        padding: Any = self.padding
        if self.padding_mode != "zeros":
            as_batch_nd(op, input, nd)  # rank check before padding
            input = pad_by_mode(input, self._pads, self.padding_mode, type(self).__name__)
            padding = 0
        return _convnd(
            op, nd, input, self.weight, self.bias, self.stride, padding, self.dilation,
            self.groups,
        )

    def extra_repr(self) -> str:
        nd = self._nd
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0,) * nd:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * nd:
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv1d(_ConvNd):
    r"""1-D convolution layer, as ``torch.nn.Conv1d`` (math in ``nn.functional.conv1d``).

    ``weight``: (out_channels, in_channels / groups, k); ``bias``: (out_channels,).  Init,
    ``padding`` and ``padding_mode`` as :class:`Conv2d`.  Input (N, C, L) or (C, L).
    """

    _nd = 1


class Conv2d(_ConvNd):
    r"""2-D convolution layer, as ``torch.nn.Conv2d`` (math in ``nn.functional.conv2d``).

    ``weight``: (out_channels, in_channels / groups, kh, kw); ``bias``: (out_channels,).
    Default init (PyTorch's): ``kaiming_uniform_(weight, a=sqrt(5))``, i.e.
    $W \sim \mathcal U(-1/\sqrt{f}, 1/\sqrt{f})$ with $f = \frac{C_{in}}{G} k_h k_w$, and
    $b \sim \mathcal U(-1/\sqrt{f}, 1/\sqrt{f})$.  ``padding_mode`` is ``'zeros'``,
    ``'reflect'``, ``'replicate'`` or ``'circular'``.
    """

    _nd = 2


class Conv3d(_ConvNd):
    r"""3-D convolution layer, as ``torch.nn.Conv3d`` (math in ``nn.functional.conv3d``).

    ``weight``: (out_channels, in_channels / groups, kd, kh, kw); ``bias``: (out_channels,).
    Init, ``padding`` and ``padding_mode`` as :class:`Conv2d`.  Input (N, C, D, H, W) or
    (C, D, H, W).
    """

    _nd = 3


class _ConvTransposeNd(Module):
    """The code of ``ConvTranspose1d/2d/3d``; subclasses set ``_nd``."""

    _nd = 2

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: Any = 1,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        layer, nd = type(self).__name__, self._nd
        in_channels = as_size(layer, "in_channels", in_channels)
        out_channels = as_size(layer, "out_channels", out_channels)
        groups = as_int(layer, "groups", groups)
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(
                f"{layer}: groups={groups} must divide in_channels={in_channels} and "
                f"out_channels={out_channels}"
            )
        if padding_mode != "zeros":
            raise ValueError(
                f'{layer}: only "zeros" padding mode is supported, got {padding_mode!r}'
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _ntuple(kernel_size, "kernel_size", 1, nd, layer)
        self.stride = _ntuple(stride, "stride", 1, nd, layer)
        self.padding = _ntuple(padding, "padding", 0, nd, layer)
        self.output_padding = _ntuple(output_padding, "output_padding", 0, nd, layer)
        self.dilation = _ntuple(dilation, "dilation", 1, nd, layer)
        self.groups = groups
        self.padding_mode = padding_mode
        dt = np.dtype(np.float32 if dtype is None else dtype)
        shape = (in_channels, out_channels // groups, *self.kernel_size)
        self.weight = Parameter(np.empty(shape, dtype=dt))
        if bias:
            self.bias = Parameter(np.empty((out_channels,), dtype=dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-draw weight and bias with PyTorch's default init (fan-in from the weight's
        dimension 1 and kernel, as PyTorch computes it for the transposed layout)."""
        init.default_layer_init_(self.weight, self.bias)

    def _output_padding(self, input: Tensor, output_size: Any) -> tuple[int, ...]:
        """The ``output_padding`` that gives ``output_size`` (PyTorch's rule: it must lie in
        ``[smallest, smallest + stride - 1]`` per axis)."""
        nd, layer = self._nd, type(self).__name__
        if output_size is None:
            return self.output_padding
        sizes = list(output_size)
        if len(sizes) == input.ndim:  # a full shape was given: keep the spatial sizes
            sizes = sizes[-nd:]
        if len(sizes) != nd:
            raise ValueError(
                f"{layer}: output_size must have {nd} or {nd + 2} elements (got {len(sizes)})"
            )
        in_spatial = input.shape[-nd:]
        padding = []
        for a in range(nd):
            k, s, p, d = self.kernel_size[a], self.stride[a], self.padding[a], self.dilation[a]
            smallest = (in_spatial[a] - 1) * s - 2 * p + d * (k - 1) + 1
            if not smallest <= int(sizes[a]) <= smallest + s - 1:
                raise ValueError(
                    f"{layer}: requested an output size of {tuple(sizes)}, but valid sizes "
                    f"along axis {a} range from {smallest} to {smallest + s - 1} (for an input "
                    f"of {tuple(input.shape)})"
                )
            padding.append(int(sizes[a]) - smallest)
        return tuple(padding)

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        """Transposed-convolve ``input`` (N, C_in, *spatial) -> (N, C_out, *spatial_out), or
        unbatched.  ``output_size`` (the spatial sizes, or a whole shape) picks the
        ``output_padding`` that gives that size."""
        nd = self._nd
        output_padding = self._output_padding(input, output_size)
        return _conv_transposend(
            f"conv_transpose{nd}d", nd, input, self.weight, self.bias, self.stride,
            self.padding, output_padding, self.groups, self.dilation,
        )

    def extra_repr(self) -> str:
        nd = self._nd
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0,) * nd:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * nd:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * nd:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class ConvTranspose1d(_ConvTransposeNd):
    r"""1-D transposed convolution layer, as ``torch.nn.ConvTranspose1d`` (math in
    ``nn.functional.conv_transpose1d``).

    ``weight``: (in_channels, out_channels / groups, k); ``bias``: (out_channels,).
    """

    _nd = 1


class ConvTranspose2d(_ConvTransposeNd):
    r"""2-D transposed convolution layer, as ``torch.nn.ConvTranspose2d`` (math in
    ``nn.functional.conv_transpose2d``): the decoder half of an autoencoder or U-Net.

    ``weight``: (in_channels, out_channels / groups, kh, kw); ``bias``: (out_channels,).
    Default init (PyTorch's): ``kaiming_uniform_(a=sqrt(5))`` with
    $f = \frac{C_{out}}{G} k_h k_w$ (the weight's dimension 1 times the kernel), bias
    $\mathcal U(-1/\sqrt f, 1/\sqrt f)$.  ``forward(input, output_size=None)``: with
    ``output_size``, the ``output_padding`` that gives that size.
    """

    _nd = 2


class ConvTranspose3d(_ConvTransposeNd):
    r"""3-D transposed convolution layer, as ``torch.nn.ConvTranspose3d`` (math in
    ``nn.functional.conv_transpose3d``).

    ``weight``: (in_channels, out_channels / groups, kd, kh, kw); ``bias``: (out_channels,).
    """

    _nd = 3
