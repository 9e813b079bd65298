r"""Movement primitives: reshape, permute, expand, flip, cat; and their composites.

Each primitive moves entries without arithmetic, so its backward is the inverse movement:

==========  ===============================  ====================================================
primitive   forward                          backward
==========  ===============================  ====================================================
Reshape     $y = x$ viewed as a new shape    $\bar x = \bar y$ viewed as ``x.shape``
Permute     $y = x$ with axes reordered      $\bar x = \bar y$ with the inverse order
Expand      broadcast $x$ to a larger shape  $\bar x = $ ``unbroadcast``$(\bar y)$ (sum)
Flip        reverse along ``dims``           reverse $\bar y$ along ``dims``
Cat         $x_1, \dots, x_k$ joined         $\bar x_i = $ the $i$-th slice of $\bar y$
==========  ===============================  ====================================================

Reshape, Permute and Expand return numpy views (``is_view``: the result shares its base's
version counter) and save only shapes: they sit on hot paths.  Flip copies, as ``torch.flip``.
Composites need no backward of their own: ``squeeze``/``unsqueeze``/``flatten`` are reshapes,
``transpose`` is a permute, ``repeat`` is reshape + expand + reshape, ``stack`` is unsqueeze +
cat.  Indexing (``getitem``, ``gather``, ``split``/``chunk`` as slices, ...) lives in
``ops/indexing.py`` and padding (the ``Pad`` primitive, ``pad``'s four modes) in
``ops/padding.py``; both are re-exported here.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import tinygrad_lite.tensor as _tm
from tinygrad_lite.argcheck import is_int
from tinygrad_lite.autograd.function import Function
from tinygrad_lite.ops.indexing import (
    GetItem,
    IndexAdd,
    chunk,
    gather,
    getitem,
    index_select,
    masked_fill,
    normalize_dim,
    split,
)
from tinygrad_lite.ops.padding import Pad, pad

__all__ = [
    "Reshape", "Permute", "Expand", "Flip", "Pad", "Cat", "GetItem", "IndexAdd",
    "reshape", "permute", "transpose", "expand", "squeeze", "unsqueeze", "flatten", "repeat",
    "flip", "pad", "cat", "stack", "split", "chunk", "getitem", "gather", "index_select",
    "masked_fill",
]  # fmt: skip


def _sizes(args: tuple[Any, ...], op: str = "reshape") -> tuple[int, ...]:
    """Sizes given as ``f(2, 3)`` or ``f((2, 3))`` / ``f([2, 3])``, as one tuple of ints
    (``TypeError`` naming ``op`` for a float, a string, ...)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    for pos, s in enumerate(args):
        if not is_int(s):
            raise TypeError(
                f"{op}: argument must be a tuple of ints, but found element of type "
                f"{type(s).__name__} at pos {pos}"
            )
    return tuple([int(s) for s in args])


# ----- primitives -----------------------------------------------------------------------


class Reshape(Function):
    r"""$y = x$ with a new shape (same entries in row-major order).

    Backward: $\bar x = \mathrm{reshape}(\bar y, x.\mathrm{shape})$.
    """

    is_view = True

    def forward(self, x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        try:
            out = x.reshape(shape)
        except (ValueError, TypeError):
            raise RuntimeError(
                f"reshape: shape {shape} is invalid for input of size {x.size}"
            ) from None
        self.saved = (x.shape,)
        return out

    def backward(self, grad: Any) -> Any:
        return self.xp.reshape(grad, self.saved[0])


class Permute(Function):
    r"""$y = x$ with axes reordered: axis $k$ of $y$ is axis $p_k$ of $x$.

    Backward: $\bar x = \mathrm{permute}(\bar y, p^{-1})$ with $p^{-1}_{p_k} = k$.
    """

    is_view = True

    def forward(self, x: np.ndarray, dims: tuple[int, ...]) -> np.ndarray:
        self.saved = (dims,)
        return x.transpose(dims)

    def backward(self, grad: Any) -> Any:
        dims = self.saved[0]
        inverse = [0] * len(dims)
        for k, d in enumerate(dims):
            inverse[d] = k
        return self.xp.permute(grad, tuple(inverse))


class Expand(Function):
    r"""$y = \mathrm{broadcast}(x, \text{shape})$ (a view, no copy).

    Backward: $\bar x = \mathrm{unbroadcast}(\bar y, x.\mathrm{shape})$: sum over the new
    leading axes and over the axes where $x$ had size 1.
    """

    is_view = True

    def forward(self, x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        self.saved = (x.shape,)
        view = np.broadcast_to(x, shape)  # read-only; the same strides, writable as x is:
        # a write through a region of it without repeated elements (``x.expand(2, 3)[0]``)
        # reaches x, as in PyTorch (``mutation.check_writable`` refuses the repeated ones)
        return np.lib.stride_tricks.as_strided(x, view.shape, view.strides)

    def backward(self, grad: Any) -> Any:
        return self.xp.unbroadcast(grad, self.saved[0])


class Flip(Function):
    r"""$y = x$ reversed along ``dims``: $y_{\dots i \dots} = x_{\dots n-1-i \dots}$.

    Backward: $\bar x = \bar y$ reversed along the same ``dims`` (flip is its own inverse).
    """

    def forward(self, x: np.ndarray, dims: tuple[int, ...]) -> np.ndarray:
        self.saved = (dims,)
        return np.flip(x, dims).copy()  # a copy, as torch.flip: never a view of x

    def backward(self, grad: Any) -> Any:
        return self.xp.flip(grad, self.saved[0])


class Cat(Function):
    r"""$y = [x_1, \dots, x_k]$ joined along ``dim``.

    Backward: $\bar x_i = \bar y[\dots, o_i : o_i + n_i, \dots]$ with $o_i = \sum_{j<i} n_j$.
    """

    def forward(self, *arrays: np.ndarray, dim: int) -> np.ndarray:
        self.saved = (dim, tuple([a.shape[dim] for a in arrays]))
        dtype = _cat_dtype(arrays)
        return np.concatenate(arrays, axis=dim, dtype=dtype)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        dim, sizes = self.saved
        lead = (slice(None),) * dim
        grads = []
        offset = 0
        for n, need in zip(sizes, self.needs_input_grad):
            piece = lead + (slice(offset, offset + n),)
            grads.append(self.xp.getitem(grad, piece) if need else None)
            offset += n
        return tuple(grads)


def _cat_dtype(arrays: tuple[np.ndarray, ...]) -> Any:
    """PyTorch's promotion for cat: floats win over ints (int64 + float32 -> float32)."""
    first = arrays[0].dtype
    if all(a.dtype == first for a in arrays):
        return None
    floats = [a.dtype for a in arrays if a.dtype.kind in "fc"]
    return np.result_type(*floats) if floats else np.result_type(*arrays)


# ----- the public functions -------------------------------------------------------------


def reshape(x: Any, shape: tuple[Any, ...]) -> Any:
    """Same entries, new ``shape`` (``reshape(x, (2, 3))`` or the ``*args`` of the method)."""
    shape = _sizes(shape)
    for i, s in enumerate(shape):
        if s < -1:
            raise RuntimeError(
                f"reshape: invalid shape dimension {s} at index {i} of shape {shape}"
            )
    if shape.count(-1) > 1:
        raise RuntimeError(f"reshape: only one dimension can be inferred, got shape {shape}")
    return Reshape.apply(x, shape=shape)


def permute(x: Any, dims: tuple[Any, ...]) -> Any:
    """Reorder dimensions: output axis ``k`` is input axis ``dims[k]`` (negatives allowed)."""
    dims = _sizes(dims, "permute")
    n = x.data.ndim
    norm = tuple([d + n if d < 0 else d for d in dims])
    if len(norm) != n or sorted(norm) != list(range(n)):
        raise RuntimeError(
            f"permute: dims {dims} are not a permutation of the dimensions of a tensor of "
            f"shape {x.shape}"
        )
    return Permute.apply(x, dims=norm)


def transpose(x: Any, dim0: int, dim1: int) -> Any:
    """Swap dimensions ``dim0`` and ``dim1``."""
    n = x.data.ndim
    if n == 0:
        normalize_dim("transpose", dim0, 0)
        normalize_dim("transpose", dim1, 0)
        return reshape(x, ())
    dims = list(range(n))
    a, b = normalize_dim("transpose", dim0, n), normalize_dim("transpose", dim1, n)
    dims[a], dims[b] = b, a
    return Permute.apply(x, dims=tuple(dims))


def expand(x: Any, sizes: tuple[Any, ...]) -> Any:
    """Broadcast ``x`` to ``sizes``: -1 keeps a dimension, new leading dimensions allowed."""
    sizes = _sizes(sizes, "expand")
    shape = x.data.shape
    lead = len(sizes) - len(shape)
    if lead < 0:
        raise RuntimeError(
            f"expand: the number of sizes {sizes} must be at least the number of dimensions "
            f"of the tensor {shape}"
        )
    target = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(
                    f"expand: size {s} is not allowed in the new leading dimension {i} "
                    f"(expanding {shape} to {sizes})"
                )
        else:
            cur = shape[i - lead]
            if s == -1:
                s = cur
            elif cur != s and cur != 1:
                raise RuntimeError(
                    f"expand: cannot expand shape {shape} to {sizes}: dimension {i} has size "
                    f"{cur}, which is neither 1 nor {s}"
                )
        target.append(s)
    return Expand.apply(x, shape=tuple(target))


def squeeze(x: Any, dim: Any = None) -> Any:
    """Remove size-1 dimensions: all of them, or those in ``dim`` (an int or a tuple)."""
    shape = x.data.shape
    if dim is None:
        return reshape(x, tuple([s for s in shape if s != 1]))
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    axes = {normalize_dim("squeeze", d, len(shape)) for d in dims}
    return reshape(x, tuple([s for i, s in enumerate(shape) if not (i in axes and s == 1)]))


def unsqueeze(x: Any, dim: int) -> Any:
    """Insert a size-1 dimension at ``dim`` (in ``[-ndim - 1, ndim]``, as PyTorch)."""
    shape = x.data.shape
    d = normalize_dim("unsqueeze", dim, len(shape) + 1)
    return reshape(x, shape[:d] + (1,) + shape[d:])


def flatten(x: Any, start_dim: int = 0, end_dim: int = -1) -> Any:
    """Merge dimensions ``start_dim..end_dim`` (inclusive) into one."""
    shape = x.data.shape
    if not shape:
        return reshape(x, (1,))
    s = normalize_dim("flatten", start_dim, len(shape))
    e = normalize_dim("flatten", end_dim, len(shape))
    if s > e:
        raise RuntimeError(f"flatten: start_dim {start_dim} cannot come after end_dim {end_dim}")
    return reshape(x, shape[:s] + (math.prod(shape[s : e + 1]),) + shape[e + 1 :])


def repeat(x: Any, sizes: tuple[Any, ...]) -> Any:
    r"""Tile ``x`` ``sizes[k]`` times along dimension ``k`` (``torch.Tensor.repeat``).

    $y[r\,n + j] = x[j]$ per dimension: reshape to $(1, n)$ pairs, expand to $(r, n)$, merge.
    """
    sizes = _sizes(sizes, "repeat")
    shape = x.data.shape
    if len(sizes) < len(shape):
        raise RuntimeError(
            f"repeat: the number of repeat dims {sizes} cannot be smaller than the number of "
            f"dimensions of the tensor {shape}"
        )
    if any(r < 0 for r in sizes):
        raise RuntimeError(f"repeat: repeats must be non-negative, got {sizes}")
    shape = (1,) * (len(sizes) - len(shape)) + shape
    pairs = reshape(x, tuple(v for n in shape for v in (1, n)))
    tiled = expand(pairs, tuple(v for r, n in zip(sizes, shape) for v in (r, n)))
    return reshape(tiled, tuple(r * n for r, n in zip(sizes, shape)))


def flip(x: Any, dims: Any) -> Any:
    """Reverse the order of entries along ``dims`` (an int or a sequence of ints)."""
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    n = x.data.ndim
    axes = tuple([normalize_dim("flip", d, n) for d in dims])
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"flip: dims {dims} contain a dimension more than once")
    if n == 0:
        return reshape(x, ())
    return Flip.apply(x, dims=axes)


def _as_tensor_list(op: str, tensors: Any) -> list[Any]:
    """The sequence of Tensors ``cat``/``stack`` take, checked to be non-empty Tensors."""
    if isinstance(tensors, _tm.Tensor):
        raise TypeError(f"{op}: expected a sequence of Tensors, got a single Tensor")
    tensors = list(tensors)
    if not tensors:
        raise ValueError(f"{op}: expected a non-empty sequence of Tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, _tm.Tensor):
            raise TypeError(f"{op}: expected Tensors, got {type(t).__name__} at position {i}")
    return tensors


def cat(tensors: Any, dim: int = 0) -> Any:
    """Join tensors along an existing dimension ``dim`` (other dimensions must match)."""
    tensors = _as_tensor_list("cat", tensors)
    first = tensors[0].data.shape
    if not first:
        raise RuntimeError("cat: zero-dimensional tensor (at position 0) cannot be concatenated")
    d = normalize_dim("cat", dim, len(first))
    for t in tensors[1:]:
        s = t.data.shape
        if len(s) != len(first) or s[:d] != first[:d] or s[d + 1 :] != first[d + 1 :]:
            raise RuntimeError(
                f"cat: expected tensors with the same shape except in dimension {d}, got "
                f"{first} and {s}"
            )
    return Cat.apply(*tensors, dim=d)


def stack(tensors: Any, dim: int = 0) -> Any:
    """Join equally shaped tensors along a new dimension ``dim``."""
    tensors = _as_tensor_list("stack", tensors)
    first = tensors[0].data.shape
    for i, t in enumerate(tensors):
        if t.data.shape != first:
            raise RuntimeError(
                f"stack: expected all tensors to have the same shape, got {first} at position "
                f"0 and {t.data.shape} at position {i}"
            )
    d = normalize_dim("stack", dim, len(first) + 1)
    return Cat.apply(*[unsqueeze(t, d) for t in tensors], dim=d)
