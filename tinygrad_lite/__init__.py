"""tinygrad_lite: a small deep-learning framework on numpy with PyTorch's API.

>>> import tinygrad_lite as tl
>>> x = tl.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> (x * x).sum().backward()
>>> x.grad
tensor([2., 4., 6.])
"""

import numpy as np

from tinygrad_lite import autograd, data, nn, optim, viz
from tinygrad_lite.allocator import keep_freed_memory
from tinygrad_lite.autograd.grad_mode import (
    enable_grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from tinygrad_lite.creation import (
    arange,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    tensor,
    zeros,
    zeros_like,
)
from tinygrad_lite.ops.elementwise import where
from tinygrad_lite.ops.movement import cat, chunk, split, stack
from tinygrad_lite.random import manual_seed
from tinygrad_lite.serialization import load, save
from tinygrad_lite.tensor import Tensor

float16 = np.float16
float32 = np.float32
float64 = np.float64
int32 = np.int32
int64 = np.int64
bool_ = np.bool_

__all__ = [
    "Tensor",
    "autograd",
    "data",
    "optim",
    "viz",
    "tensor",
    "zeros",
    "ones",
    "full",
    "empty",
    "arange",
    "linspace",
    "eye",
    "rand",
    "randn",
    "randint",
    "zeros_like",
    "ones_like",
    "full_like",
    "empty_like",
    "rand_like",
    "randn_like",
    "from_numpy",
    "manual_seed",
    "keep_freed_memory",
    "save",
    "load",
    "nn",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "where",
    "cat",
    "stack",
    "split",
    "chunk",
    "float16",
    "float32",
    "int32",
    "float64",
    "int64",
    "bool_",
]
