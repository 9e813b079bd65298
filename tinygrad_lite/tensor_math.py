"""Tensor methods of the math ops of issue 13: scans, rounding, triangles, sorting, scatter,
einsum's neighbours and norms (``ops/scan.py``, ``ops/rounding.py``, ``ops/trig.py``,
``ops/arrange.py``, ``ops/sorting.py``, ``ops/scatter.py``, ``ops/vector_norm.py``).

``Tensor`` inherits them from :class:`MathMethods`; each is a one-line call of its op, so
``grep "def cumsum"`` finds both the method and the primitive.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tinygrad_lite.ops import (
    arrange,
    rounding,
    scan,
    scatter,
    sorting,
    special,
    trig,
    vector_norm,
)

if TYPE_CHECKING:
    from tinygrad_lite.tensor import Tensor


class MathMethods:
    """Scans, rounding, sorting, scatter and norms as ``Tensor`` methods (mixed into Tensor)."""

    __slots__ = ()

    # ----- scans (ops/scan.py) ----------------------------------------------------------
    def cumsum(self, dim: int, dtype: Any = None) -> Tensor:
        """Cumulative sum along ``dim`` (integer and bool inputs give int64)."""
        return scan.cumsum(self, dim, dtype)

    def cumprod(self, dim: int, dtype: Any = None) -> Tensor:
        """Cumulative product along ``dim``; exact gradients with zeros present."""
        return scan.cumprod(self, dim, dtype)

    def diff(
        self, n: int = 1, dim: int = -1, prepend: Any = None, append: Any = None
    ) -> Tensor:
        """The ``n``-th forward difference along ``dim``."""
        return scan.diff(self, n, dim, prepend, append)

    # ----- elementwise: tan, rounding and remainders (ops/trig.py, ops/rounding.py) -------
    def tan(self) -> Tensor:
        """Elementwise tangent."""
        return trig.tan(self)

    def expm1(self) -> Tensor:
        """Elementwise ``exp(x) - 1``, accurate for small x (``torch.Tensor.expm1``)."""
        return special.expm1(self)

    def erf(self) -> Tensor:
        """Elementwise error function (``torch.Tensor.erf``)."""
        return special.erf(self)

    def reciprocal(self) -> Tensor:
        """Elementwise ``1 / x`` (``torch.Tensor.reciprocal``; integers give floats)."""
        return 1.0 / self

    def rsqrt(self) -> Tensor:
        """Elementwise ``1 / sqrt(x)`` (``torch.Tensor.rsqrt``)."""
        return 1.0 / self.sqrt()

    def floor(self) -> Tensor:
        """Round down; gradient 0."""
        return rounding.floor(self)

    def ceil(self) -> Tensor:
        """Round up; gradient 0."""
        return rounding.ceil(self)

    def trunc(self) -> Tensor:
        """Round toward zero; gradient 0."""
        return rounding.trunc(self)

    def round(self, decimals: int = 0) -> Tensor:
        """Round half to even to ``decimals`` places; gradient 0."""
        return rounding.round(self, decimals)

    def frac(self) -> Tensor:
        """Fractional part ``x - trunc(x)``; gradient 1."""
        return rounding.frac(self)

    def fmod(self, other: Any) -> Tensor:
        """C remainder of ``self / other`` (sign of ``self``)."""
        return rounding.fmod(self, other)

    def remainder(self, other: Any) -> Tensor:
        """Python remainder of ``self / other`` (sign of ``other``)."""
        return rounding.remainder(self, other)

    def __mod__(self, other: Any) -> Tensor:
        """``self % other``: :meth:`remainder` (the sign of ``other``, as Python's ``%``)."""
        return rounding.remainder(self, other)

    def __rmod__(self, other: Any) -> Tensor:
        """``other % self``: :meth:`remainder`."""
        return rounding.remainder(other, self)

    # ----- rearranging (ops/arrange.py) -------------------------------------------------
    def tril(self, diagonal: int = 0) -> Tensor:
        """Lower triangle of the last two dimensions (the rest set to 0)."""
        return arrange.tril(self, diagonal)

    def triu(self, diagonal: int = 0) -> Tensor:
        """Upper triangle of the last two dimensions (the rest set to 0)."""
        return arrange.triu(self, diagonal)

    def roll(self, shifts: Any, dims: Any = None) -> Tensor:
        """Shift entries cyclically by ``shifts`` along ``dims`` (flattened when None)."""
        return arrange.roll(self, shifts, dims)

    def repeat_interleave(
        self, repeats: Any, dim: int | None = None, output_size: int | None = None
    ) -> Tensor:
        """Repeat each entry ``repeats`` times along ``dim`` (flattened when None)."""
        return arrange.repeat_interleave(self, repeats, dim, output_size)

    def outer(self, vec2: Any) -> Tensor:
        """Outer product of two 1-D tensors."""
        return arrange.outer(self, vec2)

    def sum_to_size(self, *size: Any) -> Tensor:
        """Sum down to ``size``, the adjoint of expanding ``size`` to this shape."""
        return arrange.sum_to_size(self, size)

    # ----- sorting (ops/sorting.py) -----------------------------------------------------
    def sort(self, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Any:
        """``(values, indices)`` sorted along ``dim``; ties keep their order."""
        return sorting.sort(self, dim, descending, stable=stable)

    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
        """The indices that sort along ``dim``."""
        return sorting.argsort(self, dim, descending, stable)

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
        """``(values, indices)`` of the ``k`` largest (or smallest) entries along ``dim``."""
        return sorting.topk(self, k, dim, largest, sorted)

    # ----- scatter family (ops/scatter.py) ----------------------------------------------
    def scatter(self, dim: int, index: Any, src: Any = None, value: Any = None,
                reduce: str | None = None) -> Tensor:  # fmt: skip
        """A copy with ``src`` (a Tensor, or the number ``value``) written at ``index``."""
        return scatter.scatter(self, dim, index, src, value, reduce)

    def scatter_add(self, dim: int, index: Any, src: Any) -> Tensor:
        """A copy with ``src`` added at ``index`` (repeated indices accumulate)."""
        return scatter.scatter_add(self, dim, index, src)

    def index_add(self, dim: int, index: Any, source: Any, alpha: Any = 1) -> Tensor:
        """A copy with ``alpha * source`` added at the 1-D ``index`` along ``dim``."""
        return scatter.index_add(self, dim, index, source, alpha)

    def masked_select(self, mask: Any) -> Tensor:
        """The entries where the bool ``mask`` (broadcast) is true, as a 1-D tensor."""
        return scatter.masked_select(self, mask)

    # ----- norms (ops/vector_norm.py) ---------------------------------------------------
    def norm(self, p: Any = "fro", dim: Any = None, keepdim: bool = False,
             dtype: Any = None) -> Tensor:  # fmt: skip
        """The vector ``p``-norm over ``dim`` (``'fro'``: the 2-norm); gradient 0 at 0."""
        return vector_norm.norm(self, p, dim, keepdim, dtype)
