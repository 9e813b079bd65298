r"""Allocator tuning for training loops: let glibc keep freed memory for the next step.

Every activation and gradient of a step is a fresh numpy array.  With glibc's malloc defaults,
arrays above ``M_MMAP_THRESHOLD`` (128 KiB at start, raised by glibc itself as large blocks are
freed) get their own ``mmap``, and the heap's free top is returned to the OS once it exceeds
``M_TRIM_THRESHOLD``; either way the next step touches brand-new pages, and each first touch is
a page fault (~1-2 us in a VM).  For ``bench/cnn.py``'s net that is about 3,400 faults and
~3.5 of ~13.5 ms per step when the training script runs alone.

:func:`keep_freed_memory` fixes both thresholds once (``mallopt``), so freed blocks stay in the
heap and the next step reuses them: no page faults, and the step takes ~10 ms.  The price is
that up to 64 MiB of freed memory stays with the process instead of going back to the OS, and
blocks of 32 MiB or more are still ``mmap``-ed (glibc's own adaptation is switched off).  It
is a process-wide setting, which is why the library never makes it on its own: a training
script calls it once (``examples/train_cnn.py`` does; ``bench/cnn.py`` measures both).  On
platforms without glibc it does nothing and returns False.
"""

from __future__ import annotations

import ctypes

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD = 32 << 20
"""glibc's largest allowed ``M_MMAP_THRESHOLD`` on 64-bit (``DEFAULT_MMAP_THRESHOLD_MAX``)."""
_TRIM_THRESHOLD = 64 << 20
"""Twice the mmap threshold, as glibc's own adaptation sets it."""


def keep_freed_memory() -> bool:
    r"""Tell glibc's malloc to keep freed memory for reuse (up to 64 MiB at the heap top).

    Sets ``M_MMAP_THRESHOLD`` to 32 MiB (blocks below it come from the heap instead of a fresh
    ``mmap``) and ``M_TRIM_THRESHOLD`` to 64 MiB (the heap's free top is kept up to that size):
    the state glibc's adaptive thresholds reach after a 32 MiB block has been freed, made
    permanent.  Returns True when applied, False where the C library is not glibc (macOS,
    musl, Windows).

    >>> import tinygrad_lite as tl
    >>> tl.keep_freed_memory()  # on Linux with glibc
    True
    """
    libc = _glibc()
    if libc is None:
        return False
    mapped = libc.mallopt(_M_MMAP_THRESHOLD, ctypes.c_int(_MMAP_THRESHOLD))
    trimmed = libc.mallopt(_M_TRIM_THRESHOLD, ctypes.c_int(_TRIM_THRESHOLD))
    return bool(mapped) and bool(trimmed)


def _glibc() -> ctypes.CDLL | None:
    """This process's C library when it is glibc (has ``mallopt``, ``gnu_get_libc_version``)."""
    try:
        libc = ctypes.CDLL(None)  # the symbols already loaded into this process
    except (OSError, TypeError):  # Windows: LoadLibrary() does not take None (TypeError)
        return None
    if not (hasattr(libc, "mallopt") and hasattr(libc, "gnu_get_libc_version")):
        return None
    return libc
