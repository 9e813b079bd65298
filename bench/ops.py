"""Per-op overhead of forward + backward on a small tensor, side by side with PyTorch.

A chain of 300 elementwise ops (mul by a scalar, add, tanh, sub a scalar, sigmoid, square) on a
16-element float32 tensor, then ``backward`` with a ones gradient.  The time divided by 300 is
the per-op cost, which on tensors this small is all framework overhead (recording the graph,
dispatch, the engine loop), not arithmetic.  PyTorch runs the same chain in the same process,
interleaved with ours run by run, so machine noise hits both and the ratio ours/torch is
comparable across machines.

Run: ``python bench/ops.py [--ops 300] [--repeats 50]`` (a few seconds).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import tinygrad_lite as tl


def chain(x: Any, n_ops: int) -> Any:
    """Apply ``n_ops`` elementwise ops to ``x``, cycling through a fixed mix of six.

    The mix keeps values bounded (tanh/sigmoid between the arithmetic), so nothing overflows.
    """
    y = x
    for _ in range(n_ops // 6):
        y = y * 1.01
        y = y + x
        y = y.tanh()
        y = y - 0.5
        y = y.sigmoid()
        y = y * y
    return y


def run_once(make_input: Callable[[], Any], make_grad: Callable[[], Any], n_ops: int):
    """Seconds for the forward chain and for its backward, one run."""
    x, g = make_input(), make_grad()
    t0 = time.perf_counter()
    y = chain(x, n_ops)
    t1 = time.perf_counter()
    y.backward(g)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1


def _summary(name: str, runs: list[tuple[float, float]], n_ops: int) -> tuple[float, float]:
    totals = [f + b for f, b in runs]
    best = min(range(len(runs)), key=lambda i: totals[i])
    f, b = runs[best]
    med = statistics.median(totals)
    print(f"{name:>22}: {totals[best] / n_ops * 1e6:6.2f} us/op best "
          f"(forward {f / n_ops * 1e6:5.2f} + backward {b / n_ops * 1e6:5.2f}), "
          f"median {med / n_ops * 1e6:6.2f}")
    return totals[best], med


def main() -> None:
    """Print microseconds per op for tinygrad_lite and (when installed) PyTorch, and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    n_ops = args.ops - args.ops % 6
    data = np.random.default_rng(0).standard_normal(16).astype(np.float32)
    backends: dict[str, tuple[Callable[[], Any], Callable[[], Any]]] = {
        "tinygrad_lite": (lambda: tl.tensor(data, requires_grad=True), lambda: tl.ones(16)),
    }
    try:
        import torch

        torch.set_num_threads(1)
        backends[f"torch {torch.__version__}"] = (
            lambda: torch.tensor(data, requires_grad=True),
            lambda: torch.ones(16),
        )
    except ImportError:
        torch = None
    print(f"machine: {platform.machine()} {platform.processor()}, python "
          f"{platform.python_version()}, numpy {np.__version__}")
    print(f"chain of {n_ops} elementwise ops on a 16-element float32 tensor, forward + backward, "
          f"{args.repeats} interleaved runs each")
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in backends}
    for make_input, make_grad in backends.values():  # warm-up
        run_once(make_input, make_grad, n_ops)
    for _ in range(args.repeats):
        for name, (make_input, make_grad) in backends.items():
            runs[name].append(run_once(make_input, make_grad, n_ops))
    results = {name: _summary(name, r, n_ops) for name, r in runs.items()}
    if torch is None:
        print("torch not installed: no ratio")
        return
    (ours_best, ours_med), (theirs_best, theirs_med) = results.values()
    print(f"ratio ours/torch: {ours_best / theirs_best:.2f} best, "
          f"{ours_med / theirs_med:.2f} median  (target <= 1.0)")


if __name__ == "__main__":
    main()
