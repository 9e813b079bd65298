"""PyTorch's top-level functions (``torch.exp(x)``, ``torch.sum(x, 1)``, ...) as ``tl.exp(x)``.

Each is a thin, explicit call of the Tensor method of the same name, with PyTorch's signature;
the op itself (forward, backward, kinks) lives with the method's primitive in ``ops/``.
Arithmetic accepts a Python number on either side (``tl.sub(1, x)``); every other function
needs a Tensor ``input`` and says so otherwise.  ``where``, ``cat``, ``stack``, ``split`` and
``chunk`` are exported from their own modules.
"""

from __future__ import annotations

from typing import Any

from tinygrad_lite.tensor import Tensor

__all__ = [
    "add", "sub", "mul", "div", "pow", "neg", "matmul",
    "exp", "log", "log1p", "sqrt", "square", "abs", "sign", "sin", "cos", "tanh", "sigmoid", "relu",
    "clamp", "clip", "maximum", "minimum",
    "lt", "le", "gt", "ge", "eq", "ne",
    "sum", "mean", "amax", "amin", "max", "min", "argmax", "argmin", "var", "std",
    "logsumexp", "prod",
    "reshape", "flatten", "transpose", "permute", "squeeze", "unsqueeze", "flip",
    "gather", "index_select", "masked_fill", "numel", "is_tensor",
]  # fmt: skip


def _tensor(op: str, input: Any) -> Any:
    """``input`` itself, or a TypeError naming ``op`` when it is not a Tensor."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: argument 'input' must be a Tensor, not {type(input).__name__}")
    return input


def _operands(op: str, input: Any, other: Any) -> None:
    """Check that at least one operand of a binary arithmetic op is a Tensor."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(
            f"{op}: expected a Tensor operand, got {type(input).__name__} and "
            f"{type(other).__name__}"
        )


# ----- arithmetic -------------------------------------------------------------------------


def add(input: Any, other: Any, alpha: Any = 1) -> Any:
    """``input + alpha * other`` (``torch.add``)."""
    _operands("add", input, other)
    return input + (other if alpha == 1 else other * alpha)


def sub(input: Any, other: Any, alpha: Any = 1) -> Any:
    """``input - alpha * other`` (``torch.sub``)."""
    _operands("sub", input, other)
    return input - (other if alpha == 1 else other * alpha)


def mul(input: Any, other: Any) -> Any:
    """``input * other`` (``torch.mul``)."""
    _operands("mul", input, other)
    return input * other


def div(input: Any, other: Any) -> Any:
    """``input / other``, true division (``torch.div``)."""
    _operands("div", input, other)
    return input / other


def pow(input: Any, exponent: Any) -> Any:  # noqa: A001 (PyTorch's name)
    """``input ** exponent``; either may be a number (``torch.pow``)."""
    _operands("pow", input, exponent)
    return input**exponent


def neg(input: Any) -> Any:
    """``-input`` (``torch.neg``)."""
    return _tensor("neg", input).neg()


def matmul(input: Any, other: Any) -> Any:
    """Matrix product with 1-D, 2-D and batched rules (``torch.matmul``)."""
    return _tensor("matmul", input).matmul(other)


# ----- elementwise ------------------------------------------------------------------------


def exp(input: Any) -> Any:
    """Elementwise e**x (``torch.exp``)."""
    return _tensor("exp", input).exp()


def log(input: Any) -> Any:
    """Elementwise natural logarithm (``torch.log``)."""
    return _tensor("log", input).log()


def log1p(input: Any) -> Any:
    """Elementwise log(1 + x), accurate for small x (``torch.log1p``)."""
    return _tensor("log1p", input).log1p()


def sqrt(input: Any) -> Any:
    """Elementwise square root (``torch.sqrt``)."""
    return _tensor("sqrt", input).sqrt()


def square(input: Any) -> Any:
    """Elementwise x**2 (``torch.square``)."""
    return _tensor("square", input).square()


def abs(input: Any) -> Any:  # noqa: A001
    """Elementwise |x|; subgradient 0 at 0 (``torch.abs``)."""
    return _tensor("abs", input).abs()


def sign(input: Any) -> Any:
    """Elementwise sign, -1, 0 or 1; gradient 0 (``torch.sign``)."""
    return _tensor("sign", input).sign()


def sin(input: Any) -> Any:
    """Elementwise sine (``torch.sin``)."""
    return _tensor("sin", input).sin()


def cos(input: Any) -> Any:
    """Elementwise cosine (``torch.cos``)."""
    return _tensor("cos", input).cos()


def tanh(input: Any) -> Any:
    """Elementwise hyperbolic tangent (``torch.tanh``)."""
    return _tensor("tanh", input).tanh()


def sigmoid(input: Any) -> Any:
    """Elementwise logistic function (``torch.sigmoid``)."""
    return _tensor("sigmoid", input).sigmoid()


def relu(input: Any) -> Any:
    """max(x, 0); subgradient 0 at 0 (``torch.relu``)."""
    return _tensor("relu", input).relu()


def clamp(input: Any, min: Any = None, max: Any = None) -> Any:  # noqa: A002
    """Clip into [min, max]; bounds may be numbers or Tensors (``torch.clamp``)."""
    return _tensor("clamp", input).clamp(min, max)


def clip(input: Any, min: Any = None, max: Any = None) -> Any:  # noqa: A002
    """Alias of :func:`clamp` (``torch.clip``)."""
    return _tensor("clip", input).clamp(min, max)


def maximum(input: Any, other: Any) -> Any:
    """Elementwise maximum; ties split the gradient 1/2-1/2 (``torch.maximum``)."""
    return _tensor("maximum", input).maximum(other)


def minimum(input: Any, other: Any) -> Any:
    """Elementwise minimum; ties split the gradient 1/2-1/2 (``torch.minimum``)."""
    return _tensor("minimum", input).minimum(other)


# ----- comparisons (bool results, no gradient) --------------------------------------------


def lt(input: Any, other: Any) -> Any:
    """``input < other`` (``torch.lt``)."""
    return _tensor("lt", input) < other


def le(input: Any, other: Any) -> Any:
    """``input <= other`` (``torch.le``)."""
    return _tensor("le", input) <= other


def gt(input: Any, other: Any) -> Any:
    """``input > other`` (``torch.gt``)."""
    return _tensor("gt", input) > other


def ge(input: Any, other: Any) -> Any:
    """``input >= other`` (``torch.ge``)."""
    return _tensor("ge", input) >= other


def eq(input: Any, other: Any) -> Any:
    """``input == other`` elementwise (``torch.eq``)."""
    return _tensor("eq", input) == other


def ne(input: Any, other: Any) -> Any:
    """``input != other`` elementwise (``torch.ne``)."""
    return _tensor("ne", input) != other


# ----- reductions -------------------------------------------------------------------------


def sum(input: Any, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001
    """Sum over ``dim`` (int, tuple or None for all) (``torch.sum``)."""
    return _tensor("sum", input).sum(dim, keepdim)


def mean(input: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """Mean over ``dim`` (``torch.mean``)."""
    return _tensor("mean", input).mean(dim, keepdim)


def amax(input: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """Maximum over ``dim``; ties share the gradient evenly (``torch.amax``)."""
    return _tensor("amax", input).amax(dim, keepdim)


def amin(input: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """Minimum over ``dim``; ties share the gradient evenly (``torch.amin``)."""
    return _tensor("amin", input).amin(dim, keepdim)


def max(input: Any, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001
    """Largest element, ``(values, indices)`` along ``dim``, or the elementwise maximum with
    a Tensor ``dim`` (``torch.max``)."""
    return _tensor("max", input).max(dim, keepdim)


def min(input: Any, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001
    """Smallest element, ``(values, indices)`` along ``dim``, or the elementwise minimum with
    a Tensor ``dim`` (``torch.min``)."""
    return _tensor("min", input).min(dim, keepdim)


def argmax(input: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """Index of the first maximum (``torch.argmax``)."""
    return _tensor("argmax", input).argmax(dim, keepdim)


def argmin(input: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """Index of the first minimum (``torch.argmin``)."""
    return _tensor("argmin", input).argmin(dim, keepdim)


def var(
    input: Any, dim: Any = None, correction: int = 1, keepdim: bool = False,
    unbiased: bool | None = None,
) -> Any:
    """Variance over ``dim``, unbiased by default (``torch.var``)."""
    return _tensor("var", input).var(dim, correction, keepdim, unbiased)


def std(
    input: Any, dim: Any = None, correction: int = 1, keepdim: bool = False,
    unbiased: bool | None = None,
) -> Any:
    """Standard deviation over ``dim``, unbiased by default (``torch.std``)."""
    return _tensor("std", input).std(dim, correction, keepdim, unbiased)


def logsumexp(input: Any, dim: Any, keepdim: bool = False) -> Any:
    """log(sum(exp(x))) over ``dim``, computed stably (``torch.logsumexp``)."""
    return _tensor("logsumexp", input).logsumexp(dim, keepdim)


def prod(input: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """Product over ``dim``; exact gradients with zeros (``torch.prod``)."""
    return _tensor("prod", input).prod(dim, keepdim)


# ----- movement and indexing --------------------------------------------------------------


def reshape(input: Any, shape: Any) -> Any:
    """Same data, new ``shape`` (``torch.reshape``)."""
    return _tensor("reshape", input).reshape(shape)


def flatten(input: Any, start_dim: int = 0, end_dim: int = -1) -> Any:
    """Merge dimensions ``start_dim..end_dim`` (``torch.flatten``)."""
    return _tensor("flatten", input).flatten(start_dim, end_dim)


def transpose(input: Any, dim0: int, dim1: int) -> Any:
    """Swap dimensions ``dim0`` and ``dim1`` (``torch.transpose``)."""
    return _tensor("transpose", input).transpose(dim0, dim1)


def permute(input: Any, dims: Any) -> Any:
    """Reorder dimensions (``torch.permute``)."""
    return _tensor("permute", input).permute(dims)


def squeeze(input: Any, dim: Any = None) -> Any:
    """Remove size-1 dimensions, all or those in ``dim`` (``torch.squeeze``)."""
    return _tensor("squeeze", input).squeeze(dim)


def unsqueeze(input: Any, dim: int) -> Any:
    """Insert a size-1 dimension at ``dim`` (``torch.unsqueeze``)."""
    return _tensor("unsqueeze", input).unsqueeze(dim)


def flip(input: Any, dims: Any) -> Any:
    """Reverse along ``dims`` (``torch.flip``)."""
    return _tensor("flip", input).flip(dims)


def gather(input: Any, dim: int, index: Any) -> Any:
    """Entries along ``dim`` at ``index`` (``torch.gather``)."""
    return _tensor("gather", input).gather(dim, index)


def index_select(input: Any, dim: int, index: Any) -> Any:
    """Slices along ``dim`` at the 1-D ``index`` (``torch.index_select``)."""
    return _tensor("index_select", input).index_select(dim, index)


def masked_fill(input: Any, mask: Any, value: Any) -> Any:
    """``value`` where ``mask`` is true, else ``input`` (``torch.masked_fill``)."""
    return _tensor("masked_fill", input).masked_fill(mask, value)


def numel(input: Any) -> int:
    """Total number of elements (``torch.numel``)."""
    return _tensor("numel", input).numel()


def is_tensor(obj: Any) -> bool:
    """True if ``obj`` is a Tensor (``torch.is_tensor``)."""
    return isinstance(obj, Tensor)
