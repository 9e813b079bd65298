r"""DOT text of the graph that backward walks (no dependency: plain strings).

The nodes are exactly those of :func:`tinygrad_lite.autograd.engine.topological_order`, the
order backward itself runs in reverse (see ``../shared/DESIGN.md``, decision 7: one traversal),
so the picture shows what runs.  There is no second graph walker here.

What is drawn:

* one **op node** per ``Function`` (``MulBackward``, ``TanhBackward``: ``Function.name``);
* one **tensor node** per leaf tensor that requires grad (a ``Function``'s parent that is a
  Tensor), per root tensor, and per intermediate tensor that is named in ``params`` or kept with
  ``retain_grad()`` (the engine's ``Function.retained``); each shows shape and dtype;
* one **edge** per (parent, op) pair, in the data-flow direction (input -> op -> output).
  An input used twice (``x * x``) gives two edges: backward adds two contributions.  An edge
  between two op nodes stands for an intermediate tensor that is not drawn; it is labelled with
  that tensor's shape and dtype (the node records them, never the tensor itself).

Node ids (``f0``, ``t0``...) come from positions in the traversal, never from ``id()``, so the
same graph always gives the same text.  Labels (escaped HTML-like labels) come from
``labels.py``.
"""

from __future__ import annotations

from numbers import Integral
from typing import Any

from tinygrad_lite.autograd.engine import topological_order
from tinygrad_lite.autograd.function import FREED, Function
from tinygrad_lite.tensor import Tensor
from tinygrad_lite.viz.annotate import TEACH_NODES, Facts, dead_units, module_titles
from tinygrad_lite.viz.arguments import as_roots, parameter_names
from tinygrad_lite.viz.labels import (
    FILL,
    PROBLEMS,
    array_problem,
    describe_array,
    escape,
    html,
    saved_lines,
    shape_text,
)

__all__ = ["to_dot", "build_lines", "MAX_NODES"]

MAX_NODES = 2000  # default guard: dot needs minutes for a picture nobody can read anyway
RANKDIRS = ("TB", "BT", "LR", "RL")


def _module_of(name: str) -> str | None:
    """The submodule prefix of a parameter name: ``'conv1.weight'`` -> ``'conv1'``."""
    return name.rsplit(".", 1)[0] if "." in name else None


class _Builder:
    """Collects node and edge statements, then emits DOT lines (clusters grouped)."""

    def __init__(self, max_nodes: int | None, op: str) -> None:
        self.nodes: list[tuple[str, str, str | None]] = []  # (dot id, statement, cluster)
        self.edges: list[str] = []
        self.max_nodes = max_nodes
        self.op = op
        self.total = 0

    def count(self, n: int) -> None:
        """Count ``n`` more nodes; raise once past ``max_nodes``."""
        self.total += n
        if self.max_nodes is not None and self.total > self.max_nodes:
            raise ValueError(
                f"{self.op}: the graph has at least {self.total} nodes, more than "
                f"max_nodes={self.max_nodes}; "
                f"draw a smaller part (e.g. one block's output), or pass a larger max_nodes "
                f"(or max_nodes=None) if you really want dot to lay it out"
            )

    def node(
        self, nid: str, label: str, fill: str, shape: str, cluster: str | None, extra: str = ""
    ) -> None:
        style = "rounded,filled" if shape == "box" and nid.startswith("f") else "filled"
        stmt = f'\t{nid} [label={label} fillcolor="{fill}" shape={shape} style="{style}"{extra}]\n'
        self.nodes.append((nid, stmt, cluster))

    def edge(self, src: str, dst: str, label: str | None = None) -> None:
        attrs = f' [label="{label}"]' if label else ""
        self.edges.append(f"\t{src} -> {dst}{attrs}\n")

    def lines(
        self, rankdir: str, problems: list[str], titles: dict[str, str] | None = None
    ) -> list[str]:
        out = [
            f"\tgraph [rankdir={rankdir} fontname=Helvetica fontsize=11]\n",
            "\tnode [fontname=Helvetica fontsize=11 height=0.3]\n",
            "\tedge [arrowsize=0.7 fontname=Helvetica fontsize=9]\n",
        ]
        clusters: dict[str, list[str]] = {}
        for _, stmt, cluster in self.nodes:
            if cluster is None:
                out.append(stmt)
            else:
                clusters.setdefault(cluster, []).append(stmt)
        for i, (name, stmts) in enumerate(clusters.items()):
            out.append(f"\tsubgraph cluster_{i} {{\n")
            out.append(
                f'\t\tgraph [label=<{escape((titles or {}).get(name, name.split("#")[0]))}> '
                'style="rounded,dashed" color="#777777"]\n'
            )
            out.extend("\t" + s for s in stmts)
            out.append("\t}\n")
        if problems:
            out.append("\tsubgraph cluster_legend {\n")
            out.append('\t\tgraph [label=<legend> style=rounded color="#777777"]\n')
            for key in problems:
                out.append(
                    f'\t\tlegend_{key} [label=<{escape(PROBLEMS[key])}> fillcolor="{FILL[key]}" '
                    f'shape=box style=filled]\n'
                )
            out.append("\t}\n")
        out.extend(self.edges)
        return out


def build_lines(
    root: Any,
    params: Any = None,
    show_values: bool | None = None,
    show_grads: bool | None = None,
    show_saved: bool = False,
    backward_order: bool = False,
    cluster_modules: bool | None = None,
    rankdir: str = "TB",
    max_nodes: int | None = MAX_NODES,
    op: str = "to_dot",
    trace: Any = None,
    frame: tuple[Any, int] | None = None,
) -> list[str]:
    """The DOT statements (graph body lines) shared by :func:`to_dot` and ``draw_graph``.

    ``frame=(pass, k)`` draws backward after its ``k``-th step (``viz.draw_step``).
    """
    if rankdir not in RANKDIRS:
        raise ValueError(f"{op}: rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    if max_nodes is not None and (
        isinstance(max_nodes, bool) or not isinstance(max_nodes, Integral) or max_nodes < 1
    ):
        raise ValueError(f"{op}: max_nodes must be a positive int or None, got {max_nodes!r}")
    roots = as_roots(root, op)
    names = parameter_names(params, op)
    order = topological_order([r.grad_fn for r in roots if r.grad_fn is not None])
    b = _Builder(max_nodes, op)
    b.count(len(order))
    small = len(order) <= TEACH_NODES
    show_values = small if show_values is None else show_values
    show_grads = small if show_grads is None else show_grads
    facts = Facts(order, trace, frame)
    titles = module_titles(params)
    if cluster_modules is None:
        cluster_modules = bool(titles) or bool(facts.scope)

    # The output tensor of an op is drawn when it is a root, named, or retained.
    out_tensor: dict[int, Tensor] = {}
    for _, t in names.values():
        if t.grad_fn is not None:
            out_tensor[id(t.grad_fn)] = t
    for r in roots:
        if r.grad_fn is not None:
            out_tensor.setdefault(id(r.grad_fn), r)
    root_ids = {id(r) for r in roots}

    tensor_node: dict[int, str] = {}  # id(Tensor) -> dot id, numbered in traversal order
    problems: set[str] = set()

    def add_tensor(t: Tensor, kind: str, cluster: str | None) -> str:
        nid = tensor_node.get(id(t))
        if nid is not None:
            return nid
        b.count(1)
        nid = f"t{len(tensor_node)}"
        tensor_node[id(t)] = nid
        name = names.get(id(t), (None, None))[0]
        lines = [name] if name is not None else []
        lines.append(f"{shape_text(t.shape)} {t.dtype}")
        if show_values:
            lines += describe_array("data", t.data)
        known, g = facts.tensor_grad(t, id(t) in root_ids)
        if show_grads:
            lines += ["grad None"] if g is None else describe_array("grad", g)
        problem = array_problem(g) if known else None
        if problem is not None:
            problems.add(problem)
            lines.append("! " + PROBLEMS[problem])
        fill = FILL[problem] if problem is not None else FILL[kind]
        if facts.done is not None and g is not None and problem is None:
            fill = FILL["done"]
        b.node(nid, html(lines, name is not None), fill, "box", cluster)
        return nid

    module_of: dict[int, str] = {}  # id(Function) -> submodule it belongs to
    param_only: set[int] = set()  # ops computed from one submodule's parameters alone (w.T)
    op_node: dict[int, str] = {}  # id(Function) -> the node its consumers' edges start from
    n = len(order)
    for k, fn in enumerate(order):
        fid = f"f{k}"
        cluster = None
        if cluster_modules:
            cluster = facts.scope.get(fn) or _attribute(fn, names, module_of, param_only)
            if cluster is not None:
                module_of[id(fn)] = cluster
        label = [f"[{n - k}] {fn.name}" if backward_order else fn.name]
        fill, extra = FILL["op"], ""
        drawn = out_tensor.get(id(fn)) is not None or fn.retained is not None
        value = facts.value(fn)
        if show_values and value is not None and not drawn:
            label += describe_array("data", value)
        if show_grads and not drawn and facts.grad(fn) is not None:
            label += describe_array("grad", facts.grad(fn))
        held = fn.saved is not FREED and fn.saved
        if fn.name == "ReluBackward" and (value is not None or held):
            dead = dead_units(value if value is not None else fn.saved[0])  # output or mask
            if dead is not None and dead[0]:
                problems.add("dead")
                label.append(f"! {dead[0]} of {dead[1]} units never active")
                fill = FILL["dead"]
        if show_saved:
            label += saved_lines(fn)
        if facts.done is not None and fn in facts.done:
            fill = FILL["done"]
            if fn is facts.current:
                extra = ' color="#cc0000" penwidth=2.5'
        b.node(fid, html(label, True), fill, "box", cluster, extra)
        for p in fn.parents:
            if p is None:
                continue
            if isinstance(p, Function):
                src = op_node[id(p)]
                # an intermediate tensor that is not drawn: its shape labels the edge
                tensor_label = f" {shape_text(p.out_shape)} {p.out_dtype}"
                b.edge(src, fid, tensor_label if src.startswith("f") else None)
            else:
                pcluster = None
                if cluster_modules and id(p) in names:
                    pcluster = _module_of(names[id(p)][0])
                kind = "output" if id(p) in root_ids else "leaf"
                b.edge(add_tensor(p, kind, pcluster), fid)
        op_node[id(fn)] = fid
        t = out_tensor.get(id(fn))
        if t is None and fn.retained is not None:
            t = fn.retained()
        if t is not None:
            kind = "output" if id(t) in root_ids else "inner"
            tid = add_tensor(t, kind, cluster)
            b.edge(fid, tid)
            op_node[id(fn)] = tid
    for r in roots:
        if id(r) not in tensor_node:
            add_tensor(r, "output", None)
    return b.lines(rankdir, [key for key in PROBLEMS if key in problems], titles)


def _attribute(
    fn: Function,
    names: dict[int, tuple[str, Tensor]],
    module_of: dict[int, str],
    param_only: set[int],
) -> str | None:
    """The submodule ``fn`` belongs to, judged from its direct inputs; None if unclear.

    An op joins module ``m`` when its inputs include parameters of ``m`` (or values computed from
    ``m``'s parameters alone, like ``w.T``) and of no other module: the matmul and the bias add
    of ``fc1`` join ``fc1``, the ReLU after it stays outside, and a BatchNorm whose input comes
    from a conv joins the BatchNorm.  Parents come before children in the traversal, so one
    pass suffices.  (A :class:`~tinygrad_lite.autograd.BackwardTrace` knows exactly which
    module's forward recorded each op; without one, this is the guess.)
    """
    direct: set[str] = set()
    only_params = True
    for p in fn.parents:
        if p is None:  # an input that needs no grad (data, a constant): not from parameters
            only_params = False
        elif isinstance(p, Function):
            if id(p) in param_only:
                direct.add(module_of[id(p)])
            else:
                only_params = False
        else:
            m = _module_of(names[id(p)][0]) if id(p) in names else None
            if m is None:
                only_params = False
            else:
                direct.add(m)
    if len(direct) != 1:
        return None
    (m,) = direct
    module_of[id(fn)] = m
    if only_params:
        param_only.add(id(fn))
    return m


def to_dot(
    root: Any,
    params: Any = None,
    show_values: bool | None = None,
    show_grads: bool | None = None,
    show_saved: bool = False,
    backward_order: bool = False,
    cluster_modules: bool | None = None,
    rankdir: str = "TB",
    max_nodes: int | None = MAX_NODES,
    trace: Any = None,
) -> str:
    r"""The computation graph behind ``root`` as Graphviz DOT text (no dependency needed).

    Args:
        root: a Tensor or a list of Tensors (e.g. a loss).
        params: names for tensors: a dict like ``dict(model.named_parameters())``, a Module,
            or ``(name, tensor)`` pairs.
            Named intermediate tensors (``{'loss': loss}``) are drawn as tensor nodes too.
        show_values: print each drawn tensor's data (numbers when it has at most
            :data:`~tinygrad_lite.viz.labels.SMALL` elements, else mean/std/min/max), and each
            op's output value where known (see ``trace``).  Default (None): on for graphs of at
            most 30 ops, as micrograd's ``draw_dot``.
        show_grads: print each drawn tensor's gradient the same way, and each op's output
            gradient where known; the root shows the gradient backward started from (1).
            Default (None): on for graphs of at most 30 ops.
        show_saved: list what each op keeps for backward, or ``(freed)`` after backward.
        backward_order: prefix each op with ``[k]``: backward runs it k-th.
        cluster_modules: box the parameters (and the ops that use them) of each submodule,
            from the names in ``params`` (``conv1.weight`` -> box ``conv1``), titled
            ``0: Conv2d(1, 8, 3)`` when ``params`` is a Module.  Default (None): on when
            ``params`` is a Module or ``trace`` recorded module scopes.
        rankdir: layout direction, ``'TB'``, ``'BT'``, ``'LR'`` or ``'RL'``.
        max_nodes: raise ``ValueError`` for graphs with more nodes (None: no limit).
        trace: a :class:`~tinygrad_lite.autograd.BackwardTrace` opened around forward and
            backward: every intermediate's value and gradient (no ``retain_grad()`` needed),
            and each op boxed in the submodule whose forward made it.

    Tensors whose gradient holds NaN/Inf are filled red; a whole gradient of several numbers
    that is zero, and ReLU units that are zero for every sample of the batch, are filled
    orange; a legend explains the colours.

    >>> import tinygrad_lite as tl
    >>> x = tl.tensor(2.0, requires_grad=True)
    >>> print(to_dot(x * x, show_values=False, show_grads=False))
    ... # doctest: +NORMALIZE_WHITESPACE
    digraph {
        graph [rankdir=TB fontname=Helvetica fontsize=11]
        node [fontname=Helvetica fontsize=11 height=0.3]
        edge [arrowsize=0.7 fontname=Helvetica fontsize=9]
        f0 [label=<<B>MulBackward</B>> fillcolor="#e8e8e8" shape=box style="rounded,filled"]
        t0 [label=<() float32> fillcolor="#cfe2f3" shape=box style="filled"]
        t1 [label=<() float32> fillcolor="#d9ead3" shape=box style="filled"]
        t0 -> f0
        t0 -> f0
        f0 -> t1
    }
    """
    lines = build_lines(
        root, params, show_values, show_grads, show_saved, backward_order, cluster_modules,
        rankdir, max_nodes, "to_dot", trace,
    )
    return "digraph {\n" + "".join(lines) + "}\n"
