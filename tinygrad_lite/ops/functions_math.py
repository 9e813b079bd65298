"""PyTorch's top-level math functions of issue 13 (``torch.cumsum(x, 0)``, ``torch.einsum``,
``torch.topk``, ...) as ``tl.cumsum(x, 0)``; the companion of ``ops/functions.py``.

Each is a thin, explicit call of the Tensor method of the same name (or of its op, for
``einsum``), with PyTorch's signature; the op itself lives in ``ops/``.
"""

from __future__ import annotations

from typing import Any

from tinygrad_lite.ops import arrange, rounding
from tinygrad_lite.ops.einsum import einsum  # noqa: F401 (re-exported)
from tinygrad_lite.ops.functions import _tensor

__all__ = [
    "cumsum", "cumprod", "diff", "tan", "floor", "ceil", "round", "trunc", "frac", "fmod",
    "remainder", "tril", "triu", "roll", "repeat_interleave", "outer", "einsum", "sort",
    "argsort", "topk", "scatter", "scatter_add", "index_add", "masked_select", "norm",
]  # fmt: skip


def cumsum(input: Any, dim: int, dtype: Any = None) -> Any:
    """Cumulative sum along ``dim`` (``torch.cumsum``)."""
    return _tensor("cumsum", input).cumsum(dim, dtype)


def cumprod(input: Any, dim: int, dtype: Any = None) -> Any:
    """Cumulative product along ``dim``; exact gradients with zeros (``torch.cumprod``)."""
    return _tensor("cumprod", input).cumprod(dim, dtype)


def diff(input: Any, n: int = 1, dim: int = -1, prepend: Any = None, append: Any = None) -> Any:
    """The ``n``-th forward difference along ``dim`` (``torch.diff``)."""
    return _tensor("diff", input).diff(n, dim, prepend, append)


def tan(input: Any) -> Any:
    """Elementwise tangent (``torch.tan``)."""
    return _tensor("tan", input).tan()


def expm1(input: Any) -> Any:
    """Elementwise ``exp(x) - 1``, accurate for small x (``torch.expm1``)."""
    return _tensor("expm1", input).expm1()


def erf(input: Any) -> Any:
    """Elementwise error function (``torch.erf``)."""
    return _tensor("erf", input).erf()


def reciprocal(input: Any) -> Any:
    """Elementwise ``1 / x`` (``torch.reciprocal``)."""
    return _tensor("reciprocal", input).reciprocal()


def rsqrt(input: Any) -> Any:
    """Elementwise ``1 / sqrt(x)`` (``torch.rsqrt``)."""
    return _tensor("rsqrt", input).rsqrt()


def floor(input: Any) -> Any:
    """Round down; gradient 0 (``torch.floor``)."""
    return _tensor("floor", input).floor()


def ceil(input: Any) -> Any:
    """Round up; gradient 0 (``torch.ceil``)."""
    return _tensor("ceil", input).ceil()


def round(input: Any, decimals: int = 0) -> Any:  # noqa: A001 (PyTorch's name)
    """Round half to even to ``decimals`` places; gradient 0 (``torch.round``)."""
    return _tensor("round", input).round(decimals)


def trunc(input: Any) -> Any:
    """Round toward zero; gradient 0 (``torch.trunc``)."""
    return _tensor("trunc", input).trunc()


def frac(input: Any) -> Any:
    """Fractional part ``x - trunc(x)``; gradient 1 (``torch.frac``)."""
    return _tensor("frac", input).frac()


def fmod(input: Any, other: Any) -> Any:
    """C remainder, with the sign of ``input`` (``torch.fmod``)."""
    return _tensor("fmod", input).fmod(other)


def remainder(input: Any, other: Any) -> Any:
    """Python remainder, with the sign of ``other``; ``input`` may be a number
    (``torch.remainder``)."""
    return rounding.remainder(input, other)


def tril(input: Any, diagonal: int = 0) -> Any:
    """Lower triangle of the last two dimensions (``torch.tril``)."""
    return _tensor("tril", input).tril(diagonal)


def triu(input: Any, diagonal: int = 0) -> Any:
    """Upper triangle of the last two dimensions (``torch.triu``)."""
    return _tensor("triu", input).triu(diagonal)


def roll(input: Any, shifts: Any, dims: Any = None) -> Any:
    """Cyclic shift along ``dims`` (``torch.roll``)."""
    return _tensor("roll", input).roll(shifts, dims)


def repeat_interleave(
    input: Any, repeats: Any = None, dim: int | None = None, output_size: int | None = None
) -> Any:
    """Repeat entries along ``dim``; with one integer tensor, the repeated indices
    (``torch.repeat_interleave``)."""
    return arrange.repeat_interleave(_tensor("repeat_interleave", input), repeats, dim,
                                     output_size)  # fmt: skip


def outer(input: Any, vec2: Any) -> Any:
    """Outer product of two 1-D tensors (``torch.outer``)."""
    return _tensor("outer", input).outer(vec2)


def sort(input: Any, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Any:
    """``(values, indices)`` sorted along ``dim`` (``torch.sort``)."""
    return _tensor("sort", input).sort(dim, descending, stable=stable)


def argsort(input: Any, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
    """Indices that sort along ``dim`` (``torch.argsort``)."""
    return _tensor("argsort", input).argsort(dim, descending, stable)


def topk(input: Any, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
    """``(values, indices)`` of the ``k`` largest entries along ``dim`` (``torch.topk``)."""
    return _tensor("topk", input).topk(k, dim, largest, sorted)


def scatter(input: Any, dim: int, index: Any, src: Any = None, value: Any = None,
            reduce: str | None = None) -> Any:  # fmt: skip
    """``input`` with ``src`` or ``value`` written at ``index`` (``torch.scatter``)."""
    return _tensor("scatter", input).scatter(dim, index, src, value, reduce)


def scatter_add(input: Any, dim: int, index: Any, src: Any) -> Any:
    """``input`` with ``src`` added at ``index`` (``torch.scatter_add``)."""
    return _tensor("scatter_add", input).scatter_add(dim, index, src)


def index_add(input: Any, dim: int, index: Any, source: Any, alpha: Any = 1) -> Any:
    """``input`` with ``alpha * source`` added at ``index`` along ``dim``
    (``torch.index_add``)."""
    return _tensor("index_add", input).index_add(dim, index, source, alpha)


def masked_select(input: Any, mask: Any) -> Any:
    """The entries where ``mask`` is true, 1-D (``torch.masked_select``)."""
    return _tensor("masked_select", input).masked_select(mask)


def norm(input: Any, p: Any = "fro", dim: Any = None, keepdim: bool = False,
         dtype: Any = None) -> Any:  # fmt: skip
    """Vector ``p``-norm over ``dim``; gradient 0 at 0 (``torch.norm``)."""
    return _tensor("norm", input).norm(p, dim, keepdim, dtype)

