"""Tensor creation functions, PyTorch names and defaults (float32 unless told otherwise)."""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_lite.argcheck import as_int, as_shape, check_numeric_array
from tinygrad_lite.random import get_rng
from tinygrad_lite.tensor import Tensor, to_array

_DEFAULT_FLOAT = np.float32


def _shape(size: tuple[Any, ...], op: str = "tensor") -> tuple[int, ...]:
    """Accept ``f(2, 3)`` and ``f((2, 3))`` alike; sizes must be non-negative ints."""
    return as_shape(op, size)


def _float_dtype(op: str, dtype: Any) -> np.dtype:
    """The dtype of a random float sampler (``rand``, ``randn``): floating point only."""
    dt = _dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"{op}: expected a floating point dtype, got {dt} (use randint)")
    return dt


def _new(data: np.ndarray, requires_grad: bool) -> Tensor:
    t = Tensor._make(data, None)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _like(op: str, t: Any) -> Tensor:
    """The template tensor of a ``*_like`` function (``TypeError`` for anything else)."""
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}: argument 'input' must be Tensor, not {type(t).__name__}")
    return t


def _dtype(dtype: Any, default: Any = _DEFAULT_FLOAT) -> np.dtype:
    return np.dtype(default if dtype is None else dtype)


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Copy ``data`` into a new tensor (``torch.tensor``): the dtype is inferred as PyTorch
    does (Python floats -> float32, ints -> int64, bools -> bool; numpy arrays keep theirs).
    The class constructor ``Tensor(list)`` always gives float32, as ``torch.Tensor``."""
    t = Tensor._make(to_array(data.data if isinstance(data, Tensor) else data, dtype), None)
    if requires_grad:
        t.requires_grad_(True)
    return t


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array`` and keeping its dtype."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray, got {type(array).__name__}")
    return Tensor._make(check_numeric_array("from_numpy", array), None)


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros."""
    return _new(np.zeros(_shape(size, "zeros"), dtype=_dtype(dtype)), requires_grad)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones."""
    return _new(np.ones(_shape(size, "ones"), dtype=_dtype(dtype)), requires_grad)


def empty(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor (here: zeros, so results never depend on garbage)."""
    return zeros(*size, dtype=dtype, requires_grad=requires_grad)


def full(size: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value``; the dtype follows the value, as PyTorch."""
    if not isinstance(fill_value, (bool, int, float, complex, np.number, np.bool_)):
        raise TypeError(
            f"full: argument 'fill_value' must be Number, not {type(fill_value).__name__}"
        )
    if dtype is None:
        dtype = np.bool_ if isinstance(fill_value, bool) else (
            np.int64 if isinstance(fill_value, int) else _DEFAULT_FLOAT
        )
    return _new(np.full(_shape((size,), "full"), fill_value, dtype=np.dtype(dtype)), requires_grad)


def arange(
    start: Any, end: Any = None, step: Any = 1, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step``; int64 when all are ints."""
    if end is None:
        start, end = 0, start
    for name, value in (("start", start), ("end", end), ("step", step)):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
            raise TypeError(f"arange: argument '{name}' must be Number, not "
                            f"{type(value).__name__}")  # fmt: skip
        if not np.isfinite(value):
            raise RuntimeError(f"arange: unsupported range: {start} -> {end} (step {step})")
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if (end - start) * step < 0:  # PyTorch refuses, numpy would return an empty range
        raise RuntimeError(
            f"arange: upper bound and lower bound inconsistent with step sign "
            f"(start={start}, end={end}, step={step})"
        )
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if ints else _DEFAULT_FLOAT
    return _new(np.arange(start, end, step).astype(dtype), requires_grad)


def linspace(
    start: float, end: float, steps: int, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    steps = as_int("linspace", "steps", steps)
    if steps < 0:
        raise RuntimeError(f"linspace: number of steps must be non-negative, got {steps}")
    return _new(np.linspace(start, end, steps).astype(_dtype(dtype)), requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """The identity matrix, ``n x m``."""
    n = as_int("eye", "n", n)
    m = n if m is None else as_int("eye", "m", m)
    for name, value in (("n", n), ("m", m)):
        if value < 0:
            raise RuntimeError(f"eye: {name} must be greater or equal to 0, got {value}")
    return _new(np.eye(n, m, dtype=_dtype(dtype)), requires_grad)


def rand(
    *size: Any, dtype: Any = None, requires_grad: bool = False, generator: Any = None
) -> Tensor:
    """Uniform samples from [0, 1)."""
    data = get_rng(generator).random(_shape(size, "rand")).astype(_float_dtype("rand", dtype))
    return _new(data, requires_grad)


def randn(
    *size: Any, dtype: Any = None, requires_grad: bool = False, generator: Any = None
) -> Tensor:
    """Standard normal samples."""
    shape = _shape(size, "randn")
    data = get_rng(generator).standard_normal(shape).astype(_float_dtype("randn", dtype))
    return _new(data, requires_grad)


def randint(
    low: int, high: Any = None, size: Any = None, dtype: Any = None, generator: Any = None
) -> Tensor:
    """Integers from ``low`` to ``high`` (exclusive); ``randint(high, size)`` also works."""
    if size is None:
        low, high, size = 0, low, high
    low, high = as_int("randint", "low", low), as_int("randint", "high", high)
    if low >= high:
        raise RuntimeError(f"randint: low must be less than high, got low={low}, high={high}")
    data = get_rng(generator).integers(low, high, size=_shape((size,), "randint"))
    return Tensor._make(data.astype(_dtype(dtype, np.int64)), None)


def zeros_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros with ``t``'s shape and dtype."""
    t = _like("zeros_like", t)
    return _new(np.zeros(t.shape, dtype=dtype or t.dtype), requires_grad)


def ones_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones with ``t``'s shape and dtype."""
    t = _like("ones_like", t)
    return _new(np.ones(t.shape, dtype=dtype or t.dtype), requires_grad)


def full_like(t: Tensor, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """``fill_value`` with ``t``'s shape and dtype."""
    t = _like("full_like", t)
    return _new(np.full(t.shape, fill_value, dtype=dtype or t.dtype), requires_grad)


def empty_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Like :func:`zeros_like`."""
    return zeros_like(t, dtype, requires_grad)


def rand_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform [0, 1) samples with ``t``'s shape (and float dtype)."""
    t = _like("rand_like", t)
    return rand(*t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def randn_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples with ``t``'s shape (and float dtype)."""
    t = _like("randn_like", t)
    return randn(*t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)
