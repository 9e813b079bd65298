"""``Embedding``: a lookup table of ``num_embeddings`` vectors (PyTorch's parameters and repr).

``weight`` is ``(num_embeddings, embedding_dim)``, initialised from N(0, 1) with the
``padding_idx`` row zeroed, as PyTorch; ``from_pretrained`` wraps an existing matrix.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_lite.autograd.grad_mode import no_grad
from tinygrad_lite.nn import init
from tinygrad_lite.nn.functional.embedding import check_padding_idx, embedding
from tinygrad_lite.nn.modules.module import Module, Parameter
from tinygrad_lite.tensor import Tensor


class Embedding(Module):
    r"""Map integer indices of shape $(*)$ to rows of ``weight``, shape $(*, D)$; see
    :func:`~tinygrad_lite.nn.functional.embedding` (``padding_idx`` rows get no gradient,
    ``max_norm`` renormalises looked-up rows in place).  ``sparse=True`` is not supported."""

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        _weight: Tensor | None = None,
        _freeze: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if sparse:
            raise NotImplementedError("Embedding: sparse gradients (sparse=True) are not supported")
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        pad = check_padding_idx(padding_idx, num_embeddings)
        self.padding_idx = None if padding_idx is None else pad
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        if _weight is None:
            dt = np.dtype(np.float32 if dtype is None else dtype)
            self.weight = Parameter(np.empty((num_embeddings, embedding_dim), dtype=dt))
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise AssertionError(
                    f"Embedding: Shape of weight {tuple(_weight.shape)} does not match "
                    f"num_embeddings and embedding_dim ({num_embeddings}, {embedding_dim})"
                )
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        """Weight from N(0, 1), then the ``padding_idx`` row set to zero."""
        init.normal_(self.weight)
        self._fill_padding_idx_with_zero()

    def _fill_padding_idx_with_zero(self) -> None:
        # the module's one write into its weight (outside autograd, versioned, as PyTorch's)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx] = 0

    def forward(self, input: Tensor) -> Tensor:
        """Look up the rows of ``weight`` named by ``input``."""
        return embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                         self.scale_grad_by_freq, self.sparse)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        return s

    @classmethod
    def from_pretrained(
        cls,
        embeddings: Tensor,
        freeze: bool = True,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
    ) -> Embedding:
        """An ``Embedding`` whose weight is ``embeddings`` (shared, not copied; frozen unless
        ``freeze=False``).  The ``padding_idx`` row is left as given."""
        if embeddings.ndim != 2:
            raise AssertionError(
                f"Embedding.from_pretrained: Embeddings parameter is expected to be "
                f"2-dimensional, got shape {embeddings.shape}"
            )
        rows, cols = embeddings.shape
        return cls(rows, cols, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse,
                   _weight=embeddings, _freeze=freeze)
