"""Tensor methods that work along axes: reductions (``ops/reduce.py``) and movement
(``ops/movement.py``, ``ops/indexing.py``).

``Tensor`` inherits them from :class:`AxisMethods`; each is a one-line call of its op, so
``grep "def sum"`` finds both the method and the primitive.  Kept apart from ``tensor.py`` only
to keep both files short.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tinygrad_lite.ops import moments, movement, product, reduce

if TYPE_CHECKING:
    from tinygrad_lite.tensor import Tensor


class AxisMethods:
    """Reductions and movement as ``Tensor`` methods (mixed into :class:`Tensor`)."""

    __slots__ = ()

    # ----- reductions (ops/reduce.py) ---------------------------------------------------
    def sum(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """Sum over ``dim`` (int, tuple or None for all)."""
        return reduce.sum(self, dim, keepdim)

    def mean(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """Mean over ``dim``."""
        return reduce.mean(self, dim, keepdim)

    def amax(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """Maximum over ``dim``; ties share the gradient evenly."""
        return reduce.amax(self, dim, keepdim)

    def amin(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """Minimum over ``dim``; ties share the gradient evenly."""
        return reduce.amin(self, dim, keepdim)

    def max(self, dim: Any = None, keepdim: bool = False) -> Any:
        """Full maximum (ties evenly), ``(values, indices)`` along ``dim``, or
        ``max(other)``: the elementwise maximum."""
        return reduce.max(self, dim, keepdim)

    def min(self, dim: Any = None, keepdim: bool = False) -> Any:
        """Full minimum (ties evenly), ``(values, indices)`` along ``dim``, or
        ``min(other)``: the elementwise minimum."""
        return reduce.min(self, dim, keepdim)

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        """Index of the first maximum (over the flattened tensor when ``dim`` is None)."""
        return reduce.argmax(self, dim, keepdim)

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        """Index of the first minimum."""
        return reduce.argmin(self, dim, keepdim)

    def var(
        self, dim: Any = None, correction: int = 1, keepdim: bool = False,
        unbiased: bool | None = None,
    ) -> Tensor:
        """Variance, unbiased by default (``correction=1``; ``unbiased=False`` means 0)."""
        return moments.var(self, dim, correction, keepdim, unbiased)

    def std(
        self, dim: Any = None, correction: int = 1, keepdim: bool = False,
        unbiased: bool | None = None,
    ) -> Tensor:
        """Standard deviation, unbiased by default (``correction=1``)."""
        return moments.std(self, dim, correction, keepdim, unbiased)

    def logsumexp(self, dim: Any, keepdim: bool = False) -> Tensor:
        """log(sum(exp(x))) over ``dim``, computed stably."""
        return reduce.logsumexp(self, dim, keepdim)

    def prod(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        """Product over ``dim``; gradients are exact with zeros present."""
        return product.prod(self, dim, keepdim)

    # ----- movement (ops/movement.py) ---------------------------------------------------
    def reshape(self, *shape: Any) -> Tensor:
        """Same data, new shape (one dimension may be -1)."""
        return movement.reshape(self, shape)

    view = reshape

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge dimensions ``start_dim..end_dim`` into one."""
        return movement.flatten(self, start_dim, end_dim)

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        """Swap two dimensions."""
        return movement.transpose(self, dim0, dim1)

    def permute(self, *dims: Any) -> Tensor:
        """Reorder dimensions."""
        return movement.permute(self, dims)

    def squeeze(self, dim: Any = None) -> Tensor:
        """Remove size-1 dimensions (all, or ``dim``)."""
        return movement.squeeze(self, dim)

    def unsqueeze(self, dim: int) -> Tensor:
        """Insert a size-1 dimension at ``dim``."""
        return movement.unsqueeze(self, dim)

    def expand(self, *sizes: Any) -> Tensor:
        """Broadcast to ``sizes`` (-1 keeps a dimension)."""
        return movement.expand(self, sizes)

    def repeat(self, *sizes: Any) -> Tensor:
        """Tile the tensor ``sizes`` times along each dimension."""
        return movement.repeat(self, sizes)

    def flip(self, dims: Any) -> Tensor:
        """Reverse the order of elements along ``dims``."""
        return movement.flip(self, dims)

    def split(self, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
        """Split into chunks of a size, or of the listed sizes."""
        return movement.split(self, split_size_or_sections, dim)

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        """Split into ``chunks`` nearly equal pieces."""
        return movement.chunk(self, chunks, dim)

    def gather(self, dim: int, index: Any) -> Tensor:
        """Entries along ``dim`` at ``index`` (``torch.gather``); repeated indices accumulate."""
        return movement.gather(self, dim, index)

    def index_select(self, dim: int, index: Any) -> Tensor:
        """Slices along ``dim`` at the 1-D ``index``."""
        return movement.index_select(self, dim, index)

    def masked_fill(self, mask: Any, value: Any) -> Tensor:
        """``value`` where the bool ``mask`` (broadcast to this shape) is true, else self."""
        return movement.masked_fill(self, mask, value)

    def expand_as(self, other: Tensor) -> Tensor:
        """Broadcast to ``other``'s shape."""
        return movement.expand(self, other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        """Reshape to ``other``'s shape."""
        return movement.reshape(self, other.shape)

    view_as = reshape_as
