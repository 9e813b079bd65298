"""Batch transforms: values, per-image randomness, seeding, errors."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_lite.data.transforms import (
    Compose,
    Normalize,
    RandomCrop,
    RandomHorizontalFlip,
    RandomShift,
)


def _batch(n: int = 16, c: int = 1, h: int = 6, w: int = 6) -> np.ndarray:
    return np.arange(n * c * h * w, dtype=np.float32).reshape(n, c, h, w) + 1


def test_normalize_per_channel_and_single_image():
    x = _batch(2, 3, 2, 2)
    out = Normalize([1.0, 2.0, 3.0], [2.0, 4.0, 8.0])(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out[:, 1], (x[:, 1] - 2.0) / 4.0)
    np.testing.assert_allclose(Normalize(0.5, 2.0)(x[0]), (x[0] - 0.5) / 2.0)
    with pytest.raises(ValueError, match="Normalize: 2 means / 2 stds for an input with 3"):
        Normalize([0, 0], [1, 1])(x)
    with pytest.raises(ValueError, match="std must be non-zero"):
        Normalize(0, 0)


def test_horizontal_flip_extremes():
    x = _batch()
    np.testing.assert_array_equal(RandomHorizontalFlip(1.0)(x), x[..., ::-1])
    np.testing.assert_array_equal(RandomHorizontalFlip(0.0)(x), x)
    with pytest.raises(ValueError, match="p must be in"):
        RandomHorizontalFlip(1.5)


def test_random_crop_windows_come_from_the_padded_image():
    x = _batch(64, 2, 6, 6)
    out = RandomCrop(6, padding=2)(x, generator=np.random.default_rng(0))
    assert out.shape == x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (2, 2), (2, 2)))
    offsets = set()
    for i in range(len(x)):  # test-side check by brute force over the 25 possible windows
        hits = [(t, l) for t in range(5) for l in range(5)
                if np.array_equal(padded[i, :, t:t + 6, l:l + 6], out[i])]  # fmt: skip
        assert hits, f"image {i} is not a window of its padded original"
        offsets.add(hits[0])
    assert len(offsets) > 10  # each image draws its own offset


def test_random_crop_smaller_size_and_error():
    out = RandomCrop((3, 4))(_batch(4), generator=np.random.default_rng(1))
    assert out.shape == (4, 1, 3, 4)
    with pytest.raises(ValueError, match=r"RandomCrop: crop size \(9, 9\) is larger"):
        RandomCrop(9)(_batch(1))
    with pytest.raises(ValueError, match=r"expected an image \(C, H, W\) or a batch"):
        RandomCrop(2)(np.zeros((4, 4)))


@pytest.mark.parametrize("size", [0, -1, 2.5, (2, 0), (2,), "3", (2, None)])
def test_random_crop_bad_size_is_refused_when_built(size):
    """Not an empty crop or a TypeError from deep inside numpy later."""
    with pytest.raises(ValueError, match="RandomCrop: size must be a positive int or"):
        RandomCrop(size)


def test_random_shift_preserves_content_up_to_border():
    x = np.zeros((200, 1, 9, 9), np.float32)
    x[:, :, 4, 4] = 1.0  # one bright pixel in the centre
    out = RandomShift(2)(x, generator=np.random.default_rng(0))
    assert out.shape == x.shape and np.all(out.sum(axis=(1, 2, 3)) == 1.0)
    rows, cols = np.nonzero(out[:, 0])[1:]
    assert set(rows.tolist()) == set(range(2, 7)) and set(cols.tolist()) == set(range(2, 7))


def test_seeded_and_composed():
    t = Compose([RandomShift(1), RandomHorizontalFlip(), lambda a: a * 2])
    a = t(_batch(), generator=np.random.default_rng(3))
    b = t(_batch(), generator=np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)
    plain = Compose([lambda a: a * 2])(_batch())  # plain callables get no generator
    np.testing.assert_array_equal(plain, 2 * _batch())
    c = t(_batch(), generator=np.random.default_rng(4))
    assert not np.array_equal(a, c)
