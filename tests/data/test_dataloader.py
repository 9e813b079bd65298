"""DataLoader batching, shuffling, seeding, drop_last and resuming; datasets and collation."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tl
from tinygrad_lite.data import (
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)
from tinygrad_lite.data.transforms import RandomHorizontalFlip


def _dataset(n: int = 10) -> TensorDataset:
    x = np.arange(n * 4, dtype=np.float32).reshape(n, 1, 2, 2)
    return TensorDataset(x, np.arange(n))


def _labels(loader) -> list[list[int]]:
    return [y.tolist() for _, y in loader]


class _ListDataset(Dataset):
    """No get_batch: the loader falls back to collating single examples."""

    def __len__(self) -> int:
        return 5

    def __getitem__(self, i: int):
        return np.full((2,), i, dtype=np.float64), i


def test_batches_in_order_with_last_partial_batch():
    loader = DataLoader(_dataset(10), batch_size=4)
    assert len(loader) == 3
    assert _labels(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    x, y = next(iter(loader))
    assert isinstance(x, tl.Tensor) and x.shape == (4, 1, 2, 2)
    assert x.dtype == np.float32 and y.dtype == np.int64


def test_drop_last():
    loader = DataLoader(_dataset(10), batch_size=4, drop_last=True)
    assert len(loader) == 2 and _labels(loader) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(DataLoader(_dataset(8), batch_size=4, drop_last=True)) == 2


def test_shuffle_is_a_permutation_reproducible_from_seed():
    a = _labels(DataLoader(_dataset(50), batch_size=7, shuffle=True, seed=3))
    b = _labels(DataLoader(_dataset(50), batch_size=7, shuffle=True, seed=3))
    c = _labels(DataLoader(_dataset(50), batch_size=7, shuffle=True, seed=4))
    assert a == b and a != c
    assert sorted(sum(a, [])) == list(range(50)) and sum(a, []) != list(range(50))


def test_each_epoch_has_a_new_order_and_set_epoch_replays_it():
    loader = DataLoader(_dataset(30), batch_size=30, shuffle=True, seed=0)
    epoch0, epoch1 = _labels(loader), _labels(loader)
    assert epoch0 != epoch1 and loader.epoch == 2
    loader.set_epoch(1)
    assert _labels(loader) == epoch1


def test_state_dict_resumes_the_epoch_sequence():
    loader = DataLoader(_dataset(30), batch_size=8, shuffle=True, seed=5)
    first = [_labels(loader) for _ in range(3)]
    fresh = DataLoader(_dataset(30), batch_size=8, shuffle=True, seed=99)
    loader.set_epoch(2)
    fresh.load_state_dict(loader.state_dict())
    assert _labels(fresh) == first[2]


def test_without_seed_order_follows_manual_seed():
    tl.manual_seed(7)
    a = _labels(DataLoader(_dataset(40), batch_size=40, shuffle=True))
    tl.manual_seed(7)
    b = _labels(DataLoader(_dataset(40), batch_size=40, shuffle=True))
    gen = np.random.default_rng(1)
    c = _labels(DataLoader(_dataset(40), batch_size=40, shuffle=True, generator=gen))
    assert a == b and a != c


def test_batch_transform_is_seeded_per_epoch():
    data = TensorDataset(np.arange(64 * 4, dtype=np.float32).reshape(64, 1, 2, 2), np.arange(64))

    def images(seed):
        loader = DataLoader(data, batch_size=64, seed=seed, transform=RandomHorizontalFlip())
        return [x.numpy() for x, _ in loader], [x.numpy() for x, _ in loader]

    (a0, a1), (b0, b1) = images(1), images(1)
    np.testing.assert_array_equal(a0[0], b0[0])
    np.testing.assert_array_equal(a1[0], b1[0])
    assert not np.array_equal(a0[0], a1[0])  # a different flip pattern in epoch 1
    flipped = (a0[0] != data.arrays[0]).any(axis=(1, 2, 3))
    assert 10 < flipped.sum() < 54
    np.testing.assert_array_equal(a0[0][flipped], data.arrays[0][flipped][..., ::-1])


def test_dataset_without_get_batch_and_single_field():
    loader = DataLoader(_ListDataset(), batch_size=2)
    x, y = next(iter(loader))
    assert x.dtype == np.float64 and x.shape == (2, 2) and y.tolist() == [0, 1]
    only_x = DataLoader(TensorDataset(np.ones((3, 2), np.float32)), batch_size=3)
    assert [tuple(t.shape for t in b) for b in only_x] == [((3, 2),)]  # 1-tuples


def test_custom_collate_fn():
    loader = DataLoader(_ListDataset(), batch_size=5, collate_fn=lambda s: len(s))
    assert [b.item() for b in loader] == [5]


def test_tensor_dataset_and_subset():
    ds = _dataset(6)
    x, y = ds[-1]
    assert y.item() == 5 and x.shape == (1, 2, 2)
    sub = Subset(ds, [4, 0, 2])
    assert len(sub) == 3 and sub[0][1].item() == 4
    assert _labels(DataLoader(sub, batch_size=2)) == [[4, 0], [2]]
    with pytest.raises(IndexError, match="TensorDataset: index 6 out of range"):
        ds[6]
    with pytest.raises(ValueError, match=r"size mismatch.*\(6, 1, 2, 2\), \(5,\)"):
        TensorDataset(ds.arrays[0], np.arange(5))


def test_random_split():
    a, b = random_split(_dataset(10), [7, 3], generator=np.random.default_rng(0))
    got = sorted([a[i][1].item() for i in range(7)] + [b[i][1].item() for i in range(3)])
    assert got == list(range(10))
    assert [len(s) for s in random_split(_dataset(10), [0.5, 0.5])] == [5, 5]
    with pytest.raises(ValueError, match="do not sum to 10"):
        random_split(_dataset(10), [3, 3])


def test_default_collate_dtypes():
    xs, ys = default_collate([(1.5, 1), (2.5, 2)])
    assert xs.dtype == np.float32 and ys.dtype == np.int64
    with pytest.raises(ValueError, match="empty batch"):
        default_collate([])


def test_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got 0"):
        DataLoader(_dataset(), batch_size=0)
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got True"):
        DataLoader(_dataset(), batch_size=True)


@pytest.mark.parametrize("seed", [-1, "a", 1.5, True])
def test_bad_seed_is_refused_when_built(seed):
    """Not a numpy error from default_rng at the first shuffle."""
    with pytest.raises(ValueError, match="DataLoader: seed must be a non-negative integer"):
        DataLoader(_dataset(), batch_size=2, shuffle=True, seed=seed)
    assert DataLoader(_dataset(), batch_size=2, shuffle=True, seed=np.int64(3)).seed == 3


def test_plain_loader_leaves_the_random_stream_alone():
    tl.manual_seed(2)
    expected = tl.rand(3).numpy()
    tl.manual_seed(2)
    DataLoader(_dataset(), batch_size=2)
    np.testing.assert_array_equal(tl.rand(3).numpy(), expected)
