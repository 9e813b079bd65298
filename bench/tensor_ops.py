"""Forward + backward time of the tensor ops of issue 13, side by side with PyTorch.

Each case runs one op on float32 tensors of a size a toy model meets (a 64x256 batch, 8x64x64
matrices), then ``backward`` with a fixed gradient; ours and PyTorch's runs are interleaved,
so machine noise hits both and the ratio ours/torch is what to read.

Run: ``python bench/tensor_ops.py [--repeats 20] [--scale 1.0]`` (under a minute).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import tinygrad_lite as tl


def cases(scale: float) -> dict[str, tuple[Callable[..., Any], list[tuple[int, ...]]]]:
    """name -> (call taking the library module and tensors, input shapes)."""
    b, n, m = max(2, int(64 * scale)), max(4, int(256 * scale)), max(4, int(64 * scale))
    idx = np.random.default_rng(0).integers(0, b, (b, n))
    return {
        "cumsum": (lambda L, x: L.cumsum(x, 1), [(b, n)]),
        "cumprod": (lambda L, x: L.cumprod(x, 1), [(b, n)]),
        "sort": (lambda L, x: L.sort(x, 1).values, [(b, n)]),
        "topk(8)": (lambda L, x: L.topk(x, 8, 1).values, [(b, n)]),
        "einsum bij,bjk": (lambda L, x, y: L.einsum("bij,bjk->bik", x, y), [(8, m, m), (8, m, m)]),
        "einsum ij,kj->ik": (lambda L, x, y: L.einsum("ij,kj->ik", x, y), [(b, n), (b, n)]),
        "einsum ii->i": (lambda L, x: L.einsum("ii->i", x), [(n, n)]),
        "scatter_add": (lambda L, x, s: x.scatter_add(0, L.tensor(idx), s), [(b, n), (b, n)]),
        "vector_norm": (lambda L, x: L.linalg.vector_norm(x, 2, 1), [(b, n)]),
        "normalize": (lambda L, x: L.nn.functional.normalize(x, dim=1), [(b, n)]),
        "remainder": (lambda L, x, y: L.remainder(x, y + 3), [(b, n), (b, n)]),
        "tril": (lambda L, x: L.tril(x), [(n, n)]),
    }  # fmt: skip


def time_once(lib: Any, fn: Callable[..., Any], arrays: list[np.ndarray], g: np.ndarray) -> float:
    """Seconds for one forward + backward."""
    ts = [lib.tensor(a, requires_grad=True) for a in arrays]
    grad = lib.tensor(g)
    t0 = time.perf_counter()
    fn(lib, *ts).backward(grad)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--scale", type=float, default=1.0, help="shrink the sizes (smoke runs)")
    args = parser.parse_args()
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        torch = None
    rng = np.random.default_rng(0)
    for name, (fn, shapes) in cases(args.scale).items():
        arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
        g = fn(tl, *[tl.tensor(a) for a in arrays]).data
        g = rng.standard_normal(g.shape).astype(np.float32)
        ours, theirs = [], []
        for _ in range(args.repeats):
            ours.append(time_once(tl, fn, arrays, g))
            if torch is not None:
                theirs.append(time_once(torch, fn, arrays, g))
        line = f"{name:>18}: {min(ours) * 1e3:8.3f} ms"
        if theirs:
            line += f"   torch {min(theirs) * 1e3:8.3f} ms   ratio ours/torch: "
            line += f"{min(ours) / min(theirs):.2f} best"
        print(line)


if __name__ == "__main__":
    main()
