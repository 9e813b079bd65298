r"""Version counters: how the engine knows that an array it saved was changed in place.

Every tensor's storage carries a version counter -- one small object shared by the tensor,
its views and ``detach()`` -- that each in-place write bumps (:func:`mark_dirty`).  Before a node
runs its backward, the engine checks that every array the node saved is still at the version it
had when it was saved (``Function.check_versions``), and raises PyTorch's error, naming the
node, when it is not.  Views (:func:`link_view`) share their base's counter.  The rest of the
mutation story is in :mod:`tinygrad_lite.autograd.mutation`.

Recording costs nothing for the common case, because a tensor without a counter has never been
written: its version is 0, and a counter is made only when something first writes it (or views
it).  So at save time (:func:`record_versions`, called by ``Function.apply``) a node writes down
only the inputs that *already* have a counter; everything else is found at check time through
the graph the node already holds:

* an input that requires grad is one of the node's ``parents``: a leaf holds its counter, and a
  non-leaf's producing node gets its output's counter (its ``_vc``, as a tensor's) the moment
  the counter is made (:func:`counter_of`);
* the node's own output: the same ``_vc``, on the node itself;
* an input that needs no grad and has no counter gets one at save time -- except the constants
  the library makes from Python numbers (``FROZEN``), which no user code can reach.

A changed counter only raises if the node really saved that array (identity of the saved
arrays), so ops that save nothing of an input are never refused.
"""

from __future__ import annotations

import itertools
import weakref
from typing import Any

import numpy as np

_SEQ = itertools.count()  # creation order of recorded nodes (``Function.seq``), and of writes

# ``LAST_WRITE[0]``: the sequence number of the latest versioned write.  A node created after it
# saw every array it saved at its current version, so the engine skips its check
# (``node.seq > LAST_WRITE[0]``): a training step writes only after backward, and pays nothing.
LAST_WRITE = [-1]

# A counter is a one-element list, ``[version]``: the cheapest mutable box CPython has.  Views
# whose history may need re-deriving after a write in grad mode are kept, as weak references,
# in a list appended as a second item (see :func:`link_view`).
VersionCounter = list

# The shared counter of constants made from Python numbers (``ops.elementwise.as_tensor``): never
# recorded, and replaced by a counter of its own should anything ever write such a tensor.
FROZEN: VersionCounter = [0]


def counter_of(t: Any) -> VersionCounter:
    """The tensor's version counter, created on first use (most tensors never need one).

    When a non-leaf gets its counter, its producing node is told (``_vc``): nodes that
    saved the tensor before it had a counter find it there (see the module docstring).
    """
    vc = t._vc
    if vc is None or vc is FROZEN:
        vc = t._vc = [0]
        fn = t.grad_fn
        if fn is not None and fn.out_id == id(t.data):
            fn._vc = vc
    return vc


def mark_dirty(t: Any) -> None:
    """Declare that ``t``'s array was written in place: bump its version counter.

    Every in-place write of the library goes through here (in-place methods, ``__setitem__``,
    ``nn.init``, optimizer steps, ``load_state_dict``, running statistics), so nodes that saved
    the old values refuse to run backward with the new ones.
    """
    counter_of(t)[0] += 1
    LAST_WRITE[0] = next(_SEQ)


# ----- saved arrays ----------------------------------------------------------------------


def record_versions(fn: Any, tensors: tuple[Any, ...]) -> None:
    """At save time: remember ``(counter, version, id of the array)`` for each input that has a
    counter (or needs one: no grad, so not reachable through ``fn.parents`` later).  Called by
    ``Function.apply`` for recorded nodes that saved something -- the hot path of most ops."""
    recs = None
    for t in tensors:
        vc = t._vc
        if vc is None:
            if t.requires_grad:
                continue  # found at check time through fn.parents
            vc = t._vc = [0]
        elif vc is FROZEN:
            continue
        rec = (vc, vc[0], id(t.data))
        recs = (rec,) if recs is None else recs + (rec,)
    if recs is not None:
        fn.versions = recs


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
