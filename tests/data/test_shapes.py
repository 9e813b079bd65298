"""The procedural shapes dataset: determinism, balance, value range, distinct classes."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_lite.data import SHAPE_CLASSES, DataLoader, make_shapes, shapes


def test_deterministic_and_seed_dependent():
    a, la = make_shapes(64, seed=1)
    b, lb = make_shapes(64, seed=1)
    c, _ = make_shapes(64, seed=2)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(la, lb)
    assert not np.array_equal(a, c)


def test_balanced_labels_range_and_dtype():
    images, labels = make_shapes(803, size=20, seed=0, noise=0.2)
    assert images.shape == (803, 1, 20, 20) and images.dtype == np.float32
    assert labels.dtype == np.int64
    counts = np.bincount(labels, minlength=len(SHAPE_CLASSES))
    assert counts.max() - counts.min() <= 1
    assert images.min() >= 0.0 and images.max() <= 1.0


def test_every_image_has_ink_inside_the_frame():
    images, _ = make_shapes(400, seed=3, noise=0.0)
    ink = images[:, 0] > 0.2
    assert ink.sum(axis=(1, 2)).min() >= 5
    assert not ink[:, 0].any() and not ink[:, -1].any()  # shapes stay off the border rows
    assert not ink[:, :, 0].any() and not ink[:, :, -1].any()


def test_classes_differ_on_average():
    images, labels = make_shapes(800, seed=0, noise=0.0)
    means = np.stack([images[labels == k].mean(axis=0).ravel() for k in range(8)])
    dist = np.linalg.norm(means[:, None] - means[None], axis=-1)
    assert dist[~np.eye(8, dtype=bool)].min() > 0.5


def test_noise_changes_pixels_only():
    clean, labels = make_shapes(50, seed=0, noise=0.0)
    noisy, labels2 = make_shapes(50, seed=0, noise=0.3)
    np.testing.assert_array_equal(labels, labels2)
    assert 0.05 < np.abs(noisy - clean).mean() < 0.3


def test_train_and_test_splits_are_independent():
    train, test = shapes(n=40, n_test=16, seed=0)
    assert len(train) == 40 and len(test) == 16
    x, y = next(iter(DataLoader(test, batch_size=16)))
    assert x.shape == (16, 1, 28, 28) and y.dtype == np.int64
    assert not np.array_equal(train.arrays[0][:16], test.arrays[0])


def test_errors():
    with pytest.raises(ValueError, match="make_shapes: need integers n >= 0 and size >= 8"):
        make_shapes(10, size=4)
    with pytest.raises(ValueError, match=r"make_shapes: need integers .* got n=2.5"):
        make_shapes(2.5)
    for seed in (-1, "a", 1.0):  # not numpy's "expected non-negative integer" from deep inside
        with pytest.raises(ValueError, match="shapes: seed must be a non-negative integer"):
            shapes(n=8, n_test=8, seed=seed)
    with pytest.raises(ValueError, match="noise must be >= 0"):
        make_shapes(10, noise=-1)
