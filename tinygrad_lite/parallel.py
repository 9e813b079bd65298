r"""Intra-op threads for compute-bound elementwise kernels (PyTorch's ``set_num_threads``).

numpy runs a GEMM on every core (its BLAS has threads) but every ufunc on one.  PyTorch runs
an elementwise op on a large tensor on all its threads, so with two cores its ``tanh`` of a
million floats takes half as long as numpy's.  numpy releases the GIL inside a ufunc loop, so
Python threads that each run the kernel on their own part of the array run on different cores
at once: :func:`elementwise` does that for the transcendental kernels (``exp``, ``log``,
``tanh``, ``sigmoid``), whose cost is arithmetic, not memory traffic.  Cheap ops (``+``,
``*``) are bound by memory bandwidth and gain nothing from a second thread (measured:
2-thread ``mul`` of 1e6 floats took 1.3x as long as one thread), so they stay as they are.

The number of threads is PyTorch's: :func:`set_num_threads` / :func:`get_num_threads`; the
default, found on first use, is the number of cores this process may use, capped by
``OMP_NUM_THREADS`` when that is set (the variable that also caps numpy's BLAS) and at 4.
The parts are disjoint slices computed by the same kernel, so results are bitwise those of one
thread (``tests/test_parallel.py``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from tinygrad_lite.autograd.fp import restore, silence

MIN_ELEMENTS = 1 << 17
"""Arrays smaller than this run on the calling thread: a hand-off costs ~20-40 us, the time
``tanh`` takes for ~15k floats."""

_MAX_DEFAULT = 4
_state: dict[str, object] = {"threads": None, "pool": None, "pid": None}
_lock = threading.Lock()


def _default_threads() -> int:
    """Cores this process may run on, capped by ``OMP_NUM_THREADS`` and ``_MAX_DEFAULT``."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        cores = os.cpu_count() or 1
    env = os.environ.get("OMP_NUM_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        cores = min(cores, int(env))
    return max(1, min(cores, _MAX_DEFAULT))


def get_num_threads() -> int:
    """The number of threads the elementwise kernels use (``torch.get_num_threads``).

    >>> import tinygrad_lite as tl
    >>> tl.get_num_threads() >= 1
    True
    """
    n = _state["threads"]
    if n is None:  # the default, found once (reading the affinity mask costs ~3 us)
        n = _state["threads"] = _default_threads()
    return int(n)  # type: ignore[call-overload]


def set_num_threads(n: int) -> None:
    """Use ``n`` threads for the elementwise kernels (``torch.set_num_threads``); 1 keeps all
    work on the calling thread.  numpy's BLAS keeps its own setting (``OPENBLAS_NUM_THREADS``).

    >>> import tinygrad_lite as tl
    >>> tl.set_num_threads(1); tl.get_num_threads()
    1
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"set_num_threads: expected a positive int, got {n!r}")
    with _lock:
        _state["threads"] = int(n)
        old, _state["pool"] = _state["pool"], None
    if old is not None:
        old.shutdown(wait=False)  # type: ignore[attr-defined]


def _pool(workers: int) -> ThreadPoolExecutor:
    """The worker threads, made on first use (``workers``: threads besides the caller), and
    again in a child process after ``fork`` (threads do not survive a fork: the inherited
    pool would never run the work, and the caller would wait forever)."""
    with _lock:
        pool = _state["pool"]
        if (pool is None or pool._max_workers != workers  # type: ignore[attr-defined]
                or _state["pid"] != os.getpid()):
            pool = ThreadPoolExecutor(workers, thread_name_prefix="tinygrad_lite")
            _state["pool"], _state["pid"] = pool, os.getpid()
        return pool  # type: ignore[return-value]


def _quietly(kernel: Callable[..., None], *parts: np.ndarray) -> None:
    """``kernel(*parts)`` with numpy's floating point warnings off (a worker thread does not
    inherit the caller's setting)."""
    token = silence()
    try:
        kernel(*parts)
    finally:
        restore(token)


def elementwise(kernel: Callable[..., None], x: np.ndarray,
                *others: np.ndarray) -> np.ndarray | None:
    r"""``out`` like ``x`` (same shape, dtype and memory order) with
    ``kernel(x_part, *other_parts, out_part)`` run on :func:`get_num_threads` contiguous parts
    at once, numpy's warnings off; or None when that does not pay or cannot be done -- one
    thread, fewer than ``MIN_ELEMENTS`` values, ``x`` not contiguous in memory, or an array of
    ``others`` (extra inputs) not laid out exactly as ``x`` -- and the caller computes as usual.

    ``kernel`` must be elementwise (``out[i]`` from the inputs' ``[i]`` alone), writing
    through ``out=``.
    """
    parts = get_num_threads()
    if parts < 2 or x.size < MIN_ELEMENTS or min(x.strides) < 0:
        return None
    for o in others:
        if o.shape != x.shape or o.strides != x.strides:
            return None
    flat = x.ravel(order="K")  # a view exactly when x is contiguous in some axis order
    out = np.empty_like(x)  # order K: x's memory order, so that the flat parts line up
    if flat.base is None or out.strides != x.strides:
        return None
    arrays = [flat, *[o.ravel(order="K") for o in others], out.ravel(order="K")]
    bounds = [flat.size * i // parts for i in range(parts + 1)]
    futures: list[Future] = [
        _pool(parts - 1).submit(_quietly, kernel, *[a[lo:hi] for a in arrays])
        for lo, hi in zip(bounds[1:-1], bounds[2:])
    ]
    try:
        _quietly(kernel, *[a[: bounds[1]] for a in arrays])
    finally:
        for f in futures:
            f.result()
    return out
