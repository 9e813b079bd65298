"""``PairwiseDistance`` and ``CosineSimilarity``: modules of their ``nn.functional`` twins."""

from __future__ import annotations

from tinygrad_lite.nn.functional import distance as D
from tinygrad_lite.nn.modules.module import Module
from tinygrad_lite.tensor import Tensor


class PairwiseDistance(Module):
    r"""$\lVert x_1 - x_2 + \epsilon \rVert_p$ over the last dimension."""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm = p
        self.eps = eps
        self.keepdim = keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        """Apply :func:`~tinygrad_lite.nn.functional.pairwise_distance`."""
        return D.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


class CosineSimilarity(Module):
    r"""Cosine of the angle between ``x1`` and ``x2`` along ``dim``."""

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim = dim
        self.eps = eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        """Apply :func:`~tinygrad_lite.nn.functional.cosine_similarity`."""
        return D.cosine_similarity(x1, x2, self.dim, self.eps)
