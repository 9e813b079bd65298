"""tinygrad_lite.keep_freed_memory: glibc keeps freed blocks, so re-allocating is fault-free."""

import subprocess
import sys
import textwrap

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
