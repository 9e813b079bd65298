"""Getting data into and out of a Tensor: ``to_array`` (what ``Tensor(data)`` stores) and the
conversion methods ``numpy``, ``item``, ``tolist``, ``to``/``float``/``double``/``long``/
``bool``, ``len``, iteration and ``bool()``/``float()``/``int()``.

``Tensor`` inherits the methods from :class:`ConversionMethods`; kept apart from ``tensor.py``
only to keep both files short.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from tinygrad_lite.argcheck import to_argument
from tinygrad_lite.ops import elementwise as ew

if TYPE_CHECKING:
    from tinygrad_lite.tensor import Tensor


def _unwrap_elements(data: Any, found_float64: list[bool]) -> Any:
    """Nested lists with one-element Tensors replaced by their 0-d arrays, as
    ``torch.tensor([t1, t2])`` allows; records whether one of them was float64."""
    if isinstance(data, (list, tuple)):
        return [_unwrap_elements(d, found_float64) for d in data]
    if isinstance(data, ConversionMethods):
        if data.data.size != 1:
            raise ValueError(
                f"Tensor: only one-element tensors can be list elements, got shape "
                f"{data.data.shape} (use stack or cat)"
            )
        found_float64[0] |= data.data.dtype == np.float64
        return data.data.reshape(())
    return data


def _numpy_array(data: Any, dtype: Any) -> np.ndarray:
    """``np.array(data, dtype)``, with ragged lists reported as a Tensor error."""
    try:
        return np.array(data, dtype=None if dtype is None else np.dtype(dtype))
    except ValueError as e:  # ragged nested lists
        raise ValueError(f"Tensor: cannot convert data to a tensor: {e}") from None


def to_array(data: Any, dtype: Any) -> np.ndarray:
    """Convert ``data`` as ``torch.tensor`` does: Python floats -> float32, ints -> int64,
    bools -> bool; numpy arrays and scalars keep their dtype; ``dtype`` overrides.  Lists may
    hold one-element Tensors (a float64 one makes the result float64)."""
    found_float64 = [False]
    if isinstance(data, (list, tuple)):  # Tensors inside become their arrays (never __array__)
        data = _unwrap_elements(data, found_float64)
    arr = _numpy_array(data, dtype)
    if dtype is None and not isinstance(data, (np.ndarray, np.generic)):
        if arr.dtype == np.float64 and not found_float64[0]:
            arr = arr.astype(np.float32)
    if arr.dtype.kind not in "biufc":
        raise TypeError(
            f"Tensor: cannot convert data of type {type(data).__name__} (numpy dtype "
            f"{arr.dtype}); expected numbers, nested lists of numbers or a numeric array"
        )
    return arr


class ConversionMethods:
    """Conversions as ``Tensor`` methods (mixed into :class:`Tensor`)."""

    __slots__ = ()
    data: np.ndarray
    requires_grad: bool

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied), like ``torch.Tensor.numpy``."""
        if self.requires_grad:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy()"
            )
        return self.data

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """numpy's array protocol (numpy 2 signature): ``np.asarray(t)``, ``plt.imshow(t)`` and
        ``torch.as_tensor(t)`` see the data.  Shared, not copied, unless ``dtype`` changes it or
        ``copy=True``; refused, as ``numpy()``, on a tensor that requires grad."""
        arr = self.numpy()
        if dtype is not None and np.dtype(dtype) != arr.dtype:
            if copy is False:
                raise ValueError(
                    f"__array__: converting {arr.dtype} to {np.dtype(dtype)} needs a copy, "
                    "but copy=False"
                )
            return arr.astype(dtype)
        return arr.copy() if copy else arr

    def __dlpack__(self, **kwargs: Any) -> Any:
        """The DLPack protocol (what ``torch.as_tensor(t)`` and ``torch.from_dlpack(t)`` use):
        the data's capsule, shared, not copied; refused, as ``numpy()``, on a tensor that
        requires grad."""
        return self.numpy().__dlpack__(**kwargs)

    def __dlpack_device__(self) -> tuple[int, int]:
        """DLPack's device of the data: the CPU."""
        return self.data.__dlpack_device__()

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise RuntimeError(
                f"item: a Tensor with {self.data.size} elements cannot be converted to Scalar"
            )
        return self.data.item()

    def tolist(self) -> Any:
        """The data as (nested) Python lists."""
        return self.data.tolist()

    def to(self, *args: Any, dtype: Any = None, device: Any = None) -> Tensor:
        """Cast to a dtype (differentiable between float types), or to another Tensor's dtype;
        the same tensor if unchanged.  Devices must be the CPU (``to("cpu")`` is a no-op: all
        tensors live there); another device raises ``RuntimeError``.  As ``torch.Tensor.to``:
        ``to(dtype)``, ``to(other)``, ``to(device, dtype)``, ``to(dtype=..., device=...)``."""
        target = None if dtype is None else to_argument("to", dtype)
        if device is not None and to_argument("to", device) is not None:
            raise TypeError(f"to: device must be a device, got {device!r}")
        for arg in args:
            asked = to_argument("to", arg)
            target = asked if asked is not None else target
        if target is None:
            return self  # type: ignore[return-value]
        return ew.cast(self, target)

    def float(self) -> Tensor:
        """Cast to float32."""
        return ew.cast(self, np.dtype(np.float32))

    def double(self) -> Tensor:
        """Cast to float64."""
        return ew.cast(self, np.dtype(np.float64))

    def long(self) -> Tensor:
        """Cast to int64 (no gradient)."""
        return ew.cast(self, np.dtype(np.int64))

    def bool(self) -> Tensor:
        """Cast to bool (no gradient)."""
        return ew.cast(self, np.dtype(np.bool_))

    def __len__(self) -> int:
        """The size of the first dimension (a 0-d tensor has no len)."""
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self) -> Any:
        """Iterate over the first dimension: ``t[0], t[1], ...`` (views in the graph)."""
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.data.shape[0]))  # type: ignore[index]

    def __bool__(self) -> bool:
        """The truth value of a one-element tensor (``if t:``); more elements: an error."""
        if self.data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {self.data.size} elements is ambiguous"
            )
        return bool(self.data)

    def __float__(self) -> float:
        """``float(t)`` of a one-element tensor."""
        return float(self.item())

    def __int__(self) -> int:
        """``int(t)`` of a one-element tensor (truncates, as Python's ``int``)."""
        return int(self.item())
