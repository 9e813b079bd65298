r"""Convolutions over 1, 2 or 3 spatial axes, plain and transposed (``torch.nn.functional``
names, signatures and defaults).

``conv1d/2d/3d`` call the :class:`~tinygrad_lite.ops.convolution.Convolution` primitive and
``conv_transpose1d/2d/3d`` its adjoint :class:`~tinygrad_lite.ops.convolution.ConvTranspose`;
one checked N-d function behind each family (:func:`_convnd`, :func:`_conv_transposend`).  All
are linear in the input and in the weight: no kinks.

Each takes a batch (N, C, *spatial) or, as PyTorch does, one unbatched sample (C, *spatial):
that goes through as a batch of one (``unsqueeze(0)`` ... ``squeeze(0)``, views the gradient
flows through) and comes back unbatched.  Shape mismatches and bad argument values raise
``RuntimeError`` and arguments of the wrong type ``TypeError`` (as PyTorch); both name the op
and the shapes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_lite.argcheck import is_int
from tinygrad_lite.ops.conv import Geometry, out_shape
from tinygrad_lite.ops.convolution import Convolution, ConvTranspose
from tinygrad_lite.ops.linalg import check_same_dtype
from tinygrad_lite.tensor import Tensor

_LAYOUT = {1: "(C, L)", 2: "(C, H, W)", 3: "(C, D, H, W)"}
_KERNEL = {1: "k", 2: "kh, kw", 3: "kd, kh, kw"}


def _ntuple(value: Any, name: str, op: str, nd: int) -> tuple[int, ...]:
    """An int or ``nd`` ints as a tuple of ``nd`` ints (``TypeError`` for a float: no rounding;
    ``RuntimeError`` for the wrong number of ints)."""
    if is_int(value):
        return (int(value),) * nd
    what = "an int" if nd == 1 else f"an int or a tuple of {nd} ints"
    if isinstance(value, (tuple, list)) and all(map(is_int, value)):
        if len(value) == nd:
            return tuple(int(v) for v in value)
        raise RuntimeError(f"{op}: {name} must be {what}, got {value!r}")
    raise TypeError(f"{op}: {name} must be {what}, not {type(value).__name__} ({value!r})")


def as_batch_nd(op: str, x: Tensor, nd: int) -> tuple[Tensor, bool]:
    """``x`` as (N, C, *spatial) with ``nd`` spatial axes, and whether it was unbatched
    (C, *spatial); other ranks raise ``RuntimeError``, as PyTorch's convolutions do."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected input to be a Tensor, got {type(x).__name__}")
    if x.ndim == nd + 1:
        return x.unsqueeze(0), True
    if x.ndim == nd + 2:
        return x, False
    raise RuntimeError(
        f"{op}: expected {nd + 1}-D {_LAYOUT[nd]} or {nd + 2}-D (N, {_LAYOUT[nd][1:]} input, "
        f"got shape {tuple(x.shape)}"
    )


def _unbatch(y: Tensor, unbatched: bool) -> Tensor:
    return y.squeeze(0) if unbatched else y


def _check_output(
    op: str, x_shape: tuple[int, ...], geom: Geometry, error: type[Exception] = RuntimeError
) -> tuple[int, ...]:
    """Output spatial sizes of ``geom`` on an input of shape ``x_shape`` (batched or not);
    ``error`` when one is below 1."""
    outs = out_shape(tuple(x_shape[-len(geom[0]) :]), geom)
    if min(outs) <= 0:
        raise error(
            f"{op}: output size {outs} is too small for input {tuple(x_shape)} with "
            f"kernel {geom[0]}, stride {geom[1]}, padding {geom[2]}, dilation {geom[3]}"
        )
    return outs


def conv_padding(
    padding: Any, kernel: tuple[int, ...], stride: tuple[int, ...], dilation: tuple[int, ...],
    op: str = "conv2d",
) -> tuple[int, ...]:
    """``padding`` (int, tuple, ``'same'``, ``'valid'``) as ``(lo_1, hi_1, lo_2, hi_2, ...)``.

    ``'same'`` needs stride 1; an odd total goes to the end (bottom/right), as PyTorch pads.
    """
    nd = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return (0,) * (2 * nd)
        if padding != "same":
            raise RuntimeError(f"{op}: padding must be 'valid', 'same' or ints, got {padding!r}")
        if any(s != 1 for s in stride):
            raise RuntimeError(f"{op}: padding='same' is not supported for strided convolutions")
        pads: list[int] = []
        for k, d in zip(kernel, dilation):
            total = d * (k - 1)
            pads += [total // 2, total - total // 2]
        return tuple(pads)
    per_axis = _ntuple(padding, "padding", op, nd)
    if min(per_axis) < 0:
        raise RuntimeError(f"{op}: padding must be non-negative, got {padding!r}")
    return tuple(p for p in per_axis for _ in (0, 1))


def _check_conv_args(
    op: str, nd: int, input: Tensor, weight: Tensor, bias: Tensor | None, groups: int,
    transposed: bool,
) -> tuple[Tensor, bool]:
    """Check ranks, channels, bias shape and dtypes; return the batched input."""
    x, unbatched = as_batch_nd(op, input, nd)
    layout = "(C_in, C_out/groups, " if transposed else "(C_out, C_in/groups, "
    if not isinstance(weight, Tensor) or weight.ndim != nd + 2:
        shape = tuple(weight.shape) if hasattr(weight, "shape") else type(weight).__name__
        raise RuntimeError(
            f"{op}: expected a {nd + 2}-D weight {layout}{_KERNEL[nd]}), got {shape}"
        )
    if not isinstance(groups, (int, np.integer)) or groups < 1:
        raise RuntimeError(f"{op}: groups must be a positive integer, got {groups!r}")
    c = x.shape[1]
    if transposed:
        c_in, c_out = weight.shape[0], weight.shape[1] * groups
        divisible = c_in % groups == 0
    else:
        c_in, c_out = weight.shape[1] * groups, weight.shape[0]
        divisible = c_out % groups == 0
    if not divisible:
        raise RuntimeError(
            f"{op}: groups={groups} must divide the weight's dimension 0, got weight "
            f"{tuple(weight.shape)}"
        )
    if c != c_in:
        raise RuntimeError(
            f"{op}: expected input {'(' if unbatched else '(N, '}{_LAYOUT[nd][1:]} with "
            f"C={c_in}, got {tuple(input.shape)} (weight {tuple(weight.shape)}, groups={groups})"
        )
    if bias is not None and tuple(bias.shape) != (c_out,):
        raise RuntimeError(f"{op}: expected bias of shape ({c_out},), got {tuple(bias.shape)}")
    check_same_dtype(op, "input", input, "weight", weight)
    if bias is not None:
        check_same_dtype(op, "bias", bias, "weight", weight)
    return x, unbatched


def _convnd(
    op: str, nd: int, input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any,
    padding: Any, dilation: Any, groups: int,
) -> Tensor:
    """The checked N-d convolution behind ``conv1d``/``conv2d``/``conv3d``."""
    x, unbatched = _check_conv_args(op, nd, input, weight, bias, groups, transposed=False)
    stride_, dilation_ = _ntuple(stride, "stride", op, nd), _ntuple(dilation, "dilation", op, nd)
    if min(stride_) < 1 or min(dilation_) < 1:
        raise RuntimeError(f"{op}: stride and dilation must be >= 1, got {stride!r}, {dilation!r}")
    kernel = tuple(weight.shape[2:])
    geom = (kernel, stride_, conv_padding(padding, kernel, stride_, dilation_, op), dilation_)
    _check_output(op, input.shape, geom, RuntimeError)
    params = (weight,) if bias is None else (weight, bias)
    return _unbatch(Convolution.apply(x, *params, geom=geom, groups=groups), unbatched)


def conv1d(
    input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
    padding: Any = 0, dilation: Any = 1, groups: int = 1,
) -> Tensor:
    r"""1-D cross-correlation, as ``torch.nn.functional.conv1d``.

    $y_{n,o,i} = b_o + \sum_{c,p} w_{o,c,p}\, x_{n,\,g(o) C_g + c,\, i s + p d - p_l}$ with input
    (N, C, L) or unbatched (C, L), weight (O, C/groups, k), bias (O,).  ``padding``: an int,
    ``'valid'`` or ``'same'``.  The 2-D code with one spatial axis (im2col + one GEMM).
    """
    return _convnd("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    r"""2-D cross-correlation, as ``torch.nn.functional.conv2d``.

    $y_{n,o,i,j} = b_o + \sum_{c,p,q} w_{o,c,p,q}\, x_{n,\,g(o) C_g + c,\, i s_h + p d_h - p_t,\,
    j s_w + q d_w - p_l}$ with input (N, C, H, W), weight (O, C/groups, kh, kw), bias (O,).
    An unbatched input (C, H, W) gives an unbatched output (O, H_out, W_out).
    ``padding`` is an int, a pair, ``'valid'`` (none) or ``'same'`` (stride 1 only).
    Computed as im2col + one GEMM (see :mod:`tinygrad_lite.ops.convolution`).  Input, weight
    and bias must have one dtype (``RuntimeError`` otherwise, as in PyTorch; no promotion).
    """
    return _convnd("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(
    input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
    padding: Any = 0, dilation: Any = 1, groups: int = 1,
) -> Tensor:
    r"""3-D cross-correlation, as ``torch.nn.functional.conv3d``.

    Input (N, C, D, H, W) or unbatched (C, D, H, W), weight (O, C/groups, kd, kh, kw), bias
    (O,); ``padding`` an int, a triple, ``'valid'`` or ``'same'``.  The 2-D code with three
    spatial axes (im2col + one GEMM).
    """
    return _convnd("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


def transposed_geometry(
    op: str, in_spatial: tuple[int, ...], kernel: tuple[int, ...], stride: Any, padding: Any,
    output_padding: Any, dilation: Any,
) -> tuple[Geometry, tuple[int, ...]]:
    r"""The geometry of the convolution a transposed convolution is the adjoint of, and its
    output sizes $S^{out} = (S - 1) s - 2 p + d (k - 1) + p_{out} + 1$ per axis.

    That convolution maps $S^{out}$ back to $S$ with padding $(p, p - p_{out})$: the
    ``output_padding`` cells at the end are covered by the kernel's overhang (or by nothing,
    where $p_{out} > p$: then the end padding is negative, a crop).
    """
    nd = len(kernel)
    stride_, dilation_ = _ntuple(stride, "stride", op, nd), _ntuple(dilation, "dilation", op, nd)
    if isinstance(padding, str):
        raise TypeError(f"{op}: padding must be an int or a tuple of {nd} ints, got {padding!r}")
    pad, out_pad = _ntuple(padding, "padding", op, nd), _ntuple(
        output_padding, "output_padding", op, nd
    )
    if min(stride_) < 1 or min(dilation_) < 1:
        raise RuntimeError(f"{op}: stride and dilation must be >= 1, got {stride!r}, {dilation!r}")
    if min(pad) < 0 or min(out_pad) < 0:
        raise RuntimeError(f"{op}: padding and output_padding must be non-negative")
    if any(q >= max(s, d) for q, s, d in zip(out_pad, stride_, dilation_)):
        raise RuntimeError(
            f"{op}: output_padding must be smaller than either stride or dilation, got "
            f"output_padding={out_pad}, stride={stride_}, dilation={dilation_}"
        )
    outs = tuple(
        (n - 1) * s - 2 * p + d * (k - 1) + q + 1
        for n, k, s, p, q, d in zip(in_spatial, kernel, stride_, pad, out_pad, dilation_)
    )
    if min(outs) <= 0:
        raise RuntimeError(
            f"{op}: output size {outs} is too small for input size {in_spatial} with kernel "
            f"{kernel}, stride {stride_}, padding {pad}, output_padding {out_pad}, dilation "
            f"{dilation_}"
        )
    pads = tuple(v for p, q in zip(pad, out_pad) for v in (p, p - q))
    return (kernel, stride_, pads, dilation_), outs


def _conv_transposend(
    op: str, nd: int, input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any,
    padding: Any, output_padding: Any, groups: int, dilation: Any,
) -> Tensor:
    """The checked N-d transposed convolution behind ``conv_transpose1d/2d/3d``."""
    x, unbatched = _check_conv_args(op, nd, input, weight, bias, groups, transposed=True)
    geom, outs = transposed_geometry(
        op, tuple(x.shape[2:]), tuple(weight.shape[2:]), stride, padding, output_padding,
        dilation,
    )
    params = (weight,) if bias is None else (weight, bias)
    y = ConvTranspose.apply(x, *params, geom=geom, groups=groups, out_spatial=outs)
    return _unbatch(y, unbatched)


def conv_transpose1d(
    input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
    padding: Any = 0, output_padding: Any = 0, groups: int = 1, dilation: Any = 1,
) -> Tensor:
    r"""1-D transposed convolution, as ``torch.nn.functional.conv_transpose1d``.

    Input (N, C_in, L) or unbatched (C_in, L), weight (C_in, C_out/groups, k), bias (C_out,);
    output length $(L - 1) s - 2 p + d (k - 1) + p_{out} + 1$.  The adjoint of ``conv1d``
    (see :func:`conv_transpose2d`).
    """
    return _conv_transposend(
        "conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding, groups,
        dilation,
    )


def conv_transpose2d(
    input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
    padding: Any = 0, output_padding: Any = 0, groups: int = 1, dilation: Any = 1,
) -> Tensor:
    r"""2-D transposed convolution ("deconvolution"), as
    ``torch.nn.functional.conv_transpose2d``.

    Input (N, C_in, H, W) or unbatched (C_in, H, W), weight (C_in, C_out/groups, kh, kw), bias
    (C_out,).  Each input pixel scatters its weighted kernel onto the output, stride $s$ apart:
    $y = \mathrm{col2im}(W^\top x) + b$, i.e. the input gradient of ``conv2d`` with the same
    weight, stride, padding and dilation.  Output size per axis
    $(S - 1) s - 2 p + d (k - 1) + p_{out} + 1$; ``output_padding`` $p_{out}$ (smaller than
    the stride or the dilation) picks among the sizes that ``conv2d`` maps to $S$.
    """
    return _conv_transposend(
        "conv_transpose2d", 2, input, weight, bias, stride, padding, output_padding, groups,
        dilation,
    )


def conv_transpose3d(
    input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
    padding: Any = 0, output_padding: Any = 0, groups: int = 1, dilation: Any = 1,
) -> Tensor:
    r"""3-D transposed convolution, as ``torch.nn.functional.conv_transpose3d``.

    Input (N, C_in, D, H, W) or unbatched (C_in, D, H, W), weight (C_in, C_out/groups, kd, kh,
    kw), bias (C_out,).  The adjoint of ``conv3d`` (see :func:`conv_transpose2d`).
    """
    return _conv_transposend(
        "conv_transpose3d", 3, input, weight, bias, stride, padding, output_padding, groups,
        dilation,
    )
