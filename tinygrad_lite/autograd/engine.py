r"""The reverse-mode engine: topological order, accumulation, retain/create graph, hooks.

Backward of a scalar $L$ visits the graph's nodes in reverse topological order, so that every
node receives the sum of all gradient contributions $\bar y = \partial L / \partial y$ before it
runs its own backward.  Gradients *accumulate*: a tensor used twice receives the sum of both
contributions, and leaf ``.grad`` adds up across ``backward`` calls until zeroed.

Every node carries a creation counter ``seq``, and a node is always created after the nodes
it consumes, so decreasing ``seq`` is a valid order: backward keeps the nodes that have
received a gradient in a heap keyed by ``-seq`` -- no recursion (a 20,000-op chain works) and
no separate sorting pass.  :func:`topological_order`, which ``viz`` draws from, returns the
same order (reversed).  ``autograd.grad`` runs only the nodes that lead to its inputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from heapq import heappop, heappush
from typing import Any

import numpy as np

from tinygrad_lite.autograd.anomaly import check_finite
from tinygrad_lite.autograd.fp import quiet
from tinygrad_lite.autograd.function import FREED, Function
from tinygrad_lite.autograd.grad_mode import STATE, enable_grad, no_grad, set_grad_enabled
from tinygrad_lite.autograd.version import LAST_WRITE

__all__ = [
    "backward",
    "grad",
    "topological_order",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
]

_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time."
)


def topological_order(roots: Sequence[Function]) -> list[Function]:
    """Return the nodes reachable from ``roots``, every node after all nodes it depends on.

    Inputs come first, ``roots`` last; backward walks the reversed list.  A node is always
    created after the nodes it consumes, so sorting the reachable nodes by their creation
    counter ``seq`` is a topological order -- the same order :func:`backward` visits them in
    (it pops nodes by decreasing ``seq`` from a heap).  Reachability uses an explicit stack,
    never recursion, and the result is deterministic.
    """
    seen = set(roots)
    stack = list(seen)
    while stack:
        for p in stack.pop().parents:
            if p is not None and p not in seen and isinstance(p, Function):
                seen.add(p)
                stack.append(p)
    return sorted(seen, key=_seq)


def _seq(node: Function) -> int:
    return node.seq


def _accumulate_leaf(tensor_cls: Any, leaf: Any, g: Any, create_graph: bool) -> None:
    """Add ``g`` (the leaf's total gradient from this backward) into ``leaf.grad``.

    Never aliases ``g``: it may be an array the graph still uses.
    """
    if create_graph:
        leaf._grad = g if leaf.grad is None else leaf.grad + g
    elif leaf.grad is None:
        leaf._grad = tensor_cls._make(np.array(g, dtype=leaf.data.dtype), None)
    else:  # asarray: 0-d arithmetic gives numpy scalars, but .grad.data must be an array
        leaf.grad.data = np.asarray(leaf.grad.data + g, dtype=leaf.data.dtype)


def _saved_as_tensors(tensor_cls: Any, node: Function) -> tuple[Any, ...]:
    """Under create_graph, turn saved arrays into Tensors connected to the graph.

    A saved array that *is* the node's output becomes a Tensor produced by ``node``; one that is
    an input's array becomes that input (its producing node's output, or the leaf itself);
    any other array (a mask, an index) becomes a constant Tensor.
    """
    out = []
    parents = node.parents
    for s in node.saved:
        if type(s) is not np.ndarray:
            out.append(s)
            continue
        src = node.saved_source(s)
        if src is None:
            out.append(tensor_cls._make(s, None))
        elif src == -1 or isinstance(parents[src], Function):
            producer = node if src == -1 else parents[src]
            t = tensor_cls._make(s, producer)
            t._vc = producer._vc  # the storage's counter, if it has one (autograd/version.py)
            out.append(t)
        else:
            out.append(parents[src])
    return tuple(out)


def _leading_to(capture: dict[int, int], roots: list[Function]) -> set[Function]:
    """For ``autograd.grad``: the nodes whose backward leads to a requested input.

    Only these run (as in PyTorch), so the rest of the graph is neither computed nor freed.
    """
    runs: set[Function] = set()
    for node in topological_order(roots):  # inputs first: parents are decided before node
        for p in node.parents:
            if p is None:
                continue
            if id(p) in capture or p in runs:
                runs.add(node)
                break
    return runs


def _call_hooks(hooks: list[Any], g: Any, wrap: Any, create_graph: bool) -> Any:
    """Run tensor hooks on gradient ``g``; a hook's non-None return replaces the gradient."""
    gt = g if create_graph else wrap(np.asarray(g), None)  # g may be a 0-d numpy scalar
    for hook in hooks:
        res = hook(gt)
        if res is not None:
            _check_hook_result(hook, gt, res)
            gt = res
    return gt if create_graph else gt.data


def _check_hook_result(hook: Any, g: Any, res: Any) -> None:
    """A hook may replace the gradient only by a Tensor of the same shape and dtype (PyTorch)."""
    name = getattr(hook, "__name__", type(hook).__name__)
    if not isinstance(res, type(g)):
        raise TypeError(f"expected Tensor, but hook '{name}' returned '{type(res).__name__}'")
    if res.data.shape != g.data.shape:
        raise RuntimeError(
            f"hook '{name}' has changed the size of value (was {list(g.data.shape)}, got "
            f"{list(res.data.shape)})"
        )
    if res.data.dtype != g.data.dtype:
        raise RuntimeError(
            f"hook '{name}' has changed the type of value (was {g.data.dtype} got "
            f"{res.data.dtype})"
        )


def _run(
    tensor_cls: Any,
    roots: Sequence[Any],
    root_grads: Sequence[Any],
    retain_graph: bool,
    create_graph: bool,
    capture: dict[int, int] | None = None,
) -> list[Any] | None:
    """Propagate ``root_grads`` from ``roots`` to leaves (or into ``capture`` slots).

    Nodes are processed by decreasing creation counter ``seq`` from a heap, so each node runs
    once, after every consumer that can reach it has added its contribution to ``grads``.
    """
    grads: dict[Function, Any] = {}
    leaf_grads: dict[Any, Any] = {}  # leaf Tensor -> its summed gradient; hooks run once at the end
    heap: list[tuple[int, Function]] = []
    for r, g in zip(roots, root_grads):
        fn = r.grad_fn
        if fn is None:
            leaf_grads[r] = leaf_grads[r] + g if r in leaf_grads else g
        elif fn in grads:
            grads[fn] = grads[fn] + g
        else:
            grads[fn] = g
            heappush(heap, (-fn.seq, fn))
    captured: list[Any] | None = None if capture is None else [None] * len(capture)
    runs = None if capture is None else _leading_to(capture, [n for _, n in heap])
    ns = tensor_cls.NAMESPACE if create_graph else None
    anomaly = STATE.anomaly
    last_write = LAST_WRITE  # see autograd/version.py
    observer = STATE.observer  # inside trace_backward(): records every step (autograd/trace.py)
    if observer is not None:
        observer.begin_pass(create_graph)
    wrap = tensor_cls._make
    while heap:
        node = heappop(heap)[1]
        g = grads.pop(node)
        saved = node.saved
        if saved is FREED:
            raise RuntimeError(_FREED_MESSAGE)
        if saved and node.seq < last_write[0]:  # a write since this node was made: did an
            # array it saved change in place?  (autograd/version.py)
            if node.versions is not None or node._vc is not None:
                node.check_versions()
            else:
                for p in node.parents:
                    if p is not None and p._vc is not None:
                        node.check_versions()
                        break
        if node.hooks:
            g = _call_hooks(node.hooks, g, wrap, create_graph)
        if capture is not None:
            slot = capture.get(id(node))
            if slot is not None:
                captured[slot] = g
            if node not in runs:
                continue
        elif node.retained is not None:
            t = node.retained()
            if t is not None:
                if create_graph:
                    t._grad = g if t.grad is None else t.grad + g
                else:
                    total = g if t.grad is None else t.grad.data + g
                    t._grad = wrap(np.array(total), None)  # a copy, and never a numpy scalar
        if create_graph:
            node.saved = _saved_as_tensors(tensor_cls, node)
            node.xp = ns
            try:
                in_grads = node.backward(g)
            finally:
                del node.xp  # back to the class default, NUMPY_NS
                node.saved = saved
        else:
            in_grads = node.backward(g)
        if in_grads.__class__ is not tuple:
            in_grads = (in_grads,)
        if observer is not None:
            observer.step(node, g, in_grads, saved)
        if anomaly:
            check_finite(node, in_grads)
        if not retain_graph:
            node.saved = FREED
        for p, gi in zip(node.parents, in_grads):
            if p is None or gi is None:
                continue
            if p in grads:
                grads[p] = grads[p] + gi
            elif isinstance(p, Function):
                grads[p] = gi
                heappush(heap, (-p.seq, p))
            elif p in leaf_grads:
                leaf_grads[p] = leaf_grads[p] + gi
            else:
                leaf_grads[p] = gi
    for leaf, g in leaf_grads.items():
        slot = None if capture is None else capture.get(id(leaf))
        if capture is not None and slot is None:
            continue  # autograd.grad: leaves that are not inputs get nothing, run no hooks
        if leaf._hooks:
            g = _call_hooks(leaf._hooks, g, wrap, create_graph)
        if slot is None:
            _accumulate_leaf(tensor_cls, leaf, g, create_graph)
        else:
            captured[slot] = g
    return captured


def _tensor_type(tensors: Sequence[Any], name: str) -> Any:
    """The Tensor class, from the first of ``tensors`` (``TypeError`` if it is not one)."""
    if not tensors or not hasattr(type(tensors[0]), "NAMESPACE"):
        got = type(tensors[0]).__name__ if tensors else "an empty sequence"
        raise TypeError(f"{name}: expected a Tensor or a sequence of Tensors, got {got}")
    return type(tensors[0])


def _root_grads(outputs: Sequence[Any], grad_outputs: Sequence[Any] | None, create_graph: bool):
    """Validate roots and build their initial gradients (ones for scalars)."""
    tensor_cls = _tensor_type(outputs, "outputs")
    if grad_outputs is not None and len(grad_outputs) != len(outputs):
        raise RuntimeError(
            f"got {len(outputs)} tensors and {len(grad_outputs)} gradients (one per output)"
        )
    result = []
    for i, out in enumerate(outputs):
        if not isinstance(out, tensor_cls):
            raise TypeError(f"outputs: element {i} is a {type(out).__name__}, not a Tensor")
        if not out.requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        g = None if grad_outputs is None else grad_outputs[i]
        if g is None:
            if out.data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs; got shape "
                    f"{tuple(out.shape)}: pass gradient= with that shape"
                )
            if out.data.dtype.kind != "f":
                raise RuntimeError(
                    f"grad can be implicitly created only for real scalar outputs but got "
                    f"{out.data.dtype}"
                )
            g = np.ones_like(out.data)
        elif isinstance(g, tensor_cls):
            g = g if create_graph else g.data
        elif isinstance(g, (np.ndarray, np.generic, int, float)) and not isinstance(g, bool):
            g = np.asarray(g, dtype=out.data.dtype)
        else:
            raise TypeError(
                f"gradients can be either Tensors or None, but got {type(g).__name__} (for "
                f"output {i})"
            )
        gshape = g.shape
        if tuple(gshape) != out.data.shape:
            raise RuntimeError(
                f"backward: gradient has shape {tuple(gshape)} but the output has shape "
                f"{out.data.shape}"
            )
        if create_graph and isinstance(g, np.ndarray):
            g = tensor_cls._make(g, None)
        result.append(g)
    return tensor_cls, result


def backward(
    tensors: Any,
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
) -> None:
    """Accumulate gradients of ``tensors`` into the ``.grad`` of the leaves they depend on.

    ``grad_tensors`` gives $\\partial L / \\partial t$ for each tensor (may be omitted for
    scalars).  Without ``retain_graph`` the saved values are freed as nodes run; with
    ``create_graph`` the gradient computation is itself recorded (higher-order gradients).
    """
    outputs = list(tensors) if isinstance(tensors, (list, tuple)) else [tensors]
    if grad_tensors is not None and not isinstance(grad_tensors, (list, tuple)):
        grad_tensors = [grad_tensors]
    retain = create_graph if retain_graph is None else retain_graph
    tensor_cls, gs = _root_grads(outputs, grad_tensors, create_graph)
    with set_grad_enabled(create_graph), quiet():  # inf/nan gradients come silently
        _run(tensor_cls, outputs, gs, retain, create_graph)


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Any, ...]:
    """Return the gradients of ``outputs`` with respect to ``inputs`` (no ``.grad`` is touched).

    Like ``torch.autograd.grad``; with ``create_graph=True`` the results are differentiable,
    which gives Hessian-vector products: ``grad(grad(f, x, create_graph=True)[0] @ v, x)``.
    """
    outs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    ins = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    if grad_outputs is not None and not isinstance(grad_outputs, (list, tuple)):
        grad_outputs = [grad_outputs]
    retain = create_graph if retain_graph is None else retain_graph
    tensor_cls, gs = _root_grads(outs, grad_outputs, create_graph)
    capture: dict[int, int] = {}
    for i, t in enumerate(ins):
        if not isinstance(t, tensor_cls):
            raise RuntimeError(
                f"grad: all inputs have to be Tensors, but got {type(t).__name__} at position {i}"
            )
        if not t.requires_grad:
            raise RuntimeError(f"grad: input {i} does not require grad")
        capture[id(t.grad_fn) if t.grad_fn is not None else id(t)] = i
    with set_grad_enabled(create_graph), quiet():  # inf/nan gradients come silently
        captured = _run(tensor_cls, outs, gs, retain, create_graph, capture)
    result = []
    for i, (t, g) in enumerate(zip(ins, captured)):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"grad: input {i} was not used in the graph; pass allow_unused=True"
                )
            result.append(None)
        elif not isinstance(g, tensor_cls):  # an array, or a numpy scalar from 0-d arithmetic
            result.append(tensor_cls._make(np.array(g, dtype=t.data.dtype), None))
        else:
            result.append(g)
    return tuple(result)
