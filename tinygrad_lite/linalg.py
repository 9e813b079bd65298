"""``tinygrad_lite.linalg``: PyTorch's ``torch.linalg`` namespace (vector norms so far).

>>> import tinygrad_lite as tl
>>> tl.linalg.vector_norm(tl.tensor([3.0, 4.0]))
tensor(5.)
"""

from tinygrad_lite.ops.vector_norm import vector_norm

__all__ = ["vector_norm"]
