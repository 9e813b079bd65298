r"""Losses on pairs and triplets of embeddings: ``margin_ranking_loss``, ``triplet_margin_loss``,
``cosine_embedding_loss`` (PyTorch's names, signatures, defaults and formulas).

Each hinge is ``clamp(min=0)``, PyTorch's ``clamp_min``, whose gradient passes *at* the bound:

=====================  =======================================================================
loss                   gradient at the kink
=====================  =======================================================================
margin_ranking_loss    $-y$ to ``input1`` at $-y(x_1 - x_2) + \text{margin} = 0$ (counts)
triplet_margin_loss    full gradient at $\text{margin} + d(a, p) - d(a, n) = 0$ (counts);
                       with ``swap``, a tie $d(a, n) = d(p, n)$ splits $\tfrac12$-$\tfrac12$
cosine_embedding_loss  $\partial\cos$ at $\cos - \text{margin} = 0$ for $y = -1$ (counts)
=====================  =======================================================================
"""

from __future__ import annotations

import numpy as np

from tinygrad_lite.nn.functional.distance import pairwise_distance
from tinygrad_lite.nn.functional.losses import apply_reduction, check_tensors, resolve_reduction
from tinygrad_lite.ops import elementwise as ew
from tinygrad_lite.tensor import Tensor

# PyTorch's cosine_embedding_loss adds 1e-12 to each squared magnitude, as a float32 constant
# (9.99999996e-13) even in float64: visible in the gradient at a zero vector (2e-9 relative)
_EPSILON = float(np.float32(1e-12))


def margin_ranking_loss(
    input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
    size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean",
) -> Tensor:
    r"""$\ell_i = \max(0, -y_i (x_{1,i} - x_{2,i}) + \text{margin})$, $y_i \in \{1, -1\}$:
    $y = 1$ asks for $x_1$ to rank above $x_2$ by ``margin``."""
    op = "margin_ranking_loss"
    reduction = resolve_reduction(op, size_average, reduce, reduction)
    check_tensors(op, input1=input1, input2=input2, target=target)
    if not input1.ndim == input2.ndim == target.ndim:
        raise RuntimeError(
            f"{op}: All input tensors should have same dimension but got sizes: input1: "
            f"{input1.shape}, input2: {input2.shape}, target: {target.shape}"
        )
    loss = (-target * (input1 - input2) + margin).clamp(min=0)
    return apply_reduction(loss, reduction)


def triplet_margin_loss(
    anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0, p: float = 2,
    eps: float = 1e-6, swap: bool = False, size_average: bool | None = None,
    reduce: bool | None = None, reduction: str = "mean",
) -> Tensor:
    r"""$\ell_i = \max(0, \text{margin} + d(a_i, p_i) - d(a_i, n_i))$ with
    $d$ = :func:`~tinygrad_lite.nn.functional.pairwise_distance` (``p``, ``eps``).

    ``swap`` (Balntas et al., 2016) uses $\min(d(a, n), d(p, n))$ as the negative distance.
    """
    op = "triplet_margin_loss"
    reduction = resolve_reduction(op, size_average, reduce, reduction)
    check_tensors(op, anchor=anchor, positive=positive, negative=negative)
    if margin <= 0:
        raise ValueError(f"{op}: margin must be greater than 0, got {margin}")
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(
            f"{op}: The anchor, positive, and negative tensors are expected to have the same "
            f"number of dimensions, but got: anchor {anchor.ndim}D, positive {positive.ndim}D, "
            f"and negative {negative.ndim}D inputs"
        )
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = d_neg.minimum(pairwise_distance(positive, negative, p, eps))
    return apply_reduction(((d_pos + margin) - d_neg).clamp(min=0), reduction)


def cosine_embedding_loss(
    input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
    size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean",
) -> Tensor:
    r"""$\ell_i = 1 - \cos(x_{1,i}, x_{2,i})$ for $y_i = 1$, $\max(0, \cos - \text{margin})$
    for $y_i = -1$ (and $0$ for any other target), with PyTorch's
    $\cos = \frac{x_1 \cdot x_2}{\sqrt{(\lVert x_1\rVert^2 + 10^{-12})(\lVert x_2\rVert^2 +
    10^{-12})}}$: finite, and $0$, for a zero vector.

    Inputs $(N, D)$ with target $(N,)$, or $(D,)$ with a 0-d target.
    """
    op = "cosine_embedding_loss"
    reduction = resolve_reduction(op, size_average, reduce, reduction)
    check_tensors(op, input1=input1, input2=input2, target=target)
    if target.ndim not in (0, 1):
        raise RuntimeError(f"{op}: 0D or 1D target tensor expected, multi-target not supported")
    want = target.ndim + 1
    if input1.ndim != want or input2.ndim != want:
        raise RuntimeError(
            f"{op}: {target.ndim}D target tensor expects {want}D input tensors, but found "
            f"inputs with sizes {list(input1.shape)} and {list(input2.shape)}."
        )
    dim = target.ndim
    prod_sum = (input1 * input2).sum(dim)
    mag1 = (input1 * input1).sum(dim) + _EPSILON
    mag2 = (input2 * input2).sum(dim) + _EPSILON
    cos = prod_sum / (mag1 * mag2).sqrt()
    y = target.data
    loss = ew.where(y == 1, 1 - cos, 0.0) + ew.where(y == -1, (cos - margin).clamp(min=0), 0.0)
    return apply_reduction(loss, reduction)
