r"""Version counters: how the engine knows that an array it saved was changed in place.

Every tensor's storage carries a :class:`VersionCounter` -- one small object shared by the tensor,
its views and ``detach()`` -- that each in-place write bumps (:func:`mark_dirty`).  A node that
saves an input's (or its output's) array records the counter and its value at that moment
(:func:`record_versions`, called by ``Function.apply``); the engine compares them before it runs
the node's backward (:func:`check_versions`).  Views (:func:`link_view`) share their base's
counter.  The rest of the mutation story is in :mod:`tinygrad_lite.autograd.mutation`.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np


class VersionCounter:
    """How many times a storage was written in place (``Tensor._version`` reads it).

    ``views`` holds weak references to the views of the storage whose history may need
    re-deriving after an in-place write in grad mode (see :func:`link_view`).
    """

    __slots__ = ("value", "views", "_live")

    def __init__(self) -> None:
        self.value = 0
        self.views: list[weakref.ref] = []
        self._live = 8  # prune dead view references when the list doubles past this


def counter_of(t: Any) -> VersionCounter:
    """The tensor's version counter, created on first use (most tensors never need one)."""
    vc = t._vc
    if vc is None:
        vc = t._vc = VersionCounter()
    return vc


def mark_dirty(t: Any) -> None:
    """Declare that ``t``'s array was written in place: bump its version counter.

    Every in-place write of the library goes through here (in-place methods, ``__setitem__``,
    ``nn.init``, optimizer steps, ``load_state_dict``, running statistics), so nodes that saved
    the old values refuse to run backward with the new ones.
    """
    counter_of(t).value += 1


# ----- saved arrays ----------------------------------------------------------------------


def record_versions(fn: Any, tensors: tuple[Any, ...], out: Any) -> None:
    """Record, for each array ``fn`` saved that is an input's or the output's, its counter and
    version now.  Called by ``Function.apply`` for recorded nodes that saved something."""
    recs = []
    out_data = out.data
    for s in fn.saved:
        if s.__class__ is not np.ndarray:
            continue
        if s is out_data:
            owner = out
        else:
            for owner in tensors:
                if s is owner.data:
                    break
            else:
                continue
        vc = counter_of(owner)
        recs.append((vc, vc.value, s))
    if recs:
        fn.versions = tuple(recs)


def check_versions(node: Any) -> None:
    """Raise PyTorch's error if an array ``node`` saved was modified in place since."""
    for vc, version, arr in node.versions:
        if vc.value != version:
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: [{arr.dtype} {list(arr.shape)}], which was saved by "
                f"{node.name}, is at version {vc.value}; expected version {version} instead. "
                "Hint: clone() the tensor before changing it in place, or change it after "
                "backward."
            )


# ----- views -----------------------------------------------------------------------------


def link_view(out: Any, src: Any, cls: type, constants: dict[str, Any]) -> None:
    """Make ``out`` (just produced by the view op ``cls`` from ``src``) a view of ``src``'s base
    when numpy returned a view: it shares the base's version counter and remembers the steps
    from the base, so a write through it can rewrite the base's history."""
    if not np.may_share_memory(out.data, src.data):
        return  # numpy had to copy (a reshape of a non-contiguous array): not a view
    if src._view is None:
        base, steps = src, ((cls, constants),)
    else:
        base, prior = src._view
        steps = prior + ((cls, constants),)
    vc = counter_of(base)
    out._vc = vc
    out._view = (base, steps)
    if base.requires_grad and base.grad_fn is None:
        return  # a leaf that requires grad: its history never changes, its views stay valid
    views = vc.views
    views.append(weakref.ref(out))
    if len(views) > 2 * vc._live:
        views[:] = [r for r in views if r() is not None]
        vc._live = max(8, len(views))
