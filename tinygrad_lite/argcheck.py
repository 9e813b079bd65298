"""Checks of arguments at the API boundary, with PyTorch's exception types.

The conventions (see ``docs/errors.md``):

* an argument of the wrong *type* (a float or a string where a size must be an int) raises
  ``TypeError`` naming the op and the argument;
* a *value* that can never be valid for a size (a negative dimension, a negative number of
  steps) raises ``RuntimeError``, as PyTorch does ("Trying to create tensor with negative
  dimension");
* shape and broadcast mismatches between tensors raise ``RuntimeError``.

Nothing here touches state: every check runs before an op writes anything.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

# numpy dtype kinds a Tensor may hold: bool, signed/unsigned int, float, complex
NUMERIC_KINDS = "biufc"


def is_int(value: Any) -> bool:
    """True for Python and numpy integers (``bool`` excluded, as PyTorch's int arguments)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def as_int(op: str, name: str, value: Any) -> int:
    """``value`` as a Python int, or ``TypeError`` naming ``op`` and the argument ``name``.

    Accepts anything with ``__index__`` except bools (ints, numpy ints, 0-d integer arrays).
    """
    if not isinstance(value, (bool, np.bool_)):
        try:
            return operator.index(value)
        except TypeError:
            pass
    raise TypeError(f"{op}: argument '{name}' must be int, not {type(value).__name__}")


def as_size(op: str, name: str, value: Any) -> int:
    """A non-negative int (a dimension or a count): ``TypeError`` for a non-integer,
    ``RuntimeError`` for a negative one."""
    n = as_int(op, name, value)
    if n < 0:
        raise RuntimeError(f"{op}: argument '{name}' must be non-negative, got {n}")
    return n


def as_shape(op: str, size: tuple[Any, ...]) -> tuple[int, ...]:
    """The shape of ``f(2, 3)`` / ``f((2, 3))`` / ``f([2, 3])``: non-negative ints.

    ``TypeError`` (naming the position) for anything that is not an int -- ``zeros(2.5)``
    does not round to ``(2,)`` -- and ``RuntimeError`` for a negative dimension.
    """
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    shape = []
    for pos, s in enumerate(size):
        if not is_int(s):
            raise TypeError(
                f"{op}: argument 'size' must be a tuple of ints, but found element of type "
                f"{type(s).__name__} at pos {pos}"
            )
        shape.append(int(s))
    if any(s < 0 for s in shape):
        raise RuntimeError(
            f"{op}: trying to create a tensor with negative dimension: {tuple(shape)}"
        )
    return tuple(shape)


def check_numeric_array(op: str, array: np.ndarray, what: str = "data") -> np.ndarray:
    """Refuse arrays a Tensor cannot hold (object, string, structured dtypes): ``TypeError``."""
    if array.dtype.kind not in NUMERIC_KINDS:
        raise TypeError(
            f"{op}: can't convert an array of dtype {array.dtype} ({what}); the only supported "
            "types are bool, integers, floats and complex numbers"
        )
    return array


# device types PyTorch knows: named in an error rather than read as a dtype name
DEVICE_TYPES = (
    "cpu", "cuda", "mps", "xpu", "xla", "meta", "hip", "ipu", "mkldnn", "opengl", "opencl",
    "ideep", "ve", "fpga", "maia", "lazy", "vulkan", "mtia", "hpu", "privateuseone",
)


def to_argument(op: str, arg: Any) -> np.dtype | None:
    """One argument of ``Tensor.to`` / ``Module.to``: the dtype it asks for, or ``None`` for
    the CPU device ("cpu", "cpu:0", a ``torch.device('cpu')``).

    Another device raises ``RuntimeError`` naming it (tinygrad_lite runs on the CPU only); a
    string that is neither a device nor a dtype name raises ``RuntimeError`` as PyTorch's
    device parser does; any other non-dtype raises ``TypeError``.
    """
    is_device = type(arg).__name__ == "device"  # a torch.device, without importing torch
    if isinstance(arg, str) or is_device:
        kind = str(arg).split(":")[0]
        if kind == "cpu":
            return None
        if kind in DEVICE_TYPES:
            raise RuntimeError(
                f"{op}: tinygrad_lite runs on the CPU only; device {str(arg)!r} is not available"
            )
        if is_device:
            raise RuntimeError(f"{op}: unknown device {str(arg)!r}")
    data = getattr(arg, "data", None)
    if isinstance(data, np.ndarray) and hasattr(arg, "requires_grad"):  # a Tensor: its dtype
        return data.dtype
    if arg is not None:
        try:
            return np.dtype(arg)
        except TypeError:
            pass
    if isinstance(arg, str):
        raise RuntimeError(
            f"{op}: expected a dtype name or a device ('cpu'), got {arg!r}"
        )
    raise TypeError(f"{op}: expected a dtype, a Tensor or 'cpu', got {arg!r}")
