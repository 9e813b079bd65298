"""ONNX export: ``tl.onnx.export(model, example_input, "model.onnx")``.

The exporter runs the model once on ``example_input`` (in eval mode, without grad) and records
what ran -- the same primitives the autograd graph is made of, each with its constants (see
:mod:`tinygrad_lite.onnx.trace`) -- then writes each layer as its standard ONNX node (``Conv``,
``Gemm``, ``BatchNormalization``, ``MaxPool``, ``Flatten``, ...) and any other op as the ONNX op
of its primitive.  Tracing the run rather than walking the module tree means a custom
``forward`` with functional ops and Tensor methods (reshape, permute, softmax, sums, ...)
exports too; Python control flow is fixed at what the example took, as in
``torch.onnx.export``'s tracer.

The file is standard ONNX (opset :data:`OPSET`), named inputs and outputs, parameters and
buffers as initializers under their ``state_dict`` names, a free batch dimension.  Needs the
``onnx`` package (``pip install 'tinygrad_lite[onnx]'``), imported only when exporting.

>>> import tinygrad_lite as tl                                   # doctest: +SKIP
>>> model = tl.nn.Sequential(tl.nn.Linear(4, 3), tl.nn.ReLU())   # doctest: +SKIP
>>> tl.onnx.export(model, tl.randn(2, 4), "model.onnx")         # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tinygrad_lite.onnx import modules, ops
from tinygrad_lite.onnx.graph import Graph, UnsupportedOperatorError
from tinygrad_lite.onnx.trace import Step, trace
from tinygrad_lite.tensor import Tensor

__all__ = ["export", "OPSET", "UnsupportedOperatorError"]

OPSET = 18  # Reduce* take their axes as an input from 18 on, like ReduceSum since 13
IR_VERSION = 8  # the IR of onnx 1.13, which brought opset 18: onnxruntime >= 1.14 loads it


def _as_tuple(value: Any, what: str) -> tuple[Tensor, ...]:
    items = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    for t in items:
        if not isinstance(t, Tensor):
            raise TypeError(f"onnx.export: {what} must be Tensors, got {type(t).__name__}")
    return items


def _names(given: Sequence[str] | None, n: int, stem: str) -> list[str]:
    if given is None:
        return [stem] if n == 1 else [f"{stem}_{i}" for i in range(n)]
    if len(given) != n or len(set(given)) != n:
        raise ValueError(f"onnx.export: expected {n} distinct {stem} names, got {list(given)}")
    return list(given)


def _emit(g: Graph, steps: list[Step]) -> None:
    """Append the nodes of ``steps``: a layer as its own node where it has one, else the
    primitives it ran."""
    for s in steps:
        if isinstance(s.op, type):
            emit = ops.emitter(s.op)
            if emit is None:
                where = f" (in module {s.where!r})" if s.where else ""
                raise UnsupportedOperatorError(
                    f"onnx.export: cannot export the op {ops.describe(s.op)}{where}: it has no "
                    "ONNX counterpart here"
                )
            emit(g, s)
        else:
            emit_module = modules.emitter(s.op)
            if emit_module is None or not emit_module(g, s):
                _emit(g, s.inner)


def _rename(g: Graph, old: str, new: str) -> None:
    """Give the node output ``old`` the graph-output name ``new`` (an input or initializer is
    passed through an ``Identity`` instead)."""
    if old in g.initializers or not any(old in outs for _, _, outs, _ in g.nodes):
        g.nodes.append(("Identity", [old], [new], {}))
        return
    for i, (op, ins, outs, attrs) in enumerate(g.nodes):
        g.nodes[i] = (op, [new if v == old else v for v in ins],
                      [new if v == old else v for v in outs], attrs)  # fmt: skip


def _check_outputs_depend_on_inputs(g: Graph, inputs: list[str], outputs: list[str]) -> None:
    """An output no input reaches was computed outside the recorded ops (``argmax``, a
    ``.numpy()`` round trip) and would be a constant: refuse it."""
    reached = set(inputs)
    for _, ins, outs, _ in g.nodes:  # nodes are in execution order
        if reached.intersection(ins):
            reached.update(outs)
    if constant := [name for name in outputs if name not in reached]:
        raise UnsupportedOperatorError(
            f"onnx.export: output(s) {constant} do not depend on the input in the recorded "
            "ops: they were computed outside them (argmax, comparisons, .numpy()/.data) and "
            "would be frozen as constants"
        )


def build_graph(
    model: Any, inputs: tuple[Tensor, ...], input_names: list[str], output_names: list[str] | None
) -> tuple[Graph, tuple[Tensor, ...], list[str]]:
    """Trace ``model`` on ``inputs`` and build the graph (no ``onnx`` needed); returns it, the
    example outputs and the output names."""
    state = {**dict(model.named_buffers()), **dict(model.named_parameters())}
    names = {id(t): name for name, t in state.items() if t is not None}
    names.update({id(t): name for t, name in zip(inputs, input_names)})
    order = [k for k in model.state_dict() if k in state] + [k for k in state]  # state_dict's
    initializers = {k: np.asarray(state[k].data) for k in order if state[k] is not None}
    steps, output = trace(model, inputs)
    outputs = _as_tuple(output, "the model's outputs")
    out_names = _names(output_names, len(outputs), "output")
    batch = inputs[0].shape[0] if inputs[0].ndim else 0
    g = Graph(names, initializers, batch)
    g.alive += [*inputs, *outputs, steps]  # ids stay unique while the graph is built
    _emit(g, steps)
    for t, name in zip(outputs, out_names):
        _rename(g, g.value(t), name)
    _check_outputs_depend_on_inputs(g, input_names, out_names)
    used = {v for _, ins, _, _ in g.nodes for v in ins}
    g.initializers = {k: v for k, v in g.initializers.items() if k in used}
    return g, outputs, out_names


def export(
    model: Any,
    args: Any,
    f: str | os.PathLike[str] | Any,
    input_names: Sequence[str] | None = None,
    output_names: Sequence[str] | None = None,
    dynamic_batch: bool = True,
) -> Any:
    """Write ``model`` as an ONNX file (opset :data:`OPSET`); returns the ``onnx.ModelProto``.

    ``args``: an example input Tensor (or a tuple of them) that ``model(*args)`` accepts; use a
    batch of at least 2 so the batch dimension can be told from size-1 axes.  ``f``: a path
    (written to a temporary file, then renamed) or a binary file object.  Inputs are named
    ``input_names`` (default ``input``, or ``input_0, input_1, ...``), outputs ``output_names``
    (default ``output`` ...).  With ``dynamic_batch`` the first dimension of every input, and
    of each output whose first dimension is the batch, is the symbol ``batch``.

    The model runs in eval mode (Dropout is the identity, BatchNorm uses its running
    statistics), as ``torch.onnx.export`` does by default; its modes are restored afterwards.
    An op with no ONNX form raises :class:`UnsupportedOperatorError` naming it.
    """
    try:
        import onnx
        from onnx import helper
    except ImportError as e:
        raise ImportError(
            "onnx.export needs the onnx package: pip install 'tinygrad_lite[onnx]' "
            "(or pip install onnx)"
        ) from e
    from tinygrad_lite import __version__

    inputs = _as_tuple(args, "example inputs")
    in_names = _names(input_names, len(inputs), "input")
    g, outputs, out_names = build_graph(model, inputs, in_names, output_names)
    batch = inputs[0].shape[0] if inputs[0].ndim else None

    def value_info(name: str, t: Tensor, free: bool) -> Any:
        dims: list[Any] = list(t.shape)
        if dynamic_batch and free and dims:
            dims[0] = "batch"
        return helper.make_tensor_value_info(
            name, helper.np_dtype_to_tensor_dtype(t.data.dtype), dims
        )

    def attribute(value: Any) -> Any:
        if isinstance(value, np.dtype):  # Cast's target type
            return helper.np_dtype_to_tensor_dtype(value)
        return value.item() if isinstance(value, np.generic) else value

    nodes = [
        helper.make_node(op, ins, outs, name=outs[0], **{k: attribute(v) for k, v in attrs.items()})
        for op, ins, outs, attrs in g.nodes
    ]
    graph = helper.make_graph(
        nodes,
        type(model).__name__,
        [value_info(n, t, True) for n, t in zip(in_names, inputs)],
        [value_info(n, t, bool(t.ndim) and t.shape[0] == batch)
         for n, t in zip(out_names, outputs)],  # fmt: skip
        [onnx.numpy_helper.from_array(np.ascontiguousarray(a), name)
         for name, a in g.initializers.items()],  # fmt: skip
    )
    proto = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="tinygrad_lite", producer_version=__version__,
        ir_version=IR_VERSION,
    )
    onnx.checker.check_model(proto, full_check=True)
    data = proto.SerializeToString()
    if hasattr(f, "write"):
        f.write(data)
    else:
        path = Path(f)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    return proto
