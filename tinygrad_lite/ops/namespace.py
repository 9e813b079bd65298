"""The Tensor array namespace that backward formulas use under ``create_graph=True``.

It mirrors :class:`tinygrad_lite.autograd.function.NumpyNamespace` name for name, so that one
backward formula (``g * xp.cos(x)``) builds either plain arrays or a differentiable graph.
"""

from __future__ import annotations

from typing import Any

from tinygrad_lite.autograd.function import unbroadcast
from tinygrad_lite.ops import elementwise as ew
from tinygrad_lite.ops import linalg, movement, padding, product


class TensorNamespace:
    """Array functions on Tensors, for double backward."""

    exp = staticmethod(lambda x: x.exp())
    log = staticmethod(lambda x: x.log())
    sqrt = staticmethod(lambda x: x.sqrt())
    sin = staticmethod(lambda x: x.sin())
    cos = staticmethod(lambda x: x.cos())
    sign = staticmethod(lambda x: x.sign())
    abs = staticmethod(lambda x: x.abs())
    flip = staticmethod(lambda x, axis: x.flip(axis))

    @staticmethod
    def matmul(a: Any, b: Any) -> Any:
        """Batched matrix product of Tensors (no 1-D special cases or user-facing checks)."""
        return linalg.MatMul.apply(a, b)

    @staticmethod
    def where(cond: Any, a: Any, b: Any) -> Any:
        """``a`` where ``cond`` else ``b``; ``cond`` is a constant mask."""
        return ew.where(cond, a, b)

    @staticmethod
    def reshape(x: Any, shape: tuple[int, ...]) -> Any:
        """Reshape a Tensor."""
        return movement.reshape(x, shape)

    @staticmethod
    def broadcast_to(x: Any, shape: tuple[int, ...]) -> Any:
        """Broadcast (expand) a Tensor to ``shape``."""
        return movement.expand(x, shape)

    @staticmethod
    def zeros_like(x: Any) -> Any:
        """A constant zero Tensor like ``x``."""
        return ew.constant_like(0, x)

    @staticmethod
    def sum(x: Any, axes: Any, keepdims: bool = False) -> Any:
        """Sum a Tensor over ``axes``."""
        return x.sum(axes, keepdims)

    @staticmethod
    def prod(x: Any, axes: Any) -> Any:
        """Product of a Tensor over ``axes``, keeping the reduced axes."""
        return product.Prod.apply(x, axes=axes, keepdim=True)

    @staticmethod
    def permute(x: Any, axes: tuple[int, ...]) -> Any:
        """Reorder a Tensor's axes."""
        return movement.permute(x, axes)

    @staticmethod
    def swap_last(x: Any) -> Any:
        """Swap the last two axes."""
        return movement.transpose(x, -1, -2)

    @staticmethod
    def unbroadcast(grad: Any, shape: tuple[int, ...]) -> Any:
        """Sum a Tensor gradient down to ``shape``."""
        return unbroadcast(TensorNamespace, grad, shape)

    @staticmethod
    def const(x: Any, like: Any) -> Any:
        """Wrap an array as a constant Tensor beside ``like``."""
        return ew.as_tensor(x, like)

    @staticmethod
    def index_add(shape: tuple[int, ...], index: Any, grad: Any) -> Any:
        """Zeros of ``shape`` with ``grad`` added at ``index`` (differentiable in ``grad``)."""
        return movement.IndexAdd.apply(grad, shape=shape, index=index)

    @staticmethod
    def pad(x: Any, pad_width: tuple[tuple[int, int], ...]) -> Any:
        """Zero-pad a Tensor by numpy-style ``pad_width``."""
        return padding.Pad.apply(x, pad_width=pad_width)

    @staticmethod
    def getitem(x: Any, index: Any) -> Any:
        """``x[index]`` on a Tensor."""
        return movement.getitem(x, index)
