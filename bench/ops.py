"""Per-op overhead of forward + backward on a small tensor, side by side with PyTorch.

A chain of 300 elementwise ops (mul, add, tanh, sub, sigmoid, exp of a bounded value, ...) on a
16-element float32 tensor, then ``backward``; the time divided by 300 is the per-op cost, which
on tensors this small is all interpreter overhead (graph recording, dispatch, the engine loop).
PyTorch runs the same chain in the same process, so the ratio ours/torch is comparable across
machines.  Run: ``python bench/ops.py [--repeats N] [--ops N]``.
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import tinygrad_lite as tl


def chain(x: Any, n_ops: int) -> Any:
    """Apply ``n_ops`` elementwise ops to ``x``, cycling through a fixed mix.

    The mix keeps values bounded (tanh/sigmoid between the arithmetic), so no overflow.
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


def time_backend(
    make_input: Callable[[], Any], make_grad: Callable[[], Any], n_ops: int, repeats: int
) -> float:
    """Best-of-``repeats`` seconds for one forward + backward (ones as the gradient)."""
    best = float("inf")
    for _ in range(repeats):
        x, g = make_input(), make_grad()
        t0 = time.perf_counter()
        chain(x, n_ops).backward(g)
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    """Print microseconds per op for tinygrad_lite and (when installed) PyTorch, and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    n_ops = args.ops - args.ops % 6
    data = np.random.default_rng(0).standard_normal(16).astype(np.float32)

    ours = time_backend(
        lambda: tl.tensor(data, requires_grad=True), lambda: tl.ones(16), n_ops, args.repeats
    )
    print(f"machine: {platform.processor() or platform.machine()}, python "
          f"{platform.python_version()}, numpy {np.__version__}")
    print(f"chain of {n_ops} elementwise ops on a 16-element float32 tensor, forward + backward,"
          f" best of {args.repeats}")
    print(f"tinygrad_lite: {ours / n_ops * 1e6:8.2f} us/op")
    try:
        import torch
    except ImportError:
        print("torch not installed: no ratio")
        return
    torch.set_num_threads(1)
    theirs = time_backend(
        lambda: torch.tensor(data, requires_grad=True), lambda: torch.ones(16), n_ops, args.repeats
    )
    print(f"torch {torch.__version__}: {theirs / n_ops * 1e6:8.2f} us/op")
    print(f"ratio (ours/torch): {ours / theirs:.2f}  (target <= 1.0)")


if __name__ == "__main__":
    main()
