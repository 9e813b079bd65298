r"""Mutation: version counters, in-place ops and views -- PyTorch's rules, in one place.

Why a version counter.  Backward reads the arrays that forward saved: ``y = x * x`` keeps ``x``
to compute $\bar x = 2 x \bar y$.  If ``x`` is then changed in place (``x.add_(1)``, an optimizer
step, ``nn.init``), backward would silently compute the gradient of a program that never ran.
So every tensor's storage carries a version counter -- one small object, shared by the
tensor, its views and ``detach()`` -- that each in-place write bumps; before a node's backward
the engine checks that every array the node saved is still at the version it was saved at, and
raises PyTorch's error, naming the node, when it is not (``autograd/version.py`` says how this is
recorded at almost no cost).  Nodes hold counters, never tensors: the graph still has no cycles
and frees as promptly as before.

An in-place op (:func:`apply_inplace`) has the autograd meaning of its out-of-place twin: it
runs the out-of-place ``Function`` (recorded as usual), writes the result into the tensor's
existing array, bumps the counter and makes that node the tensor's new ``grad_fn``.  So
``x.mul_(2)`` differentiates exactly like ``x = x * 2`` -- except that every other holder of
the array sees the change, which is the point of mutating.

Views.  ``reshape``/``permute``/``transpose``/``expand``/basic indexing return numpy views; the
result remembers its *base* (the tensor that owns the memory) and the steps that made it
(:func:`link_view`).  Writing through a view changes the base, so the base's history must
change too: the base gets a :class:`CopySlices` node ("the old base, with this region replaced
by the view's new value") and the view becomes ``view_steps(new base)`` -- PyTorch's
``CopySlices``.  Other live views of the same base are re-derived from the new base at once, so
none of them keeps a stale history.

Rules, exactly PyTorch's: in grad mode, an in-place op on a leaf that requires grad (or on a view
of one) raises; under ``no_grad`` it just updates the data, and the leaf stays the same object,
still a leaf, still requiring grad.  ``Tensor.data`` is the raw numpy array: writing through it
bypasses all of this, on purpose, as ``torch.Tensor.data`` does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_lite.autograd.function import Function
from tinygrad_lite.autograd.grad_mode import STATE, enable_grad
from tinygrad_lite.autograd.version import (
    _SEQ,
    LAST_WRITE,
    VersionCounter,
    counter_of,
    live_views,
)

_new = object.__new__


def replay(x: Any, steps: tuple[tuple[type, dict[str, Any]], ...]) -> Any:
    """Apply a view's steps to ``x``: a numpy array (each step's ``forward``) or a Tensor
    (each step's ``apply``, recorded in grad mode)."""
    if isinstance(x, np.ndarray):
        for cls, constants in steps:
            x = _new(cls).forward(x, **constants)
        return x
    for cls, constants in steps:
        x = cls.apply(x, **constants)
    return x


class CopySlices(Function):
    r"""The base of a view after a write through the view: $b' = b$ with the view's region
    replaced by $v$ (the view's new value).

    Backward: $\bar b = \bar b'$ with the region zeroed (those entries of $b$ were overwritten),
    $\bar v = \mathrm{view}(\bar b')$ (the view's steps applied to the gradient).
    """

    def forward(self, *arrays: Any, **constants: Any) -> np.ndarray:
        raise RuntimeError("CopySlices: only made by an in-place write through a view")

    def backward(self, grad: Any) -> tuple[Any, Any]:
        steps, keep, repeats = self.saved
        if repeats:  # PyTorch cannot write the view's gradient back into the base's either
            raise RuntimeError(
                "CopySlicesBackward: unsupported operation: more than one element of the "
                "written-to tensor refers to a single memory location (a write through an "
                "expand). Please clone() the tensor before performing the operation."
            )
        xp = self.xp
        g_base = xp.where(keep, grad, xp.zeros_like(grad)) if self.needs_input_grad[0] else None
        g_view = replay(grad, steps) if self.needs_input_grad[1] else None
        return g_base, g_view


def _region_kept(shape: tuple[int, ...], steps: Any) -> np.ndarray:
    """A bool mask of ``shape``: False on the entries the view covers, True elsewhere."""
    keep = np.ones(shape, dtype=bool)
    replay(keep, steps)[...] = False
    return keep


def _node(cls: type, parents: tuple[Any, ...], out: np.ndarray, saved: tuple[Any, ...]):
    """A graph node made by hand (``apply`` would allocate a new output array)."""
    fn = _new(cls)
    fn.parents = parents
    fn.needs_input_grad = tuple([p is not None for p in parents])
    fn.seq = next(_SEQ)
    fn.out_id = id(out)
    fn.out_shape = out.shape
    fn.out_dtype = out.dtype
    fn.saved = saved
    return fn


def _history(t: Any) -> Any:
    """What a node lists as the parent for tensor ``t``: its node, itself, or None."""
    return (t.grad_fn or t) if t.requires_grad else None


def _rederive(view: Any) -> None:
    """Give ``view`` the history ``steps(base)`` from its base's current history."""
    base, steps = view._view
    if not base.requires_grad:
        return
    with enable_grad():
        fresh = replay(base, steps)
    node = fresh.grad_fn
    node.out_id = id(view.data)  # consumers of the view save view.data: keep them recognised
    view.grad_fn = node
    view.requires_grad = True


def _refresh_views(vc: VersionCounter, skip: Any) -> None:
    """After a base's history changed, re-derive every other live view's history from it."""
    for v in live_views(vc):
        if v is not skip and v._view is not None:
            _rederive(v)


# ----- in-place ops ----------------------------------------------------------------------


def check_writable(op: str, t: Any, overlap: bool = True) -> None:
    """Refuse writes PyTorch refuses: a leaf that requires grad (or a view of one) in grad mode,
    and (with ``overlap``) arrays where several elements share one memory location
    (``expand``)."""
    if STATE.enabled:
        if t.requires_grad and t.grad_fn is None:
            raise RuntimeError(
                f"{op}: a leaf Variable that requires grad is being used in an in-place "
                "operation."
            )
        if t._view is not None:
            base = t._view[0]
            if base.requires_grad and base.grad_fn is None:
                raise RuntimeError(
                    f"{op}: a view of a leaf Variable that requires grad is being used in an "
                    "in-place operation."
                )
    arr = t.data
    strides = arr.strides
    if overlap and 0 in strides and any(s == 0 and n > 1 for s, n in zip(strides, arr.shape)):
        raise RuntimeError(
            f"{op}: unsupported operation: more than one element of the written-to tensor "
            "refers to a single memory location. Please clone() the tensor before "
            "performing the operation."
        )
    if not arr.flags.writeable:
        raise RuntimeError(f"{op}: the tensor's array is read-only (clone() it first)")


def _dense(a: np.ndarray) -> bool:
    """Whether ``a``'s elements fill a block of memory, each once, in some order of its axes
    (PyTorch's ``is_non_overlapping_and_dense``)."""
    expected = a.itemsize
    for stride, n in sorted((abs(s), n) for s, n in zip(a.strides, a.shape) if n != 1):
        if stride != expected:
            return False
        expected *= n
    return True


def same_memory(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether ``a`` and ``b`` are the same elements of the same memory, laid out alike."""
    return (
        a.shape == b.shape
        and a.strides == b.strides
        and a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
    )


def check_no_overlap(op: str, t: Any, operands: tuple[Any, ...], partial: bool = True) -> None:
    """Refuse, as PyTorch, an in-place write whose tensor operand shares memory with the
    written tensor -- partly (``partial``: ``x[1:].add_(x[:2])``; the very same memory is fine:
    ``x.add_(x)``) or at all (``x[[0]] = x[1]``, PyTorch's ``index_put_``)."""
    arr = t.data
    for o in operands:
        od = getattr(o, "data", None)
        if od.__class__ is not np.ndarray or not np.may_share_memory(arr, od):
            continue
        if partial and same_memory(od, arr):
            continue
        if o is not t and not (_dense(arr) and _dense(od)):
            continue  # PyTorch's overlap check gives up ("too hard") and lets it run
        raise RuntimeError(
            f"{op}: unsupported operation: some elements of the input tensor and the "
            "written-to tensor refer to a single memory location. Please clone() the tensor "
            "before performing the operation."
        )


def writes_through_region(arr: np.ndarray, stages: tuple[Any, ...]) -> bool:
    """Whether ``x[index] = v`` on an expanded ``x`` (``arr`` has a zero stride) is, as in
    PyTorch, ``x[index].copy_(v)``: a basic index, whose region is a view.  (An advanced index
    is ``index_put_``, which PyTorch allows on an expanded tensor.)"""
    if 0 not in arr.strides:
        return False
    region = arr
    for st in stages:
        region = region[st]
    return bool(np.may_share_memory(region, arr))


def apply_inplace(
    op: str, t: Any, result: Any, same_kind: bool = True, where: Any = None
) -> Any:
    """Write ``result`` (the out-of-place op's Tensor, just computed from ``t``) into ``t``.

    ``check_writable`` must have been called before ``result`` was computed.  ``same_kind``:
    arithmetic may not cast float results into an integer tensor (PyTorch's rule); copies
    (``copy_``, ``fill_``, ``__setitem__``) cast like numpy's ``astype``.  ``where``: write only
    those entries (``masked_fill_`` on an expand, whose repeated entries must not be written
    back with their old values).
    """
    arr, new = t.data, result.data
    if new.shape != arr.shape:
        raise RuntimeError(
            f"{op}: output with shape {list(arr.shape)} doesn't match the broadcast shape "
            f"{list(new.shape)}"
        )
    if same_kind and not np.can_cast(new.dtype, arr.dtype, "same_kind"):
        raise RuntimeError(
            f"{op}: result type {new.dtype} can't be cast to the desired output type {arr.dtype}"
        )
    node = result.grad_fn
    live = node is not None and new is not arr and _keep_saved_old_values(node, arr)
    if new is not arr:
        if where is None:
            np.copyto(arr, new, casting="unsafe")
        else:
            np.copyto(arr, new, casting="unsafe", where=where)
    vc = counter_of(t)
    vc[0] += 1
    LAST_WRITE[0] = next(_SEQ)
    if STATE.tracer is not None:  # ONNX export: from here on, ``t`` holds ``result``
        STATE.tracer.rebind(op, t, result)
    if node is None:
        return t
    _adopt_output(node, t, new, vc)
    if live:  # ``x.mul_(x)``: its saved ``other`` is ``x``, now overwritten
        node._vc = vc
        node.out_version = vc[0] - 1
    if t._view is None:
        t.grad_fn = node
        t.requires_grad = True
        _refresh_views(vc, t)
    else:
        _write_through_view(t, node, vc)
    return t


def _keep_saved_old_values(node: Function, arr: np.ndarray) -> bool:
    """If ``node`` saved ``arr`` (the tensor's values before the write), keep a private copy of
    them instead, since the write is about to overwrite ``arr`` (PyTorch's ``original_self``);
    say whether another operand that is ``arr`` stays saved as it is (``x.mul_(x)``)."""
    at = [i for i, s in enumerate(node.saved) if s is arr]
    if not at:
        return False
    live = len(at) > 1
    if live:
        # ``x.mul_(x)`` or ``x.mul_(x.detach())``: only ``self`` gets the private copy; the
        # other operand stays saved as ``x``'s array (PyTorch saves ``other``, which shares
        # ``x``'s memory and counter), so backward finds it overwritten by this very write
        # and refuses, as PyTorch does (see apply_inplace)
        at = at[:1]
    old = arr.copy()
    node.saved = tuple([old if i in at else s for i, s in enumerate(node.saved)])
    src = next((i for i, p in enumerate(node.parents) if _is_array_of(p, arr)), None)
    node.saved_alias = {id(old): src}  # create_graph still connects the copy to its input
    return live


def _is_array_of(p: Any, arr: np.ndarray) -> bool:
    """Whether the parent entry ``p`` (a node, a leaf or None) stands for the array ``arr``."""
    return p is not None and id(arr) == (p.out_id if isinstance(p, Function) else id(p.data))


def _adopt_output(node: Function, t: Any, new: np.ndarray, vc: VersionCounter) -> None:
    """Make ``node``'s output ``t``'s array: consumers save ``t.data`` and must be recognised.

    A saved output becomes ``t``'s array and goes stale with ``t``'s next write, as PyTorch's
    ``exp_``/``sigmoid_``/``tanh_``/``sqrt_``/``relu_``, which save their result, and
    ``pow_`` with a tensor exponent (a number exponent: ``Pow.saved_for`` leaves the output
    out of the version check, as PyTorch's ``Pow0`` does not save it).
    """
    arr = t.data
    node.out_id = id(arr)
    saved = node.saved
    at = [i for i, s in enumerate(saved) if s is new]
    if not at:
        if node.saves_output:  # saved something made from the output (Relu's mask)
            node._vc = vc
            node.out_version = vc[0]
        return
    node.saved = tuple([arr if i in at else s for i, s in enumerate(saved)])
    node._vc = vc
    node.out_version = vc[0]


def _write_through_view(t: Any, node: Function, vc: VersionCounter) -> None:
    """``t`` is a view whose new value comes from ``node``: the base gets a ``CopySlices``
    node, ``t`` and the other views are re-derived from it."""
    base, steps = t._view
    keep = _region_kept(base.data.shape, steps)
    repeats = any(s == 0 and n > 1 for s, n in zip(t.data.strides, t.data.shape))
    base.grad_fn = _node(CopySlices, (_history(base), node), base.data, (steps, keep, repeats))
    base.requires_grad = True
    _rederive(t)
    _refresh_views(vc, t)
