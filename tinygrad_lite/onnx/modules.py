"""ONNX nodes for whole layers: the standard node a layer is known by (``Gemm``,
``BatchNormalization``, ``Flatten``, ``AveragePool``, ...), so the exported graph reads like the
model, and layers whose forward uses a primitive with no ONNX counterpart (``AvgPool2d`` goes
through im2col, ``ELU`` through ``where``) still export.

Each emitter returns True when it wrote the layer, False to fall back to the primitives the
layer's forward ran (for example ``Linear`` on a 3-D input becomes ``Transpose`` + ``MatMul`` +
``Add``).  Parameters and buffers appear under their ``state_dict`` names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_lite import nn
from tinygrad_lite.onnx.graph import Graph, UnsupportedOperatorError
from tinygrad_lite.onnx.trace import Step


def _pair(value: Any) -> tuple[int, int]:
    return (int(value), int(value)) if isinstance(value, (int, np.integer)) else tuple(value)


def linear(g: Graph, s: Step) -> bool:
    """``Gemm(x, W, b, transB=1)`` for a 2-D input."""
    m, (x,) = s.op, s.inputs
    if x.ndim != 2:
        return False
    inputs = [g.value(x), g.value(m.weight)] + ([g.value(m.bias)] if m.bias is not None else [])
    g.bind(s.output, g.node("Gemm", inputs, transB=1))
    return True


def batch_norm(g: Graph, s: Step) -> bool:
    """``BatchNormalization`` with the running statistics (eval mode)."""
    m, (x,) = s.op, s.inputs
    if m.running_mean is None or x.ndim < 2:
        return False
    c, dt = m.num_features, x.data.dtype
    scale = g.value(m.weight) if m.weight is not None else g.const(np.ones(c, dt), "ones")
    shift = g.value(m.bias) if m.bias is not None else g.const(np.zeros(c, dt), "zeros")
    out = g.node("BatchNormalization", [g.value(x), scale, shift, g.value(m.running_mean),
                                        g.value(m.running_var)], epsilon=float(m.eps))  # fmt: skip
    g.bind(s.output, out)
    return True


def layer_norm(g: Graph, s: Step) -> bool:
    """``LayerNormalization`` over the last ``len(normalized_shape)`` axes (opset 17)."""
    m, (x,) = s.op, s.inputs
    shape, dt = m.normalized_shape, x.data.dtype
    scale = g.value(m.weight) if m.weight is not None else g.const(np.ones(shape, dt), "ones")
    inputs = [g.value(x), scale] + ([g.value(m.bias)] if m.bias is not None else [])
    out = g.node("LayerNormalization", inputs, axis=-len(shape), epsilon=float(m.eps))
    g.bind(s.output, out)
    return True


def flatten(g: Graph, s: Step) -> bool:
    """``Flatten(axis=1)`` for the default ``nn.Flatten()`` (all but the batch dimension)."""
    m, (x,) = s.op, s.inputs
    if x.ndim < 2 or m.start_dim != 1 or m.end_dim not in (-1, x.ndim - 1):
        return False
    g.bind(s.output, g.node("Flatten", [g.value(x)], axis=1))
    return True


def avg_pool(g: Graph, s: Step) -> bool:
    """``AveragePool`` (4-D input, ``ceil_mode=False``, no ``divisor_override``)."""
    m, (x,) = s.op, s.inputs
    if x.ndim != 4 or m.ceil_mode or m.divisor_override is not None:
        return False
    (ph, pw) = _pair(m.padding)
    out = g.node("AveragePool", [g.value(x)], kernel_shape=list(_pair(m.kernel_size)),
                 strides=list(_pair(m.stride)), pads=[ph, pw, ph, pw],
                 count_include_pad=int(m.count_include_pad))  # fmt: skip
    g.bind(s.output, out)
    return True


def adaptive_avg_pool(g: Graph, s: Step) -> bool:
    """``GlobalAveragePool`` for output 1x1, ``AveragePool`` when the windows tile the input
    evenly (the output size divides the input size); other sizes do not export."""
    (x,) = s.inputs
    if x.ndim != 4:
        return False
    (h, w), (oh, ow) = x.shape[2:], s.output.shape[2:]
    if (oh, ow) == (1, 1):
        g.bind(s.output, g.node("GlobalAveragePool", [g.value(x)]))
        return True
    if h % oh or w % ow:
        return False
    kernel = [h // oh, w // ow]
    g.bind(s.output, g.node("AveragePool", [g.value(x)], kernel_shape=kernel, strides=kernel))
    return True


def leaky_relu(g: Graph, s: Step) -> bool:
    """``LeakyRelu(alpha=negative_slope)``."""
    g.bind(s.output, g.node("LeakyRelu", [g.value(s.inputs[0])],
                            alpha=float(s.op.negative_slope)))  # fmt: skip
    return True


def elu(g: Graph, s: Step) -> bool:
    """``Elu(alpha)``."""
    g.bind(s.output, g.node("Elu", [g.value(s.inputs[0])], alpha=float(s.op.alpha)))
    return True


def softplus(g: Graph, s: Step) -> bool:
    r"""``Softplus(beta x) / beta``.  (PyTorch's switch to $x$ above ``threshold`` changes the
    value by less than float32 rounding at the default threshold 20.)"""
    m, (x,) = s.op, s.inputs
    if m.beta == 1:
        g.bind(s.output, g.node("Softplus", [g.value(x)]))
        return True
    beta = g.const(np.asarray(m.beta, dtype=x.data.dtype), "beta")
    smooth = g.node("Softplus", [g.node("Mul", [g.value(x), beta])])
    g.bind(s.output, g.node("Div", [smooth, beta]))
    return True


def max_pool(g: Graph, s: Step) -> bool:
    """The ``MaxPool`` primitive inside exports; the indices of ``return_indices=True`` do not."""
    if s.op.return_indices:
        raise UnsupportedOperatorError(
            f"onnx.export: MaxPool2d(return_indices=True) at {s.where!r}: the indices have no "
            "ONNX export here"
        )
    return False


MODULES: dict[type, Callable[[Graph, Step], bool]] = {
    nn.Linear: linear,
    nn.BatchNorm1d: batch_norm,
    nn.BatchNorm2d: batch_norm,
    nn.LayerNorm: layer_norm,
    nn.Flatten: flatten,
    nn.AvgPool2d: avg_pool,
    nn.AdaptiveAvgPool2d: adaptive_avg_pool,
    nn.LeakyReLU: leaky_relu,
    nn.ELU: elu,
    nn.Softplus: softplus,
    nn.MaxPool2d: max_pool,
}


def emitter(module: Any) -> Callable[[Graph, Step], bool] | None:
    """The layer emitter of ``module``'s exact type (a subclass may change ``forward``)."""
    return MODULES.get(type(module))
