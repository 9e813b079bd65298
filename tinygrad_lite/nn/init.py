r"""Parameter initialisation, ``torch.nn.init``'s names, formulas and defaults.

Every function fills its tensor *in place* (the array behind it keeps its identity and dtype),
records nothing in the autograd graph, and returns the tensor.  Random draws come from
:func:`tinygrad_lite.random.get_rng` (or an explicit ``generator``).

Fans: for a weight of shape ``(out, in, *kernel)``, $\text{fan\_in} = \text{in}\cdot\prod
\text{kernel}$ and $\text{fan\_out} = \text{out}\cdot\prod\text{kernel}$.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_lite.autograd.grad_mode import no_grad
from tinygrad_lite.random import get_rng
from tinygrad_lite.tensor import Tensor


def calculate_gain(nonlinearity: str, param: Any = None) -> float:
    r"""The recommended gain for a nonlinearity (PyTorch's table).

    linear, conv*, sigmoid: $1$; tanh: $5/3$; relu: $\sqrt2$;
    leaky_relu: $\sqrt{2/(1 + s^2)}$ with slope $s$ = ``param`` (default 0.01); selu: $3/4$.
    """
    linear_fns = [
        "linear", "conv1d", "conv2d", "conv3d",
        "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    ]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight shaped ``(out, in, *kernel)``."""
    if tensor.ndim < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
        )
    receptive = int(np.prod(tensor.shape[2:])) if tensor.ndim > 2 else 1
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of ['fan_in', 'fan_out']")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor: Tensor, values: Any) -> Tensor:
    """Write ``values`` into ``tensor`` in place (cast to its dtype), outside the graph:
    ``copy_`` under ``no_grad``, so the write is versioned like every other."""
    with no_grad():
        return tensor.copy_(values)


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Tensor:
    r"""Fill with draws from $\mathcal U(a, b)$."""
    return _fill(tensor, get_rng(generator).uniform(a, b, tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Tensor:
    r"""Fill with draws from $\mathcal N(\text{mean}, \text{std}^2)$."""
    return _fill(tensor, get_rng(generator).normal(mean, std, tensor.shape))


def trunc_normal_(
    tensor: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator: Any = None,
) -> Tensor:
    r"""Fill with $\mathcal N(\text{mean}, \text{std}^2)$ draws restricted to $[a, b]$
    (redrawing values that fall outside)."""
    rng = get_rng(generator)
    values = rng.normal(mean, std, tensor.shape)
    bad = (values < a) | (values > b)
    while bad.any():
        values[bad] = rng.normal(mean, std, int(bad.sum()))
        bad = (values < a) | (values > b)
    return _fill(tensor, values)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``."""
    return _fill(tensor, val)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0."""
    return _fill(tensor, 0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1."""
    return _fill(tensor, 1)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity matrix."""
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _fill(tensor, np.eye(*tensor.shape))


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    r"""Glorot uniform: $\mathcal U(-a, a)$ with
    $a = \text{gain}\sqrt{6/(\text{fan\_in} + \text{fan\_out})}$."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    r"""Glorot normal: $\mathcal N(0, \sigma^2)$ with
    $\sigma = \text{gain}\sqrt{2/(\text{fan\_in} + \text{fan\_out})}$."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Any = None,
) -> Tensor:
    r"""He uniform: $\mathcal U(-b, b)$, $b = \text{gain}\sqrt{3/\text{fan}}$.

    ``gain = calculate_gain(nonlinearity, a)``; ``fan`` is fan_in or fan_out per ``mode``.
    ``Linear`` and ``Conv2d`` use ``a=sqrt(5)``, giving $b = 1/\sqrt{\text{fan\_in}}$.
    """
    if 0 in tensor.shape:
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    bound = math.sqrt(3.0) * calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Any = None,
) -> Tensor:
    r"""He normal: $\mathcal N(0, \sigma^2)$, $\sigma = \text{gain}/\sqrt{\text{fan}}$."""
    if 0 in tensor.shape:
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return normal_(tensor, 0.0, std, generator)


def default_layer_init_(weight: Tensor, bias: Tensor | None = None) -> None:
    r"""PyTorch's default init of ``Linear`` and ``Conv2d``, in place.

    ``weight`` ~ ``kaiming_uniform_(a=sqrt(5))``, i.e. $U(-b, b)$ with
    $b = 1/\sqrt{\text{fan\_in}}$, and ``bias`` ~ $U(-b, b)$ too.
    """
    kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = _calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        uniform_(bias, -bound, bound)
