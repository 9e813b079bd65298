r"""Rounding and remainders: floor, ceil, trunc, round (with ``decimals``), frac, fmod, remainder.

The rounding functions are step functions: PyTorch gives them gradient 0 everywhere (also at
the jumps, where no derivative exists), and ``frac`` $= x - \mathrm{trunc}(x)$ gradient 1.
``fmod`` and ``remainder`` are $a - q b$ with a piecewise constant quotient $q$ (truncated,
respectively floored): $\bar a = \bar y$, $\bar b = -\bar y\, q$ (docs/subgradients.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import tinygrad_lite.tensor as _tm
from tinygrad_lite.autograd.function import Function
from tinygrad_lite.ops import elementwise as ew

__all__ = [
    "Floor", "Ceil", "Trunc", "Round", "Fmod", "Remainder",
    "floor", "ceil", "trunc", "round", "frac", "fmod", "remainder",
]  # fmt: skip


class _Step(Function):
    r"""A piecewise constant function: backward $\bar x = 0$ (PyTorch's choice at the jumps)."""

    def backward(self, grad: Any) -> Any:
        return self.xp.zeros_like(grad)  # not grad * 0: inf * 0 is NaN (PyTorch: zeros)


class Floor(_Step):
    r"""$y = \lfloor x \rfloor$. Backward: $\bar x = 0$."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.floor(x)


class Ceil(_Step):
    r"""$y = \lceil x \rceil$. Backward: $\bar x = 0$."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.ceil(x)


class Trunc(_Step):
    r"""$y = \mathrm{sign}(x) \lfloor |x| \rfloor$ (round toward 0). Backward: $\bar x = 0$."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.trunc(x)


class Round(_Step):
    r"""$y = x$ rounded half to even, to ``decimals`` decimal places. Backward: $\bar x = 0$.

    As PyTorch: ``rint(x * 10**d) / 10**d`` for $d \ge 0$ and ``rint(x / 10**-d) * 10**-d``
    for $d < 0$, in the input's precision.
    """

    def forward(self, x: np.ndarray, decimals: int = 0) -> np.ndarray:
        if decimals == 0:
            return np.rint(x)
        scale = x.dtype.type(10.0 ** abs(decimals))
        if decimals > 0:
            return np.rint(x * scale) / scale
        return np.rint(x / scale) * scale


def _integer_copy(x: Any) -> Any:
    """An integer tensor's rounding is the tensor itself (a copy, no gradient), as PyTorch."""
    return _tm.Tensor._make(x.data.copy(), None)


def _check_rounding_input(op: str, x: Any) -> None:
    if x.dtype == np.bool_:
        raise NotImplementedError(f"{op}: not implemented for bool tensors (shape {x.shape})")


def floor(x: Any) -> Any:
    """Round down, elementwise; gradient 0."""
    _check_rounding_input("floor", x)
    return _integer_copy(x) if x.dtype.kind in "iu" else Floor.apply(x)


def ceil(x: Any) -> Any:
    """Round up, elementwise; gradient 0."""
    _check_rounding_input("ceil", x)
    return _integer_copy(x) if x.dtype.kind in "iu" else Ceil.apply(x)


def trunc(x: Any) -> Any:
    """Round toward zero, elementwise; gradient 0."""
    _check_rounding_input("trunc", x)
    return _integer_copy(x) if x.dtype.kind in "iu" else Trunc.apply(x)


def round(x: Any, decimals: int = 0) -> Any:  # noqa: A001 (PyTorch's name)
    """Round half to even, to ``decimals`` decimal places (negative: tens, hundreds, ...);
    gradient 0."""
    _check_rounding_input("round", x)
    if x.dtype.kind in "iu":
        if decimals != 0:
            raise NotImplementedError(
                f"round: decimals={decimals} is not implemented for integer tensors "
                f"({x.dtype}), as in PyTorch"
            )
        return _integer_copy(x)
    return Round.apply(x, decimals=int(decimals))


def frac(x: Any) -> Any:
    r"""The fractional part $x - \mathrm{trunc}(x)$ (sign of $x$); gradient 1."""
    if x.dtype.kind not in "fc":
        raise NotImplementedError(f"frac: not implemented for {x.dtype} tensors, as in PyTorch")
    return x - Trunc.apply(x)


# ----- fmod and remainder ---------------------------------------------------------------


def _check_integer_divisor(op: str, a: np.ndarray, b: np.ndarray) -> None:
    if a.dtype.kind in "biu" and b.dtype.kind in "biu" and np.any(b == 0):
        raise RuntimeError(
            f"{op}: ZeroDivisionError (integer division by zero; input {a.shape}, other "
            f"{b.shape})"
        )


class Fmod(Function):
    r"""$y = a - \mathrm{trunc}(a / b)\, b$: the C remainder, with the sign of $a$.

    Backward (PyTorch's): $\bar a = \bar y$, $\bar b = -\bar y\, \mathrm{trunc}(a / b)$ (the
    quotient is a constant of the graph: its own gradient is 0).
    """

    def forward(self, a: np.ndarray, b: np.ndarray, dtype: np.dtype) -> np.ndarray:
        _check_integer_divisor("fmod", a, b)
        a, b = a.astype(dtype, copy=False), b.astype(dtype, copy=False)
        quotient = None
        if dtype.kind == "f":
            with np.errstate(divide="ignore", invalid="ignore"):
                quotient = np.trunc(a / b)
        self.save_for_backward(a.shape, b.shape, quotient)
        with np.errstate(invalid="ignore"):
            return np.fmod(a, b)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        return _remainder_backward(self, grad)


class Remainder(Function):
    r"""$y = a - \lfloor a / b \rfloor b$: Python's ``%``, with the sign of $b$.

    Forward as PyTorch: ``fmod(a, b)``, plus $b$ where that is nonzero and its sign differs
    from $b$'s.  Backward: $\bar a = \bar y$, $\bar b = -\bar y \lfloor a / b \rfloor$
    (PyTorch's floor division, ``np.floor_divide``; a constant of the graph).
    """

    def forward(self, a: np.ndarray, b: np.ndarray, dtype: np.dtype) -> np.ndarray:
        _check_integer_divisor("remainder", a, b)
        a, b = a.astype(dtype, copy=False), b.astype(dtype, copy=False)
        if dtype.kind != "f":
            self.save_for_backward(a.shape, b.shape, None)
            return np.remainder(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            quotient = np.floor_divide(a, b)
            mod = np.fmod(a, b)
        self.save_for_backward(a.shape, b.shape, quotient)
        fix = (mod != 0) & ((b < 0) != (mod < 0))
        return np.where(fix, mod + b, mod)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        return _remainder_backward(self, grad)


def _remainder_backward(fn: Function, grad: Any) -> tuple[Any, Any]:
    """Fmod and Remainder: $\\bar a = \\bar y$, $\\bar b = -\\bar y q$ (unbroadcast)."""
    sa, sb, quotient = fn.saved
    need_a, need_b = fn.needs_input_grad
    xp = fn.xp
    ga = xp.unbroadcast(grad, sa) if need_a else None
    gb = xp.unbroadcast(-grad * quotient, sb) if need_b else None
    return ga, gb


def _binary(op: str, cls: Any, a: Any, b: Any) -> Any:
    """Apply ``cls`` to ``a`` and ``b`` (Tensors or numbers) with PyTorch's result dtype."""
    if not isinstance(a, _tm.Tensor):
        a = ew.as_tensor(a, b)
    b = ew.as_tensor(b, a)
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise RuntimeError(f"{op}: cannot broadcast shapes {a.shape} and {b.shape}") from None
    if a.dtype == np.bool_ and b.dtype == np.bool_:
        raise NotImplementedError(f"{op}: not implemented for bool tensors, as in PyTorch")
    return cls.apply(a, b, dtype=ew.result_dtype(a.data, b.data))


def fmod(x: Any, other: Any) -> Any:
    """Elementwise C remainder of ``x / other``, with the sign of ``x`` (``torch.fmod``)."""
    return _binary("fmod", Fmod, x, other)


def remainder(x: Any, other: Any) -> Any:
    """Elementwise Python remainder of ``x / other``, with the sign of ``other``
    (``torch.remainder``)."""
    return _binary("remainder", Remainder, x, other)
