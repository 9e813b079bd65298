r"""Functional forms of the core layers: ``linear``, ``dropout``, ``dropout2d``, ``batch_norm``,
``layer_norm``, ``one_hot``.  Composites of primitives, PyTorch's signatures; ``batch_norm`` in
training mode is the fused :class:`~tinygrad_lite.ops.norm.BatchNorm` primitive.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from tinygrad_lite.autograd.fp import quiet_fp
from tinygrad_lite.autograd.version import mark_dirty
from tinygrad_lite.nn.functional.activations import inplace_result
from tinygrad_lite.ops.linalg import Linear, check_same_dtype
from tinygrad_lite.ops.norm import BatchNorm
from tinygrad_lite.random import get_rng
from tinygrad_lite.tensor import Tensor


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    r"""$y = x W^\top + b$ with ``weight`` of shape ``(out_features, in_features)``: one
    primitive, :class:`~tinygrad_lite.ops.linalg.Linear` (``x @ weight.T + bias`` in one node).

    ``input``, ``weight`` and ``bias`` must have one dtype: like PyTorch, a float64 input to a
    float32 layer raises ``RuntimeError`` (convert with ``.float()``, or the layer with
    ``.double()``) instead of promoting.
    """
    if weight.ndim != 2 or input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        raise RuntimeError(
            f"linear: input {input.shape} does not match weight {weight.shape} "
            f"(expected input (*, {weight.shape[-1]}))"
        )
    check_same_dtype("linear", "input", input, "weight", weight)
    if bias is not None:
        check_same_dtype("linear", "bias", bias, "weight", weight)
        out_shape = tuple(input.shape[:-1]) + (weight.shape[0],)
        try:
            np.broadcast_shapes(out_shape, bias.shape)
        except ValueError:
            raise RuntimeError(
                f"linear: bias of shape {bias.shape} does not match weight {weight.shape} "
                f"(expected ({weight.shape[0]},))"
            ) from None
    if bias is None or bias.shape == (weight.shape[0],):
        return Linear.apply(input, weight) if bias is None else Linear.apply(input, weight, bias)
    return input @ weight.T + bias  # a bias that only broadcasts to the output


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    r"""Inverted dropout: zero each element with probability $p$, scale the rest by $1/(1-p)$.

    The identity when ``training`` is False or $p = 0$; all zeros when $p = 1$.  The mask is
    drawn from :func:`tinygrad_lite.random.get_rng`, so ``manual_seed`` makes it repeatable.
    Backward: $\bar x = \bar y \cdot \text{mask} / (1 - p)$.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return inplace_result("dropout", input, lambda x: x * 0.0, inplace)
    keep = get_rng().random(input.shape, dtype=np.float32) >= np.float32(p)
    scale = np.asarray(1.0 / (1.0 - p), dtype=input.dtype)
    return inplace_result("dropout", input, lambda x: x * Tensor._make(keep * scale, None), inplace)


def dropout2d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    r"""Channel dropout: zero each whole channel ``input[n, c]`` with probability $p$, scale
    the rest by $1/(1-p)$ (Tompson et al., 2015).  The mask has shape $(N, C, 1, \dots)$.

    As PyTorch: a 3-D input is read as $(N, C, L)$ (with its warning, not as unbatched
    $(C, H, W)$), other than 3-D/4-D input warns, and fewer than 2 dimensions is an error.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if input.ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated and "
            "will result in an error in a future release. To retain the behavior and silence "
            "this warning, please use dropout instead.", UserWarning, stacklevel=2)
    if input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim.", UserWarning, stacklevel=2)
    if input.ndim < 2:
        raise RuntimeError(
            f"dropout2d: Feature dropout requires at least 2 dimensions in the input, got "
            f"shape {input.shape}"
        )
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return inplace_result("dropout2d", input, lambda input: input * 0.0, inplace)
    mask_shape = input.shape[:2] + (1,) * (input.ndim - 2)  # (N, C, 1, ...)
    keep = get_rng().random(mask_shape, dtype=np.float32) >= np.float32(p)
    scale = np.asarray(1.0 / (1.0 - p), dtype=input.dtype)
    return inplace_result(
        "dropout2d", input, lambda input: input * Tensor._make(keep * scale, None), inplace
    )


def _check_bn_input(input: Tensor, num_features: int) -> None:
    if input.ndim < 2 or input.shape[1] != num_features:
        raise RuntimeError(
            f"batch_norm: expected input (N, C, *) with C={num_features}, got {input.shape}"
        )


def _channel_shape(input: Tensor) -> tuple[int, ...]:
    """Shape that broadcasts a per-channel vector over ``(N, C, *)``: ``(1, C, 1, ...)``."""
    return (1, input.shape[1]) + (1,) * (input.ndim - 2)


@quiet_fp
def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    r"""Batch normalisation over every dimension but the channel dimension 1.

    Training: $\hat x = (x - \mu_B)/\sqrt{\sigma_B^2 + \epsilon}$ with the batch mean and the
    *biased* batch variance; the running statistics (if given) are updated in place,
    $r \leftarrow (1 - m)\,r + m\,s$, using the *unbiased* variance $\sigma_B^2\,n/(n-1)$.
    Evaluation: the running statistics normalise instead.  Then $y = \gamma \hat x + \beta$.
    """
    if running_mean is not None:
        _check_bn_input(input, running_mean.shape[0])
    elif input.ndim < 2:
        raise RuntimeError(f"batch_norm: expected input (N, C, *), got {input.shape}")
    for name, param in (("weight", weight), ("bias", bias)):
        if param is not None and tuple(param.shape) != (input.shape[1],):
            raise RuntimeError(
                f"batch_norm: expected {name} of shape ({input.shape[1]},) (one per channel), "
                f"got {param.shape}"
            )
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):  # fmt: skip
        if t is not None:  # PyTorch refuses mixed dtypes here (no silent promotion)
            check_same_dtype("batch_norm", "input", input, name, t)
    shape = _channel_shape(input)
    if training:
        n = input.numel() // input.shape[1]
        if n <= 1:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got input size "
                f"{input.shape}"
            )
        both = weight is not None and bias is not None  # the primitive takes both or neither
        affine = (weight, bias) if both else ()
        out = BatchNorm.apply(
            input, *affine, eps=eps, momentum=momentum,
            running_mean=None if running_mean is None else running_mean.data,
            running_var=None if running_var is None else running_var.data,
        )
        for stat in (running_mean, running_var):  # the forward updated them in place
            if stat is not None:
                mark_dirty(stat)
        if both or (weight is None and bias is None):
            return out
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("batch_norm: running_mean and running_var are needed in eval mode")
        mean = Tensor._make(running_mean.data.reshape(shape), None)
        inv_std = 1.0 / np.sqrt(running_var.data.reshape(shape) + eps)
        out = (input - mean) * Tensor._make(inv_std.astype(input.dtype, copy=False), None)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


@quiet_fp
def layer_norm(
    input: Tensor,
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    r"""Normalise over the last ``len(normalized_shape)`` dimensions:
    $y = (x - \mu)/\sqrt{\sigma^2 + \epsilon}\cdot\gamma + \beta$ (biased variance)."""
    norm_shape = (
        (int(normalized_shape),)
        if isinstance(normalized_shape, (int, np.integer))
        else tuple(int(s) for s in normalized_shape)
    )
    k = len(norm_shape)
    if input.ndim < k or tuple(input.shape[input.ndim - k :]) != norm_shape:
        raise RuntimeError(
            f"layer_norm: given normalized_shape={list(norm_shape)}, expected input with "
            f"shape [*, {', '.join(map(str, norm_shape))}], but got input of size {input.shape}"
        )
    for name, param in (("weight", weight), ("bias", bias)):
        if param is not None and tuple(param.shape) != norm_shape:
            raise RuntimeError(
                f"layer_norm: expected {name} of shape {norm_shape} (normalized_shape), "
                f"got {param.shape}"
            )
        if param is not None:  # PyTorch refuses mixed dtypes here (no silent promotion)
            check_same_dtype("layer_norm", "input", input, name, param)
    axes = tuple(range(input.ndim - k, input.ndim))
    mean = input.mean(axes, keepdim=True)
    centered = input - mean
    var = (centered * centered).mean(axes, keepdim=True)
    out = centered / (var + eps).sqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """``(*,)`` int64 class indices -> ``(*, num_classes)`` int64 one-hot rows.

    ``num_classes=-1`` uses ``max + 1``.  Not differentiable (an integer result).
    """
    data = tensor.data
    if data.dtype != np.int64:
        raise TypeError(
            f"one_hot is only applicable to index tensor of type int64, got {data.dtype}"
        )
    if data.size and data.min() < 0:
        raise RuntimeError("one_hot: class values must be non-negative")
    if num_classes == -1:
        num_classes = int(data.max()) + 1 if data.size else 0
    elif data.size and data.max() >= num_classes:
        raise RuntimeError(
            f"one_hot: class values must be smaller than num_classes={num_classes}, "
            f"got {int(data.max())}"
        )
    out = np.zeros(data.shape + (num_classes,), dtype=np.int64)
    np.put_along_axis(out, data[..., None], 1, axis=-1)
    return Tensor._make(out, None)
