r"""``group_norm`` and ``instance_norm`` (PyTorch's signatures).

Both normalise with the *biased* variance of their groups: $\hat x = (x - \mu)/\sqrt{\sigma^2 +
\epsilon}$.  ``group_norm`` takes $\mu, \sigma^2$ over each sample's group of
$C/G$ channels and all spatial positions; ``instance_norm`` over each (sample, channel)'s
spatial positions, and can keep PyTorch's running statistics (updated in place by
:func:`update_running_stats_`, the one place this file writes into a buffer).

Both are the fused :class:`~tinygrad_lite.ops.norm.BatchNorm` primitive on a reshaped view, as
PyTorch computes them: a $(N, C, *)$ input seen as $(1, N G, -1)$ (or $(1, N C, -1)$) has one
"channel" per group, so batch statistics are group statistics -- six passes backward instead of
about twenty for the composite (:func:`_normalize`, kept as the plain form and tested equal).
"""

from __future__ import annotations

import math

import numpy as np

from tinygrad_lite.autograd.version import mark_dirty
from tinygrad_lite.ops.linalg import check_same_dtype
from tinygrad_lite.ops.norm import BatchNorm
from tinygrad_lite.tensor import Tensor


def _normalize(x: Tensor, axes: tuple[int, ...], eps: float) -> Tensor:
    """``(x - mean) / sqrt(var + eps)`` over ``axes`` (biased variance): the plain composite
    form of :func:`_normalize_rows`, kept for the test that both agree."""
    centered = x - x.mean(axes, keepdim=True)
    var = (centered * centered).mean(axes, keepdim=True)
    return centered / (var + eps).sqrt()


def _normalize_rows(x: Tensor, rows: int, eps: float) -> Tensor:
    """``x`` normalised over each of ``rows`` equal consecutive blocks of its elements (biased
    variance): one fused BatchNorm node on the ``(1, rows, -1)`` view, reshaped back."""
    out = BatchNorm.apply(x.reshape(1, rows, -1), eps=eps)
    return out.reshape(*x.shape)


def _check_affine(op: str, input: Tensor, weight: Tensor | None, bias: Tensor | None) -> None:
    for name, param in (("weight", weight), ("bias", bias)):
        if param is None:
            continue
        if tuple(param.shape) != (input.shape[1],):
            raise RuntimeError(
                f"{op}: Expected {name} to be a vector of size equal to the number of channels "
                f"in input, but got {name} of shape {list(param.shape)} and input of shape "
                f"{list(input.shape)}"
            )
        check_same_dtype(op, "input", input, name, param)


def _affine(out: Tensor, weight: Tensor | None, bias: Tensor | None) -> Tensor:
    """``out * weight + bias`` with per-channel vectors broadcast over ``(N, C, *)``."""
    shape = (1, out.shape[1]) + (1,) * (out.ndim - 2)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    r"""Group normalisation (Wu & He, 2018) of ``(N, C, *)`` input: split the $C$ channels into
    ``num_groups`` groups, normalise each sample's group over its channels and positions, then
    $y = \gamma_c \hat x + \beta_c$ per channel.  Smooth; no kink."""
    if input.ndim < 2:
        raise RuntimeError(
            f"group_norm: Expected at least 2 dimensions for input tensor but received "
            f"{input.ndim}"
        )
    n, c = input.shape[:2]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(
            f"group_norm: Expected number of channels in input to be divisible by num_groups, "
            f"but got input of shape {list(input.shape)} and num_groups={num_groups}"
        )
    if (n * c // num_groups) * math.prod(input.shape[2:]) == 1:
        raise ValueError(
            f"group_norm: Expected more than 1 value per channel when training, got input "
            f"size {[n * c // num_groups, num_groups, *input.shape[2:]]}"
        )
    _check_affine("group_norm", input, weight, bias)
    out = _normalize_rows(input, n * num_groups, eps)  # rows (N, G): C/G * positions each
    return _affine(out, weight, bias)


def update_running_stats_(running_mean: Tensor | None, running_var: Tensor | None,
                          mean: np.ndarray, var: np.ndarray, momentum: float) -> None:
    r"""$r \leftarrow (1 - m)\,r + m\,s$ for each given running buffer, *in place* (no
    gradient): the one write into a normalisation buffer's array in this module."""
    for buffer, stat in ((running_mean, mean), (running_var, var)):
        if buffer is not None:
            buffer.data[...] = (1 - momentum) * buffer.data + momentum * stat
            mark_dirty(buffer)  # versioned, as every in-place write


def instance_norm(
    input: Tensor,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    r"""Instance normalisation (Ulyanov et al., 2016) of ``(N, C, *)`` input: each sample's
    channel is normalised over its own positions, then $y = \gamma_c \hat x + \beta_c$.

    With ``use_input_stats`` (training) and running buffers given, they are updated in place as
    PyTorch does: $r_\mu \leftarrow (1-m) r_\mu + m\,\overline{\mu}$ and
    $r_{\sigma^2} \leftarrow (1-m) r_{\sigma^2} + m\,\overline{\sigma^2_u}$, the batch means of
    the instances' means and *unbiased* variances.  Without ``use_input_stats`` the running
    statistics normalise instead.
    """
    if input.ndim < 2:
        raise ValueError(f"instance_norm: expected input (N, C, *), got shape {input.shape}")
    spatial = input.shape[2:]
    positions = math.prod(spatial)
    if use_input_stats and positions == 1:
        raise ValueError(
            f"instance_norm: Expected more than 1 spatial element when training, got input "
            f"size {input.shape}"
        )
    _check_affine("instance_norm", input, weight, bias)
    c = input.shape[1]
    for name, buf in (("running_mean", running_mean), ("running_var", running_var)):
        if buf is not None and tuple(buf.shape) != (c,):
            raise RuntimeError(
                f"instance_norm: expected {name} of shape ({c},) for input of shape "
                f"{input.shape}, got {buf.shape}"
            )
    axes = tuple(range(2, input.ndim))
    if use_input_stats:
        out = _normalize_rows(input, input.shape[0] * c, eps)  # rows (N, C)
        if running_mean is not None or running_var is not None:
            x = input.data
            mean = x.mean(axis=axes).mean(axis=0)
            unbiased = x.var(axis=axes, ddof=1).mean(axis=0)
            update_running_stats_(running_mean, running_var, mean, unbiased, momentum)
    else:
        if running_mean is None or running_var is None:
            raise ValueError(
                "instance_norm: running_mean and running_var are needed when "
                "use_input_stats=False"
            )
        shape = (1, c) + (1,) * len(spatial)
        mean = Tensor._make(running_mean.data.reshape(shape), None)
        inv_std = (1.0 / np.sqrt(running_var.data.reshape(shape) + eps)).astype(input.dtype)
        out = (input - mean) * Tensor._make(inv_std, None)
    # PyTorch repeats weight per sample (a copy) and saves that: an in-place write to weight
    # between forward and backward is no error there, so it scales a clone here
    return _affine(out, None if weight is None else weight.clone(), bias)
