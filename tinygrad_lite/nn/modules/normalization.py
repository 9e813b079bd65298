"""``BatchNorm1d``, ``BatchNorm2d``, ``LayerNorm`` and ``GroupNorm``: PyTorch's parameters,
buffers and numerics.

State-dict entries match PyTorch: BatchNorm has ``weight, bias, running_mean, running_var,
num_batches_tracked`` (the last an int64 scalar), LayerNorm and GroupNorm ``weight, bias``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tinygrad_lite.argcheck import as_size
from tinygrad_lite.autograd.grad_mode import no_grad
from tinygrad_lite.nn import init
from tinygrad_lite.nn.functional.layers import batch_norm, layer_norm
from tinygrad_lite.nn.functional.normalization import group_norm
from tinygrad_lite.nn.modules.module import Module, Parameter
from tinygrad_lite.tensor import Tensor


def _float_dtype(dtype: Any) -> np.dtype:
    return np.dtype(np.float32 if dtype is None else dtype)



def _affine_parameters(
    module: Module, shape: tuple[int, ...], affine: bool, bias: bool, dtype: Any
) -> None:
    """Register ``weight`` (ones) and ``bias`` (zeros) of ``shape``, or None for each, as
    PyTorch's LayerNorm/GroupNorm do."""
    dt = _float_dtype(dtype)
    if affine:
        module.weight = Parameter(np.ones(shape, dtype=dt))
        if bias:
            module.bias = Parameter(np.zeros(shape, dtype=dt))
            return
    else:
        module.register_parameter("weight", None)
    module.register_parameter("bias", None)


def _reset_affine(module: Module) -> None:
    """Weight 1, bias 0 (for whichever of the two exists)."""
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


class _BatchNorm(Module):
    r"""Shared BatchNorm logic; see :func:`tinygrad_lite.nn.functional.batch_norm`.

    Training: normalise with the batch statistics and update the running ones,
    $r \leftarrow (1 - m)\,r + m\,s$ (unbiased variance), counting ``num_batches_tracked``;
    ``momentum=None`` makes $m = 1/\text{num\_batches\_tracked}$ (a cumulative average).
    Eval (with ``track_running_stats``): normalise with the running statistics.
    """

    _expected_dims: tuple[int, ...] = ()

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        num_features = as_size(type(self).__name__, "num_features", num_features)
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        dt = _float_dtype(dtype)
        if affine:
            self.weight = Parameter(np.empty((num_features,), dtype=dt))
            if bias:
                self.bias = Parameter(np.empty((num_features,), dtype=dt))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros((num_features,), dtype=dt)))
            self.register_buffer("running_var", Tensor(np.ones((num_features,), dtype=dt)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, batch count 0."""
        if self.track_running_stats:
            with no_grad():
                self.running_mean.fill_(0)
                self.running_var.fill_(1)
                self.num_batches_tracked.fill_(0)

    def reset_parameters(self) -> None:
        """Reset the running statistics and set weight 1, bias 0."""
        self.reset_running_stats()
        _reset_affine(self)

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim not in self._expected_dims:
            want = " or ".join(f"{d}D" for d in self._expected_dims)
            raise ValueError(
                f"{type(self).__name__}: expected {want} input (got {input.ndim}D input "
                f"of shape {input.shape})"
            )
        if input.shape[1] != self.num_features:
            raise RuntimeError(
                f"{type(self).__name__}: expected input with {self.num_features} channels "
                f"in dimension 1, got shape {input.shape}"
            )

    def forward(self, input: Tensor) -> Tensor:
        """Normalise ``input`` (training: batch statistics; eval: running statistics)."""
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            with no_grad():
                self.num_batches_tracked.add_(1)
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked.data)
        use_batch_stats = self.training or (self.running_mean is None and self.running_var is None)
        track = not self.training or self.track_running_stats
        return batch_norm(
            input,
            self.running_mean if track else None,
            self.running_var if track else None,
            self.weight,
            self.bias,
            use_batch_stats,
            factor,
            self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of ``(N, C)`` or ``(N, C, L)`` input, per channel ``C``."""

    _expected_dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of ``(N, C, H, W)`` input, per channel ``C``."""

    _expected_dims = (4,)


class LayerNorm(Module):
    r"""Normalise over the trailing ``normalized_shape`` dimensions of each sample:
    $y = (x - \mu)/\sqrt{\sigma^2 + \epsilon}\cdot\gamma + \beta$ (biased variance).

    ``weight`` starts at 1 and ``bias`` at 0, both of shape ``normalized_shape``.
    """

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if not isinstance(normalized_shape, (tuple, list)):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(
            [as_size("LayerNorm", "normalized_shape", s) for s in normalized_shape]
        )
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        _affine_parameters(self, self.normalized_shape, elementwise_affine, bias, dtype)

    def reset_parameters(self) -> None:
        """Weight 1, bias 0."""
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        """Layer-normalise ``input`` of shape ``(*, *normalized_shape)``."""
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"
        )


class GroupNorm(Module):
    r"""Group normalisation: the ``num_channels`` channels in ``num_groups`` groups, each
    sample's group normalised over its channels and positions, then per-channel
    $\gamma_c \hat x + \beta_c$ (``weight`` 1, ``bias`` 0 at the start); see
    :func:`~tinygrad_lite.nn.functional.group_norm`."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, device: Any = None, dtype: Any = None, *,
                 bias: bool = True) -> None:
        super().__init__()
        if num_groups <= 0 or num_channels % num_groups:
            raise ValueError(
                f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups "
                f"({num_groups})"
            )
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        _affine_parameters(self, (num_channels,), affine, bias, dtype)

    def reset_parameters(self) -> None:
        """Weight 1, bias 0."""
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        """Group-normalise ``input`` of shape ``(N, C, *)``."""
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self.bias is not None}"
        )
