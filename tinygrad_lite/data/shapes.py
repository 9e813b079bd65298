r"""Shapes: a procedural, seeded dataset of small grayscale images (no download needed).

Eight classes of outlines and strokes, drawn at random size, position, stroke width and
brightness, plus Gaussian pixel noise.  Each shape is a distance field $d(x, y)$ to its
outline, turned into an anti-aliased stroke of width $w$ by
$\mathrm{ink} = \mathrm{clip}(w/2 + 1/2 - d,\ 0,\ 1)$, computed for all images of a class at once
with broadcasting (no loop over pixels or images).

>>> train, test = shapes(n=80, n_test=16, seed=0)
>>> images, labels = train.arrays
>>> images.shape, images.dtype, np.bincount(labels).tolist()
((80, 1, 28, 28), dtype('float32'), [10, 10, 10, 10, 10, 10, 10, 10])
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tinygrad_lite.data.dataset import TensorDataset

CLASSES = ("circle", "square", "triangle", "diamond", "plus", "cross", "hline", "vline")
_SQRT2 = np.float32(np.sqrt(2.0))


def _segment_h(dx: np.ndarray, dy: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Distance to the horizontal segment from (-r, 0) to (r, 0)."""
    return np.hypot(np.maximum(np.abs(dx) - r, 0), dy)


def _circle(dx: np.ndarray, dy: np.ndarray, r: np.ndarray) -> np.ndarray:
    return np.abs(np.hypot(dx, dy) - r)


def _square(dx: np.ndarray, dy: np.ndarray, r: np.ndarray) -> np.ndarray:
    return np.abs(np.maximum(np.abs(dx), np.abs(dy)) - 0.8 * r)


def _triangle(dx: np.ndarray, dy: np.ndarray, r: np.ndarray) -> np.ndarray:
    # Equilateral, apex up, circumradius r: the three edges' outward normals in image
    # coordinates (y down) are (0, 1) and (+-sqrt(3)/2, -1/2); each edge lies at r/2.
    c = np.float32(np.sqrt(3.0) / 2)
    dy = dy - 0.2 * r  # centre the triangle's bounding box
    signed = np.maximum(np.maximum(dy, c * dx - 0.5 * dy), -c * dx - 0.5 * dy) - 0.5 * r
    return np.abs(signed)


def _diamond(dx: np.ndarray, dy: np.ndarray, r: np.ndarray) -> np.ndarray:
    return np.abs((np.abs(dx) + np.abs(dy)) / _SQRT2 - 0.7 * r)


def _plus(dx: np.ndarray, dy: np.ndarray, r: np.ndarray) -> np.ndarray:
    return np.minimum(_segment_h(dx, dy, r), _segment_h(dy, dx, r))


def _cross(dx: np.ndarray, dy: np.ndarray, r: np.ndarray) -> np.ndarray:
    u, v = (dx + dy) / _SQRT2, (dx - dy) / _SQRT2
    return _plus(u, v, 0.9 * r)


def _hline(dx: np.ndarray, dy: np.ndarray, r: np.ndarray) -> np.ndarray:
    return _segment_h(dx, dy, r)


def _vline(dx: np.ndarray, dy: np.ndarray, r: np.ndarray) -> np.ndarray:
    return _segment_h(dy, dx, r)


_DISTANCE: dict[str, Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]] = {
    "circle": _circle,
    "square": _square,
    "triangle": _triangle,
    "diamond": _diamond,
    "plus": _plus,
    "cross": _cross,
    "hline": _hline,
    "vline": _vline,
}


def _is_int(x: object) -> bool:
    """A Python or numpy integer, not a bool."""
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def make_shapes(
    n: int, size: int = 28, seed: int | np.random.SeedSequence | None = 0, noise: float = 0.1
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` images and labels: float32 ``(n, 1, size, size)`` in [0, 1], int64 ``(n,)``.

    Labels are balanced (``n // 8`` or one more per class, in random order).  Shape radius is
    18%-36% of ``size``, centres keep the shape inside the image, stroke width 1.2-2.6 px,
    brightness 0.6-1, then Gaussian noise of standard deviation ``noise``, clipped to [0, 1].
    The same ``(n, size, seed, noise)`` always gives the same images.
    """
    if not (_is_int(n) and _is_int(size)) or n < 0 or size < 8:
        raise ValueError(f"make_shapes: need integers n >= 0 and size >= 8, got n={n!r}, "
                         f"size={size!r}")  # fmt: skip
    if noise < 0:
        raise ValueError(f"make_shapes: noise must be >= 0, got {noise}")
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % len(CLASSES)).astype(np.int64)
    f32 = np.float32
    radius = rng.uniform(0.18, 0.36, n).astype(f32) * size
    margin = radius + 1.5
    cx = rng.uniform(margin, size - 1 - margin).astype(f32)
    cy = rng.uniform(margin, size - 1 - margin).astype(f32)
    width = rng.uniform(1.2, 2.6, n).astype(f32)
    brightness = rng.uniform(0.6, 1.0, n).astype(f32)
    grid = np.arange(size, dtype=f32)
    images = np.empty((n, size, size), dtype=f32)
    for k, name in enumerate(CLASSES):
        sel = np.flatnonzero(labels == k)
        dx = grid[None, None, :] - cx[sel, None, None]  # (m, 1, W)
        dy = grid[None, :, None] - cy[sel, None, None]  # (m, H, 1)
        dist = _DISTANCE[name](dx, dy, radius[sel, None, None])  # (m, H, W)
        ink = np.clip(width[sel, None, None] / 2 + 0.5 - dist, 0, 1)
        images[sel] = brightness[sel, None, None] * ink
    if noise > 0:
        images += rng.standard_normal(images.shape, dtype=f32) * f32(noise)
        np.clip(images, 0, 1, out=images)
    return images[:, None], labels


def shapes(
    n: int = 4000,
    n_test: int = 1000,
    size: int = 28,
    seed: int = 0,
    noise: float = 0.1,
    transform: Callable[..., np.ndarray] | None = None,
) -> tuple[TensorDataset, TensorDataset]:
    """A train and a test :class:`TensorDataset` of shapes (independent draws of one seed).

    ``transform`` (e.g. a random shift) applies to the training images only.
    """
    if not _is_int(seed) or seed < 0:  # what SeedSequence takes
        raise ValueError(f"shapes: seed must be a non-negative integer, got {seed!r}")
    train = make_shapes(n, size, seed=np.random.SeedSequence([seed, 0]), noise=noise)
    test = make_shapes(n_test, size, seed=np.random.SeedSequence([seed, 1]), noise=noise)
    return TensorDataset(*train, transform=transform), TensorDataset(*test)
