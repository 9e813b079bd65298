"""Backward as a sequence of frames: the graph after each step of a recorded backward pass.

``with tl.autograd.trace_backward(params) as tr:`` around forward and backward, then
``viz.draw_steps(tr)`` gives one ``graphviz.Digraph`` per step: the nodes done so far are
filled green with the gradient they received, the node of this step has a red border, and the
leaves show what backward has sent them so far.  ``viz.step_to_dot`` gives the DOT text of one
frame (no graphviz needed).  Node numbers ``[k]`` are the step numbers of ``print(tr)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_lite.autograd.function import Function
from tinygrad_lite.autograd.trace import BackwardPass, BackwardTrace
from tinygrad_lite.tensor import Tensor
from tinygrad_lite.viz.dot import MAX_NODES, build_lines
from tinygrad_lite.viz.graph import as_digraph
from tinygrad_lite.viz.labels import escape

__all__ = ["step_to_dot", "draw_step", "draw_steps"]


def _pass(trace: Any, pass_number: int, op: str) -> BackwardPass:
    if not isinstance(trace, BackwardTrace):
        raise TypeError(
            f"{op}: trace must be a BackwardTrace (with tl.autograd.trace_backward() as tr: ...), "
            f"got {type(trace).__name__}"
        )
    if not trace.passes:
        raise ValueError(f"{op}: the trace recorded no backward pass")
    if not 1 <= pass_number <= len(trace.passes):
        raise IndexError(
            f"{op}: pass_number {pass_number} out of range 1..{len(trace.passes)}"
        )
    return trace.passes[pass_number - 1]


def _root_and_names(trace: BackwardTrace, bwd: BackwardPass, params: Any) -> tuple[Tensor, Any]:
    """A stand-in tensor for the pass's root node (its recorded value, NaN if the forward ran
    outside the trace) and names for the leaves the pass reached."""
    node = bwd.steps[0].node
    value = trace.values.get(node)
    if value is None:
        value = np.full(node.out_shape, np.nan, dtype=node.out_dtype)
    root = Tensor._make(value, node)
    if params is None:
        params = trace.module
    if params is None:
        leaves: dict[int, tuple[str, Tensor]] = {}
        for s in bwd.steps:
            for p, _ in s.sent:
                if isinstance(p, Tensor) and id(p) in trace.leaf_names:
                    leaves[id(p)] = (trace.leaf_names[id(p)], p)
        params = list(leaves.values())
    return root, params


def step_to_dot(
    trace: BackwardTrace,
    step: int,
    pass_number: int = 1,
    params: Any = None,
    rankdir: str = "TB",
    max_nodes: int | None = MAX_NODES,
) -> str:
    """DOT text of the graph after step ``step`` (0: before backward) of pass ``pass_number``.

    ``params`` names tensors as in :func:`~tinygrad_lite.viz.to_dot`; by default the names
    given to ``trace_backward``.
    """
    bwd = _pass(trace, pass_number, "step_to_dot")
    return "digraph {\n" + "".join(_lines(trace, bwd, step, params, rankdir, max_nodes)) + "}\n"


def _lines(
    trace: BackwardTrace, bwd: BackwardPass, step: int, params: Any, rankdir: str,
    max_nodes: int | None,
) -> list[str]:
    if not 0 <= step <= len(bwd):
        raise IndexError(f"draw_step: step {step} out of range 0..{len(bwd)}")
    root, params = _root_and_names(trace, bwd, params)
    lines = build_lines(
        root, params, show_values=True, show_grads=True, backward_order=True, rankdir=rankdir,
        max_nodes=max_nodes, op="draw_step", trace=trace, frame=(bwd, step),
    )
    if step == 0:
        title = f"pass {bwd.number}: before backward"
    else:
        node: Function = bwd.steps[step - 1].node
        title = f"pass {bwd.number}, step {step} of {len(bwd)}: {node.name}"
    return [f"\tlabel=<{escape(title)}> labelloc=t\n", *lines]


def draw_step(
    trace: BackwardTrace,
    step: int,
    pass_number: int = 1,
    params: Any = None,
    rankdir: str = "TB",
    max_nodes: int | None = MAX_NODES,
    format: str = "svg",  # noqa: A002 (graphviz's name)
) -> Any:
    """The frame of :func:`step_to_dot` as a ``graphviz.Digraph`` (inline in Jupyter)."""
    bwd = _pass(trace, pass_number, "draw_step")
    return as_digraph(_lines(trace, bwd, step, params, rankdir, max_nodes), format)


def draw_steps(
    trace: BackwardTrace,
    pass_number: int = 1,
    params: Any = None,
    rankdir: str = "TB",
    max_nodes: int | None = MAX_NODES,
    format: str = "svg",  # noqa: A002
) -> list[Any]:
    """One ``graphviz.Digraph`` per step of pass ``pass_number``: backward as frames.

    ``for k, g in enumerate(frames, 1): g.render(f"step{k}", format="png")`` writes them.
    """
    bwd = _pass(trace, pass_number, "draw_steps")
    return [
        as_digraph(_lines(trace, bwd, k, params, rankdir, max_nodes), format)
        for k in range(1, len(bwd) + 1)
    ]
