"""Datasets: an indexable collection of examples, as ``torch.utils.data``.

A dataset maps an index to one example (a tuple such as ``(image, label)``).  Array-backed
datasets also offer ``get_batch(indices)``, which returns a whole batch as stacked arrays in one
vectorised fancy-indexing step; :class:`~tinygrad_lite.data.DataLoader` uses it when present so
that no Python loop runs over the examples of a batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tinygrad_lite.argcheck import check_numeric_array, is_int
from tinygrad_lite.random import get_rng
from tinygrad_lite.tensor import Tensor


class Dataset:
    """Base class: subclasses implement ``__getitem__(index)`` and ``__len__()``."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__}: __getitem__ is not implemented")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__}: __len__ is not implemented")


def _as_array(x: Any) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _check_index(name: str, index: Any, n: int) -> int:
    if not is_int(index):  # 1.5 must not silently mean example 1
        raise IndexError(f"{name}: index must be an integer, got {type(index).__name__} {index!r}")
    i = int(index)
    if not -n <= i < n:
        raise IndexError(f"{name}: index {i} out of range for a dataset of {n} examples")
    return i % n


class TensorDataset(Dataset):
    """Examples are the rows of tensors (or numpy arrays) that share their first dimension.

    ``TensorDataset(images, labels)[i] == (images[i], labels[i])`` as Tensors.  An optional
    ``transform`` is applied to the first array (the inputs) of each example or batch.

    >>> import numpy as np
    >>> ds = TensorDataset(np.zeros((5, 1, 4, 4), np.float32), np.arange(5))
    >>> len(ds), ds[2][1].item()
    (5, 2)
    """

    def __init__(self, *tensors: Any, transform: Any = None) -> None:
        if not tensors:
            raise ValueError("TensorDataset: expected at least one tensor")
        self.arrays = tuple(_as_array(t) for t in tensors)
        sizes = [a.shape[0] if a.ndim else None for a in self.arrays]
        if None in sizes or len(set(sizes)) != 1:
            shapes = [a.shape for a in self.arrays]
            raise ValueError(f"TensorDataset: size mismatch between tensors, got shapes {shapes}")
        self.transform = transform

    @property
    def tensors(self) -> tuple[Tensor, ...]:
        """The stored arrays as Tensors (sharing memory)."""
        return tuple(Tensor._make(a, None) for a in self.arrays)

    def __len__(self) -> int:
        return self.arrays[0].shape[0]

    def __getitem__(self, index: int) -> tuple[Tensor, ...]:
        i = _check_index("TensorDataset", index, len(self))
        return tuple(Tensor._make(np.asarray(a), None) for a in self.get_batch([i], squeeze=True))

    def get_batch(self, indices: Any, squeeze: bool = False) -> tuple[np.ndarray, ...]:
        """The examples at ``indices`` as arrays stacked along a new first axis."""
        idx = np.asarray(indices, dtype=np.int64)
        out = [a[idx] for a in self.arrays]
        if self.transform is not None:
            out[0] = self.transform(out[0])
        if squeeze:
            out = [o[0] for o in out]
        return tuple(out)


class Subset(Dataset):
    """The examples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Any, indices: Sequence[int] | np.ndarray) -> None:
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64).reshape(-1)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int) -> Any:
        return self.dataset[int(self.indices[_check_index("Subset", index, len(self))])]

    def get_batch(self, indices: Any) -> tuple[np.ndarray, ...]:
        """The examples at ``indices`` (positions in this subset) as stacked arrays."""
        return fetch_batch(self.dataset, self.indices[np.asarray(indices, dtype=np.int64)])


def random_split(
    dataset: Any, lengths: Sequence[int | float], generator: Any = None
) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random subsets of the given lengths.

    ``lengths`` may be counts summing to ``len(dataset)`` or fractions summing to 1 (the
    remainder is dealt round-robin, as PyTorch does).
    """
    n = len(dataset)
    if all(isinstance(x, float) for x in lengths) and abs(sum(lengths) - 1.0) < 1e-9:
        counts = [int(np.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
    else:
        counts = [int(x) for x in lengths]
    if sum(counts) != n:
        raise ValueError(f"random_split: lengths {list(lengths)} do not sum to {n}")
    perm = get_rng(generator).permutation(n)
    bounds = np.cumsum([0] + counts)
    return [Subset(dataset, perm[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]


def _stack(name: str, items: list[Any]) -> np.ndarray:
    """One field of a batch as an array: examples must agree in type and shape."""
    first = items[0]
    for i, x in enumerate(items):
        if type(x) is not type(first) and not (
            isinstance(x, (Tensor, np.ndarray, np.generic))
            and isinstance(first, (Tensor, np.ndarray, np.generic))
        ):
            raise TypeError(
                f"{name}: examples must have the same type in each field, got "
                f"{type(first).__name__} at entry 0 and {type(x).__name__} at entry {i}"
            )
    if isinstance(first, (Tensor, np.ndarray, np.generic)):
        arrays = [_as_array(x) for x in items]
        for i, a in enumerate(arrays):
            if a.shape != arrays[0].shape:
                raise RuntimeError(
                    f"{name}: stack expects each example to be equal size, but got "
                    f"{arrays[0].shape} at entry 0 and {a.shape} at entry {i}"
                )
            check_numeric_array(name, a, f"entry {i}")
        return np.stack(arrays)
    if isinstance(first, bool):
        return np.asarray(items, dtype=np.bool_)
    if isinstance(first, int):
        return np.asarray(items, dtype=np.int64)
    if isinstance(first, float):
        return np.asarray(items, dtype=np.float32)
    raise TypeError(
        f"{name}: cannot batch elements of type {type(first).__name__} (expected Tensors, "
        "numpy arrays or numbers)"
    )


def default_collate(samples: Sequence[Any]) -> tuple[np.ndarray, ...] | np.ndarray:
    """Stack a list of examples field by field: ``[(x0, y0), (x1, y1)] -> (X, Y)``.

    Arrays and Tensors keep their dtype; Python ints become int64 and floats float32 (the
    default float), as ``torch.utils.data.default_collate`` with float32 as default dtype.
    """
    if not samples:
        raise ValueError("default_collate: cannot collate an empty batch")
    if isinstance(samples[0], (tuple, list)):
        width = len(samples[0])
        if any(len(s) != width for s in samples):
            raise ValueError("default_collate: examples have different numbers of fields")
        return tuple(_stack("default_collate", [s[k] for s in samples]) for k in range(width))
    return _stack("default_collate", list(samples))


def fetch_batch(dataset: Any, indices: Any) -> tuple[np.ndarray, ...] | np.ndarray:
    """The examples at ``indices`` as stacked arrays: ``dataset.get_batch`` when it has one
    (one vectorised step), else ``default_collate`` of the single examples."""
    if hasattr(dataset, "get_batch"):
        return dataset.get_batch(indices)
    return default_collate([dataset[int(i)] for i in np.asarray(indices).reshape(-1)])
