r"""Pooling functions (``torch.nn.functional`` names, signatures and defaults).

``max_pool2d`` calls the primitive in :mod:`tinygrad_lite.ops.pool`; ``avg_pool2d`` is
:class:`~tinygrad_lite.ops.conv.Im2Col` + a sum, and ``adaptive_avg_pool2d`` two
averaging-matrix products, so they need no backward of their own.  Subgradients: max-pool sends
each window's gradient to its FIRST maximum (PyTorch's choice); the rest is linear.

Each takes a batch (N, C, H, W) or, as PyTorch does, one unbatched image (C, H, W): that goes
through as a batch of one (``unsqueeze(0)`` ... ``squeeze(0)``, views the gradient flows through)
and comes back 3-D.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_lite.argcheck import is_int
from tinygrad_lite.autograd.grad_mode import is_grad_enabled
from tinygrad_lite.nn.functional.conv import _check_output, _unbatch
from tinygrad_lite.ops.conv import Geometry, Im2Col, im2col_array
from tinygrad_lite.ops.masking import anchored
from tinygrad_lite.ops.pool import MaxPool, max_pool_indices
from tinygrad_lite.tensor import Tensor


def _pair(value: Any, name: str, op: str) -> tuple[int, int]:
    """An int, a one-int sequence (PyTorch takes ``(2,)`` for ``2``) or a pair of ints as
    ``(h, w)`` (``TypeError`` for a float: no rounding; ``RuntimeError`` for another length)."""
    if is_int(value):
        return int(value), int(value)
    if isinstance(value, (tuple, list)) and len(value) in (1, 2) and all(map(is_int, value)):
        return int(value[0]), int(value[-1])
    if isinstance(value, (tuple, list)) and all(map(is_int, value)):  # a wrong length
        raise RuntimeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    raise TypeError(
        f"{op}: {name} must be an int or a pair of ints, not {type(value).__name__} ({value!r})"
    )


def as_batch(op: str, x: Tensor, nonempty: int = 3) -> tuple[Tensor, bool]:
    """``x`` as (N, C, H, W), and whether it was one unbatched (C, H, W) image (pooling).

    An unbatched ``x`` becomes a batch of one (``unsqueeze(0)``, a view); the caller squeezes
    the result back, so the output is 3-D like PyTorch's.  Other ranks raise ``RuntimeError``,
    and so does a size 0 in the last ``nonempty`` dimensions (PyTorch allows an empty batch
    only; adaptive pooling an empty channel axis too).
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected input to be a Tensor, got {type(x).__name__}")
    if x.ndim not in (3, 4):
        raise RuntimeError(
            f"{op}: expected 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape {tuple(x.shape)}"
        )
    if 0 in x.shape[-nonempty:]:
        raise RuntimeError(
            f"{op}: expected 3-D (C, H, W) or 4-D (N, C, H, W) input with non-zero sizes except "
            f"the batch, got shape {tuple(x.shape)}"
        )
    if x.ndim == 3:
        return x.unsqueeze(0), True  # (1, C, H, W)
    return x, False


def _check_dtype(op: str, x: Tensor, integers: Any) -> None:
    """PyTorch's ``NotImplementedError`` for a dtype its pooling kernel lacks: bool always;
    integers unless ``integers`` is True (all) or the one integer dtype it names."""
    dtype = x.data.dtype
    if dtype.kind == "b" or (dtype.kind in "iu" and integers is not True and dtype != integers):
        raise NotImplementedError(f'"{op}" not implemented for {dtype}')


def _pool_geometry(
    op: str, x_shape: tuple[int, ...], kernel_size: Any, stride: Any, padding: Any,
    dilation: Any, ceil_mode: bool,
) -> Geometry:
    """Checked pooling geometry for an input of shape ``x_shape`` ((C, H, W) or (N, C, H, W))."""
    kernel = _pair(kernel_size, "kernel_size", op)
    stride_ = kernel if stride is None or stride == [] else _pair(stride, "stride", op)
    ph, pw = _pair(padding, "padding", op)
    dilation_ = _pair(dilation, "dilation", op)
    if min(kernel) < 1 or min(stride_) < 1 or min(dilation_) < 1:
        raise RuntimeError(
            f"{op}: kernel_size, stride and dilation must be >= 1, got kernel_size={kernel}, "
            f"stride={stride_}, dilation={dilation_}"
        )
    if ph < 0 or pw < 0:
        raise RuntimeError(f"{op}: pad must be non-negative, but got padding={(ph, pw)}")
    if ph > kernel[0] // 2 or pw > kernel[1] // 2:
        raise RuntimeError(
            f"{op}: pad should be at most half of effective kernel size, but got pad={(ph, pw)} "
            f"and kernel_size={kernel}"
        )
    eh = ew = 0
    if ceil_mode:  # extra bottom/right padding (never read by a whole window) for the last one
        eh = _ceil_extra(op, x_shape[-2], kernel[0], stride_[0], ph, dilation_[0])
        ew = _ceil_extra(op, x_shape[-1], kernel[1], stride_[1], pw, dilation_[1])
    geom = (kernel, stride_, (ph, ph + eh, pw, pw + ew), dilation_)
    _check_output(op, x_shape, geom)
    return geom


def _ceil_extra(op: str, size: int, k: int, s: int, p: int, d: int) -> int:
    """Padding ``ceil_mode=True`` adds at the end of an axis (PyTorch's rule: round the output
    size up, but the last window must start inside the input or the left padding)."""
    span = size + 2 * p - d * (k - 1) - 1  # may be negative: rounding up can still give 1
    out = -(-span // s) + 1
    if out < 1:
        return 0  # the caller's size check raises
    if (out - 1) * s >= size + p:
        out -= 1
    return max(0, (out - 1) * s + d * (k - 1) + 1 - (size + 2 * p))


def max_pool2d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    r"""Max over each window (padding counts as $-\infty$), as ``F.max_pool2d``.

    ``stride`` defaults to ``kernel_size``.  Gradient: each window's gradient goes to its FIRST
    maximum in row-major order (PyTorch's choice; ties are not split).  With
    ``return_indices=True`` also returns the flat ``h * W + w`` position of that maximum.
    ``ceil_mode=True`` rounds the output size up (the last window may hang over the edge).
    Input (N, C, H, W) or unbatched (C, H, W); output and indices have the input's rank.
    """
    x, unbatched = as_batch("max_pool2d", input)  # (N, C, H, W)
    _check_dtype("max_pool2d", x, integers=True)
    geom = _pool_geometry(
        "max_pool2d", input.shape, kernel_size, stride, padding, dilation, ceil_mode
    )
    needs_mask = x.requires_grad and is_grad_enabled()
    out = _unbatch(MaxPool.apply(x, geom=geom, needs_mask=needs_mask), unbatched)
    if return_indices:
        indices = max_pool_indices(x.data, geom)  # (N, C, H_out, W_out)
        return out, Tensor._make(indices[0] if unbatched else indices, None)
    return out


def avg_pool2d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    r"""Mean over each window, as ``F.avg_pool2d``: $y = \frac1{D}\sum_{p \in \text{window}} x_p$.

    $D = k_h k_w$ with ``count_include_pad=True`` (zeros of the padding count), else the number
    of real pixels in the window; ``divisor_override`` replaces $D$.  With ``ceil_mode=True``
    the last window may hang over the padded input: the cells beyond it never count.  Linear:
    the gradient of every pixel of a window is $\bar y / D$.  Input (N, C, H, W) or unbatched
    (C, H, W); the output has the input's rank.
    """
    if isinstance(input, Tensor) and input.ndim < 3:  # PyTorch indexes dim -3 first
        raise IndexError(
            f"avg_pool2d: expected 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape "
            f"{tuple(input.shape)}"
        )
    x, unbatched = as_batch("avg_pool2d", input)  # (N, C, H, W)
    _check_dtype("avg_pool2d", x, integers=np.dtype(np.int64))  # PyTorch's: int64 only
    if divisor_override is not None and not is_int(divisor_override):
        raise TypeError(
            f"avg_pool2d: divisor_override must be int, not {type(divisor_override).__name__}"
        )
    if divisor_override == 0:
        raise RuntimeError("avg_pool2d: divisor_override must be non-zero")
    geom = _pool_geometry("avg_pool2d", input.shape, kernel_size, stride, padding, 1, ceil_mode)
    n, c, h, w = x.shape
    oh, ow = _check_output("avg_pool2d", input.shape, geom)
    if x.data.dtype.kind == "i":  # no gradient: PyTorch's integer sums and divisions
        return _avg_pool_int64(x, unbatched, geom, (oh, ow), count_include_pad, divisor_override)
    cols = Im2Col.apply(x.reshape(n * c, 1, h, w), geom=geom)  # (kh*kw, N*C*oh*ow)
    total = _unbatch(cols.sum(0).reshape(n, c, oh, ow), unbatched)
    (pt, pb, pl, pr) = geom[2]
    if divisor_override is not None:
        out = total / float(divisor_override)
    elif (count_include_pad and (pb, pr) == (pt, pl)) or not any(geom[2]):
        out = total / float(geom[0][0] * geom[0][1])
    else:
        if count_include_pad:  # count the symmetric padding, not ceil_mode's extra cells
            ones = np.ones((1, 1, h + 2 * pt, w + 2 * pl), dtype=input.dtype)
            extra = (0, pb - pt, 0, pr - pl)
            counts = im2col_array(ones, (geom[0], geom[1], extra, geom[3])).sum(0)
        else:
            counts = im2col_array(np.ones((1, 1, h, w), dtype=input.dtype), geom).sum(0)
        out = total / Tensor._make(counts.reshape(oh, ow), None)
    # PyTorch's avg_pool2d_backward(grad, self) takes the input: differentiated again, the
    # gradient gives zeros (not "does not require grad"); ``anchored`` gives the same here
    return anchored(out, input)


def _avg_pool_int64(x: Tensor, unbatched: bool, geom: Geometry, out_hw: tuple[int, int],
                    count_include_pad: bool, divisor_override: int | None) -> Tensor:
    """``avg_pool2d`` of an int64 tensor as PyTorch's kernel: the window's integer sum divided
    by the integer divisor, rounded toward zero (C++ division), an int64 result."""
    n, c, h, w = x.shape
    total = im2col_array(x.data.reshape(n * c, 1, h, w), geom).sum(0).reshape(n, c, *out_hw)
    (pt, pb, pl, pr) = geom[2]
    if divisor_override is not None:
        divisor: Any = divisor_override
    elif (count_include_pad and (pb, pr) == (pt, pl)) or not any(geom[2]):
        divisor = geom[0][0] * geom[0][1]
    else:
        shape = (h + 2 * pt, w + 2 * pl) if count_include_pad else (h, w)
        pads = (0, pb - pt, 0, pr - pl) if count_include_pad else geom[2]
        ones = np.ones((1, 1, *shape), dtype=np.int64)
        divisor = im2col_array(ones, (geom[0], geom[1], pads, geom[3])).sum(0).reshape(out_hw)
    out = np.sign(total) * np.sign(divisor) * (np.abs(total) // np.abs(divisor))
    return Tensor._make(out[0] if unbatched else out, None)


def _adaptive_matrix(size: int, out: int, dtype: Any) -> np.ndarray:
    """(out, size) averaging matrix: row i averages [floor(i*size/out), ceil((i+1)*size/out))."""
    m = np.zeros((out, size), dtype=dtype)
    for i in range(out):
        start, end = (i * size) // out, -((-(i + 1) * size) // out)
        m[i, start:end] = 1.0 / (end - start)
    return m


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    r"""Average over PyTorch's adaptive windows, as ``F.adaptive_avg_pool2d``.

    Output cell $i$ along an axis of length $n$ averages $[\lfloor i n / m \rfloor,
    \lceil (i+1) n / m \rceil)$.  The windows are separable, so $y = A_h\, x\, A_w^\top$ with
    two small averaging matrices: linear, gradient $A_h^\top \bar y A_w$.  ``None`` in
    ``output_size`` keeps that input size; $0$ gives an empty output.  Input (N, C, H, W) or
    unbatched (C, H, W), with $H, W > 0$; the output has the input's rank.
    """
    op = "adaptive_avg_pool2d"
    x, unbatched = as_batch(op, input, nonempty=2)  # (N, C, H, W)
    _check_dtype(op, x, integers=False)
    if is_int(output_size):
        output_size = (output_size, output_size)
    if not isinstance(output_size, (tuple, list)) or not all(
        v is None or is_int(v) for v in output_size
    ):
        raise TypeError(
            f"{op}: output_size must be an int or a tuple of ints (or None), got {output_size!r}"
        )
    if len(output_size) != 2:
        raise RuntimeError(f"{op}: output_size must be 2 values, got {output_size!r}")
    h, w = x.shape[2], x.shape[3]
    oh = h if output_size[0] is None else int(output_size[0])
    ow = w if output_size[1] is None else int(output_size[1])
    if oh < 0 or ow < 0:
        raise RuntimeError(
            f"{op}: elements of output_size must be greater than or equal to 0, got "
            f"{output_size!r}"
        )
    if (oh, ow) == (h, w):
        return anchored(input * 1.0, input)  # (see avg_pool2d's end)
    if (oh, ow) == (1, 1):  # PyTorch's shortcut: a mean (whose gradient needs no input)
        return input.mean((-2, -1), keepdim=True)
    if oh == 0 or ow == 0:  # an empty output, as PyTorch: zero rows (or columns) of averages
        ah = Tensor._make(np.zeros((oh, h), dtype=input.dtype), None)
        aw = Tensor._make(np.zeros((w, ow), dtype=input.dtype), None)
        return anchored(_unbatch(ah @ x @ aw, unbatched), input)
    if h % oh == 0 and w % ow == 0:
        return avg_pool2d(input, (h // oh, w // ow))  # handles either rank itself
    ah = Tensor._make(_adaptive_matrix(h, oh, input.dtype), None)  # (oh, H)
    aw = Tensor._make(_adaptive_matrix(w, ow, input.dtype).T.copy(), None)  # (W, ow)
    # (N, C, oh, ow), or (C, oh, ow) when unbatched; anchored: see avg_pool2d's end
    return anchored(_unbatch(ah @ x @ aw, unbatched), input)

