r"""Gradient clipping (``torch.nn.utils.clip_grad_norm_`` / ``clip_grad_value_``).

Both work in place on the ``.grad`` of the given parameters (those whose grad is None are
skipped), between ``backward()`` and ``optimizer.step()``.

>>> import tinygrad_lite as tl
>>> w = tl.zeros(2, requires_grad=True)
>>> w.grad = tl.tensor([3.0, 4.0])
>>> tl.nn.utils.clip_grad_norm_([w], max_norm=1.0)  # returns the norm before clipping
tensor(5.)
>>> [round(v, 4) for v in w.grad.tolist()]
[0.6, 0.8]
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from tinygrad_lite.autograd.version import mark_dirty
from tinygrad_lite.tensor import Tensor


def _grads(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p.grad for p in params if p.grad is not None]


def _vector_norm(x: np.ndarray, p: float) -> np.ndarray:
    """``torch.linalg.vector_norm`` of the flattened array, in its dtype."""
    a = np.abs(x).ravel()
    if p == math.inf:
        return a.max(initial=0.0).astype(x.dtype)
    if p == -math.inf:
        return a.min(initial=math.inf).astype(x.dtype)
    if p == 0:
        return np.asarray(np.count_nonzero(a), dtype=x.dtype)
    if p == 1:
        return a.sum(dtype=x.dtype)
    if p == 2:
        return np.sqrt(np.dot(a, a)).astype(x.dtype)
    return (np.power(a, p).sum() ** (1.0 / p)).astype(x.dtype)


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    r"""Scale all gradients together so that their joint ``norm_type``-norm is at most
    ``max_norm``; returns the joint norm before clipping (a 0-d Tensor).

    The joint norm is the norm of the vector of per-parameter norms (the norm of all gradients
    concatenated); ``norm_type`` may be ``inf``.  Every gradient is multiplied by
    $\min\!\left(1, \frac{\text{max\_norm}}{\text{total\_norm} + 10^{-6}}\right)$, as PyTorch
    does, so the direction of the update is preserved.  With ``error_if_nonfinite=True`` a NaN
    or infinite total norm raises ``RuntimeError`` instead of scaling.  ``foreach`` is
    accepted for PyTorch compatibility and ignored (there is one implementation).
    """
    grad_tensors = _grads(parameters)
    grads = [g.data for g in grad_tensors]
    norm_type = float(norm_type)
    if not grads:
        return Tensor(0.0)
    dtype = grads[0].dtype
    norms = np.array([_vector_norm(g, norm_type) for g in grads], dtype=dtype)
    total_norm = _vector_norm(norms, norm_type)
    if error_if_nonfinite and not np.isfinite(total_norm):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} for gradients from "
            "`parameters` is non-finite, so it cannot be clipped. To disable this error and "
            "scale the gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    clip_coef = np.minimum(dtype.type(max_norm) / (total_norm + dtype.type(1e-6)), 1.0)
    with np.errstate(invalid="ignore"):  # an infinite gradient times 0 is NaN, as in torch
        for g in grads:
            np.multiply(g, clip_coef.astype(g.dtype), out=g)
    for t in grad_tensors:
        mark_dirty(t)
    return Tensor._make(np.asarray(total_norm, dtype=dtype), None)


def clip_grad_value_(
    parameters: Tensor | Iterable[Tensor], clip_value: float, foreach: bool | None = None
) -> None:
    r"""Clamp every gradient element into $[-\text{clip\_value}, \text{clip\_value}]$ in place
    (``foreach`` is accepted for PyTorch compatibility and ignored)."""
    clip_value = float(clip_value)
    for t in _grads(parameters):
        np.clip(t.data, -clip_value, clip_value, out=t.data)
        mark_dirty(t)
