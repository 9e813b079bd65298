r"""Version counters: how the engine knows that an array it saved was changed in place.

Every tensor's storage carries a version counter -- one small object shared by the tensor,
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

# A counter is a one-element list, ``[version]``: the cheapest mutable box CPython has (one is
# made for most saved tensors, on the hot path of every op).  Views whose history may need
# re-deriving after a write in grad mode are kept, as weak references, in a list appended as a
# second item (see :func:`link_view`).
VersionCounter = list


def counter_of(t: Any) -> VersionCounter:
    """The tensor's version counter, created on first use (most tensors never need one).

    A node that saved its own output recorded it as version 0 of a counter not made yet
    (``None``, see :func:`record_versions`); every versioned write reaches the output through
    here first, so this is where that node gets the counter.
    """
    vc = t._vc
    if vc is None:
        vc = t._vc = [0]
        fn = t.grad_fn
        if fn is not None and fn.versions is not None and fn.out_id == id(t.data):
            fn.versions = tuple([(vc, 0, i) if c is None else (c, v, i) for c, v, i in fn.versions])
    return vc


def mark_dirty(t: Any) -> None:
    """Declare that ``t``'s array was written in place: bump its version counter.

    Every in-place write of the library goes through here (in-place methods, ``__setitem__``,
    ``nn.init``, optimizer steps, ``load_state_dict``, running statistics), so nodes that saved
    the old values refuse to run backward with the new ones.
    """
    counter_of(t)[0] += 1


# ----- saved arrays ----------------------------------------------------------------------


def record_versions(fn: Any, tensors: tuple[Any, ...], out: Any) -> None:
    """Record, for each array ``fn`` saved that is an input's or the output's, its counter, the
    version now and its position in ``fn.saved``.  Called by ``Function.apply`` for recorded
    nodes that saved something: on the hot path of most ops, hence the plain loops."""
    recs = None
    out_data = out.data
    i = -1
    for s in fn.saved:
        i += 1
        if s.__class__ is not np.ndarray:
            continue
        if s is out_data:  # the output has no counter yet: None until counter_of makes it
            rec = (None, 0, i)
        else:
            for t in tensors:
                if s is t.data:
                    vc = t._vc
                    if vc is None:
                        vc = t._vc = [0]
                    rec = (vc, vc[0], i)
                    break
            else:
                continue
        recs = (rec,) if recs is None else recs + (rec,)
    if recs is not None:
        fn.versions = recs


def check_versions(node: Any) -> None:
    """Raise PyTorch's error if an array ``node`` saved was modified in place since."""
    for vc, version, i in node.versions:
        if vc is not None and vc[0] != version:
            arr = node.saved[i]
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: [{arr.dtype} {list(arr.shape)}], which was saved by "
                f"{node.name}, is at version {vc[0]}; expected version {version} instead. "
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
    if len(vc) == 1:
        vc.append([])
    views = vc[1]
    views.append(weakref.ref(out))
    n = len(views)
    if n >= 16 and n & (n - 1) == 0:  # at each power of two, drop the dead references
        views[:] = [r for r in views if r() is not None]


def live_views(vc: VersionCounter) -> list[Any]:
    """The views registered on counter ``vc`` that are still alive."""
    if len(vc) == 1:
        return []
    return [v for v in (r() for r in vc[1]) if v is not None]
