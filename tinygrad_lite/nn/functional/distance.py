r"""``cosine_similarity`` and ``pairwise_distance`` (PyTorch's signatures and eps handling).

Both are composites.  Their norms come from :func:`_vector_norm`, which has PyTorch's gradient
at a zero vector -- $0$, not the NaN of $x / \lVert x \rVert$.  (A private helper: the public
``norm`` / ``linalg.vector_norm`` may replace it.)
"""

from __future__ import annotations

import math

import numpy as np

from tinygrad_lite.ops import elementwise as ew
from tinygrad_lite.tensor import Tensor


def _positive_root(s: Tensor, p: float) -> Tensor:
    r"""$s^{1/p}$ for $s \ge 0$, with gradient $0$ (not $\infty$) where $s = 0$."""
    nonzero = s.data > 0
    if nonzero.all():
        return s.sqrt() if p == 2 else s ** (1.0 / p)
    safe = ew.where(nonzero, s, 1.0)  # the root never sees 0, so no inf * 0 = nan
    root = safe.sqrt() if p == 2 else safe ** (1.0 / p)
    return ew.where(nonzero, root, 0.0)


def _vector_norm(x: Tensor, p: float, dim: int, keepdim: bool = False) -> Tensor:
    r"""$\lVert x \rVert_p$ along ``dim``: $p = 2$, $1$, $\infty$, $0$ (count of non-zeros, no
    gradient) or any $p > 0$.  Gradient $0$ at a zero vector, as PyTorch's ``norm_backward``;
    $\infty$-norm ties share the gradient evenly (``amax``)."""
    if p == 2:
        return _positive_root((x * x).sum(dim, keepdim), 2)
    if p == 1:
        return x.abs().sum(dim, keepdim)
    if p == math.inf:
        return x.abs().amax(dim, keepdim)
    if p == 0:
        count = (x.data != 0).sum(axis=dim, keepdims=keepdim).astype(x.dtype)
        return Tensor._make(count, None)
    zero = x.data == 0
    if zero.any():  # |x|^p has an infinite slope at 0 for p < 1: PyTorch's gradient there is 0
        powered = ew.where(zero, 0.0, ew.where(zero, 1.0, x.abs()) ** p)
    else:
        powered = x.abs() ** p
    return _positive_root(powered.sum(dim, keepdim), p)


def _broadcast_shape(op: str, a: Tensor, b: Tensor) -> tuple[int, ...]:
    """The broadcast shape of ``a`` and ``b``, or PyTorch's ``RuntimeError`` naming ``op``."""
    try:
        return tuple(np.broadcast_shapes(a.shape, b.shape))
    except ValueError:
        raise RuntimeError(
            f"{op}: the shapes {a.shape} and {b.shape} cannot be broadcast together"
        ) from None


def _check_tensors(op: str, **tensors: object) -> None:
    for name, t in tensors.items():
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: expected a Tensor for '{name}', got {type(t).__name__}")


def _clamp_min_straight_through(n: Tensor, eps: float) -> Tensor:
    """``max(n, eps)`` in value, but the gradient of ``n`` everywhere: PyTorch clamps these
    norms in place under ``no_grad``, so its graph never sees the clamp."""
    small = n.data < eps
    if not small.any():
        return n
    return ew.where(small, (n - n.detach()) + eps, n)  # n - n.detach() is exactly 0


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    r"""$\sum_i \frac{x_{1,i}}{\max(\lVert x_1 \rVert, \epsilon)}
    \frac{x_{2,i}}{\max(\lVert x_2 \rVert, \epsilon)}$ along ``dim`` of the broadcast inputs.

    PyTorch's current formula: each input is divided by its own clamped norm (so the result
    stays in $[-1, 1]$); the clamp is applied outside autograd, so the gradient is that of
    $x / \lVert x \rVert$ with the clamped value in the denominator, and the norm's gradient
    at a zero vector is $0$.
    """
    _check_tensors("cosine_similarity", x1=x1, x2=x2)
    shape = _broadcast_shape("cosine_similarity", x1, x2)
    ndim = len(shape)
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(
            f"cosine_similarity: Dimension out of range (expected to be in range of "
            f"[{-max(ndim, 1)}, {max(ndim, 1) - 1}], but got {dim})"
        )
    a = x1 if x1.shape == shape else x1.expand(*shape)
    b = x2 if x2.shape == shape else x2.expand(*shape)
    na = _clamp_min_straight_through(_vector_norm(a, 2, dim, keepdim=True), eps)
    nb = _clamp_min_straight_through(_vector_norm(b, 2, dim, keepdim=True), eps)
    return ((a / na) * (b / nb)).sum(dim)


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    r"""$\lVert x_1 - x_2 + \epsilon \rVert_p$ over the last dimension (PyTorch adds $\epsilon$
    to the difference, so equal inputs give $\epsilon D^{1/p}$, not $0$).

    ``p`` may be any $p \ge 0$ or ``inf``; the gradient at a zero difference is $0$.
    """
    _check_tensors("pairwise_distance", x1=x1, x2=x2)
    _broadcast_shape("pairwise_distance", x1, x2)
    if not p >= 0:
        raise ValueError(f"pairwise_distance: p must be non-negative (or inf), got {p}")
    ndim = max(x1.ndim, x2.ndim)
    if ndim == 0:
        raise RuntimeError("pairwise_distance: expected inputs with at least one dimension")
    return _vector_norm(x1 - x2 + eps, p, ndim - 1, keepdim)
