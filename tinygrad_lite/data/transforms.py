"""Image transforms on numpy arrays, vectorised over a batch.

Each transform takes one image ``(C, H, W)`` or a batch ``(N, C, H, W)`` and returns the same
layout; random transforms draw one independent choice per image (no Python loop over images).
Randomness comes from ``generator`` when given (the DataLoader passes one derived from its seed
and epoch, so augmentation is reproducible) and otherwise from the default generator
(:func:`tinygrad_lite.random.get_rng`).

>>> import numpy as np
>>> t = Compose([RandomShift(2), Normalize(0.5, 0.25)])
>>> t(np.zeros((8, 1, 28, 28), np.float32), generator=np.random.default_rng(0)).shape
(8, 1, 28, 28)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tinygrad_lite.random import get_rng


def _as_batch(name: str, x: Any) -> tuple[np.ndarray, bool]:
    """``(N, C, H, W)`` view of ``x`` and whether it was a single ``(C, H, W)`` image."""
    x = np.asarray(x)
    if x.ndim == 3:
        return x[None], True
    if x.ndim == 4:
        return x, False
    raise ValueError(f"{name}: expected an image (C, H, W) or a batch (N, C, H, W), got {x.shape}")


class Transform:
    """Base class: ``transform(x, generator=None)`` returns the transformed array."""

    def __call__(self, x: np.ndarray, generator: Any = None) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__}: __call__ is not implemented")

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


class Compose(Transform):
    """Apply transforms in order; plain callables are called with the array only."""

    def __init__(self, transforms: Sequence[Callable[..., np.ndarray]]) -> None:
        self.transforms = list(transforms)

    def __call__(self, x: np.ndarray, generator: Any = None) -> np.ndarray:
        for t in self.transforms:
            x = t(x, generator=generator) if isinstance(t, Transform) else t(x)
        return x


class Normalize(Transform):
    r"""Per-channel standardisation $x \mapsto (x - \mathrm{mean}_c) / \mathrm{std}_c$.

    ``mean`` and ``std`` are numbers or one value per channel; the result keeps ``x``'s float
    dtype (float32 stays float32).
    """

    def __init__(self, mean: float | Sequence[float], std: float | Sequence[float]) -> None:
        self.mean = mean
        self.std = std
        if np.any(np.asarray(std, dtype=np.float64) == 0):
            raise ValueError(f"Normalize: std must be non-zero, got {std}")

    def __call__(self, x: np.ndarray, generator: Any = None) -> np.ndarray:
        batch, single = _as_batch("Normalize", x)
        dtype = batch.dtype if batch.dtype.kind == "f" else np.dtype(np.float32)
        mean = np.asarray(self.mean, dtype=dtype).reshape(-1, 1, 1)
        std = np.asarray(self.std, dtype=dtype).reshape(-1, 1, 1)
        channels = batch.shape[1]
        if mean.shape[0] not in (1, channels) or std.shape[0] not in (1, channels):
            raise ValueError(
                f"Normalize: {mean.shape[0]} means / {std.shape[0]} stds for an input "
                f"with {channels} channels {batch.shape}"
            )
        out = (batch.astype(dtype, copy=False) - mean) / std
        return out[0] if single else out


class RandomHorizontalFlip(Transform):
    """Mirror each image left-right with probability ``p``."""

    def __init__(self, p: float = 0.5) -> None:
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"RandomHorizontalFlip: p must be in [0, 1], got {p}")
        self.p = p

    def __call__(self, x: np.ndarray, generator: Any = None) -> np.ndarray:
        batch, single = _as_batch("RandomHorizontalFlip", x)
        flip = get_rng(generator).random(batch.shape[0]) < self.p  # (N,)
        out = np.where(flip[:, None, None, None], batch[..., ::-1], batch)
        return out[0] if single else out


def _crop_batch(
    padded: np.ndarray, top: np.ndarray, left: np.ndarray, height: int, width: int
) -> np.ndarray:
    """Crop ``padded[n, :, top[n]:top[n]+height, left[n]:left[n]+width]`` for all n at once."""
    n = padded.shape[0]
    rows = top[:, None] + np.arange(height)  # (N, h)
    cols = left[:, None] + np.arange(width)  # (N, w)
    return padded[
        np.arange(n)[:, None, None, None],
        np.arange(padded.shape[1])[None, :, None, None],
        rows[:, None, :, None],
        cols[:, None, None, :],
    ]  # (N, C, h, w)


def _random_crop(
    name: str, x: Any, size: tuple[int, int] | None, padding: int, fill: float, generator: Any
) -> np.ndarray:
    """Pad by ``padding``, then cut one random ``size`` window per image (``None``: input size)."""
    batch, single = _as_batch(name, x)
    p = padding
    padded = np.pad(batch, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=fill)
    h, w = batch.shape[2:] if size is None else size
    max_top, max_left = padded.shape[2] - h, padded.shape[3] - w
    if max_top < 0 or max_left < 0:
        raise ValueError(
            f"{name}: crop size {(h, w)} is larger than the padded image {padded.shape[2:]}"
        )
    rng = get_rng(generator)
    top = rng.integers(0, max_top + 1, size=batch.shape[0])
    left = rng.integers(0, max_left + 1, size=batch.shape[0])
    out = _crop_batch(padded, top, left, h, w)
    return out[0] if single else out


class RandomCrop(Transform):
    """Pad each side by ``padding`` (with ``fill``), then cut a random ``size`` window per image.

    ``size`` is an int (square) or ``(h, w)``; as ``torchvision.transforms.RandomCrop`` with
    constant padding.
    """

    def __init__(self, size: int | tuple[int, int], padding: int = 0, fill: float = 0.0) -> None:
        pair = (size, size) if isinstance(size, (int, np.integer)) else size
        try:
            h, w = pair
            ok = all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 1
                     for n in (h, w))  # fmt: skip
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ValueError(f"RandomCrop: size must be a positive int or (h, w), got {size!r}")
        self.size = (int(h), int(w))
        if padding < 0:
            raise ValueError(f"RandomCrop: padding must be >= 0, got {padding}")
        self.padding = int(padding)
        self.fill = fill

    def __call__(self, x: np.ndarray, generator: Any = None) -> np.ndarray:
        return _random_crop("RandomCrop", x, self.size, self.padding, self.fill, generator)


class RandomShift(Transform):
    """Translate each image by a random integer offset in ``[-max_shift, max_shift]`` along each
    axis, filling uncovered pixels with ``fill``; the size is unchanged."""

    def __init__(self, max_shift: int = 2, fill: float = 0.0) -> None:
        if max_shift < 0:
            raise ValueError(f"RandomShift: max_shift must be >= 0, got {max_shift}")
        self.max_shift = int(max_shift)
        self.fill = fill

    def __call__(self, x: np.ndarray, generator: Any = None) -> np.ndarray:
        return _random_crop("RandomShift", x, None, self.max_shift, self.fill, generator)
