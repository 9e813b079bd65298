r"""Regression and margin losses (``torch.nn.functional`` names, signatures and defaults).

Every loss is a composite of Tensor primitives, so it has no backward of its own; the
subgradient at each kink is chosen by the primitive used there (``abs``, ``clamp``, ``where``
with a strict or non-strict comparison) to be exactly PyTorch's, and each choice is checked
against PyTorch with inputs placed on the kink (``tests/nn/test_losses_regression.py``):

======================  ==========================================================
loss                    gradient with respect to ``input`` at the kink
======================  ==========================================================
l1_loss                 $\mathrm{sign}(0) = 0$ at residual $0$
smooth_l1_loss          $\mathrm{sign}(r) = \pm 1$ at $|r| = \beta$ (both pieces agree)
huber_loss              $\pm\delta$ at $|r| = \delta$ (both pieces agree)
hinge_embedding_loss    $-1$ at $\text{margin} - x = 0$ for $y = -1$: PyTorch clamps with
                        ``clamp_min``, which passes the gradient *at* the bound
multi_margin_loss       $0$ at $\text{margin} - x_y + x_i = 0$: a margin term counts only
                        when strictly positive
soft_margin_loss        smooth (no kink)
======================  ==========================================================

``reduction`` is ``'mean'`` (default), ``'sum'`` or ``'none'``; the deprecated ``size_average``
and ``reduce`` arguments are accepted and mapped as PyTorch does.  When ``input`` and
``target`` differ in shape, the elementwise losses broadcast them and warn, exactly as PyTorch
does; shapes that cannot broadcast raise a ``RuntimeError`` naming the loss and both shapes.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from tinygrad_lite.autograd.fp import quiet_fp
from tinygrad_lite.autograd.grad_mode import is_grad_enabled
from tinygrad_lite.ops import activation
from tinygrad_lite.ops import elementwise as ew
from tinygrad_lite.tensor import Tensor

_REDUCTIONS = ("mean", "sum", "none")


def resolve_reduction(
    op: str, size_average: bool | None, reduce: bool | None, reduction: str,
    allowed: tuple[str, ...] = _REDUCTIONS,
) -> str:
    """The reduction to apply: the legacy ``size_average``/``reduce`` pair wins when given
    (with PyTorch's deprecation warning), then ``reduction`` is checked against ``allowed``."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = ("mean" if size_average else "sum") if reduce else "none"
        warnings.warn(
            f"{op}: size_average and reduce args will be deprecated, please use "
            f"reduction='{reduction}' instead.",
            UserWarning,
            stacklevel=3,
        )
    if reduction not in allowed:
        raise ValueError(
            f"{op}: {reduction!r} is not a valid value for reduction; expected one of {allowed}"
        )
    return reduction


def apply_reduction(loss: Tensor, reduction: str) -> Tensor:
    """``loss.mean()``, ``loss.sum()`` or ``loss`` itself for ``'mean'``/``'sum'``/``'none'``."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def check_tensors(op: str, **tensors: Any) -> None:
    """Raise a ``TypeError`` naming ``op`` unless every given value is a Tensor."""
    for name, value in tensors.items():
        if not isinstance(value, Tensor):
            raise TypeError(f"{op}: expected a Tensor for '{name}', got {type(value).__name__}")


def check_constant(op: str, **tensors: Tensor | None) -> None:
    """Raise a ``RuntimeError`` naming ``op`` if a given tensor requires grad while grad mode
    is on: PyTorch's classification losses are not differentiable with respect to their
    ``weight``/``pos_weight`` and refuse such an argument instead of silently dropping it."""
    if not is_grad_enabled():
        return
    for name, value in tensors.items():
        if isinstance(value, Tensor) and value.requires_grad:
            raise RuntimeError(f"{op}: not differentiable with respect to '{name}' (as in "
                               f"PyTorch); pass {name}.detach()")


def check_weight(op: str, name: str, weight: Tensor, input: Tensor,
                 either_way: bool = False) -> None:
    """Raise naming ``op`` unless ``weight`` is a Tensor that broadcasts to ``input``'s shape
    (one way: the loss keeps the input's shape, as PyTorch's in-place weighting does), or with
    ``either_way`` against it (the result may be larger than ``input``)."""
    check_tensors(op, **{name: weight})
    try:
        shape = np.broadcast_shapes(input.shape, weight.shape)
        fits = either_way or shape == input.shape
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(
            f"{op}: {name} of shape {weight.shape} cannot be broadcast to the input's shape "
            f"{input.shape}"
        ) from None


def check_broadcast(op: str, input: Tensor, target: Tensor) -> None:
    """PyTorch's rule for elementwise losses: differing shapes warn and broadcast; shapes
    that cannot broadcast raise ``RuntimeError`` naming both."""
    check_tensors(op, input=input, target=target)
    if input.shape == target.shape:
        return
    try:
        np.broadcast_shapes(input.shape, target.shape)
    except ValueError:
        raise RuntimeError(
            f"{op}: input of shape {input.shape} and target of shape {target.shape} "
            f"cannot be broadcast together"
        ) from None
    warnings.warn(
        f"{op}: Using a target size ({target.shape}) that is different to the input size "
        f"({input.shape}). This will likely lead to incorrect results due to broadcasting. "
        f"Please ensure they have the same size.",
        UserWarning,
        stacklevel=3,
    )


def _weighted(op: str, loss: Tensor, input: Tensor, weight: Tensor | None, reduction: str,
              mean_by_weight: bool) -> Tensor:
    """Per-element ``weight`` as PyTorch's ``mse_loss``/``l1_loss`` (``'mean'`` divides by
    ``weight.sum()``) or ``huber_loss`` (``'mean'`` is a plain mean)."""
    if weight is None:
        return apply_reduction(loss, reduction)
    check_tensors(op, weight=weight)
    if weight.shape != input.shape:
        raise RuntimeError(
            f"{op}: weight of shape {weight.shape} must have the input's shape {input.shape}"
        )
    loss = loss * weight
    if reduction == "mean" and mean_by_weight:
        return loss.sum() / weight.sum()
    return apply_reduction(loss, reduction)


# ----- regression ----------------------------------------------------------------------


@quiet_fp
def mse_loss(
    input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,
    reduction: str = "mean", weight: Tensor | None = None,
) -> Tensor:
    r"""Mean squared error: $\ell_i = w_i (x_i - y_i)^2$.

    Gradient $2 w_i (x_i - y_i)$ (smooth).  With ``weight``, ``'mean'`` is
    $\sum_i \ell_i / \sum_i w_i$ (PyTorch's weighted mean).
    """
    reduction = resolve_reduction("mse_loss", size_average, reduce, reduction)
    check_broadcast("mse_loss", input, target)
    diff = input - target
    return _weighted("mse_loss", diff * diff, input, weight, reduction, mean_by_weight=True)


@quiet_fp
def l1_loss(
    input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,
    reduction: str = "mean", weight: Tensor | None = None,
) -> Tensor:
    r"""Mean absolute error: $\ell_i = w_i |x_i - y_i|$.

    Gradient $w_i\,\mathrm{sign}(x_i - y_i)$; **kink** at a zero residual, where the
    subgradient is $\mathrm{sign}(0) = 0$ (PyTorch's).  With ``weight``, ``'mean'`` is
    $\sum_i \ell_i / \sum_i w_i$.
    """
    reduction = resolve_reduction("l1_loss", size_average, reduce, reduction)
    check_broadcast("l1_loss", input, target)
    return _weighted("l1_loss", (input - target).abs(), input, weight, reduction, True)


@quiet_fp
def smooth_l1_loss(
    input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,
    reduction: str = "mean", beta: float = 1.0,
) -> Tensor:
    r"""Smooth L1: with $r = x - y$, $\ell = \tfrac{r^2}{2\beta}$ if $|r| < \beta$ else
    $|r| - \tfrac\beta2$.

    Gradient $r / \beta$ inside, $\mathrm{sign}(r)$ outside; at $|r| = \beta$ both give
    $\pm 1$, so the loss is $C^1$ (PyTorch evaluates the outer piece there).  ``beta = 0`` is
    exactly :func:`l1_loss` (kink at $r = 0$ with subgradient $0$).
    """
    reduction = resolve_reduction("smooth_l1_loss", size_average, reduce, reduction)
    check_broadcast("smooth_l1_loss", input, target)
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    diff = input - target
    if beta == 0:
        return apply_reduction(diff.abs(), reduction)
    absdiff = diff.abs()
    loss = ew.where(absdiff < beta, diff * diff * (0.5 / beta), absdiff - 0.5 * beta)
    return apply_reduction(loss, reduction)


@quiet_fp
def huber_loss(
    input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
    weight: Tensor | None = None,
) -> Tensor:
    r"""Huber: with $r = x - y$, $\ell = \tfrac12 r^2$ if $|r| < \delta$ else
    $\delta(|r| - \tfrac\delta2)$; equals $\delta \cdot$ :func:`smooth_l1_loss` with
    $\beta = \delta$.

    Gradient $r$ inside, $\delta\,\mathrm{sign}(r)$ outside; at $|r| = \delta$ both give
    $\pm\delta$ ($C^1$).  With ``weight``, ``'mean'`` is a plain mean of $w_i \ell_i$
    (PyTorch's choice, unlike :func:`mse_loss`).
    """
    reduction = resolve_reduction("huber_loss", None, None, reduction)
    check_broadcast("huber_loss", input, target)
    if not delta > 0:
        raise RuntimeError(f"huber_loss: delta must be positive, got {delta}")
    diff = input - target
    absdiff = diff.abs()
    loss = ew.where(absdiff < delta, diff * diff * 0.5, (absdiff - 0.5 * delta) * delta)
    return _weighted("huber_loss", loss, input, weight, reduction, mean_by_weight=False)


# ----- margin --------------------------------------------------------------------------


@quiet_fp
def hinge_embedding_loss(
    input: Tensor, target: Tensor, margin: float = 1.0, size_average: bool | None = None,
    reduce: bool | None = None, reduction: str = "mean",
) -> Tensor:
    r"""Hinge embedding: $\ell_i = x_i$ if $y_i = 1$, $\max(0, \text{margin} - x_i)$ if
    $y_i = -1$ (targets outside $\{1, -1\}$ get both terms, as in PyTorch).

    **Kink** at $\text{margin} - x_i = 0$ (with $y_i = -1$): PyTorch computes the hinge with
    ``clamp_min``, whose gradient passes at the bound, so the subgradient there is $-1$ (the
    margin term *counts* at exactly zero -- unlike :func:`multi_margin_loss`).
    """
    reduction = resolve_reduction("hinge_embedding_loss", size_average, reduce, reduction)
    check_broadcast("hinge_embedding_loss", input, target)
    hinge = (margin - input).clamp(min=0)
    loss = ew.where(target != 1, hinge, 0.0) + ew.where(target != -1, input, 0.0)
    return apply_reduction(loss, reduction)


def class_indices(op: str, target: Tensor, n_classes: int,
                  ignore_index: int | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """``(index, valid)``: the target's class indices (``0`` where ignored) and the bool mask of
    targets not equal to ``ignore_index`` (None when every target counts).  Out-of-range class
    indices raise ``IndexError`` naming ``op``."""
    t = target.data
    if t.dtype.kind not in "iu":
        raise TypeError(f"{op}: expected an integer class-index target, got dtype {t.dtype}")
    if t.size and (ignore_index is None or not 0 <= ignore_index < n_classes):
        if 0 <= t.min() and t.max() < n_classes:  # the common case: two reductions
            return t, None
    valid = None if ignore_index is None else t != ignore_index
    if valid is not None and valid.all():
        valid = None
    out = (t < 0) | (t >= n_classes)
    if valid is not None:
        out &= valid
    if out.any():
        raise IndexError(
            f"{op}: target class index {t[out].flat[0]} is out of range for {n_classes} "
            f"classes" + ("" if ignore_index is None else f" (ignore_index={ignore_index})")
        )
    return (t if valid is None else np.where(valid, t, 0)), valid


def class_index_mask(op: str, target: Tensor, n_classes: int, class_dim: int, ndim: int,
                     ignore_index: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(onehot, valid)``: a bool mask shaped like the input that is true at each target's
    class, and the bool mask of targets not equal to ``ignore_index``.  Out-of-range class
    indices raise ``IndexError`` naming ``op`` (:func:`class_indices`)."""
    index, valid = class_indices(op, target, n_classes, ignore_index)
    kept = list(index.shape)
    kept.insert(class_dim, 1)  # the target's shape with a size-1 class axis
    classes = np.arange(n_classes).reshape([n_classes if i == class_dim else 1
                                             for i in range(ndim)])
    onehot = index.reshape(kept) == classes
    if valid is None:
        return onehot, np.ones(index.shape, dtype=bool)
    return onehot & valid.reshape(kept), valid


@quiet_fp
def multi_margin_loss(
    input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
    weight: Tensor | None = None, size_average: bool | None = None, reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    r"""Multi-class hinge: for a sample $x \in \mathbb R^C$ with class $y$,
    $\ell = \frac1C \sum_{i \ne y} w_y \max(0,\ \text{margin} - x_y + x_i)^p$, $p \in \{1, 2\}$.

    ``input`` is $(N, C)$ or $(C,)$, ``target`` $(N,)$ or $()$ class indices; ``weight`` (a
    $(C,)$ tensor) multiplies outside the power, as PyTorch's kernel does.  **Kink** at a zero
    margin $\text{margin} - x_y + x_i = 0$: the term counts only when strictly positive, so the
    subgradient there is $0$ (PyTorch's ``if (z > 0)``).  ``weight`` must not
    require grad (as in PyTorch).
    """
    op = "multi_margin_loss"
    reduction = resolve_reduction(op, size_average, reduce, reduction)
    check_tensors(op, input=input, target=target)
    if p not in (1, 2):
        raise ValueError(f"{op}: only p == 1 and p == 2 are supported, got p={p}")
    if input.ndim not in (1, 2) or input.shape[-1] == 0:
        raise RuntimeError(f"{op}: expected input of shape (N, C) or (C,) with C > 0, "
                         f"got {input.shape}")
    n_classes = input.shape[-1]
    if target.shape != input.shape[:-1]:
        raise RuntimeError(f"{op}: expected target of shape {input.shape[:-1]} for input of "
                         f"shape {input.shape}, got {target.shape}")
    if weight is not None:
        check_tensors(op, weight=weight)
        check_constant(op, weight=weight)
    if weight is not None and weight.shape != (n_classes,):
        raise RuntimeError(f"{op}: expected weight of shape ({n_classes},), got {weight.shape}")
    onehot, _ = class_index_mask(op, target, n_classes, input.ndim - 1, input.ndim)
    x_target = ew.where(onehot, input, 0.0).sum(-1, keepdim=True)  # (N, 1): x_y
    z = (margin - x_target) + input  # (N, C)
    counts = (z.data > 0) & ~onehot  # strictly positive margins, target class excluded
    h = ew.where(counts, z, 0.0)
    if p == 2:
        h = h * h
    if weight is not None:
        w_target = weight.data[target.data].astype(input.dtype)  # w_y, (N,)
        h = h * Tensor._make(np.expand_dims(w_target, -1), None)
    return apply_reduction(h.sum(-1) / n_classes, reduction)


@quiet_fp
def soft_margin_loss(
    input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    r"""Soft margin (logistic): $\ell_i = \log(1 + e^{-y_i x_i}) = -\log\sigma(y_i x_i)$.

    Smooth; gradient $y_i(\sigma(y_i x_i) - 1)$ (none for ``target``, which must not require
    grad, as in PyTorch).  Evaluated as $-\log\sigma$ (the ``logsigmoid`` primitive,
    :class:`~tinygrad_lite.ops.activation.LogSigmoid`, right to second order at $0$), so it
    stays finite where PyTorch's ``log1p(exp(-y x))`` overflows
    ($-y x > 709$ in float64: PyTorch gives ``inf`` and a ``nan`` gradient, this gives
    $-y x$ and gradient $-y$); elsewhere the two agree to rounding.
    """
    op = "soft_margin_loss"
    reduction = resolve_reduction(op, size_average, reduce, reduction)
    check_weight(op, "target", target, input)  # one way, as PyTorch
    check_constant(op, target=target)  # PyTorch has no gradient for target here
    return apply_reduction(-activation.logsigmoid(input * target), reduction)
