"""DataLoader: batches of a dataset as Tensors, shuffled reproducibly from a seed and the epoch.

The order of epoch ``e`` is a permutation drawn from ``numpy.random.default_rng([seed, e])``,
so it differs from epoch to epoch, yet depends on nothing but ``(seed, e)``: a run resumed at
epoch ``e`` sees exactly the batches an uninterrupted run would.  Without ``seed`` the loader
draws one from the default generator (:func:`tinygrad_lite.random.get_rng`) when it is built,
so ``tl.manual_seed`` makes it reproducible too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from tinygrad_lite.data.dataset import default_collate, fetch_batch
from tinygrad_lite.data.transforms import Transform
from tinygrad_lite.random import get_rng
from tinygrad_lite.tensor import Tensor


def _to_tensor(a: np.ndarray) -> Tensor:
    """Wrap a batch array; integer labels become int64 (what ``cross_entropy`` expects)."""
    a = np.asarray(a)
    if a.dtype.kind in "iu" and a.dtype != np.int64:
        a = a.astype(np.int64)
    return Tensor._make(np.ascontiguousarray(a), None)


def _is_int(x: Any) -> bool:
    """A Python or numpy integer, not a bool."""
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size`` examples, as Tensors.

    Args:
        dataset: anything with ``__len__`` and ``__getitem__``; a ``get_batch(indices)`` method,
            when present, fetches a whole batch in one vectorised step.
        batch_size: examples per batch (the last one may be smaller unless ``drop_last``).
        shuffle: visit the examples in a new random order each epoch.
        drop_last: skip the final incomplete batch.
        seed: fixes the order of every epoch (``default_rng([seed, epoch])``); ``None`` draws a
            seed from ``generator`` or the default generator (only when shuffling or
            transforming: a plain loader leaves the random stream alone).
        transform: a batch transform (see :mod:`tinygrad_lite.data.transforms`) applied to the
            first field (the inputs) of each batch.  ``Transform`` objects get a generator
            derived from the seed and epoch, so augmentation is reproducible as well; plain
            callables are called with the array only.
        collate_fn: turns a list of examples into arrays; only used for datasets without
            ``get_batch`` (default: :func:`~tinygrad_lite.data.dataset.default_collate`).
        generator: a ``numpy.random.Generator`` to draw the seed from when ``seed`` is None.

    Each iteration (``for batch in loader``) is one epoch; the epoch counter advances when an
    iteration starts.  ``set_epoch(e)`` picks the epoch explicitly, and ``state_dict()`` /
    ``load_state_dict()`` save and restore seed and epoch for resuming.

    >>> import numpy as np
    >>> from tinygrad_lite.data import TensorDataset
    >>> ds = TensorDataset(np.arange(10, dtype=np.float32), np.arange(10))
    >>> [y.tolist() for _, y in DataLoader(ds, batch_size=4)]
    [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        seed: int | None = None,
        transform: Callable[..., np.ndarray] | None = None,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        generator: np.random.Generator | None = None,
    ) -> None:
        if not _is_int(batch_size) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size}")
        if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
            raise TypeError(
                f"DataLoader: dataset must have __len__ and __getitem__, got "
                f"{type(dataset).__name__}"
            )
        if shuffle and len(dataset) == 0:  # PyTorch's RandomSampler refuses it too
            raise ValueError(
                "DataLoader: cannot shuffle an empty dataset (num_samples should be a "
                "positive integer value, but got num_samples=0)"
            )
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.transform = transform
        self.collate_fn = collate_fn
        if seed is not None and (not _is_int(seed) or seed < 0):  # what default_rng takes
            raise ValueError(f"DataLoader: seed must be a non-negative integer, got {seed!r}")
        if seed is None:  # draw only when something is random, so plain loaders use no RNG
            random = self.shuffle or transform is not None
            seed = int(get_rng(generator).integers(0, 2**63 - 1)) if random else 0
        self.seed = int(seed)
        self.epoch = 0

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def set_epoch(self, epoch: int) -> None:
        """Make the next iteration epoch ``epoch`` (its order and augmentation)."""
        self.epoch = int(epoch)

    def state_dict(self) -> dict[str, int]:
        """``{"seed": ..., "epoch": ...}``: all it takes to reproduce the coming epochs."""
        return {"seed": self.seed, "epoch": self.epoch}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (checked first: a bad state changes
        nothing)."""
        if not hasattr(state, "keys") or "seed" not in state or "epoch" not in state:
            raise TypeError(f"DataLoader.load_state_dict: expected a dict with 'seed' and "
                            f"'epoch', got {state!r}")  # fmt: skip
        seed, epoch = state["seed"], state["epoch"]
        for name, value in (("seed", seed), ("epoch", epoch)):
            if not _is_int(value) or value < 0:
                raise ValueError(f"DataLoader.load_state_dict: {name} must be a non-negative "
                                 f"integer, got {value!r}")  # fmt: skip
        self.seed, self.epoch = int(seed), int(epoch)

    def order(self, epoch: int) -> np.ndarray:
        """The example indices of epoch ``epoch``, in visiting order."""
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        return np.random.default_rng([self.seed, int(epoch)]).permutation(n)

    def _fetch(self, indices: np.ndarray) -> Any:
        if self.collate_fn is None:
            return fetch_batch(self.dataset, indices)
        return self.collate_fn([self.dataset[int(i)] for i in indices])

    def __iter__(self) -> Iterator[Any]:
        epoch = self.epoch
        self.epoch += 1
        return self._batches(epoch)

    def _batches(self, epoch: int) -> Iterator[Any]:
        order = self.order(epoch)
        stop = len(self) * self.batch_size
        augment_rng = np.random.default_rng([self.seed, epoch, 1])
        for start in range(0, min(stop, len(order)), self.batch_size):
            batch = self._fetch(order[start : start + self.batch_size])
            single = not isinstance(batch, (tuple, list))
            fields = [batch] if single else list(batch)
            if self.transform is not None:
                fields[0] = self._augment(fields[0], augment_rng)
            tensors = tuple(_to_tensor(f) for f in fields)
            yield tensors[0] if single else tensors

    def _augment(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if isinstance(self.transform, Transform):
            return self.transform(x, generator=rng)
        return self.transform(x)

__all__ = ["DataLoader", "default_collate"]
