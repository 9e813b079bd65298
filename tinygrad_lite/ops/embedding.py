r"""Embedding lookup: one primitive, the rows of a weight matrix picked by integer indices.

A lookup is ``weight[indices]``; its own ``Function`` (rather than generic advanced indexing)
so that ``padding_idx`` and ``scale_grad_by_freq`` -- PyTorch's two changes to the gradient,
not to the value -- live beside the formula they change.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_lite.autograd.function import Function, raw
from tinygrad_lite.ops.masking import select


class Embedding(Function):
    r"""$y_{\dots,:} = W_{i_\dots,:}$ for weight $W$ $(V, D)$ and an integer index tensor $i$ (an
    input without gradient, so the version check of in-place writes covers it too).

    Backward: $\bar W_k = \sum_{\dots:\,i_\dots = k} s_\dots\,\bar y_{\dots,:}$, where the scale
    $s$ is $1$, or $0$ where $i_\dots$ is ``padding_idx`` (that row never learns), and with
    ``scale_grad_by_freq`` divided by the number of times $i_\dots$ occurs in the batch.
    Linear in $\bar y$, so double backward is the lookup again (``xp.index_add``'s adjoint).
    """

    def forward(
        self, weight: np.ndarray, indices: np.ndarray, *, padding_idx: int,
        scale_grad_by_freq: bool,
    ) -> np.ndarray:
        scale = keep = None
        if scale_grad_by_freq:
            counts = np.bincount(indices.ravel(), minlength=weight.shape[0])
            scale = (1.0 / counts[indices]).astype(weight.dtype)[..., None]
        if padding_idx >= 0:
            keep = (indices != padding_idx)[..., None]
        self.save_for_backward(weight.shape, indices, scale, keep)
        return np.take(weight, indices, axis=0)  # a fresh array, never a view of weight

    def backward(self, grad: Any) -> tuple[Any, None]:
        shape, indices, scale, keep = self.saved
        if scale is not None:
            grad = grad * scale
        if keep is not None:  # selected, as PyTorch: an infinite grad gives the pad row 0
            grad = select(self.xp, keep, grad)
        return self.xp.index_add(shape, raw(indices), grad), None


def embedding_renorm_(weight: np.ndarray, indices: np.ndarray, max_norm: float,
                      norm_type: float) -> None:
    r"""Rescale, *in place*, each row of ``weight`` named in ``indices`` whose ``norm_type``-norm
    exceeds ``max_norm`` to norm ``max_norm`` (PyTorch's ``embedding_renorm_``: factor
    $\text{max\_norm} / (\lVert w \rVert + 10^{-7})$).  No gradient flows through it.

    This is the library's one write into an embedding weight's array.
    """
    rows = np.unique(indices)
    picked = weight[rows]
    if norm_type == np.inf:
        norms = np.abs(picked).max(axis=1)
    elif norm_type == 0:
        norms = (picked != 0).sum(axis=1).astype(weight.dtype)
    else:
        norms = (np.abs(picked) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    over = norms > max_norm
    if over.any():
        factor = (max_norm / (norms[over] + 1e-7)).astype(weight.dtype)
        weight[rows[over]] = picked[over] * factor[:, None]
