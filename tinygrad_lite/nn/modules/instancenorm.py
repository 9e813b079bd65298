"""``InstanceNorm2d``: per-sample, per-channel normalisation (PyTorch's defaults: no affine
parameters, no running statistics; its parameters, buffers and repr when they are on)."""

from __future__ import annotations

import warnings

from tinygrad_lite.nn.functional.normalization import instance_norm
from tinygrad_lite.nn.modules.normalization import _BatchNorm
from tinygrad_lite.tensor import Tensor


class InstanceNorm2d(_BatchNorm):
    r"""Normalise each channel of each image of ``(N, C, H, W)`` (or unbatched ``(C, H, W)``)
    input over its own $H \times W$ positions; see
    :func:`~tinygrad_lite.nn.functional.instance_norm`.

    ``affine=True`` adds per-channel ``weight``/``bias``; ``track_running_stats=True`` keeps
    running averages of the instance statistics (``num_batches_tracked`` stays 0, as in
    PyTorch) and uses them in eval mode.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = False, track_running_stats: bool = False, device: object = None,
                 dtype: object = None, *, bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim not in (3, 4):
            raise ValueError(
                f"InstanceNorm2d: expected 3D or 4D input (got {input.ndim}D input)"
            )
        feature_dim = input.ndim - 3
        if input.shape[feature_dim] != self.num_features:
            if self.affine:
                raise ValueError(
                    f"InstanceNorm2d: expected input's size at dim={feature_dim} to match "
                    f"num_features ({self.num_features}), but got: {input.shape[feature_dim]}."
                )
            warnings.warn(
                f"input's size at dim={feature_dim} does not match num_features. You can "
                "silence this warning by not passing in num_features, which is not used "
                "because affine=False", UserWarning, stacklevel=3)

    def forward(self, input: Tensor) -> Tensor:
        """Instance-normalise ``input`` (eval with running statistics: use those)."""
        self._check_input_dim(input)
        unbatched = input.ndim == 3
        x = input.unsqueeze(0) if unbatched else input
        out = instance_norm(
            x, self.running_mean, self.running_var, self.weight, self.bias,
            self.training or not self.track_running_stats,
            self.momentum if self.momentum is not None else 0.0, self.eps,
        )
        return out.squeeze(0) if unbatched else out
