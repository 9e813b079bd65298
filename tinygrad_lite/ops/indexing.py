r"""Indexing primitives: ``x[index]`` (:class:`GetItem`) and its adjoint, :class:`IndexAdd`.

Indexing is a linear map $y = S x$ that selects entries of $x$; its adjoint scatters them back,
$\bar x = S^\top \bar y$: start from zeros of $x$'s shape and *add* $\bar y$ at ``index``.

* **Basic** indices (ints, slices with any step, ``None``, ``Ellipsis``) pick every entry of
  $x$ at most once, so the adjoint is a plain assignment into zeros (fast, a numpy view write).
* **Advanced** indices (integer arrays, lists, int Tensors, boolean masks, and mixes with basic
  ones) may pick an entry several times: ``x[[0, 0]]``.  The adjoint must then *accumulate*
  (``np.add.at``), so that $\partial/\partial x_0 \sum_j y_j = 2$.

The two primitives are each other's adjoint, so double backward needs no extra formula:
the backward of :class:`GetItem` is :class:`IndexAdd` and the backward of :class:`IndexAdd` is
:class:`GetItem`.  ``gather``, ``index_select``, ``masked_fill``, ``split`` and ``chunk``
are composites.

Index semantics are numpy's, which PyTorch follows, with one exception decided for the future:
a *list* index such as ``x[[[0, 1], [1, 0]]]`` is one integer array (numpy 2; PyTorch 2.13 still
reads it as a tuple with a deprecation warning announcing the same change).  A list containing
a slice, ``None`` or ``...`` is read as a tuple, as both libraries do.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import tinygrad_lite.tensor as _tm
from tinygrad_lite.argcheck import as_int, is_int
from tinygrad_lite.autograd.function import NUMPY_NS, Function
from tinygrad_lite.ops import elementwise as ew

_BASIC_TYPES = (int, slice, type(None), type(Ellipsis))


def normalize_dim(op: str, dim: Any, ndim: int) -> int:
    """``dim`` as a non-negative axis of an ``ndim``-dimensional tensor (negative counts back)."""
    if not is_int(dim):  # 1.5 must not silently mean dimension 1
        raise TypeError(f"{op}: argument 'dim' must be int, not {type(dim).__name__}")
    n = max(ndim, 1)  # a 0-d tensor accepts dim 0 and -1, as in PyTorch
    if not -n <= dim < n:
        raise IndexError(
            f"{op}: dimension out of range (expected to be in range of [{-n}, {n - 1}], "
            f"but got {dim})"
        )
    return int(dim) % n


def normalize_index(index: Any) -> tuple[tuple[Any, ...], bool]:
    """Turn a user index into a tuple numpy understands, and say whether it is basic.

    Tensors become their arrays, lists become integer or boolean arrays, 0-d integer arrays
    become ints.  Returns ``(index_tuple, basic)``; ``basic`` is False as soon as one item is
    an array (advanced indexing, whose adjoint must accumulate repeated entries).
    """
    if type(index) is list and any(isinstance(i, _BASIC_TYPES[1:]) for i in index):
        index = tuple(index)
    if type(index) is not tuple:
        index = (index,)
    items = []
    basic = True
    for item in index:
        if type(item) in _BASIC_TYPES:
            items.append(item)
            continue
        if isinstance(item, _tm.Tensor):
            item = item.data
        elif isinstance(item, (list, tuple)):
            item = np.asarray(item) if len(item) else np.zeros(0, dtype=np.intp)
        elif isinstance(item, (bool, np.bool_)):
            item = np.asarray(item)
        elif isinstance(item, (int, np.integer)):
            items.append(int(item))
            continue
        if not isinstance(item, np.ndarray):
            raise TypeError(f"getitem: unsupported index of type {type(item).__name__}")
        if item.dtype.kind not in "iub":
            raise IndexError(
                f"getitem: tensors used as indices must be integer or bool, got {item.dtype}"
            )
        if item.ndim == 0 and item.dtype.kind != "b":
            items.append(int(item))
            continue
        basic = False
        items.append(item)
    return tuple(items), basic


def _index_error(e: IndexError, index: tuple[Any, ...], shape: tuple[int, ...]) -> IndexError:
    """Rephrase numpy's IndexError with the op, the index and the tensor shape."""
    msg = str(e).replace("axis", "dimension")
    return IndexError(f"getitem: {msg} (index {index!r} into a tensor of shape {shape})")


def scatter_add(
    shape: tuple[int, ...], index: tuple[Any, ...], values: np.ndarray, basic: bool
) -> np.ndarray:
    """Zeros of ``shape`` with ``values`` added at ``index`` (numpy; repeated entries add up)."""
    out = np.zeros(shape, dtype=values.dtype)
    if basic or all(type(i) is not np.ndarray or i.dtype == np.bool_ for i in index):
        out[index] = values  # each entry is hit at most once: an assignment is the sum
    else:
        np.add.at(out, index, values)
    return out


class GetItem(Function):
    r"""$y = x[\text{index}]$.

    Backward: $\bar x = \mathrm{zeros}(x.\mathrm{shape})$ with $\bar y$ *added* at ``index``
    (:func:`scatter_add`; under ``create_graph`` the differentiable :class:`IndexAdd`).  Entries
    selected $k$ times receive the sum of their $k$ gradients; unselected entries get 0.
    """

    is_view = True  # for basic indices (numpy returns a view); advanced ones copy

    def forward(self, x: np.ndarray, index: tuple[Any, ...], basic: bool) -> np.ndarray:
        try:
            out = x[index]
        except IndexError as e:
            raise _index_error(e, index, x.shape) from None
        if basic and out.__class__ is not np.ndarray:  # all ints: numpy gives a scalar copy;
            out = x[(*index, Ellipsis)]  # PyTorch a 0-d view that writes reach x through
        self.saved = (x.shape, index, basic)
        return out

    def backward(self, grad: Any) -> Any:
        shape, index, basic = self.saved
        if self.xp is NUMPY_NS:  # first order: plain numpy, an assignment for basic indices
            return scatter_add(shape, index, grad, basic)
        return self.xp.index_add(shape, index, grad)


class IndexAdd(Function):
    r"""$y = \mathrm{zeros}(\text{shape})$ with $v$ added at ``index`` (repeats accumulate).

    The adjoint of :class:`GetItem`. Backward: $\bar v = \bar y[\text{index}]$.
    """

    def forward(self, values: np.ndarray, shape: tuple[int, ...], index: Any) -> np.ndarray:
        index, basic = normalize_index(index)
        try:
            out = scatter_add(tuple(shape), index, values, basic)
        except IndexError as e:
            raise _index_error(e, index, tuple(shape)) from None
        self.saved = (index,)
        return out

    def backward(self, grad: Any) -> Any:
        return self.xp.getitem(grad, self.saved[0])


def _dims_indexed(item: Any) -> int:
    """How many dimensions of the tensor one normalized index item consumes."""
    if type(item) in (int, slice):
        return 1
    if type(item) is np.ndarray:  # a k-d bool mask covers k dimensions, an int array one
        return item.ndim if item.dtype == np.bool_ else 1
    return 0  # None, Ellipsis


def split_integer_selects(
    index: tuple[Any, ...], ndim: int
) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """Split an advanced index holding plain ints into ``(selects, rest)``.

    PyTorch applies integer indices first, as selects, and the array indices to what is left;
    numpy counts ints as advanced indices.  The two differ when an int and an array are
    separated by a slice: for ``x`` of shape (2, 3, 4), ``x[1, :, [0, 1]]`` is (3, 2) in
    PyTorch and (2, 3) in numpy.  ``x[selects][rest]`` gives PyTorch's result: ``selects``
    keeps the ints, slices and ``None`` and puts full slices where arrays were; ``rest``
    indexes that result with the arrays in place and full slices elsewhere.
    """
    n_ellipsis = ndim - sum([_dims_indexed(i) for i in index])
    selects: list[Any] = []
    rest: list[Any] = []
    for item in index:
        if item is Ellipsis:
            selects += [slice(None)] * n_ellipsis
            rest += [slice(None)] * n_ellipsis
        elif type(item) is int:
            selects.append(item)
        elif type(item) is np.ndarray:
            selects += [slice(None)] * _dims_indexed(item)
            rest.append(item)
        else:  # a slice keeps its dimension, None makes a new one: both are whole in rest
            selects.append(item)
            rest.append(slice(None))
    return tuple(selects), tuple(rest)


def _expand_ellipsis(index: tuple[Any, ...], ndim: int) -> tuple[Any, ...]:
    """Replace a single ``...`` by the full slices it stands for.

    Advanced indices separated only by an ``...`` that covers no dimension are adjacent for
    PyTorch but not for numpy, which then moves the broadcast dimensions to the front: for
    ``x`` of shape (3, 3, 3), ``x[:, [0, 1], ..., [0]]`` is (3, 2) in PyTorch and (2, 3) in
    numpy.  Spelled out as slices, numpy agrees.  Anything else is left for numpy to judge.
    """
    if sum([i is Ellipsis for i in index]) != 1:
        return index
    fill = ndim - sum([_dims_indexed(i) for i in index])
    if fill < 0:
        return index
    k = [i is Ellipsis for i in index].index(True)
    return index[:k] + (slice(None),) * fill + index[k + 1 :]


def getitem(x: Any, index: Any) -> Any:
    """``x[index]`` with PyTorch semantics (basic, advanced and boolean indexing).

    Integer indices mixed with array indices are applied first, as PyTorch does (see
    :func:`split_integer_selects`).
    """
    index, basic = normalize_index(index)
    if not basic:
        index = _expand_ellipsis(index, x.data.ndim)
    if (
        not basic
        and any([type(i) is int for i in index])
        and sum([i is Ellipsis for i in index]) <= 1  # else let numpy raise its error
    ):
        selects, rest = split_integer_selects(index, x.data.ndim)
        try:
            selected = GetItem.apply(x, index=selects, basic=True)
        except IndexError as e:
            raise IndexError(str(e).replace(repr(selects), repr(index))) from None
        try:
            return GetItem.apply(selected, index=rest, basic=False)
        except IndexError as e:  # name the index the user wrote, and the tensor it hit
            reason = str(e).split(" (index ")[0].removeprefix("getitem: ")
            raise IndexError(
                f"getitem: {reason} (index {index!r}: its integer indices are applied first, "
                f"the rest indexes the resulting tensor of shape {selected.shape})"
            ) from None
    return GetItem.apply(x, index=index, basic=basic)


def setitem_stages(index: Any, ndim: int) -> tuple[Any, ...]:
    """The numpy indices that ``x[index] = v`` writes through, applied in turn: ``(index,)``,
    or ``(selects, rest)`` when integer indices mix with array indices (PyTorch applies the
    integers first; see :func:`split_integer_selects` and :func:`getitem`)."""
    index, basic = normalize_index(index)
    if basic:
        return (index,)
    index = _expand_ellipsis(index, ndim)
    if any([type(i) is int for i in index]) and sum([i is Ellipsis for i in index]) <= 1:
        return split_integer_selects(index, ndim)
    return (index,)


def _int_index(op: str, index: Any) -> np.ndarray:
    """The integer array behind ``index`` (a Tensor, array or list), or a clear TypeError."""
    arr = index.data if isinstance(index, _tm.Tensor) else np.asarray(index)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{op}: expected an integer index tensor, got dtype {arr.dtype}")
    return arr


def _check_bounds(
    op: str, idx: np.ndarray, dim: int, size: int, error: type[Exception] = IndexError
) -> None:
    """Raise ``error`` if some entry of ``idx`` is outside ``[0, size)``, naming it and the
    dimension (PyTorch: IndexError for ``index_select``, RuntimeError for ``gather``)."""
    if idx.size:
        bad = idx[(idx < 0) | (idx >= size)]
        if bad.size:
            raise error(
                f"{op}: index {int(bad[0])} is out of bounds for dimension {dim} with size {size}"
            )


def gather(x: Any, dim: int, index: Any) -> Any:
    r"""``torch.gather``: $y[i_0..i_{n-1}] = x[i_0..\text{index}[i_0..i_{n-1}]..i_{n-1}]$.

    ``index`` has as many dimensions as ``x`` and is no larger than ``x`` outside ``dim``; the
    output has ``index``'s shape.  A composite: an advanced :func:`getitem` with broadcast
    coordinate grids, so gradients of repeated indices accumulate.
    """
    idx = _int_index("gather", index)
    d = normalize_dim("gather", dim, x.ndim)
    if idx.ndim != x.ndim:
        raise RuntimeError(
            f"gather: index {idx.shape} must have the same number of dimensions as input "
            f"{x.shape}"
        )
    for a in range(x.ndim):
        if a != d and idx.shape[a] > x.shape[a]:
            raise RuntimeError(
                f"gather: index {idx.shape} is larger than input {x.shape} in dimension {a}"
            )
    if x.ndim == 0:
        _check_bounds("gather", idx, 0, 1, RuntimeError)
        return getitem(x, ())
    _check_bounds("gather", idx, d, x.shape[d], RuntimeError)
    grids = list(np.indices(idx.shape, sparse=True))
    grids[d] = idx
    return getitem(x, tuple(grids))


def index_select(x: Any, dim: int, index: Any) -> Any:
    """``torch.index_select``: the entries of ``x`` at ``index`` (1-D) along ``dim``."""
    idx = _int_index("index_select", index)
    if idx.ndim > 1:
        raise IndexError(f"index_select: index must be 0-d or 1-d, got shape {idx.shape}")
    d = normalize_dim("index_select", dim, x.ndim)
    _check_bounds("index_select", idx, d, x.shape[d] if x.ndim else 1)
    if x.ndim == 0:
        return getitem(x, ())
    return getitem(x, (slice(None),) * d + (idx.reshape(-1),))


def masked_fill(x: Any, mask: Any, value: Any) -> Any:
    """``x`` with ``value`` where the boolean ``mask`` (broadcast to ``x``) is true."""
    m = mask.data if isinstance(mask, _tm.Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise TypeError(f"masked_fill: expected a bool mask, got dtype {m.dtype}")
    try:
        ok = np.broadcast_shapes(m.shape, x.shape) == x.shape
    except ValueError:
        ok = False
    if not ok:
        raise RuntimeError(f"masked_fill: mask {m.shape} cannot be broadcast to input {x.shape}")
    return ew.where(m, ew.as_tensor(value, x), x)


def split(x: Any, split_size_or_sections: Any, dim: int = 0) -> tuple[Any, ...]:
    """Split along ``dim`` into pieces of one size (the last may be smaller) or listed sizes."""
    shape = x.data.shape
    d = normalize_dim("split", dim, len(shape))
    n = shape[d]
    if is_int(split_size_or_sections):
        size = int(split_size_or_sections)
        if size <= 0:
            raise RuntimeError(f"split: split_size must be a positive integer, got {size}")
        sizes = [size] * (n // size) + ([n % size] if n % size else []) or [0]
    else:
        if not isinstance(split_size_or_sections, (list, tuple)) or not all(
            map(is_int, split_size_or_sections)
        ):
            raise TypeError(
                f"split: split_size_or_sections must be an int or a list of ints, got "
                f"{split_size_or_sections!r}"
            )
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise RuntimeError(
                f"split: split sizes {sizes} do not sum to {n}, the size of dimension {d} of "
                f"a tensor of shape {shape}"
            )
    lead = (slice(None),) * d
    pieces = []
    offset = 0
    for s in sizes:
        pieces.append(getitem(x, lead + (slice(offset, offset + s),)))
        offset += s
    return tuple(pieces)


def chunk(x: Any, chunks: int, dim: int = 0) -> tuple[Any, ...]:
    """Split into ``chunks`` pieces of ``ceil(n / chunks)`` along ``dim`` (maybe fewer)."""
    chunks = as_int("chunk", "chunks", chunks)
    if chunks <= 0:
        raise RuntimeError(f"chunk: chunks must be greater than 0, got {chunks}")
    shape = x.data.shape
    d = normalize_dim("chunk", dim, len(shape))
    n = shape[d]
    if n == 0:
        return tuple(getitem(x, (slice(None),) * d + (slice(0, 0),)) for _ in range(chunks))
    return split(x, -(-n // chunks), d)
