"""Conv layer throughput as a fraction of this machine's numpy GEMM GFLOP/s at the same shapes.

A 3x3 pad-1 convolution done as im2col + GEMM costs, forward and backward, three GEMMs with
$L = N H W$ columns and $K = 9 C_{in}$ (``W @ cols``, ``cols @ dY^T``, ``W^T @ dY``), each
$2 C_{out} K L$ flops.  This script times those three products alone in numpy (float32, the
layouts the conv uses), then the whole layer (``F.conv2d`` forward + backward, input gradient
included) in tinygrad_lite and in PyTorch, in the same process, for the two convolutions of
``bench/cnn.py``'s net (batch 64).  ``fraction of GEMM`` = (time of the three numpy GEMMs) /
(time of the layer): 100% would mean im2col, col2im, the bias and the graph cost nothing.
Both libraries use 2 threads (``OPENBLAS_NUM_THREADS``/``OMP_NUM_THREADS`` default to 2 here,
``torch.set_num_threads(2)``).

A second table times transposed convolutions (``F.conv_transpose2d``, which shares the
convolution's input-gradient kernel) next to the convolution of the mirrored shape, ours and
PyTorch's: the decoder layers of ``examples/autoencoder.py`` (3x3, stride 2, padding 1,
``output_padding`` 1) and a stride-1 3x3 padding-1 layer (the same-size fast path).

Run: ``python bench/conv_gflops.py [--repeats N] [--threads N]``.
"""

from __future__ import annotations

import os

if __name__ == "__main__":  # thread counts must be set before numpy loads its BLAS
    import blas_threads

    blas_threads.set_from_argv()

import argparse  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

import tinygrad_lite as tl  # noqa: E402
from tinygrad_lite.nn import functional as F  # noqa: E402

BATCH = 64
LAYERS = ((1, 16, 28), (16, 32, 14))  # (C_in, C_out, H = W) of bench/cnn.py's two convs


def best_s(fn: Callable[[], Any], repeats: int, warmup: int = 3) -> float:
    """Best wall time of ``fn`` in seconds over ``repeats`` calls (after ``warmup`` calls)."""
    for _ in range(warmup):
        fn()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def gemm_seconds(c_in: int, c_out: int, size: int, repeats: int) -> tuple[float, float]:
    """(seconds of the three conv GEMMs in numpy, their flops) for one layer's shapes."""
    rng = np.random.default_rng(0)
    k, length = 9 * c_in, BATCH * size * size
    w = rng.standard_normal((c_out, k)).astype(np.float32)  # (O, K)
    cols = rng.standard_normal((k, length)).astype(np.float32)  # (K, L)
    dy = rng.standard_normal((c_out, length)).astype(np.float32)  # (O, L)
    seconds = (
        best_s(lambda: w @ cols, repeats)  # forward: (O, K) @ (K, L)
        + best_s(lambda: cols @ dy.T, repeats)  # weight grad: (K, L) @ (L, O)
        + best_s(lambda: w.T @ dy, repeats)  # column grad: (K, O) @ (O, L)
    )
    return seconds, 3 * 2 * c_out * k * length


def layer_step(lib: Any, conv2d: Any, c_in: int, c_out: int, size: int) -> Callable[[], None]:
    """One forward + backward of a 3x3 pad-1 conv layer in ``lib`` (tinygrad_lite or torch)."""
    rng = np.random.default_rng(1)
    x = lib.tensor(
        rng.standard_normal((BATCH, c_in, size, size)).astype(np.float32), requires_grad=True
    )
    w = lib.tensor(
        rng.standard_normal((c_out, c_in, 3, 3)).astype(np.float32) * 0.1, requires_grad=True
    )
    b = lib.tensor(np.zeros(c_out, np.float32), requires_grad=True)
    dy = lib.tensor(rng.standard_normal((BATCH, c_out, size, size)).astype(np.float32))

    def step() -> None:
        x.grad = w.grad = b.grad = None
        conv2d(x, w, b, padding=1).backward(dy)

    return step


TRANSPOSED = (  # (C_in, C_out, input size, stride): conv_transpose2d layers, 3x3 padding 1
    (32, 16, 7, 2),  # examples/autoencoder.py's decoder
    (16, 1, 14, 2),
    (32, 16, 14, 1),  # stride 1: the same-size kernels
)


def generic_step(lib: Any, fn: Any, x_shape: tuple, w_shape: tuple, **kw: Any) -> Callable:
    """One forward + backward (input, weight and bias gradients) of ``fn`` in ``lib``."""
    rng = np.random.default_rng(2)
    x = lib.tensor(rng.standard_normal(x_shape).astype(np.float32), requires_grad=True)
    w = lib.tensor(rng.standard_normal(w_shape).astype(np.float32) * 0.1, requires_grad=True)
    c_out = w_shape[1] if fn.__name__.startswith("conv_transpose") else w_shape[0]
    b = lib.tensor(np.zeros(c_out, np.float32), requires_grad=True)
    y = fn(x, w, b, **kw)
    dy = lib.tensor(rng.standard_normal(tuple(y.shape)).astype(np.float32))

    def step() -> None:
        x.grad = w.grad = b.grad = None
        fn(x, w, b, **kw).backward(dy)

    return step


def transposed_table(torch: Any, repeats: int) -> None:
    """conv_transpose2d vs the mirrored conv2d, ours and torch's (ms, fwd + bwd)."""
    print(f"transposed 3x3 pad-1 conv vs the mirrored conv2d, batch {BATCH}, fwd + bwd:")
    for c_in, c_out, size, stride in TRANSPOSED:
        extra = {"output_padding": 1} if stride == 2 else {}
        out = size * stride
        cases = [("conv_transpose2d", (BATCH, c_in, size, size), (c_in, c_out, 3, 3), extra),
                 ("conv2d (mirror)", (BATCH, c_out, out, out), (c_in, c_out, 3, 3), {})]
        line = f"  {c_in:2d}->{c_out:2d} {size}x{size} -> {out}x{out} (stride {stride}):"
        for name, xs, ws, kw in cases:
            fn = F.conv_transpose2d if name == "conv_transpose2d" else F.conv2d
            ours = best_s(generic_step(tl, fn, xs, ws, stride=stride, padding=1, **kw), repeats)
            line += f"  {name} {ours * 1e3:5.2f} ms"
            if torch is not None:
                tfn = getattr(torch.nn.functional, fn.__name__)
                theirs = best_s(
                    generic_step(torch, tfn, xs, ws, stride=stride, padding=1, **kw), repeats
                )
                line += f" (torch {theirs * 1e3:5.2f}, ratio {ours / theirs:.2f})"
        print(line)


def main() -> None:
    """Print, per conv layer, GEMM GFLOP/s, the layer's GFLOP/s and fraction, ours and torch's."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
        f"numpy {np.__version__}, python {platform.python_version()}, "
        f"BLAS threads {os.environ.get('OPENBLAS_NUM_THREADS')}"
    )
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        torch.set_num_threads(args.threads)
    a = np.random.default_rng(0).standard_normal((1024, 1024)).astype(np.float32)
    peak = 2 * 1024**3 / best_s(lambda: a @ a, 10) / 1e9
    print(f"numpy float32 GEMM 1024x1024x1024: {peak:.0f} GFLOP/s (this machine's big-GEMM rate)")
    print(
        f"3x3 pad-1 conv, batch {BATCH}, forward + backward (input grad included), "
        f"best of {args.repeats}:"
    )
    for c_in, c_out, size in LAYERS:
        gemm_s, flops = gemm_seconds(c_in, c_out, size, args.repeats)
        ours_s = best_s(layer_step(tl, F.conv2d, c_in, c_out, size), args.repeats)
        k, length = 9 * c_in, BATCH * size * size
        print(
            f"  conv {c_in:2d}->{c_out:2d} at {size}x{size} (GEMMs {c_out}x{k}x{length}, "
            f"{flops / 1e6:.0f} MFLOP):"
        )
        print(f"    numpy GEMMs alone: {gemm_s * 1e3:6.2f} ms  {flops / gemm_s / 1e9:6.1f} GFLOP/s")
        print(
            f"    tinygrad_lite:     {ours_s * 1e3:6.2f} ms  {flops / ours_s / 1e9:6.1f} GFLOP/s"
            f"  = {gemm_s / ours_s:.0%} of numpy GEMM at these shapes"
        )
        if torch is not None:
            torch_s = best_s(
                layer_step(torch, torch.nn.functional.conv2d, c_in, c_out, size), args.repeats
            )
            print(
                f"    torch:             {torch_s * 1e3:6.2f} ms  "
                f"{flops / torch_s / 1e9:6.1f} GFLOP/s  = {gemm_s / torch_s:.0%} of numpy GEMM;"
                f" ratio ours/torch {ours_s / torch_s:.2f}"
            )
    transposed_table(torch, args.repeats)


if __name__ == "__main__":
    main()
