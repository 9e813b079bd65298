"""Fair side-by-side timing for the bench scripts: alternating blocks of calls, medians, ratios.

Two libraries that each run a 2-thread pool on a 2-core machine slow each other down when their
calls alternate one by one (the pool that just finished still spins while the other starts), so
:func:`time_blocks` times a *block* of consecutive calls of one function, pauses so that spinning
threads go to sleep, then times a block of the next function, and so on for several rounds, the
order reversed every other round.  Each block gives its median call time; a ratio is the median
over rounds of the per-round ratios (:func:`median_ratio`), so a burst of load from another job
that hits one round hits both sides of that round's ratio.

:func:`describe_machine` prints what the figures depend on: CPU, thread counts and the BLAS
kernel that ``threadpoolctl`` reports (when it is installed).
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np


def time_blocks(
    fns: dict[str, Callable[[], Any]],
    rounds: int = 5,
    block: int = 5,
    pause: float = 0.05,
    warmup: int = 2,
) -> dict[str, list[float]]:
    """Seconds per call of each function: one median per round, ``rounds`` rounds.

    A round runs ``block`` timed calls of each function in turn (reversed order on odd rounds),
    sleeping ``pause`` seconds after each block.
    """
    for f in fns.values():
        for _ in range(warmup):
            f()
    out: dict[str, list[float]] = {name: [] for name in fns}
    items = list(fns.items())
    for r in range(rounds):
        for name, f in items if r % 2 == 0 else items[::-1]:
            times = []
            for _ in range(block):
                t0 = time.perf_counter()
                f()
                times.append(time.perf_counter() - t0)
            out[name].append(statistics.median(times))
            time.sleep(pause)
    return out


def median_ratio(a: list[float], b: list[float]) -> float:
    """Median over rounds of ``a[i] / b[i]``."""
    return statistics.median(x / y for x, y in zip(a, b))


def median_ms(times: list[float]) -> float:
    """The median of per-round seconds, in milliseconds."""
    return statistics.median(times) * 1e3


def block_size(f: Callable[[], Any], target: float = 0.05, cap: int = 20) -> int:
    """How many calls of ``f`` make a block of about ``target`` seconds (1 to ``cap``)."""
    t0 = time.perf_counter()
    f()
    one = time.perf_counter() - t0
    return max(1, min(cap, int(target / max(one, 1e-6))))


def blas_kernels() -> list[str]:
    """One line per thread pool loaded in this process (library, API, threads, BLAS kernel),
    from ``threadpoolctl``; a note when it is not installed."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return ["threadpoolctl not installed (pip install threadpoolctl): BLAS kernel unknown"]
    lines = []
    for pool in threadpool_info():
        lib = os.path.basename(pool.get("filepath", "?"))
        arch = pool.get("architecture")
        lines.append(f"{pool.get('internal_api')} {pool.get('version')} ({lib}): "
                     f"{pool.get('num_threads')} threads"
                     + (f", kernel {arch}" if arch else ""))  # fmt: skip
    return lines


def cpu_name() -> str:
    """The CPU's model name (Linux ``/proc/cpuinfo``), else ``platform.processor()``."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe_machine(threads: int, torch: Any = None) -> list[str]:
    """Lines describing the machine, library versions, thread counts and BLAS kernels."""
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    lines = [
        f"machine: {cpu_name()}, {os.cpu_count()} cpus, load average {load}",
        f"python {platform.python_version()}, numpy {np.__version__}"
        + (f", torch {torch.__version__}" if torch is not None else ", torch not installed"),
        f"threads: {threads} for both (OPENBLAS/OMP/MKL_NUM_THREADS"
        + (", torch.set_num_threads)" if torch is not None else ")")
        + "; numpy's elementwise ufuncs use one",
    ]
    return lines + ["  " + s for s in blas_kernels()]
