r"""A step-through backward: record what the engine does, node by node, in the order it runs.

Inside ``with trace_backward() as tr:`` every backward (``.backward()``, ``autograd.grad``)
appends a *pass* to ``tr``, and every node that runs appends a *step* to that pass:

* the node (``MulBackward``...), and its number in the pass (``[1]`` is the root's node);
* the adjoint it received, $\bar y = \partial L / \partial y$ for its output $y$ (the sum of
  everything its consumers sent, after hooks);
* the adjoints it sent to each input $x_i$: $\bar x_i = \bar y \, \partial y / \partial x_i$
  (``None`` where an input needs no gradient);
* what it had saved for backward (``input 0``, ``output``, masks, constants), as it was then.

``print(tr)`` shows the steps as a table; ``viz.draw_step(tr, k)`` draws the graph after step
``k`` with the nodes done so far highlighted and their gradients filled in (``viz.draw_steps``:
one frame per step).  Ops recorded while the trace is open also keep a copy of their output
value, so pictures can show every intermediate, as micrograd's ``draw_dot`` does.

With ``create_graph=True`` the first backward records the nodes of the gradient computation
too, and a second backward through them (``x.grad.backward()``, ``autograd.grad(g, x)``) is
a second pass: second-order steps are visible as such.

The engine calls :meth:`BackwardTrace.begin_pass` once per backward and
:meth:`BackwardTrace.step` once per node, only while a trace is open (``STATE.observer``); with
no trace open, backward pays one ``is not None`` test per node.  Everything here copies: a trace
holds arrays as they were when recorded, and references to the nodes it saw.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np

from tinygrad_lite.autograd.function import Function, raw
from tinygrad_lite.autograd.grad_mode import STATE

__all__ = ["trace_backward", "BackwardTrace", "BackwardPass", "BackwardStep"]

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_FUNCTIONAL_DIR = os.path.join(_PACKAGE_DIR, "nn", "functional") + os.sep


def functional_caller(depth: int = 2) -> Any:
    """The frame of the outermost public ``nn.functional`` function on the stack above the
    caller, before the stack leaves the package: ``F.cross_entropy``'s frame for an op that
    ``log_softmax`` records inside ``F.cross_entropy(...)``.  None when there is none."""
    frame = sys._getframe(depth)
    found = None
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_PACKAGE_DIR):
            break
        if filename.startswith(_FUNCTIONAL_DIR) and not frame.f_code.co_name.startswith("_"):
            found = frame
        frame = frame.f_back
    return found


def _copy(x: Any) -> np.ndarray | None:
    """A numpy copy of an array, numpy scalar or Tensor (None stays None)."""
    return None if x is None else np.array(raw(x))


def _num(v: float) -> str:
    return f"{v + 0.0:#.4g}" if np.isfinite(v) else str(v)


def brief(a: np.ndarray | None, width: int = 4) -> str:
    """An array in a table cell: every number when at most ``width`` of them, else a summary.

    >>> brief(np.array([1.0, -2.0]))
    '[1.000, -2.000]'
    >>> brief(np.arange(6.0).reshape(2, 3))
    '(2, 3) mean 2.500 |max| 5.000'
    """
    if a is None:
        return "-"
    a = np.asarray(a)
    if a.ndim == 0:
        return str(a.item()) if a.dtype.kind in "biu" else _num(float(a))
    shape = "(" + ", ".join(str(n) for n in a.shape) + ("," if a.ndim == 1 else "") + ")"
    if a.size <= width:
        fmt = (lambda v: str(v)) if a.dtype.kind in "biu" else (lambda v: _num(float(v)))
        return "[" + ", ".join(fmt(v) for v in a.ravel()) + "]"
    if a.size == 0 or a.dtype.kind == "b":
        return f"{shape} {a.dtype}"
    f = a.astype(np.float64)
    return f"{shape} mean {_num(float(f.mean()))} |max| {_num(float(np.abs(f).max()))}"


class BackwardStep:
    """One node's work in one backward pass (see the module docstring).

    ``index`` counts from 1 within the pass; ``sent[i]`` is ``(parent, adjoint)`` for input
    ``i``, where ``parent`` is the producing ``Function``, the leaf ``Tensor`` or ``None``;
    ``saved`` is a tuple of ``(role, value)`` with role ``'input i'``, ``'output'``,
    ``'array'`` (a mask, an index) or ``'const'``.
    """

    __slots__ = ("index", "node", "received", "sent", "saved")

    def __init__(
        self,
        index: int,
        node: Function,
        received: np.ndarray,
        sent: tuple[tuple[Any, np.ndarray | None], ...],
        saved: tuple[tuple[str, Any], ...],
    ) -> None:
        self.index = index
        self.node = node
        self.received = received
        self.sent = sent
        self.saved = saved

    @property
    def name(self) -> str:
        """The node's name, ``MulBackward``."""
        return self.node.name

    def __repr__(self) -> str:
        return f"<BackwardStep [{self.index}] {self.name} received {brief(self.received)}>"


class BackwardPass:
    """The steps of one backward call, in the order the engine ran them."""

    def __init__(self, number: int, create_graph: bool) -> None:
        self.number = number
        self.create_graph = create_graph
        self.steps: list[BackwardStep] = []

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self) -> Iterator[BackwardStep]:
        return iter(self.steps)

    def __getitem__(self, i: int) -> BackwardStep:
        return self.steps[i]

    def index_of(self, node: Function) -> int | None:
        """The step number (from 1) at which ``node`` ran in this pass, or None."""
        for s in self.steps:
            if s.node is node:
                return s.index
        return None

    def state_after(self, k: int) -> tuple[dict[Function, np.ndarray], dict[int, np.ndarray]]:
        """What backward knows after its first ``k`` steps: ``({node: adjoint received})`` for
        the nodes done and ``{id(leaf): gradient summed so far}`` for the leaves reached."""
        if not 0 <= k <= len(self.steps):
            raise IndexError(f"state_after: step {k} out of range 0..{len(self.steps)}")
        done: dict[Function, np.ndarray] = {}
        leaves: dict[int, np.ndarray] = {}
        for s in self.steps[:k]:
            done[s.node] = s.received
            for p, g in s.sent:
                if g is None or p is None or isinstance(p, Function):
                    continue
                leaves[id(p)] = g if id(p) not in leaves else leaves[id(p)] + g
        return done, leaves


class BackwardTrace:
    """The record of every backward run inside :class:`trace_backward` (see module docstring).

    ``passes`` holds one :class:`BackwardPass` per backward call; iterating a trace (or
    ``trace[i]``, ``len(trace)``) goes over the steps of all passes in order.  ``values`` maps
    each op recorded while the trace was open to a copy of its output.
    """

    def __init__(self, params: Any = None) -> None:
        self.passes: list[BackwardPass] = []
        self.values: dict[Function, np.ndarray] = {}
        self.built_by: dict[Function, int] = {}  # node -> the pass whose create_graph made it
        self._unassigned: list[Function] = []  # nodes recorded since the last step
        self.scope: dict[Function, str] = {}  # node -> the submodule whose forward recorded it
        self._scopes: list[str] = []  # submodules whose forward is running, innermost last
        self._call: tuple[Any, str] | None = None  # (frame, scope) of the last functional call
        self._calls = 0
        self.leaf_names: dict[int, str] = _leaf_names(params)
        self.module = params if hasattr(params, "named_modules") else None

    # ----- called by the engine and by Function.apply -----------------------------------
    def forward(self, node: Function, out: np.ndarray) -> None:
        """Keep a copy of the output of ``node``, an op recorded while the trace is open."""
        self.values[node] = np.array(out)
        self._unassigned.append(node)
        if self._scopes:
            self.scope[node] = self._scopes[-1]
        else:  # outside any module: group a functional call's ops (F.cross_entropy)
            frame = functional_caller(2)
            if frame is not None:
                if self._call is None or self._call[0] is not frame:  # a new call
                    self._calls += 1
                    self._call = (frame, f"F.{frame.f_code.co_name}#{self._calls}")
                self.scope[node] = self._call[1]  # '#k' tells two calls apart; not drawn

    def begin_pass(self, create_graph: bool) -> None:
        """A backward call starts: open a new pass."""
        self.passes.append(BackwardPass(len(self.passes) + 1, create_graph))
        self._unassigned = []  # recorded by the forward pass, not by a backward

    def step(self, node: Function, grad: Any, in_grads: tuple[Any, ...], saved: Any) -> None:
        """``node`` received ``grad`` and sent ``in_grads`` to its parents; it had ``saved``."""
        current = self.passes[-1]
        for made in self._unassigned:  # recorded while this node's backward ran
            self.built_by[made] = current.number
        self._unassigned = []
        sent = tuple((p, _copy(g) if p is not None else None)
                     for p, g in zip(node.parents, in_grads))
        current.steps.append(
            BackwardStep(len(current.steps) + 1, node, _copy(grad), sent, _saved(node, saved))
        )

    # ----- reading ------------------------------------------------------------------------
    @property
    def steps(self) -> list[BackwardStep]:
        """The steps of every pass, in order."""
        return [s for p in self.passes for s in p.steps]

    def __len__(self) -> int:
        return sum(len(p) for p in self.passes)

    def __iter__(self) -> Iterator[BackwardStep]:
        return iter(self.steps)

    def __getitem__(self, i: int) -> BackwardStep:
        return self.steps[i]

    def parent_label(self, bwd: BackwardPass, p: Any) -> str:
        """How a table names an input: ``[3] AddBackward`` for a node, ``w`` for a named leaf."""
        if isinstance(p, Function):
            k = bwd.index_of(p)
            return f"[{k}] {p.name}" if k is not None else p.name
        name = self.leaf_names.get(id(p))
        if name is not None:
            return name
        shape = ", ".join(str(n) for n in p.shape) + ("," if len(p.shape) == 1 else "")
        return f"leaf ({shape})"

    def table(self) -> str:
        """The steps as a text table, one block per pass (what ``print(trace)`` shows)."""
        if not self.passes:
            return "BackwardTrace: no backward ran inside trace_backward()"
        blocks = []
        for bwd in self.passes:
            head = f"pass {bwd.number}: {len(bwd)} steps" + (
                " (create_graph=True: the gradient is recorded as a graph)"
                if bwd.create_graph else ""
            )
            rows = [("step", "node", "received", "sent", "saved")]
            built = sorted({self.built_by[s.node] for s in bwd.steps if s.node in self.built_by})
            if built:
                head += "\n  * a node built by pass " + ", ".join(map(str, built)) + (
                    " (the gradient graph): this pass differentiates the gradient"
                )
            for s in bwd.steps:
                sent = [f"{self.parent_label(bwd, p)} <- {brief(g)}"
                        for p, g in s.sent if p is not None and g is not None] or ["-"]
                saved = [f"{role} {brief(v) if role != 'const' else v}" for role, v in s.saved]
                saved = saved or ["-"]
                for j in range(max(len(sent), len(saved))):
                    first = j == 0
                    rows.append((
                        f"[{s.index}]" if first else "",
                        s.name + (" *" if s.node in self.built_by else "") if first else "",
                        brief(s.received) if first else "",
                        sent[j] if j < len(sent) else "",
                        saved[j] if j < len(saved) else "",
                    ))
            widths = [max(len(r[c]) for r in rows) for c in range(5)]
            lines = [head]
            for i, r in enumerate(rows):
                lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
                if i == 0:
                    lines.append("  ".join("-" * w for w in widths))
            blocks.append("\n".join(lines))
        return "\n\n".join(blocks)

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        return f"<BackwardTrace: {len(self.passes)} passes, {len(self)} steps>"


def _saved(node: Function, saved: Any) -> tuple[tuple[str, Any], ...]:
    """``(role, copy)`` for each value ``node`` saved: which input or output it is, if any."""
    out = []
    for s in saved:
        if isinstance(s, np.ndarray):
            src = node.saved_source(s)
            role = "array" if src is None else "output" if src == -1 else f"input {src}"
            out.append((role, np.array(s)))
        else:
            text = repr(s)
            out.append(("const", text if len(text) <= 30 else text[:27] + "..."))
    return tuple(out)


def _leaf_names(params: Any) -> dict[int, str]:
    """``{id(tensor): name}`` from a dict of tensors, a Module or ``(name, tensor)`` pairs."""
    if params is None:
        return {}
    if hasattr(params, "named_parameters"):
        items = list(params.named_parameters())
    elif isinstance(params, dict):
        items = list(params.items())
    else:
        items = list(params)
    return {id(t): str(name) for name, t in items}


class trace_backward:  # noqa: N801 (a context manager, like detect_anomaly)
    """Record every backward run inside the block: ``with trace_backward() as tr: ...``.

    ``params`` names leaf tensors in the table (a dict, a Module or ``(name, tensor)`` pairs).
    Open the trace before the forward pass to also keep every op's output value for pictures;
    with a Module, every op also records which submodule's forward made it (``trace.scope``,
    through forward hooks removed on exit), so pictures box each module's ops exactly; ops of a
    functional call outside any module (``F.cross_entropy(logits, y)``: log_softmax, pick,
    mean) are grouped under the call's name, ``F.cross_entropy``.

    >>> import tinygrad_lite as tl
    >>> x = tl.tensor([1.0, 2.0], requires_grad=True)
    >>> with tl.autograd.trace_backward(dict(x=x)) as tr:
    ...     loss = (x * x).sum()
    ...     loss.backward()
    >>> print(tr)
    pass 1: 2 steps
    step  node         received        sent                               saved
    ----  -----------  --------------  ---------------------------------  ----------------------
    [1]   SumBackward  1.000           [2] MulBackward <- [1.000, 1.000]  const (2,)
                                                                          const None
    [2]   MulBackward  [1.000, 1.000]  x <- [1.000, 2.000]                input 0 [1.000, 2.000]
                                       x <- [1.000, 2.000]                input 0 [1.000, 2.000]

    ``x * x`` sends to ``x`` twice: the engine adds both, ``x.grad`` is ``[2, 4]``.
    """

    def __init__(self, params: Any = None) -> None:
        self.trace = BackwardTrace(params)
        self._modules = [] if not hasattr(params, "named_modules") else [
            (name, m) for name, m in params.named_modules() if name
        ]
        self._handles: list[Any] = []

    def __enter__(self) -> BackwardTrace:
        self._prev = STATE.observer
        STATE.observer = self.trace
        scopes = self.trace._scopes
        for name, m in self._modules:
            self._handles.append(m.register_forward_pre_hook(
                lambda mod, args, name=name: scopes.append(name)))
            self._handles.append(m.register_forward_hook(
                lambda mod, args, out: scopes.pop() and None))  # None: keep the output
        return self.trace

    def __exit__(self, *exc: object) -> None:
        STATE.observer = self._prev
        for h in self._handles:
            h.remove()
        self._handles = []
        self.trace._scopes.clear()
        self.trace._call = None  # no frame kept alive after the block
