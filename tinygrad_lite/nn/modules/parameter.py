"""``Parameter``: the Tensor subclass that marks a module attribute as trainable."""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_lite.argcheck import check_numeric_array
from tinygrad_lite.autograd.version import counter_of
from tinygrad_lite.tensor import Tensor


class Parameter(Tensor):
    """A Tensor that a :class:`Module` registers as a trainable parameter.

    ``Parameter(data=None, requires_grad=True)``: shares ``data``'s array when ``data`` is a
    Tensor (as ``torch.nn.Parameter`` shares storage); an array is used as is, other data is
    converted as by :func:`tinygrad_lite.tensor`.

    >>> import tinygrad_lite as tl
    >>> tl.nn.Parameter(tl.tensor([1.0, 2.0]))
    Parameter containing:
    tensor([1., 2.], requires_grad=True)
    """

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            array = np.empty((0,), dtype=np.float32)
        elif isinstance(data, Tensor):
            array = data.data
        elif isinstance(data, np.ndarray):
            array = check_numeric_array("Parameter", data)
        else:
            array = Tensor(data).data
        # fill the slots directly: Tensor.__init__ would copy the array, a Parameter shares it
        self.data = array
        self._grad = None
        self.grad_fn = None
        self._hooks = None
        self._vc = counter_of(data) if isinstance(data, Tensor) else None  # shared storage
        self._view = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
