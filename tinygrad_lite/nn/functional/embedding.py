r"""``embedding``: look up rows of a weight matrix by integer index (PyTorch's signature).

One primitive (:class:`tinygrad_lite.ops.embedding.Embedding`); ``max_norm`` renormalises the
looked-up rows of ``weight`` in place first, without gradient, as PyTorch does.
"""

from __future__ import annotations

import numpy as np

from tinygrad_lite.autograd.version import mark_dirty
from tinygrad_lite.ops import embedding as E
from tinygrad_lite.tensor import Tensor


def check_padding_idx(padding_idx: int | None, num_embeddings: int) -> int:
    """``padding_idx`` as a row number in ``[0, num_embeddings)``, or ``-1`` for none.

    Negative values count from the end; out-of-range values raise PyTorch's ``AssertionError``.
    """
    if padding_idx is None:
        return -1
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise AssertionError(
            f"Padding_idx must be within num_embeddings (got padding_idx={padding_idx} for "
            f"num_embeddings={num_embeddings})"
        )
    return padding_idx % num_embeddings


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    r"""``weight[input]``: for integer indices ``input`` of shape $(*)$ and ``weight`` $(V, D)$,
    the rows $W_{i}$, shape $(*, D)$.

    Gradient: row $k$ of $\bar W$ sums the output gradients of every position holding $k$;
    the row ``padding_idx`` gets none; with ``scale_grad_by_freq`` each is divided by how
    often its index occurs in ``input``.  With ``max_norm``, each looked-up row whose
    ``norm_type``-norm exceeds it is first rescaled *in place* to norm ``max_norm``
    (``weight`` changes, as in PyTorch).  ``sparse=True`` (sparse gradients) is not supported.
    """
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(
            f"embedding: expected Tensors for input and weight, got {type(input).__name__} "
            f"and {type(weight).__name__}"
        )
    if weight.ndim != 2:
        raise RuntimeError(f"embedding: 'weight' must be 2-D, got shape {weight.shape}")
    idx = input.data
    if idx.dtype not in (np.int64, np.int32):
        raise RuntimeError(
            f"embedding: expected indices of dtype int64 or int32 (Long or Int), got "
            f"{idx.dtype}"
        )
    num = weight.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        bad = idx[(idx < 0) | (idx >= num)].flat[0]
        raise IndexError(
            f"embedding: index out of range in self (index {bad} for {num} embeddings)"
        )
    if sparse:
        raise NotImplementedError("embedding: sparse gradients (sparse=True) are not supported")
    pad = check_padding_idx(padding_idx, num)
    if max_norm is not None:
        E.embedding_renorm_(weight.data, idx, max_norm, norm_type)
        mark_dirty(weight)  # a versioned write: a graph that saved the old rows refuses
    return E.Embedding.apply(weight, input, padding_idx=pad,
                             scale_grad_by_freq=scale_grad_by_freq)
