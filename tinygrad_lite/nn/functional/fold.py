r"""``F.unfold`` (im2col) and ``F.fold`` (col2im) in PyTorch's layout $(N, C k_h k_w, L)$.

Both are the primitives :class:`~tinygrad_lite.ops.conv.Im2Col` and
:class:`~tinygrad_lite.ops.conv.Col2Im` (each the other's backward) with a reshape and a
permute, so they are differentiable to any order.  Column $l$ is the $l$-th sliding block in
row-major order over the $L = \prod_a S^{out}_a$ block positions; row $(c, i, j)$ is channel
$c$ at kernel offset $(i, j)$.  ``fold(unfold(x))`` multiplies each pixel by the number of
blocks covering it; ``fold`` is the adjoint of ``unfold``, not its inverse.
"""

from __future__ import annotations

import math
from typing import Any

from tinygrad_lite.nn.functional.conv import _check_output, _ntuple, _unbatch, as_batch_nd
from tinygrad_lite.ops.conv import Col2Im, Geometry, Im2Col, out_shape
from tinygrad_lite.tensor import Tensor


def _block_geometry(
    op: str, kernel_size: Any, dilation: Any, padding: Any, stride: Any
) -> Geometry:
    """The checked 2-D geometry of ``unfold``/``fold`` (symmetric zero padding)."""
    kernel = _ntuple(kernel_size, "kernel_size", op, 2)
    dilation_ = _ntuple(dilation, "dilation", op, 2)
    padding_ = _ntuple(padding, "padding", op, 2)
    stride_ = _ntuple(stride, "stride", op, 2)
    if min(kernel) < 1 or min(dilation_) < 1 or min(stride_) < 1 or min(padding_) < 0:
        raise ValueError(
            f"{op}: kernel_size, dilation and stride must be >= 1 and padding >= 0, got "
            f"kernel_size={kernel_size!r}, dilation={dilation!r}, padding={padding!r}, "
            f"stride={stride!r}"
        )
    pads = (padding_[0], padding_[0], padding_[1], padding_[1])
    return kernel, stride_, pads, dilation_


def unfold(
    input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1
) -> Tensor:
    r"""Extract sliding blocks (im2col), as ``torch.nn.functional.unfold``.

    Input (N, C, H, W) -> (N, C k_h k_w, L), or unbatched (C, H, W) -> (C k_h k_w, L), with
    $L = H_{out} W_{out}$ block positions (the sizes ``conv2d`` would output):
    $y_{n,(c,i,j),l} = x_{n,c,\,o_h s_h - p_h + i d_h,\,o_w s_w - p_w + j d_w}$ for block
    $l = o_h W_{out} + o_w$ (zero outside the image).  A convolution is
    ``w.reshape(O, -1) @ unfold(x)``.  Backward: :func:`fold` of the gradient.
    """
    x, unbatched = as_batch_nd("unfold", input, 2)  # (N, C, H, W)
    geom = _block_geometry("unfold", kernel_size, dilation, padding, stride)
    _check_output("unfold", input.shape, geom, RuntimeError)
    cols = Im2Col.apply(x, geom=geom)  # (C*kh*kw, N*L)
    blocks = cols.reshape(cols.shape[0], x.shape[0], -1).permute(1, 0, 2)  # (N, C*kh*kw, L)
    return _unbatch(blocks, unbatched)


def fold(
    input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
    stride: Any = 1,
) -> Tensor:
    r"""Sum sliding blocks back into an image (col2im), as ``torch.nn.functional.fold``.

    Input (N, C k_h k_w, L) -> (N, C, *output_size), or unbatched (C k_h k_w, L) ->
    (C, *output_size): each entry is added onto the pixel :func:`unfold` would have read it
    from (overlaps accumulate, padding positions are dropped).  $L$ must equal the number of
    blocks that fit in ``output_size``.  The adjoint of :func:`unfold`: backward is
    :func:`unfold` of the gradient.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"fold: expected input to be a Tensor, got {type(input).__name__}")
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"fold: expected 2-D (C*kh*kw, L) or 3-D (N, C*kh*kw, L) input, got shape "
            f"{tuple(input.shape)}"
        )
    geom = _block_geometry("fold", kernel_size, dilation, padding, stride)
    size = _ntuple(output_size, "output_size", "fold", 2)
    x = input.unsqueeze(0) if input.ndim == 2 else input  # (N, C*kh*kw, L)
    n, rows, length = x.shape
    per_channel = math.prod(geom[0])
    if rows % per_channel:
        raise RuntimeError(
            f"fold: expected the size of input's dimension {input.ndim - 2} to be divisible by "
            f"the product of kernel_size {geom[0]}, got input {tuple(input.shape)}"
        )
    blocks = out_shape(size, geom)
    if min(blocks) < 1 or math.prod(blocks) != length:
        raise RuntimeError(
            f"fold: input {tuple(input.shape)} has {length} blocks, but output_size={size} "
            f"with kernel_size={geom[0]}, dilation={geom[3]}, padding={geom[2][::2]}, "
            f"stride={geom[1]} gives {blocks[0]} * {blocks[1]} blocks"
        )
    cols = x.permute(1, 0, 2).reshape(rows, n * length)  # (C*kh*kw, N*L)
    image = Col2Im.apply(cols, x_shape=(n, rows // per_channel, *size), geom=geom)
    return _unbatch(image, input.ndim == 2)
