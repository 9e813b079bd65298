r"""Negative log-likelihood losses of count and real-valued targets: ``poisson_nll_loss`` and
``gaussian_nll_loss`` (PyTorch's names, signatures, defaults and eps handling).  Smooth
composites; the only non-smooth point is ``gaussian_nll_loss``'s variance floor (see there).
"""

from __future__ import annotations

import math

import numpy as np

from tinygrad_lite.nn.functional.losses import apply_reduction, check_tensors, resolve_reduction
from tinygrad_lite.ops import elementwise as ew
from tinygrad_lite.tensor import Tensor

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def poisson_nll_loss(
    input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
    size_average: bool | None = None, eps: float = 1e-8, reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    r"""Poisson NLL of ``target`` counts $y$ with rate $\lambda$.

    ``log_input=True``: ``input`` is $\log\lambda$ and $\ell = e^{x} - y x$; otherwise
    ``input`` is $\lambda$ and $\ell = x - y \log(x + \epsilon)$.  ``full`` adds Stirling's
    approximation of $\log y!$, $y \log y - y + \tfrac12\log(2\pi y)$, where $y > 1$ (else $0$).
    ``target`` gets a gradient too, as in PyTorch (NaN at $y = 0$ with ``full``: $\log 0$).
    """
    op = "poisson_nll_loss"
    reduction = resolve_reduction(op, size_average, reduce, reduction)
    check_tensors(op, input=input, target=target)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        with np.errstate(divide="ignore", invalid="ignore"):  # log(0) where masked out below
            stirling = target * target.log() - target + (target * (2 * math.pi)).log() * 0.5
        loss = loss + ew.where(target.data <= 1, 0.0, stirling)
    return apply_reduction(loss, reduction)


def _var_for(op: str, var: Tensor | float, input: Tensor) -> Tensor:
    """``var`` checked (no negative entries) and shaped to broadcast against ``input``, as
    PyTorch: a number fills ``input``'s shape; a tensor one dimension short gets a trailing 1;
    otherwise it must match ``input`` but in exactly one dimension of size 1."""
    if isinstance(var, (int, float)) and not isinstance(var, bool):
        if var < 0:
            raise ValueError(f"{op}: var has negative entry/entries")
        return Tensor._make(np.full(input.shape, var, dtype=input.dtype), None)
    check_tensors(op, var=var)
    if (var.data < 0).any():
        raise ValueError(f"{op}: var has negative entry/entries")
    if var.shape == input.shape:
        return var
    if input.shape[:-1] == var.shape:
        return var.unsqueeze(-1)
    if var.ndim == input.ndim and sum(
        v for i, v in zip(input.shape, var.shape) if i != v
    ) == 1:  # PyTorch's test: the mismatched sizes of var add up to 1
        return var
    raise ValueError(
        f"{op}: var is of incorrect size {var.shape} for input of shape {input.shape}"
    )


def gaussian_nll_loss(
    input: Tensor, target: Tensor, var: Tensor | float, full: bool = False, eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    r"""Gaussian NLL of ``target`` under mean ``input`` and variance ``var``:
    $\ell = \tfrac12(\log \max(v, \epsilon) + (x - y)^2 / \max(v, \epsilon))$, plus
    $\tfrac12\log 2\pi$ with ``full``.

    ``var`` is a tensor (the shape of ``input``, or one dimension short or of size 1 there:
    homoscedastic) or a number.  The floor $\max(v, \epsilon)$ is applied as PyTorch does,
    in place under ``no_grad``: the value is floored but the gradient is the unfloored
    formula's at the floored value (so $\partial/\partial v \ne 0$ below $\epsilon$).
    """
    op = "gaussian_nll_loss"
    check_tensors(op, input=input, target=target)
    var = _var_for(op, var, input)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{op}: {reduction} is not valid")
    small = var.data < eps
    if small.any():
        var = ew.where(small, (var - var.detach()) + eps, var)  # var - var.detach() is 0
    diff = input - target
    loss = (var.log() + diff * diff / var) * 0.5
    if full:
        loss = loss + _HALF_LOG_2PI
    return apply_reduction(loss, reduction)
