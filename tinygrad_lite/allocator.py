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
import math
import sys
import threading
from typing import Any

import numpy as np

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD = 32 << 20
"""glibc's largest allowed ``M_MMAP_THRESHOLD`` on 64-bit (``DEFAULT_MMAP_THRESHOLD_MAX``)."""
_TRIM_THRESHOLD = 64 << 20
"""Twice the mmap threshold, as glibc's own adaptation sets it."""


def keep_freed_memory(max_bytes: int = _TRIM_THRESHOLD) -> bool:
    r"""Tell glibc's malloc to keep freed memory for reuse (up to ``max_bytes`` at the heap top,
    64 MiB by default).

    Sets ``M_MMAP_THRESHOLD`` to 32 MiB (blocks below it come from the heap instead of a fresh
    ``mmap``) and ``M_TRIM_THRESHOLD`` to ``max_bytes`` (the heap's free top is kept up to that
    size): by default the state glibc's adaptive thresholds reach after a 32 MiB block has been
    freed, made permanent.  A step whose arrays add up to more than 64 MiB (the elementwise
    chain of ``bench/suite.py``: ~140 MB) needs a larger ``max_bytes`` to keep them all.
    Returns True when applied, False where the C library is not glibc (macOS, musl, Windows).

    >>> import tinygrad_lite as tl
    >>> tl.keep_freed_memory()  # on Linux with glibc
    True
    """
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 0:
        raise ValueError(f"keep_freed_memory: max_bytes must be a non-negative int, "
                         f"got {max_bytes!r}")
    libc = _glibc()
    if libc is None:
        return False
    mapped = libc.mallopt(_M_MMAP_THRESHOLD, ctypes.c_int(_MMAP_THRESHOLD))
    trimmed = libc.mallopt(_M_TRIM_THRESHOLD, ctypes.c_int(min(max_bytes, 2**31 - 1)))
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


class BufferPool:
    r"""Large scratch arrays the library keeps between training steps and hands out again once
    nothing references them (DESIGN.md, decision 12).

    Every training step allocates the same large arrays again (activations, masks, gradients of
    activations).  With glibc's malloc defaults their memory goes back to the OS when a step
    ends and is page-faulted in again by the next one (see :func:`keep_freed_memory`); arrays
    from this pool stay mapped instead.  :meth:`empty` returns a view of a pooled buffer of
    exactly the requested size that no array refers to any more: the views handed out keep
    their buffer as ``.base``, so a buffer is busy exactly while some view (an activation, a
    saved mask, a gradient a user kept) is alive, which its reference count tells.  Arrays below
    ``min_bytes`` come from ``np.empty`` (malloc keeps small blocks anyway); beyond
    ``max_bytes`` of pooled buffers idle ones are dropped, oldest first, and when none is idle
    the array comes from ``np.empty`` too.  The memory is never shared between live arrays, so
    results are those of ``np.empty`` followed by the same writes.
    """

    def __init__(self, min_bytes: int = 256 << 10, max_bytes: int = 64 << 20) -> None:
        self.min_bytes = min_bytes
        self.max_bytes = max_bytes
        self._buffers: list[np.ndarray] = []
        self._lock = threading.Lock()
        self._buffers.append(np.empty(1, np.uint8))  # a probe nothing else refers to
        self._idle_refs = self._refcounts()[0]  # an idle buffer's count, on this interpreter
        self._buffers.clear()

    def _refcounts(self) -> list[int]:
        """The reference count of every pooled buffer, counted the same way each time."""
        return [sys.getrefcount(buf) for buf in self._buffers]

    def empty(self, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        """An uninitialised C-contiguous array of ``shape`` and ``dtype`` (``np.empty``'s
        contract), from an idle pooled buffer when one of that size exists."""
        dtype = np.dtype(dtype)
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes < self.min_bytes:
            return np.empty(shape, dtype)
        with self._lock:
            counts = self._refcounts()
            for buf, refs in zip(self._buffers, counts):
                if refs <= self._idle_refs and buf.nbytes == nbytes:
                    return buf.view(dtype).reshape(shape)
            held = sum(buf.nbytes for buf in self._buffers)
            if held + nbytes > self.max_bytes:
                held -= self._drop_idle(held + nbytes - self.max_bytes, counts)
                if held + nbytes > self.max_bytes:
                    return np.empty(shape, dtype)
            buf = np.empty(nbytes, np.uint8)
            self._buffers.append(buf)
            return buf.view(dtype).reshape(shape)

    def empty_like(self, x: np.ndarray, dtype: Any = None) -> np.ndarray:
        """An uninitialised array shaped like ``x`` with ``x``'s memory order (``np.empty_like``'s
        default ``order='K'``) when that order is a permutation of the axes, from the pool."""
        dtype = x.dtype if dtype is None else np.dtype(dtype)
        if x.flags.c_contiguous:
            return self.empty(x.shape, dtype)
        order = tuple(sorted(range(x.ndim), key=lambda i: -x.strides[i]))
        if not x.transpose(order).flags.c_contiguous:
            return np.empty_like(x, dtype=dtype)
        out = self.empty(tuple(x.shape[i] for i in order), dtype)
        return out.transpose(np.argsort(order))

    def _drop_idle(self, need: int, counts: list[int]) -> int:
        """Forget idle buffers, oldest first, until ``need`` bytes are freed; the bytes freed."""
        freed, keep = 0, []
        for buf, refs in zip(self._buffers, counts):
            if freed < need and refs <= self._idle_refs:
                freed += buf.nbytes
            else:
                keep.append(buf)
        self._buffers = keep
        return freed

    def clear(self) -> None:
        """Forget every pooled buffer (arrays still in use keep theirs alive)."""
        with self._lock:
            self._buffers = []

    @property
    def nbytes(self) -> int:
        """Bytes held by the pool's buffers, busy or idle."""
        return sum(buf.nbytes for buf in self._buffers)


SCRATCH = BufferPool()
"""The library's pool of large activation, mask and gradient arrays (:class:`BufferPool`)."""
