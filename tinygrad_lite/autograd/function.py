r"""Function: one differentiable primitive, its forward and backward side by side.

A ``Function`` subclass implements

* ``forward(self, *arrays, **constants) -> ndarray`` on raw numpy arrays, saving what backward
  needs with ``self.save_for_backward(...)``;
* ``backward(self, grad) -> grad_input or tuple of them`` (one per tensor input, ``None`` where
  an input needs no gradient), written against the array namespace ``self.xp``.

The same backward formula serves two purposes (see ``../shared/DESIGN.md``, decision 3):

* ordinary backward: ``grad`` and ``self.saved`` are numpy arrays and ``self.xp`` is
  :data:`NUMPY_NS` -- plain numpy calls, fast;
* ``create_graph=True``: the engine hands ``backward`` Tensors (saved inputs and outputs become
  Tensors connected to the graph) and a Tensor namespace, so the gradient is itself built from
  differentiable ops and can be differentiated again.

Saved values that are neither an input nor the output (masks, indices) are treated as
constants under ``create_graph``: correct for piecewise-constant quantities such as a ReLU mask.

A ``Function`` instance is also the graph node (PyTorch's ``grad_fn``): it keeps ``parents``, one
entry per tensor input -- the producing ``Function`` for a non-leaf input, the leaf ``Tensor``
itself for a leaf that requires grad, ``None`` otherwise.  It never references its own output,
so graphs hold no reference cycles.
"""

from __future__ import annotations

import traceback
from typing import Any

import numpy as np

from tinygrad_lite.autograd.grad_mode import STATE
from tinygrad_lite.autograd.version import _SEQ, FROZEN, link_view, record_versions

_new = object.__new__
FREED = ("<freed>",)  # sentinel for ``saved`` after backward without retain_graph


def unbroadcast(xp: Any, grad: Any, shape: tuple[int, ...]) -> Any:
    r"""Sum ``grad`` down to ``shape``: the adjoint of broadcasting ``shape`` to ``grad.shape``.

    If $y = \mathrm{broadcast}(x)$ then $\bar x_i = \sum_{j \mapsto i} \bar y_j$: sum over the
    leading axes that broadcasting added and over the axes where ``shape`` has size 1.
    """
    gshape = grad.shape
    if gshape == shape:
        return grad
    lead = len(gshape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and gshape[i + lead] != 1
    )
    if axes:
        grad = xp.sum(grad, axes)
    return xp.reshape(grad, shape)


def raw(x: Any) -> Any:
    """The numpy array behind ``x``: ``x`` itself for an array, ``x.data`` for a Tensor.

    (Not ``getattr(x, "data", x)``: numpy arrays and scalars have a ``.data`` buffer too.)
    """
    return x if isinstance(x, (np.ndarray, np.generic)) else getattr(x, "data", x)


class NumpyNamespace:
    """The array namespace of ordinary (first-order) backward: thin numpy calls."""

    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    sqrt = staticmethod(np.sqrt)
    sin = staticmethod(np.sin)
    cos = staticmethod(np.cos)
    sign = staticmethod(np.sign)
    abs = staticmethod(np.abs)
    matmul = staticmethod(np.matmul)
    where = staticmethod(np.where)
    reshape = staticmethod(np.reshape)
    broadcast_to = staticmethod(np.broadcast_to)
    zeros_like = staticmethod(np.zeros_like)
    flip = staticmethod(np.flip)

    @staticmethod
    def sum(x: np.ndarray, axes: Any, keepdims: bool = False) -> np.ndarray:
        """Sum over ``axes`` (an int, a tuple or None)."""
        return np.sum(x, axis=axes, keepdims=keepdims)

    @staticmethod
    def prod(x: np.ndarray, axes: Any) -> np.ndarray:
        """Product over ``axes``, keeping the reduced axes (size 1)."""
        return np.prod(x, axis=axes, keepdims=True)

    @staticmethod
    def permute(x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
        """Reorder axes (``np.transpose``)."""
        return np.transpose(x, axes)

    @staticmethod
    def swap_last(x: np.ndarray) -> np.ndarray:
        """Swap the last two axes (matrix transpose of a batch)."""
        return np.swapaxes(x, -1, -2)

    @staticmethod
    def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        """Sum ``grad`` down to ``shape`` (see :func:`unbroadcast`)."""
        if grad.shape == shape:  # the common case, checked before any call
            return grad
        return unbroadcast(NumpyNamespace, grad, shape)

    @staticmethod
    def const(x: Any, like: Any) -> Any:
        """Return ``x`` as an array-like usable next to ``like`` (numpy: unchanged)."""
        return x

    @staticmethod
    def index_add(shape: tuple[int, ...], index: Any, grad: np.ndarray) -> np.ndarray:
        """A zero array of ``shape`` with ``grad`` added at ``index`` (repeats accumulate)."""
        out = np.zeros(shape, dtype=grad.dtype)
        np.add.at(out, index, grad)
        return out

    @staticmethod
    def pad(x: np.ndarray, pad_width: tuple[tuple[int, int], ...]) -> np.ndarray:
        """Zero-pad ``x`` by ``pad_width`` (numpy's ``((before, after), ...)`` form)."""
        return np.pad(x, pad_width)

    @staticmethod
    def getitem(x: np.ndarray, index: Any) -> np.ndarray:
        """``x[index]``."""
        return x[index]


NUMPY_NS = NumpyNamespace


def _as_array_output(fn: Function, out: Any) -> np.ndarray:
    """Wrap a scalar forward result as a 0-d array, and the same object in ``fn.saved`` too,
    so that ``saved_source`` still recognises the saved output (double backward needs it)."""
    arr = np.asarray(out)
    if fn.saved:
        fn.saved = tuple([arr if s is out else s for s in fn.saved])
    return arr


_DROP_SIZE = 4096
"""Saved arrays of at most this many elements are kept even when unread (dropping one costs
more than the memory it frees)."""


class Function:
    """Base class of every differentiable primitive, and the graph node of its output.

    Recorded nodes carry ``parents`` (see the module docstring), ``needs_input_grad`` (one bool
    per tensor input), ``out_shape``/``out_dtype`` (metadata of the output, which the node
    never references: no cycles) and ``seq``, a creation counter: a node is always created
    after the nodes it consumes, so decreasing ``seq`` is a valid backward order (PyTorch's
    ``sequence_nr``).
    ``hooks``, ``retained`` (a weakref to a tensor that called ``retain_grad``) and ``trace``
    (the forward stack, in anomaly mode) are class-level ``None`` until set on an instance,
    which keeps recording an op cheap.  Subclasses must not declare ``__slots__``.
    """

    __slots__ = (
        "parents", "needs_input_grad", "seq", "out_id", "out_shape", "out_dtype",
    )
    saved: tuple[Any, ...] = ()
    xp: Any = NUMPY_NS
    hooks: list[Any] | None = None
    retained: Any = None
    trace: traceback.StackSummary | None = None
    versions: tuple[Any, ...] | None = None  # (counter, version, array id): see version.py
    _vc: list[int] | None = None  # the output's version counter, once it has one (as Tensor._vc)
    out_version = 0  # the output's version when this node saved it (0 unless made in place)
    saved_alias: dict[int, int | None] | None = None  # see mutation._keep_saved_old_values
    # the version check counts the output as saved (PyTorch's node saves it; ours saves an
    # array made from it, as Relu's mask), so writing it in place refuses backward
    saves_output = False
    # ``saved_for[k]``: the inputs whose gradients read ``saved[k]`` (None: every saved array
    # counts); the version check ignores a saved array no needed gradient reads
    saved_for: tuple[tuple[int, ...], ...] | None = None
    is_view = False  # forward may return a numpy view of its first input (see version.link_view)
    # with ``saved_for``: once apply knows which inputs need a gradient, a large saved array no
    # needed gradient reads is dropped (:meth:`drop_unread`), as PyTorch saves only what it needs
    drops_unread = False

    def forward(self, *args: Any, **kwargs: Any) -> np.ndarray:
        """Compute the output array from input arrays; save what backward needs."""
        raise NotImplementedError(f"{type(self).__name__}: forward is not implemented")

    def backward(self, grad: Any) -> Any:
        """Return the gradient for each tensor input given the output gradient ``grad``."""
        raise NotImplementedError(f"{type(self).__name__}: backward is not implemented")

    def save_for_backward(self, *values: Any) -> None:
        """Keep ``values`` (arrays or constants) for backward, as ``self.saved``."""
        self.saved = values

    @property
    def name(self) -> str:
        """The node's display name, PyTorch style: ``MulBackward``."""
        return type(self).__name__ + "Backward"

    @classmethod
    def apply(cls, *tensors: Any, **constants: Any) -> Any:
        """Run ``forward`` on the tensors' data and, in grad mode, record the node.

        Positional arguments are Tensors; keyword arguments are constants passed to forward.
        This is the hot path of every op: it allocates the node and the output Tensor only.
        """
        fn = _new(cls)
        try:
            out = fn.forward(*[t.data for t in tensors], **constants)
        except ValueError as e:  # numpy's broadcast error does not say which op or shapes
            if "broadcast" not in str(e):
                raise
            shapes = " and ".join(str(t.data.shape) for t in tensors)  # RuntimeError: PyTorch's
            raise RuntimeError(f"{cls.__name__.lower()}: cannot broadcast shapes {shapes}") from e
        if out.__class__ is not np.ndarray:  # numpy returns scalars from 0-d ops
            out = _as_array_output(fn, out)
        if STATE.enabled:
            for t in tensors:
                if t.requires_grad:
                    if len(tensors) == 1:  # the common unary case, without the comprehensions
                        fn.parents = (t.grad_fn or t,)
                        fn.needs_input_grad = (True,)
                    else:
                        fn.parents = tuple(
                            [(t.grad_fn or t) if t.requires_grad else None for t in tensors]
                        )
                        fn.needs_input_grad = tuple([t.requires_grad for t in tensors])
                        if (cls.drops_unread and out.size > _DROP_SIZE
                                and False in fn.needs_input_grad):
                            fn.drop_unread()  # (out.size first: small ops skip the loop)
                    fn.seq = next(_SEQ)
                    fn.out_id = id(out)  # lets create_graph tell the saved output apart
                    fn.out_shape = out.shape  # what viz shows on the op's outgoing edge
                    fn.out_dtype = out.dtype
                    if STATE.anomaly:
                        fn.trace = traceback.extract_stack()[:-1]
                    if STATE.observer is not None:  # trace_backward(): keep the value to draw
                        STATE.observer.forward(fn, out)
                    res = t._make(out, fn)
                    if fn.saved:  # inputs with a counter (or without a parent): version now
                        for t in tensors:
                            vc = t._vc
                            if vc is not FROZEN and (vc is not None or not t.requires_grad):
                                record_versions(fn, tensors)
                                break
                    if cls.is_view:
                        link_view(res, tensors[0], cls, constants)
                    return res
        res = tensors[0]._make(out, None)
        if cls.is_view:
            link_view(res, tensors[0], cls, constants)
        if STATE.tracer is not None:  # ONNX export (traces under no_grad): op and constants
            STATE.tracer.record(cls, tensors, constants, res)
        return res

    def saved_source(self, value: Any) -> int | None:
        """Which tensor a saved array is: ``-1`` for this node's output, ``i`` for tensor input
        ``i`` (one that requires grad), ``None`` for anything else (a mask, an index, a constant).

        Used by ``create_graph`` backward (to reconnect saved values to the graph) and by ``viz``.
        """
        vid = id(value)
        if self.saved_alias is not None and vid in self.saved_alias:
            return self.saved_alias[vid]
        if vid == self.out_id:
            return -1
        for i, p in enumerate(self.parents):
            if p is not None and vid == (p.out_id if isinstance(p, Function) else id(p.data)):
                return i
        return None

    def stale_saved(self) -> tuple[Any, int, int] | None:
        """``(array, version now, version saved)`` for an array this node saved that has since
        been written in place, or None (see ``autograd/version.py`` for where counters live)."""
        saved_ids: dict[int, Any] | None = None
        recorded: list[int] = []
        if self.versions is not None:
            for vc, version, aid in self.versions:
                recorded.append(aid)
                if vc[0] != version and aid != self.out_id:
                    saved_ids = saved_ids or self._checked_saved()
                    if aid in saved_ids:
                        return saved_ids[aid], vc[0], version
        # inputs saved before they had a counter (version 0 then); an in-place node's output
        # is its input's array, and is checked as the output below
        for p in self.parents:
            if p is None:
                continue
            vc = p._vc  # a leaf's counter, or the producing node's output counter
            aid = p.out_id if isinstance(p, Function) else id(p.data)
            if vc is not None and vc[0] != 0 and aid not in recorded and aid != self.out_id:
                saved_ids = saved_ids or self._checked_saved()
                if aid in saved_ids:
                    return saved_ids[aid], vc[0], 0
        vc = self._vc  # this node's own output
        if vc is not None and vc[0] != self.out_version:
            if self.saves_output:  # what it saved was made from the output, now changed
                out = np.broadcast_to(np.zeros((), self.out_dtype), self.out_shape)
                return out, vc[0], self.out_version
            saved_ids = saved_ids or self._checked_saved()
            if self.out_id in saved_ids:
                return saved_ids[self.out_id], vc[0], self.out_version
        return None

    def drop_unread(self) -> None:
        r"""Replace each large saved array that no needed gradient reads (``saved_for``) by a
        stand-in of its shape and dtype that holds no memory (a broadcast 0-d array): ``x * 2``
        then keeps nothing of ``x`` alive until backward, as PyTorch's ``mul`` saves ``self``
        only when ``other`` needs a gradient.  Backward may still read the stand-in's shape
        and dtype (``unbroadcast`` to ``a.shape``), never its values."""
        need = self.needs_input_grad
        kept = []
        for s, users in zip(self.saved, self.saved_for):  # type: ignore[arg-type]
            if s.__class__ is np.ndarray and s.size > _DROP_SIZE and not any(
                need[i] for i in users
            ):
                s = np.broadcast_to(np.zeros((), s.dtype), s.shape)
            kept.append(s)
        self.saved = tuple(kept)

    def _checked_saved(self) -> dict[int, Any]:
        """The saved arrays backward will read, by id: with ``saved_for``, a saved array that
        only the gradients of inputs needing none would read is left out (PyTorch's ``mul``
        does not save ``self`` when ``other`` needs no grad, so changing it is no error)."""
        if self.saved_for is None:
            return {id(s): s for s in self.saved}
        need = self.needs_input_grad
        return {
            id(s): s
            for s, users in zip(self.saved, self.saved_for)
            if any(need[i] for i in users)
        }

    def check_versions(self) -> None:
        """Raise PyTorch's error if an array this node saved was modified in place since."""
        stale = self.stale_saved()
        if stale is not None:
            arr, now, then = stale
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: [{arr.dtype} {list(arr.shape)}], which was saved by "
                f"{self.name}, is at version {now}; expected version {then} instead. "
                "Hint: clone() the tensor before changing it in place, or change it after "
                "backward."
            )

    def __repr__(self) -> str:
        return f"<{self.name} object at {id(self):#x}>"

    @property
    def next_functions(self) -> tuple[Any, ...]:
        """The parents as PyTorch names them: producing nodes or leaf tensors."""
        return self.parents
