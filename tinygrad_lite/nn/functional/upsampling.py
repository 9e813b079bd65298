r"""Resizing: ``F.interpolate`` (nearest, nearest-exact, linear, bilinear, trilinear) and
``F.pixel_shuffle`` / ``F.pixel_unshuffle``, with PyTorch's index and weight rules.

All are composites of existing primitives, so they need no backward of their own and are
differentiable to any order:

* **nearest** picks one source index per output index along each axis and gathers them with
  one advanced index (``x[..., rows, cols]``); the gradient scatter-adds back
  (``IndexAdd``), so a source pixel copied $r$ times receives the sum of $r$ gradients.
* **(bi/tri)linear** is separable: along each axis the output is $A x$ with a sparse
  $(S_{out}, S_{in})$ matrix holding PyTorch's two weights per row
  ($\lambda_0 = 1 - \lambda_1$ at $i_0$, $\lambda_1$ at $i_0 + 1$), so bilinear is
  $y = A_h\, x\, A_w^\top$ and its gradient $A_h^\top \bar y A_w$.  (Unlike PyTorch, a non-finite
  input value spreads to the whole row of outputs: $0 \cdot \infty = \mathrm{nan}$.)
* **pixel_shuffle** is a reshape and a permute: $(C r^2, H, W) \to (C, H r, W r)$.

The source index rules, per axis, with $s$ = ``1/scale_factor`` when given, else
$S_{in}/S_{out}$: nearest $\min(\lfloor o s \rfloor, S_{in} - 1)$; nearest-exact
$\min(\lfloor (o + \tfrac12) s \rfloor, S_{in} - 1)$ (with the float rounding of PyTorch's
kernels: see :func:`nearest_indices`); linear with ``align_corners=False``
$\max(0, (o + \tfrac12) s - \tfrac12)$, with ``align_corners=True``
$o (S_{in} - 1)/(S_{out} - 1)$, computed in the input's dtype.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_lite.tensor import Tensor

_LINEAR_DIMS = {"linear": 1, "bilinear": 2, "trilinear": 3}
_MODES = "nearest | nearest-exact | linear | bilinear | trilinear"


def _output_sizes(
    x: Tensor, size: Any, scale_factor: Any, recompute_scale_factor: bool | None
) -> tuple[list[int], list[float | None]]:
    """(output sizes, scales handed to the index rule) per spatial axis, as PyTorch."""
    nd = x.ndim - 2
    spatial = list(x.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("interpolate: only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("interpolate: either size or scale_factor should be defined")
    given = size if size is not None else scale_factor
    values = list(given) if isinstance(given, (tuple, list)) else [given] * nd
    if len(values) != nd:
        what = "size" if size is not None else "scale_factor"
        raise ValueError(
            f"interpolate: input and output must have the same number of spatial dimensions, "
            f"but got input with spatial dimensions of {spatial} and {what} {given!r}"
        )
    if size is not None:
        if recompute_scale_factor:
            raise ValueError(
                "interpolate: recompute_scale_factor is not meaningful with an explicit size"
            )
        return [int(v) for v in values], [None] * nd
    sizes = [math.floor(float(n) * float(f)) for n, f in zip(spatial, values)]
    scales = [None] * nd if recompute_scale_factor else [float(f) for f in values]
    return sizes, scales


def _scale(n_in: int, n_out: int, scale: float | None, dtype: Any) -> Any:
    """PyTorch's ``compute_scales_value``: ``1/scale`` when given, else ``n_in / n_out``."""
    if scale is not None and scale > 0:
        return dtype.type(1.0 / scale)
    return dtype.type(n_in) / dtype.type(n_out)


def nearest_indices(
    n_in: int, n_out: int, scale: float | None, exact: bool, nd: int, dtype: Any
) -> np.ndarray:
    r"""Source index of each output index along one axis, as PyTorch's CPU kernels.

    Those differ in rounding: for 2-D input (``nearest_idx`` / ``nearest_exact_idx``) the scale
    and the product are float32 and sizes $\times 1$, $\times 2$ are special-cased; for 1-D and
    3-D input (``HelperInterpNearest``) they are in the input's dtype, rounded to float32 before
    the floor.  Measured on random sizes and scale factors, this reproduces PyTorch 2.13's
    indices except in ~0.5% of 2-D cases (a scale factor just off 1 or 2 whose output size is
    exactly 1x or 2x, which PyTorch special-cases on some axes only) -- where $o s$ lies within
    float rounding of an integer.
    """
    o = np.arange(n_out)
    if nd == 2:
        if not exact and n_out == n_in:
            return o
        if not exact and n_out == 2 * n_in:
            return o >> 1
        s = _scale(n_in, n_out, scale, np.dtype(np.float32))
        if exact:
            src = np.floor(((o + 0.5) * np.float64(s)).astype(np.float32))
        else:
            src = np.floor(o.astype(np.float32) * s)
    else:
        dt = np.dtype(dtype)
        s = _scale(n_in, n_out, scale, dt)
        if exact:
            real = np.maximum(s * (o.astype(dt) + dt.type(0.5)) - dt.type(0.5), dt.type(0))
            src = np.floor((real + dt.type(0.5)).astype(np.float32))
        else:
            src = np.floor((s * o.astype(dt)).astype(np.float32))
    return np.minimum(src.astype(np.int64), n_in - 1)


def linear_matrix(
    n_in: int, n_out: int, scale: float | None, align_corners: bool, dtype: Any
) -> np.ndarray:
    r"""The (n_out, n_in) matrix of 1-D linear interpolation along one axis: row $o$ holds
    $1 - \lambda$ at $i_0$ and $\lambda$ at $i_1 = \min(i_0 + 1, n_{in} - 1)$ (PyTorch's
    ``compute_source_index_and_lambda``, in ``dtype``)."""
    dt = np.dtype(dtype)
    m = np.zeros((n_out, n_in), dtype=dt)
    o = np.arange(n_out)
    if n_out == n_in:
        m[o, o] = 1
        return m
    if align_corners:
        ratio = dt.type(n_in - 1) / dt.type(n_out - 1) if n_out > 1 else dt.type(0)
        src = ratio * o.astype(dt)
    else:
        ratio = _scale(n_in, n_out, scale, dt)
        src = np.maximum(ratio * (o.astype(dt) + dt.type(0.5)) - dt.type(0.5), dt.type(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    lam1 = np.clip(src - i0.astype(dt), 0, 1).astype(dt)
    i1 = i0 + (i0 < n_in - 1)
    np.add.at(m, (o, i0), 1 - lam1)
    np.add.at(m, (o, i1), lam1)
    return m


def _along_axis(x: Tensor, m: np.ndarray, axis: int) -> Tensor:
    """Apply the (S_out, S_in) matrix ``m`` along ``axis`` of ``x``: one matmul."""
    a = Tensor._make(m, None)
    if axis == x.ndim - 1:
        return x @ a.transpose(0, 1)  # (..., S_in) @ (S_in, S_out)
    lead, rest = x.shape[:axis], x.shape[axis + 1 :]
    x3 = x.reshape(math.prod(lead), x.shape[axis], math.prod(rest))  # (B, S_in, R)
    return (a @ x3).reshape(*lead, m.shape[0], *rest)  # (S_out, S_in) @ (B, S_in, R)


def interpolate(
    input: Tensor,
    size: Any = None,
    scale_factor: Any = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    r"""Resize the spatial axes of ``input``, as ``torch.nn.functional.interpolate``.

    Input (N, C, *spatial) with 1, 2 or 3 spatial axes; ``size`` (an int or one per axis) or
    ``scale_factor`` (output size $\lfloor S \cdot f \rfloor$).  Modes ``'nearest'``,
    ``'nearest-exact'``, ``'linear'`` (3-D input), ``'bilinear'`` (4-D), ``'trilinear'``
    (5-D); ``align_corners`` (linear modes only) maps the corner pixels' centres onto each
    other.  Index and weight rules in the module docstring.  Gradient: the transpose of the
    same linear map (scatter-add for nearest).
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"interpolate: expected input to be a Tensor, got {type(input).__name__}")
    if input.ndim not in (3, 4, 5):
        raise NotImplementedError(
            f"interpolate: only 3-D, 4-D and 5-D (N, C, *spatial) input is supported (got "
            f"{input.ndim}-D input of shape {tuple(input.shape)}) for the modes: {_MODES}"
        )
    if mode not in ("nearest", "nearest-exact", *_LINEAR_DIMS):
        raise NotImplementedError(
            f"interpolate: mode must be one of {_MODES} (got {mode!r})"
        )
    if mode in ("nearest", "nearest-exact") and align_corners is not None:
        raise ValueError(
            "interpolate: align_corners option can only be set with the interpolating modes: "
            "linear | bilinear | trilinear"
        )
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not implemented")
    nd = input.ndim - 2
    if mode in _LINEAR_DIMS and _LINEAR_DIMS[mode] != nd:
        raise NotImplementedError(
            f"interpolate: got {input.ndim}-D input of shape {tuple(input.shape)}, but {mode} "
            f"mode needs {_LINEAR_DIMS[mode] + 2}-D input"
        )
    sizes, scales = _output_sizes(input, size, scale_factor, recompute_scale_factor)
    if min(sizes) < 1:
        raise RuntimeError(
            f"interpolate: input and output sizes should be greater than 0, but got input "
            f"{tuple(input.shape[2:])} and output {tuple(sizes)}"
        )
    spatial = input.shape[2:]
    if mode in ("nearest", "nearest-exact"):
        exact = mode == "nearest-exact"
        index = [
            nearest_indices(n, m, s, exact, nd, input.dtype)
            for n, m, s in zip(spatial, sizes, scales)
        ]
        return input[(Ellipsis, *np.ix_(*index))]  # one gather; backward scatter-adds
    if np.dtype(input.dtype).kind != "f":
        raise RuntimeError(
            f"interpolate: {mode} mode needs a floating-point input, got {input.dtype}"
        )
    y = input
    for a, (n, m, s) in enumerate(zip(spatial, sizes, scales)):
        if n != m:
            y = _along_axis(y, linear_matrix(n, m, s, bool(align_corners), input.dtype), 2 + a)
    return y if y is not input else input * 1.0


def _check_shuffle(op: str, input: Tensor, factor: Any) -> int:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: expected input to be a Tensor, got {type(input).__name__}")
    if not isinstance(factor, (int, np.integer)) or factor < 1:
        raise ValueError(f"{op}: the factor must be a positive integer, got {factor!r}")
    if input.ndim < 3:
        raise RuntimeError(
            f"{op}: expected input with at least 3 dimensions (*, C, H, W), got shape "
            f"{tuple(input.shape)}"
        )
    return int(factor)


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    r"""Rearrange (*, C r^2, H, W) -> (*, C, H r, W r), as ``torch.nn.functional.pixel_shuffle``:
    $y_{c,\,h r + i,\,w r + j} = x_{c r^2 + i r + j,\,h,\,w}$.  A reshape and a permute (the
    sub-pixel convolution's upsampling step); the gradient is :func:`pixel_unshuffle`."""
    r = _check_shuffle("pixel_shuffle", input, upscale_factor)
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(
            f"pixel_shuffle: expected the channel dimension of input {tuple(input.shape)} to be "
            f"divisible by upscale_factor**2 = {r * r}"
        )
    k = len(lead)
    y = input.reshape(*lead, c // (r * r), r, r, h, w)
    y = y.permute(*range(k), k, k + 3, k + 1, k + 4, k + 2)  # (*, C, H, r, W, r)
    return y.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    r"""Rearrange (*, C, H r, W r) -> (*, C r^2, H, W), as
    ``torch.nn.functional.pixel_unshuffle``: the inverse of :func:`pixel_shuffle` (and its
    gradient)."""
    r = _check_shuffle("pixel_unshuffle", input, downscale_factor)
    *lead, c, h, w = input.shape
    if h % r or w % r:
        raise RuntimeError(
            f"pixel_unshuffle: expected the height and width of input {tuple(input.shape)} to "
            f"be divisible by downscale_factor = {r}"
        )
    k = len(lead)
    y = input.reshape(*lead, c, h // r, r, w // r, r)
    y = y.permute(*range(k), k, k + 2, k + 4, k + 1, k + 3)  # (*, C, r, r, H/r, W/r)
    return y.reshape(*lead, c * r * r, h // r, w // r)
