"""Memory over 500 training steps of ``bench/cnn.py``'s net, tinygrad_lite and PyTorch.

Each library trains in its own fresh subprocess (so one's allocations cannot hide the other's),
printing the resident set size (RSS) every 50 steps; a steady RSS after warm-up means nothing
accumulates from step to step (no graph, activation or optimizer state kept by mistake).  A
third run of tinygrad_lite counts the bytes held by live numpy arrays with ``tracemalloc``
(numpy reports its buffers to it), which is exact where RSS is coarse: a leak of one
activation per step would add megabytes.

Run: ``python bench/memory.py [--steps N] [--threads N]``.
"""

from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

EVERY = 50


def train(lib_name: str, steps: int, trace: bool) -> None:
    """Train the bench net for ``steps`` steps, printing ``step rss_mib traced_mib`` lines."""
    from cnn import BATCH, lenet, make_step, rss_mb

    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((BATCH, 1, 28, 28)).astype(np.float32)
    y_np = rng.integers(0, 10, BATCH)
    lib: Any
    if lib_name == "torch":
        import torch as lib

        lib.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
        cross_entropy = lib.nn.functional.cross_entropy
    else:
        import tinygrad_lite as lib

        cross_entropy = lib.nn.functional.cross_entropy
    lib.manual_seed(0)
    net = lenet(lib)
    opt = lib.optim.Adam(net.parameters(), lr=1e-3)
    step = make_step(net, opt, lib.tensor(x_np), lib.tensor(y_np), cross_entropy)
    if trace:
        tracemalloc.start()
    for i in range(1, steps + 1):
        step()
        if i % EVERY == 0:
            gc.collect()
            traced = tracemalloc.get_traced_memory()[0] / 2**20 if trace else float("nan")
            print(f"{i} {rss_mb():.1f} {traced:.2f}", flush=True)


def run_child(lib_name: str, steps: int, trace: bool) -> list[tuple[int, float, float]]:
    """Run :func:`train` in a fresh interpreter; return its (step, RSS, traced) rows."""
    cmd = [sys.executable, __file__, "--child", lib_name, "--steps", str(steps)]
    if trace:
        cmd.append("--trace")
    out = subprocess.run(
        cmd, check=True, capture_output=True, text=True, cwd=Path(__file__).parent
    ).stdout
    rows = [line.split() for line in out.splitlines() if line.strip()]
    return [(int(s), float(r), float(t)) for s, r, t in rows]


def main() -> None:
    """Print RSS after warm-up and at the end for both libraries, and the growth."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--child", choices=("tinygrad_lite", "torch"), help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)  # both libraries get --threads
    if args.child:
        train(args.child, args.steps, args.trace)
        return
    print(
        f"training bench/cnn.py's net (batch 64, Adam) for {args.steps} steps, "
        f"RSS every {EVERY} steps, each library in a fresh process:"
    )
    libs = ["tinygrad_lite"]
    try:
        import torch  # noqa: F401
    except ImportError:
        print("torch not installed: tinygrad_lite only")
    else:
        libs.append("torch")
    for lib_name in libs:
        rows = run_child(lib_name, args.steps, trace=False)
        (s0, r0, _), (s1, r1, _) = rows[0], rows[-1]
        peak = max(r for _, r, _ in rows)
        print(
            f"  {lib_name:14s} RSS {r0:7.1f} MiB at step {s0}, {r1:7.1f} MiB at step {s1} "
            f"(growth {r1 - r0:+.1f} MiB, peak {peak:.1f} MiB)"
        )
    rows = run_child("tinygrad_lite", args.steps, trace=True)
    (s0, _, t0), (s1, _, t1) = rows[0], rows[-1]
    print(
        f"  tinygrad_lite live numpy/Python allocations (tracemalloc): {t0:.2f} MiB at step "
        f"{s0}, {t1:.2f} MiB at step {s1} (growth {t1 - t0:+.2f} MiB)"
    )


if __name__ == "__main__":
    main()
