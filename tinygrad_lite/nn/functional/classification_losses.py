r"""Likelihood losses for classification: cross-entropy, NLL, binary cross-entropy, KL.

Names, signatures, defaults and numerics follow ``torch.nn.functional``.  All are composites of
Tensor primitives except :class:`BinaryCrossEntropy`, which needs its own backward because
PyTorch's gradient is *not* the derivative of its forward at the edges: the forward clamps
each log at $-100$, while the gradient divides by $\max(x(1 - x), 10^{-12})$.

Stability: :func:`cross_entropy` uses the max-shifted ``log_softmax`` and
:func:`binary_cross_entropy_with_logits` uses $\log\sigma(x) = \min(x, 0) - \log(1 + e^{-|x|})$,
so logits of $\pm 1000$ give finite values and gradients equal to PyTorch's.

================================  ===================================================
loss                              gradient with respect to ``input`` at the edge
================================  ===================================================
binary_cross_entropy              $(x - y) / \max(x(1-x), 10^{-12})$: finite at
                                  $x \in \{0, 1\}$ ($0$ where $x = y$), as PyTorch
binary_cross_entropy_with_logits  $\sigma(x) - y$ (smooth); $\tfrac12 - y$ at $x = 0$
cross_entropy, nll_loss           smooth in the logits; ignored targets get $0$
kl_div                            $-y$ (smooth in ``input``); $0$ contribution at $y = 0$
================================  ===================================================
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from tinygrad_lite.autograd.fp import quiet_fp
from tinygrad_lite.autograd.function import Function, raw
from tinygrad_lite.nn.functional.activations import log_softmax
from tinygrad_lite.nn.functional.losses import (
    apply_reduction,
    check_constant,
    check_tensors,
    check_weight,
    class_indices,
    resolve_reduction,
)
from tinygrad_lite.ops import activation
from tinygrad_lite.ops import elementwise as ew
from tinygrad_lite.ops.nll import NllLoss
from tinygrad_lite.tensor import Tensor

_BCE_EPS = 1e-12  # PyTorch's floor on x (1 - x) in the BCE gradient


def _const(array: np.ndarray) -> Tensor:
    """A constant (never differentiated) Tensor wrapping ``array``."""
    return Tensor._make(array, None)


def _class_weight(op: str, weight: Tensor | None, n_classes: int, dtype: np.dtype) -> Any:
    """``weight`` as a float array of shape ``(C,)``, or None; wrong shapes raise."""
    if weight is None:
        return None
    check_tensors(op, weight=weight)
    check_constant(op, weight=weight)
    if weight.shape != (n_classes,):
        raise RuntimeError(f"{op}: expected weight of shape ({n_classes},) (one per class), "
                         f"got {weight.shape}")
    return weight.data.astype(dtype, copy=False)


def _check_class_input(op: str, input: Tensor, target: Tensor) -> int:
    r"""Check ``input`` is $(C,)$, $(N, C)$ or $(N, C, d_1, \dots)$; return the class axis."""
    check_tensors(op, input=input, target=target)
    if input.ndim == 0:
        raise RuntimeError(f"{op}: expected input of shape (C,), (N, C) or (N, C, d1, ...), "
                         f"got a 0-d tensor")
    return 0 if input.ndim == 1 else 1


@quiet_fp
def nll_loss(
    input: Tensor, target: Tensor, weight: Tensor | None = None,
    size_average: bool | None = None, ignore_index: int = -100, reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    r"""Negative log-likelihood of log-probabilities: $\ell_n = -w_{y_n}\, x_{n, y_n}$.

    ``input`` is $(N, C)$, $(C,)$ or $(N, C, d_1, \dots)$; ``target`` holds class indices of
    shape $(N,)$, $()$ or $(N, d_1, \dots)$.  Targets equal to ``ignore_index`` contribute $0$
    and are left out of the mean, which is $\sum_n \ell_n / \sum_n w_{y_n}$ over the other
    targets (so ``nan`` when every target is ignored, as in PyTorch).  The gradient is
    $-w_{y_n}$ at each target class and $0$ elsewhere; ``weight`` must not require grad (PyTorch
    refuses one).
    """
    op = "nll_loss"
    reduction = resolve_reduction(op, size_average, reduce, reduction)
    class_dim = _check_class_input(op, input, target)
    return _nll(op, input, target, weight, ignore_index, reduction, class_dim)[0]


def _expected_target_shape(input: Tensor, class_dim: int) -> tuple[int, ...]:
    return input.shape[:class_dim] + input.shape[class_dim + 1:]


def _nll(op: str, logp: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int,
         reduction: str, class_dim: int) -> tuple[Tensor, Any, np.ndarray | None]:
    """NLL of ``logp`` and, for reuse by label smoothing, the sum of the per-target weights
    and the mask of non-ignored targets (None: every target counts)."""
    expected = _expected_target_shape(logp, class_dim)
    if target.shape != expected:
        raise ValueError(f"{op}: expected target of shape {expected} for input of shape "
                         f"{logp.shape}, got {target.shape}")
    n_classes = logp.shape[class_dim]
    w = _class_weight(op, weight, n_classes, logp.dtype)
    index, valid = class_indices(op, target, n_classes, ignore_index)
    kept = (*index.shape[:class_dim], 1, *index.shape[class_dim:])  # a size-1 class axis
    if w is None and valid is None and index.size:  # every target counts, weight 1
        w_sum = np.asarray(index.size, logp.dtype)
        coef = np.full(kept, -1 / w_sum if reduction == "mean" else -1, logp.dtype)
    else:
        if w is None:
            w_target = np.ones(index.shape, logp.dtype) if valid is None else \
                valid.astype(logp.dtype)
        else:
            w_target = w[index] if valid is None else \
                np.where(valid, w[index], 0).astype(logp.dtype)
        # -w_{y_n} (over sum_n w_{y_n} for the mean): one constant factor per target.  All
        # targets ignored: 0/0 = nan, as PyTorch (quiet: the callers are quiet_fp)
        w_sum = w_target.sum()
        coef = (-w_target / w_sum if reduction == "mean" else -w_target).reshape(kept)
    loss = NllLoss.apply(
        logp, index=index.reshape(kept), coef=coef,
        valid=None if valid is None else valid.reshape(kept), dim=class_dim,
        reduce=reduction != "none",
    )
    return loss, w_sum, valid


@quiet_fp
def cross_entropy(
    input: Tensor, target: Tensor, weight: Tensor | None = None,
    size_average: bool | None = None, ignore_index: int = -100, reduce: bool | None = None,
    reduction: str = "mean", label_smoothing: float = 0.0,
) -> Tensor:
    r"""Cross-entropy of logits: ``nll_loss(log_softmax(input, 1), target)``, with smoothing.

    **Class-index targets** (integer, shape of ``input`` without the class axis):
    $\ell_n = (1 - \varepsilon)\,\mathrm{nll}_n + \frac{\varepsilon}{C}\,s_n$ with
    $s_n = -\sum_c w_c \log p_{n,c}$ ($0$ for ignored targets) and $\varepsilon$ =
    ``label_smoothing``.  For ``'mean'`` both parts are divided by $\sum_n w_{y_n}$ over
    non-ignored targets (their count without ``weight``), exactly as PyTorch.

    **Probability targets** (float, same shape as ``input``): with
    $q = (1 - \varepsilon) y + \varepsilon / C$,
    $\ell_n = -\sum_c w_c\, q_{n,c} \log p_{n,c}$; ``'mean'`` divides the sum by
    $\text{numel} / C$ (weights do not enter the divisor here, as in PyTorch).

    Gradient $w(p - q)$-style, smooth; finite for logits of $\pm 1000$ thanks to the
    max-shifted ``log_softmax``.  ``weight`` must not require grad (as in PyTorch).
    """
    op = "cross_entropy"
    reduction = resolve_reduction(op, size_average, reduce, reduction)
    class_dim = _check_class_input(op, input, target)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"{op}: label_smoothing must be between 0.0 and 1.0, "
                         f"got {label_smoothing}")
    n_classes = input.shape[class_dim]
    logp = log_softmax(input, class_dim)
    w = _class_weight(op, weight, n_classes, input.dtype)
    w_view = None if w is None else _const(
        w.reshape([n_classes if i == class_dim else 1 for i in range(input.ndim)]))
    if target.dtype.kind == "f":
        return _cross_entropy_probs(logp, target, w_view, reduction, label_smoothing, class_dim)
    if target.dtype.kind not in "iu":
        raise TypeError(f"{op}: expected integer class indices or float probabilities as "
                        f"target, got dtype {target.dtype}")
    nll, w_sum, valid = _nll(op, logp, target, weight, ignore_index, reduction, class_dim)
    if label_smoothing == 0.0:
        return nll
    weighted = logp if w_view is None else logp * w_view
    smooth = -weighted.sum(class_dim)  # s_n, 0 where ignored
    if valid is not None:
        smooth = ew.where(valid, smooth, 0.0)
    if reduction == "mean":
        smooth = smooth.sum() / _const(np.asarray(w_sum))
    elif reduction == "sum":
        smooth = smooth.sum()
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / n_classes)


def _cross_entropy_probs(logp: Tensor, target: Tensor, w_view: Tensor | None, reduction: str,
                         label_smoothing: float, class_dim: int) -> Tensor:
    """Cross-entropy against class probabilities (``target`` shaped like the logits)."""
    if target.shape != logp.shape:
        raise RuntimeError(f"cross_entropy: expected probability target of shape {logp.shape} "
                         f"(same as input), got {target.shape}")
    n_classes = logp.shape[class_dim]
    if label_smoothing > 0.0:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    terms = logp * target if w_view is None else logp * target * w_view
    if reduction == "none":
        return -terms.sum(class_dim)
    total = -terms.sum()
    if reduction == "sum":
        return total
    return total / (logp.data.size / n_classes)


class BinaryCrossEntropy(Function):
    r"""Elementwise $\ell = -[y \max(\log x, -100) + (1 - y) \max(\log(1 - x), -100)]$.

    Backward, PyTorch's formulas (not the derivative of the clamped forward):
    $\bar x = \bar\ell\,(x - y) / \max(x(1 - x), 10^{-12})$, finite at $x \in \{0, 1\}$ and $0$
    where $x = y$ there; $\bar y = \bar\ell\,(\log(1 - x) - \log x)$.
    """

    def forward(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        self.saved = (x, y)
        with np.errstate(divide="ignore"):
            log_x = np.maximum(np.log(x), -100)
            log_1mx = np.maximum(np.log1p(-x), -100)
        return (y - 1) * log_1mx - y * log_x

    def backward(self, grad: Any) -> tuple[Any, Any]:
        x, y = self.saved
        xp = self.xp
        need_x, need_y = self.needs_input_grad
        gx = gy = None
        if need_x:
            denom = x * (1 - x)
            xr = raw(x)  # not raw(denom): a 0-d product is a numpy scalar (.data: a buffer)
            floor = xr * (1 - xr) < _BCE_EPS
            gx = grad * (x - y) / xp.where(floor, _BCE_EPS, denom)
        if need_y:
            with np.errstate(divide="ignore"):  # +-inf at x in {0, 1}, as PyTorch
                gy = grad * (xp.log(1 - x) - xp.log(x))
        return gx, gy


def _check_probabilities(op: str, name: str, x: np.ndarray) -> None:
    """PyTorch's range check of BCE's ``input`` and ``target``: every element in [0, 1] (NaN
    is not); ``RuntimeError`` naming the first offending value."""
    bad = ~((x >= 0) & (x <= 1))
    if bad.any():
        first = x[bad].flat[0]
        raise RuntimeError(f"{op}: all elements of {name} should be between 0 and 1, "
                           f"got {first} ({int(bad.sum())} of {x.size} outside)")


def _same_shape(op: str, input: Tensor, target: Tensor) -> None:
    check_tensors(op, input=input, target=target)
    if input.shape != target.shape:
        raise ValueError(f"{op}: target of shape {target.shape} must have the input's shape "
                         f"{input.shape}")


@quiet_fp
def binary_cross_entropy(
    input: Tensor, target: Tensor, weight: Tensor | None = None,
    size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean",
) -> Tensor:
    r"""Binary cross-entropy of probabilities $x \in [0, 1]$:
    $\ell_i = -w_i [y_i \log x_i + (1 - y_i) \log(1 - x_i)]$, each log clamped at $-100$.

    **Edges** $x = 0$ and $x = 1$: the value is at most $100 w_i$; the gradient is PyTorch's
    $w_i (x_i - y_i) / \max(x_i (1 - x_i), 10^{-12})$ -- finite, and $0$ where $x_i = y_i$
    (see :class:`BinaryCrossEntropy`).  ``weight`` broadcasts against ``input``.
    """
    op = "binary_cross_entropy"
    reduction = resolve_reduction(op, size_average, reduce, reduction)
    _same_shape(op, input, target)
    for name, t in (("input", input), ("target", target)):
        _check_probabilities(op, name, t.data)
    if weight is not None:
        check_weight(op, "weight", weight, input)
        check_constant(op, weight=weight)
    loss = BinaryCrossEntropy.apply(input, target.to(input.dtype))
    if weight is not None:
        loss = loss * weight
    return apply_reduction(loss, reduction)


@quiet_fp
def binary_cross_entropy_with_logits(
    input: Tensor, target: Tensor, weight: Tensor | None = None,
    size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    r"""Binary cross-entropy of logits, stable:
    $\ell_i = w_i [(1 - y_i) x_i - (1 + (p - 1) y_i) \log\sigma(x_i)]$, with $p$ =
    ``pos_weight`` (broadcast along the last axis, one per class) or $1$.

    $\log\sigma(x) = \min(x, 0) - \log(1 + e^{-|x|})$ (the ``logsigmoid`` primitive, right to
    second order at $0$) never overflows, so logits of
    $\pm 1000$ give finite values ($1000$, $0$) and gradients
    $w_i[(1 + (p - 1) y_i)\sigma(x_i) - p\, y_i]$ equal to PyTorch's.
    """
    op = "binary_cross_entropy_with_logits"
    reduction = resolve_reduction(op, size_average, reduce, reduction)
    _same_shape(op, input, target)
    if pos_weight is None:
        loss = (1 - target) * input - activation.logsigmoid(input)
    else:
        check_weight(op, "pos_weight", pos_weight, input)
        check_constant(op, pos_weight=pos_weight)
        log_weight = (pos_weight - 1) * target + 1
        loss = (1 - target) * input - log_weight * activation.logsigmoid(input)
    if weight is not None:
        check_weight(op, "weight", weight, input)
        check_constant(op, weight=weight)
        loss = loss * weight
    return apply_reduction(loss, reduction)


@quiet_fp
def kl_div(
    input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,
    reduction: str = "mean", log_target: bool = False,
) -> Tensor:
    r"""Kullback-Leibler divergence with ``input`` given as log-probabilities:
    $\ell_i = y_i (\log y_i - x_i)$, with $0 \log 0 = 0$ (so $0$ where $y_i = 0$), or
    $\ell_i = e^{y_i}(y_i - x_i)$ when ``log_target``.

    ``reduction='batchmean'`` divides the sum by the batch size ``input.shape[0]`` (the true
    KL divergence per sample); ``'mean'`` divides by every element and warns, as PyTorch.
    Gradient with respect to ``input``: $-y_i$ (or $-e^{y_i}$).  With respect to ``target``
    (when it requires grad): $\log y_i + 1 - x_i$; at $y_i = 0$ the $y \log y$ term
    contributes $0$, giving $-x_i$ where PyTorch gives ``nan``.
    """
    op = "kl_div"
    reduction = resolve_reduction(op, size_average, reduce, reduction,
                                  allowed=("mean", "sum", "none", "batchmean"))
    check_weight(op, "target", target, input, either_way=True)  # silently, as in PyTorch
    if reduction == "mean":
        warnings.warn(
            "kl_div: reduction: 'mean' divides the total loss by both the batch size and the "
            "support size. 'batchmean' divides only by the batch size, and aligns with the KL "
            "div math definition.", UserWarning, stacklevel=2,
        )
    if log_target:
        loss = target.exp() * (target - input)
    else:
        is_zero = target.data == 0
        safe = ew.where(is_zero, 1.0, target)  # log(1) = 0: no -inf or nan in the gradient
        loss = ew.where(is_zero, 0.0, target * safe.log()) - target * input
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.ndim > 0 else total
    return apply_reduction(loss, reduction)
