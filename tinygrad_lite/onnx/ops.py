"""ONNX nodes for the primitives: one emitter per ``Function`` class (opset 18).

Each emitter reads a :class:`~tinygrad_lite.onnx.trace.Step` (input tensors, keyword
constants, output tensor) and appends the equivalent nodes to a
:class:`~tinygrad_lite.onnx.graph.Graph`, binding the step's output to the last node's output.
Shapes that the traced example fixed are written so that the batch dimension stays free:
``Reshape`` copies dimension 0 (``0`` in the target shape) when it is unchanged, reshapes that
only add or drop size-1 axes become ``Unsqueeze``/``Squeeze``, and ``Expand`` keeps the input's
own sizes (``1`` in the target shape).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tinygrad_lite.onnx import trace
from tinygrad_lite.onnx.graph import Graph
from tinygrad_lite.onnx.trace import Step
from tinygrad_lite.ops import (
    activation,
    elementwise,
    linalg,
    movement,
    padding,
    pool,
    product,
    reduce,
    special,
    unary,
)
from tinygrad_lite.ops import clamp as clamp_ops
from tinygrad_lite.ops import (
    convolution as convolution_ops,
)
from tinygrad_lite.ops import softmax as softmax_ops


def _one(onnx_op: str) -> Callable[[Graph, Step], None]:
    """An op whose ONNX node takes the same inputs in the same order, with no attributes."""

    def emit(g: Graph, s: Step) -> None:
        g.bind(s.output, g.node(onnx_op, [g.value(t) for t in s.inputs]))

    return emit


def _inserted_ones(short: tuple[int, ...], long: tuple[int, ...]) -> list[int] | None:
    """The axes of ``long`` that are size-1 axes added to ``short``, or None if ``long`` is not
    ``short`` with 1s inserted."""
    if len(long) <= len(short):
        return None
    axes, i = [], 0
    for j, n in enumerate(long):
        if i < len(short) and short[i] == n:
            i += 1
        elif n == 1:
            axes.append(j)
        else:
            return None
    return axes if i == len(short) else None


def reshape(g: Graph, s: Step) -> None:
    r"""``Unsqueeze``/``Squeeze`` when only size-1 axes change, else ``Reshape`` copying the
    leading (batch) dimension when it is unchanged."""
    x = g.value(s.inputs[0])
    xs, ys = tuple(s.inputs[0].shape), tuple(s.output.shape)
    if (axes := _inserted_ones(xs, ys)) is not None:
        out = g.node("Unsqueeze", [x, g.ints(axes, "axes")])
    elif (axes := _inserted_ones(ys, xs)) is not None:
        out = g.node("Squeeze", [x, g.ints(axes, "axes")])
    elif xs and ys and xs[0] == ys[0]:
        out = g.node("Reshape", [x, g.ints([0, *ys[1:]], "shape")])
    else:
        out = g.node("Reshape", [x, g.ints(ys, "shape")])
    g.bind(s.output, out)


def permute(g: Graph, s: Step) -> None:
    """``Transpose``."""
    g.bind(s.output, g.node("Transpose", [g.value(s.inputs[0])], perm=list(s.constants["dims"])))


def linear(g: Graph, s: Step) -> None:
    """``Gemm`` (``transB=1``) for a 2-D input; else ``MatMul`` by the transposed weight, then
    ``Add`` of the bias."""
    args = [g.value(t) for t in s.inputs]
    if len(s.inputs[0].shape) == 2:
        g.bind(s.output, g.node("Gemm", args, transB=1))
        return
    out = g.node("MatMul", [args[0], g.node("Transpose", [args[1]], perm=[1, 0])])
    g.bind(s.output, g.node("Add", [out, args[2]]) if len(args) == 3 else out)


def expand(g: Graph, s: Step) -> None:
    """``Expand`` to the target shape, with 1 wherever the input keeps its own size."""
    xs, shape = tuple(s.inputs[0].shape), list(s.constants["shape"])
    lead = len(shape) - len(xs)
    for i, n in enumerate(xs):
        if n != 1:
            shape[lead + i] = 1  # ONNX Expand broadcasts both ways: 1 keeps the input's size
    g.bind(s.output, g.node("Expand", [g.value(s.inputs[0]), g.ints(shape, "shape")]))


def cat(g: Graph, s: Step) -> None:
    """``Concat``."""
    g.bind(s.output, g.node("Concat", [g.value(t) for t in s.inputs], axis=s.constants["dim"]))


def cast(g: Graph, s: Step) -> None:
    """``Cast`` (the export turns the numpy dtype into ONNX's code)."""
    g.bind(s.output, g.node("Cast", [g.value(s.inputs[0])], to=np.dtype(s.constants["dtype"])))


def pad(g: Graph, s: Step) -> None:
    """``Pad`` (constant mode): numpy's ``((before, after), ...)`` as ONNX's
    ``[before..., after...]``."""
    widths = s.constants["pad_width"]
    x = s.inputs[0]
    value = np.asarray(s.constants.get("value", 0.0), dtype=x.data.dtype)
    pads = g.ints([b for b, _ in widths] + [a for _, a in widths], "pads")
    g.bind(s.output, g.node("Pad", [g.value(x), pads, g.const(value, "pad_value")]))


def _dtype_scalar(g: Graph, s: Step, value: float) -> str:
    return g.const(np.asarray(value, dtype=s.output.data.dtype), "const")


def log1p(g: Graph, s: Step) -> None:
    r"""$\log(1 + x)$ as ``Log(Add(x, 1))`` (ONNX has no log1p)."""
    shifted = g.node("Add", [g.value(s.inputs[0]), _dtype_scalar(g, s, 1.0)])
    g.bind(s.output, g.node("Log", [shifted]))


def expm1(g: Graph, s: Step) -> None:
    r"""$e^x - 1$ as ``Sub(Exp(x), 1)``."""
    g.bind(s.output, g.node("Sub", [g.node("Exp", [g.value(s.inputs[0])]),
                                    _dtype_scalar(g, s, 1.0)]))  # fmt: skip


def clamp(g: Graph, s: Step) -> None:
    """``Clip`` with scalar bounds (an absent bound is an omitted input)."""
    bounds = [
        "" if s.constants.get(k) is None else _dtype_scalar(g, s, s.constants[k])
        for k in ("lo", "hi")
    ]
    g.bind(s.output, g.node("Clip", [g.value(s.inputs[0]), *bounds]))


def _softmax(onnx_op: str) -> Callable[[Graph, Step], None]:
    def emit(g: Graph, s: Step) -> None:
        g.bind(s.output, g.node(onnx_op, [g.value(s.inputs[0])], axis=s.constants["dim"]))

    return emit


def _reduce(onnx_op: str) -> Callable[[Graph, Step], None]:
    """A reduction over ``axes`` (None: all axes), axes as an input (opset 18)."""

    def emit(g: Graph, s: Step) -> None:
        axes = s.constants.get("axes")
        inputs = [g.value(s.inputs[0])]
        if axes is not None:
            inputs.append(g.ints([axes] if isinstance(axes, int) else list(axes), "axes"))
        keep = int(bool(s.constants.get("keepdim", False)))
        g.bind(s.output, g.node(onnx_op, inputs, keepdims=keep))

    return emit


def extremum(g: Graph, s: Step) -> None:
    """``ReduceMax``/``ReduceMin`` (the values; which element gets the gradient is backward's
    business)."""
    _reduce("ReduceMax" if s.constants.get("largest", True) else "ReduceMin")(g, s)


def _onnx_pads(op: str, pads: tuple[int, ...]) -> list[int]:
    """The geometry's ``(lo_1, hi_1, lo_2, hi_2, ...)`` as ONNX's ``[lo_1, lo_2, ..., hi_1, hi_2,
    ...]``; ONNX has no negative padding (a crop of the input)."""
    if min(pads, default=0) < 0:
        raise NotImplementedError(f"onnx export: {op} with a negative padding (a crop) {pads}")
    return list(pads[0::2]) + list(pads[1::2])


def convolution(g: Graph, s: Step) -> None:
    """``Conv`` (1-, 2- or 3-D)."""
    kernel, stride, pads, dilation = s.constants["geom"]
    out = g.node("Conv", [g.value(t) for t in s.inputs], kernel_shape=list(kernel),
                 strides=list(stride), pads=_onnx_pads("Conv", pads),
                 dilations=list(dilation), group=s.constants["groups"])  # fmt: skip
    g.bind(s.output, out)


def conv_transpose(g: Graph, s: Step) -> None:
    """``ConvTranspose``.  Our geometry is that of the convolution it is the adjoint of:
    padding ``lo`` before and ``hi = lo - output_padding`` after, per axis; ONNX wants PyTorch's
    ``pads = [lo..., lo...]`` and ``output_padding = lo - hi``."""
    kernel, stride, pads, dilation = s.constants["geom"]
    lo, hi = pads[0::2], pads[1::2]
    both = tuple(v for a in lo for v in (a, a))  # (lo_1, lo_1, lo_2, lo_2, ...)
    out = g.node("ConvTranspose", [g.value(t) for t in s.inputs], kernel_shape=list(kernel),
                 strides=list(stride), pads=_onnx_pads("ConvTranspose", both),
                 output_padding=[a - b for a, b in zip(lo, hi)], dilations=list(dilation),
                 group=s.constants["groups"])  # fmt: skip
    g.bind(s.output, out)


def leaky_relu(g: Graph, s: Step) -> None:
    """``LeakyRelu(alpha=negative_slope)``."""
    alpha = float(s.constants["negative_slope"])
    g.bind(s.output, g.node("LeakyRelu", [g.value(s.inputs[0])], alpha=alpha))


def shrink(g: Graph, s: Step) -> None:
    """``Shrink(lambd, bias)``: ``bias = lambd`` for softshrink, ``0`` for hardshrink."""
    lambd = float(s.constants["lambd"])
    bias = lambd if s.constants["soft"] else 0.0
    g.bind(s.output, g.node("Shrink", [g.value(s.inputs[0])], lambd=lambd, bias=bias))


def max_pool(g: Graph, s: Step) -> None:
    """``MaxPool``; ``ceil_mode``'s extra bottom/right cells are already in the padding."""
    (kh, kw), stride, (pt, pb, pl, pr), dilation = s.constants["geom"]
    out = g.node("MaxPool", [g.value(s.inputs[0])], kernel_shape=[kh, kw],
                 strides=list(stride), pads=[pt, pl, pb, pr],
                 dilations=list(dilation))  # fmt: skip
    g.bind(s.output, out)


def rebind(g: Graph, s: Step) -> None:
    """An in-place op: no node; the tensor's name now points at the new value."""
    g.bind(s.output, g.value(s.inputs[0]))


PRIMITIVES: dict[type, Callable[[Graph, Step], None]] = {
    trace.Rebind: rebind,
    elementwise.Add: _one("Add"),
    elementwise.Sub: _one("Sub"),
    elementwise.Mul: _one("Mul"),
    elementwise.Div: _one("Div"),
    elementwise.Pow: _one("Pow"),
    elementwise.Maximum: _one("Max"),
    elementwise.Minimum: _one("Min"),
    elementwise.Cast: cast,
    linalg.MatMul: _one("MatMul"),
    linalg.Linear: linear,
    unary.Neg: _one("Neg"),
    unary.Exp: _one("Exp"),
    unary.Log: _one("Log"),
    unary.Sqrt: _one("Sqrt"),
    unary.Abs: _one("Abs"),
    unary.Sign: _one("Sign"),
    unary.Sin: _one("Sin"),
    unary.Cos: _one("Cos"),
    unary.Tanh: _one("Tanh"),
    unary.Sigmoid: _one("Sigmoid"),
    unary.Relu: _one("Relu"),
    clamp_ops.Clamp: clamp,
    softmax_ops.Softmax: _softmax("Softmax"),
    softmax_ops.LogSoftmax: _softmax("LogSoftmax"),
    special.Erf: _one("Erf"),
    special.Log1p: log1p,
    special.Expm1: expm1,
    movement.Reshape: reshape,
    movement.Permute: permute,
    movement.Expand: expand,
    movement.Cat: cat,
    padding.Pad: pad,
    reduce.Sum: _reduce("ReduceSum"),
    reduce.Mean: _reduce("ReduceMean"),
    reduce.LogSumExp: _reduce("ReduceLogSumExp"),
    reduce.Extremum: extremum,
    product.Prod: _reduce("ReduceProd"),
    convolution_ops.Convolution: convolution,
    convolution_ops.ConvTranspose: conv_transpose,
    pool.MaxPool: max_pool,
    activation.LeakyRelu: leaky_relu,
    activation.Shrink: shrink,
}

# What a user wrote to reach a primitive that has no emitter, for the error message.
HINTS: dict[str, str] = {
    "Where": "tl.where and the activations built on it (F.elu, F.softplus); "
    "their modules nn.ELU, nn.Softplus do export",
    "Im2Col": "F.avg_pool2d and F.unfold; the module nn.AvgPool2d does export",
    "GetItem": "indexing and slicing (x[...])",
    "BatchNorm": "batch_norm with batch statistics (training mode, or no running statistics)",
    "Var": "var", "Std": "std",
    "WriteThroughView": "an in-place op (add_, relu_, x[i] = v, ...) on a view of another "
    "tensor, which changes that tensor too",
    "IndexPut": "x[i] = v", "Assign": "copy_ and fill_",
}  # fmt: skip


def emitter(op: type) -> Callable[[Graph, Step], None] | None:
    """The emitter of primitive ``op``, or None."""
    return PRIMITIVES.get(op)


def describe(op: type) -> str:
    """``'Where (tl.where and ...)'``: the primitive's name and what calls it."""
    name = op.__name__
    hint = HINTS.get(name)
    return f"{name} ({hint})" if hint else name

