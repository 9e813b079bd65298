"""tinygrad_lite.keep_freed_memory: glibc keeps freed blocks, so re-allocating is fault-free."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tinygrad_lite as tl
from tinygrad_lite import allocator

GLIBC = allocator._glibc() is not None

# Allocate, touch and free an 8 MiB array 20 times; print the minor page faults per round
# after the first (a fresh mmap per round faults every 4 KiB page back in: ~2,000 faults).
CHILD = textwrap.dedent(
    """
    import resource, sys
    import numpy as np
    import tinygrad_lite as tl
    if sys.argv[1] == "keep":
        assert tl.keep_freed_memory()
    np.ones(1 << 21, dtype=np.float32)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(20):
        a = np.ones(1 << 21, dtype=np.float32)
        del a
    print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 20)
    """
)


def faults_per_round(mode: str) -> float:
    out = subprocess.run([sys.executable, "-c", CHILD, mode], capture_output=True, text=True,
                         check=True)
    return float(out.stdout.split()[-1])


@pytest.mark.skipif(not GLIBC, reason="glibc only")
def test_keep_freed_memory_reuses_freed_blocks_without_page_faults():
    assert faults_per_round("keep") < 50


@pytest.mark.skipif(not GLIBC, reason="glibc only")
def test_keep_freed_memory_reports_applied():
    # in a child process: the setting is process-wide and should not leak into other tests
    out = subprocess.run([sys.executable, "-c", "import tinygrad_lite as tl; "
                          "print(tl.keep_freed_memory())"], capture_output=True, text=True,
                         check=True)  # fmt: skip
    assert out.stdout.split()[-1] == "True"


def test_keep_freed_memory_without_glibc_returns_false(monkeypatch):
    monkeypatch.setattr(allocator, "_glibc", lambda: None)
    assert tl.keep_freed_memory() is False


def test_glibc_lookup_never_raises(monkeypatch):
    def windows_cdll(name):  # what ctypes does on Windows with None
        raise TypeError("LoadLibrary() argument 1 must be str, not None")

    monkeypatch.setattr(allocator.ctypes, "CDLL", windows_cdll)
    assert allocator._glibc() is None


# ----- BufferPool: large scratch arrays reused across steps ---------------------------------


def test_buffer_pool_reuses_a_buffer_only_once_nothing_refers_to_it():
    pool = allocator.BufferPool(min_bytes=64)
    a = pool.empty((8, 8), np.float32)
    b = pool.empty((8, 8), np.float32)
    assert not np.shares_memory(a, b)  # a is alive: b gets a buffer of its own
    view = a[2:]
    del a
    c = pool.empty((8, 8), np.float32)
    assert not np.shares_memory(c, view)  # a view keeps its buffer busy
    del view
    d = pool.empty((4, 16), np.float32)  # same bytes, other shape: the idle buffer again
    assert len(pool._buffers) == 3 and pool.nbytes == 3 * 256
    d[...] = 1
    assert not (np.shares_memory(d, b) or np.shares_memory(d, c))


def test_buffer_pool_passes_small_arrays_through_and_keeps_under_its_cap():
    pool = allocator.BufferPool(min_bytes=1024, max_bytes=4096)
    small = pool.empty((10,), np.float64)
    assert small.shape == (10,) and pool.nbytes == 0
    arrays = [pool.empty((256,), np.float32) for _ in range(5)]  # 1 KiB each, all alive
    assert pool.nbytes == 4096 and all(a.shape == (256,) for a in arrays)
    del arrays[:2]
    big = pool.empty((512,), np.float32)  # 2 KiB: two idle buffers are dropped for it
    assert pool.nbytes <= 4096 and big.shape == (512,)
    pool.clear()
    assert pool.nbytes == 0


def test_buffer_pool_empty_like_keeps_the_memory_order():
    pool = allocator.BufferPool(min_bytes=64)
    x = np.zeros((4, 5, 6, 7), np.float32).transpose(1, 2, 3, 0)  # batch-innermost order
    y = pool.empty_like(x)
    assert y.shape == x.shape and y.strides == x.strides
    z = pool.empty_like(x, np.bool_)
    assert z.dtype == np.bool_ and z.transpose(3, 0, 1, 2).flags.c_contiguous
    gaps = np.zeros((8, 8), np.float32)[:, ::2]  # not a permutation of a dense block
    assert pool.empty_like(gaps).shape == (8, 4)


def test_pooled_activations_of_a_training_step_never_alias():
    tl.manual_seed(0)
    net = tl.nn.Sequential(tl.nn.Conv2d(1, 4, 3, padding=1), tl.nn.BatchNorm2d(4),
                           tl.nn.ReLU(), tl.nn.MaxPool2d(2))  # fmt: skip
    x = tl.randn(64, 1, 16, 16)
    first = net(x)
    kept = first.data.copy()
    for _ in range(3):  # later steps reuse the pool while `first` is alive
        y = net(x)
        y.sum().backward()
    np.testing.assert_array_equal(first.data, kept)
    np.testing.assert_array_equal(y.data, kept)


# A working set larger than the default 64 MiB: 30 arrays of 4 MB alive at once, then freed.
LARGE_CHILD = textwrap.dedent(
    """
    import resource, sys
    import numpy as np
    import tinygrad_lite as tl
    if sys.argv[1] != "defaults":
        assert tl.keep_freed_memory(int(sys.argv[1]))
    def step():
        arrays = [np.ones(1_000_000, dtype=np.float32) for _ in range(30)]
        del arrays
    step()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(5):
        step()
    print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 5)
    """
)


@pytest.mark.skipif(not GLIBC, reason="glibc only")
def test_keep_freed_memory_max_bytes_keeps_a_larger_working_set():
    def faults(arg: str) -> float:
        out = subprocess.run([sys.executable, "-c", LARGE_CHILD, arg], capture_output=True,
                             text=True, check=True)
        return float(out.stdout.split()[-1])

    assert faults(str(1 << 30)) < 100  # 120 MB kept: nothing to fault back in
    assert faults(str(64 << 20)) > 5_000  # the default keeps 64 MiB: the rest faults again


@pytest.mark.parametrize("bad", [-1, 1.5, True, "64"])
def test_keep_freed_memory_rejects_bad_sizes(bad):
    with pytest.raises(ValueError, match="max_bytes"):
        tl.keep_freed_memory(bad)
