r"""Piecewise-linear activations (``torch.nn.functional`` names and defaults): ``relu6``,
``hardtanh``, ``hardsigmoid``, ``hardswish``, ``softshrink``, ``hardshrink``, ``threshold``.

Each is a primitive (:mod:`tinygrad_lite.ops.activation`).  Every kink takes PyTorch 2.13's
gradient, checked at the kink itself against PyTorch:

===========  ===================================================================
function     gradient at the kink
===========  ===================================================================
hardtanh     $0$ at $x = $ ``min_val`` and $x = $ ``max_val`` (``clamp`` gives $1$ there)
relu6        $0$ at $x = 0$ and $x = 6$ (``hardtanh(x, 0, 6)``)
hardsigmoid  $0$ at $x = \pm 3$
hardswish    $0$ at $x = -3$, $1$ at $x = 3$
softshrink   $0$ at $x = \pm\lambda$ (the flat middle piece includes its ends)
hardshrink   $0$ at $x = \pm\lambda$ (a jump: the value there is $0$)
threshold    $0$ at $x = $ ``threshold`` (the value there is ``value``)
===========  ===================================================================
"""

from __future__ import annotations

import numpy as np

from tinygrad_lite.nn.functional.activations import inplace_result, require_floating
from tinygrad_lite.ops import activation
from tinygrad_lite.tensor import Tensor


def hardtanh(
    input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    r"""$\min(\max(x, \text{min\_val}), \text{max\_val})$.

    Gradient $[\text{min\_val} < x < \text{max\_val}]$: $0$ *at* the bounds (PyTorch's
    ``hardtanh_backward``), unlike ``clamp``, which passes the gradient there.
    """
    if min_val > max_val:
        raise ValueError(
            f"hardtanh: min_val cannot be greater than max_val (got min_val={min_val}, "
            f"max_val={max_val})"
        )
    return inplace_result(
        "hardtanh", input, lambda input: activation.hardtanh(input, min_val, max_val), inplace
    )


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    r"""$\min(\max(x, 0), 6)$; gradient $[0 < x < 6]$, so $0$ at exactly $0$ and $6$."""
    return inplace_result(
        "relu6", input, lambda input: activation.hardtanh(input, 0.0, 6.0), inplace
    )


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    r"""$\mathrm{relu6}(x + 3) / 6$; gradient $\tfrac16$ on $(-3, 3)$, $0$ elsewhere and at
    $\pm 3$.  (The $\tfrac16$ is PyTorch's float32 constant, also in float64.)"""
    require_floating("hardsigmoid", input)
    return inplace_result(
        "hardsigmoid", input, lambda input: activation.hardsigmoid(input), inplace
    )


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    r"""$x\,\mathrm{relu6}(x + 3) / 6$ (Howard et al., MobileNetV3).

    Gradient $0$ for $x \le -3$, $x/3 + \tfrac12$ for $-3 < x < 3$, $1$ for $x \ge 3$.
    """
    require_floating("hardswish", input)
    return inplace_result("hardswish", input, lambda input: activation.hardswish(input), inplace)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    r"""$x - \lambda$ for $x > \lambda$, $x + \lambda$ for $x < -\lambda$, else $+0$.

    Gradient $[|x| > \lambda]$: $0$ at $x = \pm\lambda$ (selected, as PyTorch's
    ``softshrink_backward``: $0$ inside even for an infinite upstream gradient).
    ``lambd`` must be in $[0, \text{the dtype's largest float}]$, as PyTorch checks.
    """
    require_floating("softshrink", input)
    top = float(np.finfo(input.data.dtype).max)
    if not 0 <= lambd <= top:
        raise RuntimeError(
            f"softshrink: lambda must be in range [0, {top:g}] for input dtype "
            f"{input.data.dtype}, but found {lambd}"
        )
    return activation.softshrink(input, lambd)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    r"""$x$ for $|x| > \lambda$, else $+0$.  Gradient $[|x| > \lambda]$: $0$ at $\pm\lambda$.

    Inside $[-\lambda, \lambda]$ the value is $+0$ (not $-0$) and the gradient $0$ even for an
    infinite upstream gradient: both are selected, as PyTorch's kernels (a NaN value passes,
    its gradient is 0).
    """
    require_floating("hardshrink", input)
    return activation.hardshrink(input, lambd)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    r"""$x$ for $x > \text{threshold}$, else ``value``.

    Gradient $[x > \text{threshold}]$: $0$ at $x = $ ``threshold`` (a NaN input passes through,
    with its gradient, as PyTorch's ``x <= threshold ? value : x``).
    """
    return inplace_result(
        "threshold", input, lambda input: activation.threshold(input, threshold, value), inplace
    )
