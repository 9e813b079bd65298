r"""Vector norms: ``linalg.vector_norm`` (primitive), ``norm`` and ``F.normalize`` (composites).

$\|x\|_p = (\sum_i |x_i|^p)^{1/p}$ over ``dim``; $p = \infty$: $\max_i |x_i|$;
$p = -\infty$: $\min_i |x_i|$; $p = 0$: the number of nonzero entries.  The backward is
PyTorch's ``norm_backward``, written once against ``xp`` so double backward follows:

=================  =================================================================
ord                $\bar x$  (with $n = \|x\|_p$)
=================  =================================================================
0                  $0$
1                  $\bar n\,\mathrm{sign}(x)$
2                  $\bar n\, x / n$, and $0$ where $n = 0$ (not NaN)
$\pm\infty$        $\bar n\,\mathrm{sign}(x)\,[|x_i| = n] / \#\{i : |x_i| = n\}$ (ties split)
$p < 1$            $\bar n\,\mathrm{sign}(x) |x|^{p-1} n^{1-p}$, $0$ where $x = 0$
$1 < p < 2$        $\mathrm{sign}(x) |x|^{p-1}\, \bar n / n^{p-1}$, $0$ where $n = 0$
$p > 2$            $x |x|^{p-2}\, \bar n / n^{p-1}$, $0$ where $n = 0$
=================  =================================================================
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_lite.autograd.function import NUMPY_NS, Function, raw
from tinygrad_lite.ops import elementwise as ew
from tinygrad_lite.ops.reduce import check_nonempty, kept_shape, normalize_dims
from tinygrad_lite.ops.unary import sign_array

__all__ = ["VectorNorm", "vector_norm", "norm", "normalize"]


def _norm_array(x: np.ndarray, p: float, axes: Any, keepdim: bool) -> np.ndarray:
    a = np.abs(x)
    if p == 2:
        return np.sqrt(np.sum(a * a, axis=axes, keepdims=keepdim))
    if p == 1:
        return np.sum(a, axis=axes, keepdims=keepdim)
    if p == math.inf:
        return np.max(a, axis=axes, keepdims=keepdim)
    if p == -math.inf:
        return np.min(a, axis=axes, keepdims=keepdim)
    if p == 0:
        return np.sum(a != 0, axis=axes, keepdims=keepdim).astype(x.dtype)
    with np.errstate(divide="ignore"):
        return np.sum(a**p, axis=axes, keepdims=keepdim) ** (1 / p)


def _sign(xp: Any, x: Any) -> Any:
    r"""$\mathrm{sign}(x)$ with PyTorch's ``sgn(nan) = 0`` (``np.sign`` gives nan)."""
    return sign_array(x) if xp is NUMPY_NS else xp.sign(x)


class VectorNorm(Function):
    r"""$n = \|x\|_p$ over ``axes``. Backward: PyTorch's ``norm_backward`` (module table);
    the gradient at $x = 0$ is 0 for every $p$."""

    def forward(self, x: np.ndarray, p: float, axes: Any, keepdim: bool) -> np.ndarray:
        out = np.asarray(_norm_array(x, p, axes, keepdim))
        self.save_for_backward(x, out, p, axes)
        return out

    def backward(self, grad: Any) -> Any:
        x, n, p, axes = self.saved
        xp = self.xp
        xd = raw(x)
        kept = kept_shape(xd.shape, axes)
        g, n = xp.reshape(grad, kept), xp.reshape(n, kept)
        n_zero = raw(n) == 0
        with np.errstate(divide="ignore", invalid="ignore"):
            if p == 0:
                return xp.zeros_like(x) * g
            if p == 1:
                return _sign(xp, x) * g
            if p == 2:
                return g * xp.where(n_zero, 0.0, x / n)
            if math.isinf(p):
                a = np.abs(xd)
                mask = ((a == raw(n)) | np.isnan(a)).astype(xd.dtype)
                count = np.sum(mask, axis=axes, keepdims=True)
                return _sign(xp, x) * (g / xp.const(count, g) * xp.const(mask, g))
            a = xp.abs(x)
            if p < 1:
                scaled = _sign(xp, x) * xp.where(xd == 0, 0.0, a ** (p - 1))
                return scaled * g * n ** (1 - p)
            scaled = _sign(xp, x) * a ** (p - 1) if p < 2 else x * a ** (p - 2)
            return scaled * xp.where(n_zero, 0.0, g / n ** (p - 1))


def _check_float(op: str, x: Any) -> None:
    if x.dtype.kind not in "fc":
        raise RuntimeError(
            f"{op}: Expected a floating point or complex tensor as input. Got {x.dtype}"
        )


def vector_norm(
    x: Any, ord: Any = 2, dim: Any = None, keepdim: bool = False, dtype: Any = None
) -> Any:
    r"""The vector ``ord``-norm $(\sum |x_i|^p)^{1/p}$ over ``dim`` (all entries when None):
    ``inf``/``-inf`` give the largest/smallest $|x_i|$, 0 the count of nonzeros
    (``torch.linalg.vector_norm``).  The gradient at 0 is 0, not NaN."""
    if dtype is not None:
        x = ew.cast(x, np.dtype(dtype))
    _check_float("linalg.vector_norm", x)
    p = float(ord)
    axes = normalize_dims("linalg.vector_norm", dim, x.ndim)
    if p < 0 or math.isinf(p):
        try:
            check_nonempty("linalg.vector_norm", x.shape, axes)
        except (IndexError, RuntimeError):
            raise RuntimeError(
                f"linalg.vector_norm: cannot compute the {ord} norm on an empty tensor of shape "
                f"{x.shape} because the operation does not have an identity"
            ) from None
    return VectorNorm.apply(x, p=p, axes=axes, keepdim=keepdim)


def norm(x: Any, p: Any = "fro", dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Any:
    """``torch.norm``: the vector ``p``-norm over ``dim``; ``'fro'`` (and None) is the 2-norm
    of the entries (over at most two dims).  The nuclear norm ``'nuc'`` is not implemented."""
    if isinstance(p, str):
        if p != "fro":
            raise NotImplementedError(
                f"norm: p={p!r} is not implemented (only vector norms and 'fro')"
            )
        if dim is not None and not isinstance(dim, (int, np.integer)) and len(dim) > 2:
            raise RuntimeError(f"norm: 'fro' expects at most 2 dims, got dim={dim}")
        p = 2
    if dtype is not None:
        x = ew.cast(x, np.dtype(dtype))
    _check_float("norm", x)
    return vector_norm(x, 2 if p is None else p, dim, keepdim)


def normalize(
    input: Any, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Any = None
) -> Any:
    r"""$x / \max(\|x\|_p, \epsilon)$ along ``dim`` (``torch.nn.functional.normalize``).

    As PyTorch: the norm (keepdim) is clamped from below at ``eps``, so at $x = 0$ the
    gradient is $\bar y / \epsilon$ (clamp passes no gradient below its bound).
    """
    if out is not None:
        raise NotImplementedError("normalize: the out= argument is not supported")
    denom = vector_norm(input, p, dim, keepdim=True).clamp(min=eps)
    return input / denom.expand_as(input)
