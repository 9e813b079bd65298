r"""Allocator tuning for training loops: let glibc keep freed memory for the next step.

Every activation and gradient of a step is a fresh numpy array.  With glibc's malloc defaults,
arrays above ``M_MMAP_THRESHOLD`` (128 KiB at start, raised by glibc itself as large blocks are
freed) get their own ``mmap``, and the heap's free top is returned to the OS once it exceeds
``M_TRIM_THRESHOLD``; either way the next step touches brand-new pages, and each first touch is
a page fault (~1-2 us in a VM).  For ``bench/cnn.py``'s net that is about 4,600 faults and ~5.5
of ~17 ms per step when the training script runs alone.

:func:`keep_freed_memory` sets both thresholds once (``mallopt``), so freed blocks stay in the
heap and the next step reuses them: no page faults, and the step takes ~12 ms.  The price is
that up to ``max_bytes`` of freed memory stays with the process instead of going back to the
OS.  It is a process-wide setting, which is why the library never makes it on its own: a
training script calls it once (``examples/train_cnn.py`` does, ``bench/cnn.py`` measures both).
On platforms without glibc it does nothing and returns False.
"""

from __future__ import annotations

import ctypes

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD_MAX = 32 << 20
"""glibc's largest allowed ``M_MMAP_THRESHOLD`` on 64-bit (``DEFAULT_MMAP_THRESHOLD_MAX``)."""


def keep_freed_memory(max_bytes: int = 64 << 20) -> bool:
    r"""Tell glibc's malloc to keep up to ``max_bytes`` of freed memory for reuse.

    Sets ``M_TRIM_THRESHOLD = max_bytes`` (the heap's free top is kept up to that size) and
    ``M_MMAP_THRESHOLD = min(max_bytes / 2, 32 MiB)`` (blocks below it come from the heap
    instead of a fresh ``mmap``).  The default, 64 MiB and 32 MiB, is the state glibc's own
    adaptive thresholds reach after a 32 MiB block has been freed.  Returns True when applied,
    False where the C library is not glibc (macOS, musl, Windows).

    >>> import tinygrad_lite as tl
    >>> tl.keep_freed_memory()  # on Linux with glibc
    True
    """
    if not isinstance(max_bytes, int) or isinstance(max_bytes, bool) or max_bytes < 1 << 20:
        raise ValueError(f"keep_freed_memory: max_bytes must be an int >= 1 MiB, got {max_bytes!r}")
    libc = _glibc()
    if libc is None:
        return False
    mmap_threshold = min(max_bytes // 2, _MMAP_THRESHOLD_MAX)
    trimmed = libc.mallopt(_M_TRIM_THRESHOLD, ctypes.c_int(min(max_bytes, 2**31 - 1)))
    mapped = libc.mallopt(_M_MMAP_THRESHOLD, ctypes.c_int(mmap_threshold))
    return bool(trimmed) and bool(mapped)


def _glibc() -> ctypes.CDLL | None:
    """This process's C library when it is glibc (has ``mallopt``, ``gnu_get_libc_version``)."""
    try:
        libc = ctypes.CDLL(None)  # the symbols already loaded into this process
    except OSError:  # Windows
        return None
    if not (hasattr(libc, "mallopt") and hasattr(libc, "gnu_get_libc_version")):
        return None
    return libc
