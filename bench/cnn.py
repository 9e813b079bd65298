"""One training step of a LeNet-style CNN, tinygrad_lite vs PyTorch in the same run.

Net (MNIST-shaped 1x28x28 input, float32 batch of 64)::

    conv3x3(1->16, pad 1) - ReLU - maxpool2 - conv3x3(16->32, pad 1) - ReLU - maxpool2 -
    Flatten - Linear(1568->128) - ReLU - Linear(128->10), cross-entropy, Adam

Prints ms/step and images/second for both, the ratio ours/torch (target <= 1.5), a per-layer
forward/backward breakdown of ours, the conv layers' throughput as a fraction of this machine's
numpy GEMM GFLOP/s, the fused ``Convolution`` primitive against the Im2Col + matmul composite,
and the resident memory over 500 training steps (it must not grow).  Both libraries use 2
threads (``OPENBLAS_NUM_THREADS``/``OMP_NUM_THREADS`` default to 2 here,
``torch.set_num_threads(2)``).

The step is timed in two settings, each with glibc's malloc defaults and after
``tl.keep_freed_memory()`` (see ``tinygrad_lite/allocator.py``):

* each library alone in a fresh process of its own: what a training script sees;
* both in one process, interleaved in rounds (the issue's "same run"): load from other jobs hits
  both alike.  Note that glibc adapts its malloc thresholds to the largest block freed so far,
  so in one process each library's allocations change the other's page faults.

numpy allocates every activation afresh; with glibc's defaults large blocks are ``mmap``-ed
and the heap top is returned to the OS, so each step page-faults its memory back in (~1-2 us
per fault in a VM).  Timings are wall-clock medians; the machine is shared, so they are noisy.

Run: ``python bench/cnn.py [--steps N] [--memory-steps N] [--threads N] [--same-run-only]``.
"""

from __future__ import annotations

import argparse
import os
import sys

if __name__ == "__main__":  # thread counts must be set before numpy loads its BLAS
    import blas_threads

    blas_threads.set_from_argv()

import gc  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

import tinygrad_lite as tl  # noqa: E402
from tinygrad_lite import optim  # noqa: E402
from tinygrad_lite.nn import functional as F  # noqa: E402
from tinygrad_lite.ops.conv import Im2Col  # noqa: E402

BATCH = 64
CLOCK = [time.perf_counter]  # --cpu-time swaps in time.process_time


def lenet(lib: Any) -> Any:
    """The benchmark net, built from ``lib.nn`` (tinygrad_lite or torch: same layer names)."""
    m = lib.nn
    return m.Sequential(
        m.Conv2d(1, 16, 3, padding=1), m.ReLU(), m.MaxPool2d(2),
        m.Conv2d(16, 32, 3, padding=1), m.ReLU(), m.MaxPool2d(2),
        m.Flatten(), m.Linear(1568, 128), m.ReLU(), m.Linear(128, 10),
    )


def median_ms(step: Callable[[], Any], steps: int, warmup: int = 5) -> float:
    """Median wall time of ``step`` in milliseconds, after ``warmup`` calls."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        t0 = CLOCK[0]()
        step()
        times.append(CLOCK[0]() - t0)
    return float(np.median(times)) * 1e3


def make_step(net: Any, opt: Any, x: Any, y: Any, cross_entropy: Any) -> Callable[[], float]:
    """One training step: zero grads, forward, loss, backward, optimizer step."""

    def step() -> float:
        opt.zero_grad()
        loss = cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def layer_breakdown(net: Any, x: Any, y: Any, repeats: int) -> list[tuple[str, float, float]]:
    """Per-layer (name, forward ms, backward ms), each layer run on a detached leaf input."""
    totals = [[0.0, 0.0] for _ in range(len(net) + 1)]
    for _ in range(repeats):
        inputs, outputs = [], []
        h = x
        for i, layer in enumerate(net):
            leaf = h.detach().requires_grad_(i > 0)  # the images need no gradient
            t0 = CLOCK[0]()
            h = layer(leaf)
            totals[i][0] += CLOCK[0]() - t0
            inputs.append(leaf)
            outputs.append(h)
        logits = h.detach().requires_grad_(True)
        t0 = CLOCK[0]()
        loss = F.cross_entropy(logits, y)
        totals[-1][0] += CLOCK[0]() - t0
        t0 = CLOCK[0]()
        loss.backward()
        totals[-1][1] += CLOCK[0]() - t0
        g = logits.grad
        for i in range(len(net) - 1, -1, -1):
            t0 = CLOCK[0]()
            outputs[i].backward(g)
            totals[i][1] += CLOCK[0]() - t0
            g = inputs[i].grad
    names = [type(layer).__name__ for layer in net] + ["cross_entropy"]
    return [(n, f / repeats * 1e3, b / repeats * 1e3) for n, (f, b) in zip(names, totals)]


def gemm_gflops(m: int, k: int, n: int, repeats: int = 20) -> float:
    """numpy float32 GEMM GFLOP/s for an (m, k) @ (k, n) product (best of ``repeats``)."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    best = float("inf")
    for _ in range(repeats):
        t0 = CLOCK[0]()
        a @ b
        best = min(best, CLOCK[0]() - t0)
    return 2 * m * k * n / best / 1e9


def conv_composite(x: Any, w: Any, b: Any) -> Any:
    """3x3 pad-1 conv built from Im2Col + matmul + reshape + permute + add (the alternative
    to the fused ``Convolution`` primitive; same numbers, more graph nodes)."""
    n, _, h, wd = x.shape
    o = w.shape[0]
    geom = ((3, 3), (1, 1), (1, 1, 1, 1), (1, 1))
    cols = Im2Col.apply(x, geom=geom)  # (C*9, N*H*W)
    out = (w.reshape(o, -1) @ cols).reshape(o, n, h, wd).permute(1, 0, 2, 3)
    return out + b.reshape(1, o, 1, 1)


def conv_layer_timing(c_in: int, c_out: int, size: int, repeats: int) -> dict[str, float]:
    """Forward+backward ms of one 3x3 pad-1 conv layer (batch 64), fused vs composite, and its
    GFLOP/s.  As in the net, the first layer (``c_in == 1``) needs no input gradient: 2 GEMMs
    of 2*N*H*W*C_in*9*C_out flops each, otherwise 3."""
    rng = np.random.default_rng(0)
    needs_x = c_in > 1
    x = tl.tensor(rng.standard_normal((BATCH, c_in, size, size)).astype(np.float32),
                  requires_grad=needs_x)
    w = tl.tensor(rng.standard_normal((c_out, c_in, 3, 3)).astype(np.float32) * 0.1,
                  requires_grad=True)
    b = tl.tensor(np.zeros(c_out, np.float32), requires_grad=True)
    g = tl.tensor(rng.standard_normal((BATCH, c_out, size, size)).astype(np.float32))
    res = {}
    for name, conv in (("fused", lambda: F.conv2d(x, w, b, padding=1)),
                       ("composite", lambda: conv_composite(x, w, b))):
        def run(conv: Callable[[], Any] = conv) -> None:
            x.grad = w.grad = b.grad = None
            conv().backward(g)

        res[name] = median_ms(run, repeats)
    flops = (3 if needs_x else 2) * 2 * BATCH * size * size * c_in * 9 * c_out
    res["gflops"] = flops / (res["fused"] / 1e3) / 1e9
    return res


def rss_mb() -> float:
    """Resident set size of this process in MiB (Linux /proc, else peak RSS)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory_check(step: Callable[[], float], steps: int) -> tuple[float, float, float]:
    """RSS after 50 steps, after ``steps`` steps, and the growth (MiB)."""
    for _ in range(50):
        step()
    gc.collect()
    start = rss_mb()
    for _ in range(steps - 50):
        step()
    gc.collect()
    end = rss_mb()
    return start, end, end - start


def page_faults() -> int:
    """Minor page faults of this process so far (each costs ~1-2 us in a VM)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def compare_steps(
    ours_step: Callable[[], Any], torch_step: Callable[[], Any] | None, steps: int, label: str
) -> None:
    """Time both steps, interleaved in 3 rounds (so that load from other processes hits both
    alike); print the best round's medians, images/s, the ratio and page faults per step."""
    ours, theirs = [], []
    f0 = page_faults()
    for _ in range(3):
        ours.append(median_ms(ours_step, max(1, steps // 3)))
        if torch_step is not None:
            theirs.append(median_ms(torch_step, max(1, steps // 3)))
    faults = (page_faults() - f0) / (3 * (max(1, steps // 3) + 5))
    print(f"\ntraining step (batch {BATCH}, fwd + bwd + Adam), {label}:")
    print(f"  tinygrad_lite: {min(ours):7.2f} ms/step  {BATCH / min(ours) * 1e3:8.0f} images/s")
    if torch_step is not None:
        t = min(theirs)
        print(f"  torch:         {t:7.2f} ms/step  {BATCH / t * 1e3:8.0f} images/s")
        print(f"  ratio ours/torch: {min(ours) / t:.2f}  (target <= 1.5)")
    print(f"  page faults per step (one step of each library, together): {faults:.0f}")


def build_step(lib_name: str, x_np: np.ndarray, y_np: np.ndarray) -> Callable[[], float]:
    """The benchmark step for ``lib_name`` ("ours" or "torch"), from the same seed."""
    if lib_name == "torch":
        import torch

        torch.manual_seed(0)
        net = lenet(torch)
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        return make_step(net, opt, torch.tensor(x_np), torch.tensor(y_np),
                         torch.nn.functional.cross_entropy)
    tl.manual_seed(0)
    net = lenet(tl)
    opt = optim.Adam(net.parameters(), lr=1e-3)
    return make_step(net, opt, tl.tensor(x_np), tl.tensor(y_np), F.cross_entropy)


def alone_child(lib_name: str, keep: bool, steps: int, threads: int) -> None:
    """Child process of :func:`alone`: time one library's step, print ``ms faults_per_step``."""
    if keep:
        tl.keep_freed_memory()
    if lib_name == "torch":
        import torch

        torch.set_num_threads(threads)
    x_np, y_np = bench_batch()
    step = build_step(lib_name, x_np, y_np)
    f0 = page_faults()
    best = min(median_ms(step, max(1, steps // 3)) for _ in range(3))
    print(f"{best} {(page_faults() - f0) / (3 * (max(1, steps // 3) + 5))}")


def alone(lib_name: str, keep: bool, steps: int, threads: int) -> tuple[float, float]:
    """(ms/step, page faults/step) of one library's step in a fresh process of its own."""
    cmd = [sys.executable, __file__, "--alone", lib_name, "--steps", str(steps),
           "--threads", str(threads)] + (["--keep-freed"] if keep else [])
    if CLOCK[0] is time.process_time:
        cmd.append("--cpu-time")
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.split()
    return float(out[-2]), float(out[-1])


def report_alone(steps: int, threads: int, has_torch: bool) -> None:
    """Each library alone in a fresh process: glibc defaults, then ``tl.keep_freed_memory()``."""
    print("\ntraining step, each library alone in a fresh process (what a training script sees):")
    for keep in (False, True):
        label = "after tl.keep_freed_memory()" if keep else "glibc malloc defaults"
        ms, faults = alone("ours", keep, steps, threads)
        line = f"  {label:29s} tinygrad_lite {ms:6.2f} ms ({faults:5.0f} faults)"
        if has_torch:
            t_ms, t_faults = alone("torch", keep, steps, threads)
            line += f", torch {t_ms:6.2f} ms ({t_faults:5.0f} faults): ratio {ms / t_ms:.2f}"
        print(line)


def bench_batch() -> tuple[np.ndarray, np.ndarray]:
    """The benchmark's float32 batch of 64 images and its int64 labels (seed 0)."""
    rng = np.random.default_rng(0)
    return rng.standard_normal((BATCH, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, BATCH)


def main() -> None:
    """Run the benchmark and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50, help="timed steps per library")
    parser.add_argument("--memory-steps", type=int, default=500, help="0 skips the memory check")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--cpu-time", action="store_true",
                        help="time with process CPU time (robust on a busy machine; use with "
                             "--threads 1, as idle BLAS threads spin and count as CPU time)")
    parser.add_argument("--same-run-only", action="store_true",
                        help="skip timing each library alone in a fresh process")
    parser.add_argument("--alone", choices=("ours", "torch"), help=argparse.SUPPRESS)
    parser.add_argument("--keep-freed", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cpu_time:
        CLOCK[0] = time.process_time
    if args.alone:
        alone_child(args.alone, args.keep_freed, args.steps, args.threads)
        return

    x_np, y_np = bench_batch()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
          f"numpy {np.__version__}, python {platform.python_version()}, "
          f"BLAS threads {os.environ.get('OPENBLAS_NUM_THREADS')}, "
          f"clock: {'process CPU time' if args.cpu_time else 'wall time'}")
    try:
        import torch
    except ImportError:
        torch = None
    if not args.same_run_only:
        report_alone(args.steps, args.threads, torch is not None)

    tl.manual_seed(0)
    net = lenet(tl)
    opt = optim.Adam(net.parameters(), lr=1e-3)
    x, y = tl.tensor(x_np), tl.tensor(y_np)
    ours_step = make_step(net, opt, x, y, F.cross_entropy)
    torch_step = None
    if torch is not None:
        torch.set_num_threads(args.threads)
        torch.manual_seed(0)
        tnet = lenet(torch)
        net.load_state_dict({k: v.detach().numpy() for k, v in tnet.state_dict().items()})
        topt = torch.optim.Adam(tnet.parameters(), lr=1e-3)
        torch_step = make_step(tnet, topt, torch.tensor(x_np), torch.tensor(y_np),
                               torch.nn.functional.cross_entropy)
        l_ours, l_torch = ours_step(), torch_step()
        print(f"\nfirst-step loss: ours {l_ours:.6f}, torch {l_torch:.6f}")
    compare_steps(ours_step, torch_step, args.steps, "same process, glibc malloc defaults")
    if tl.keep_freed_memory():
        compare_steps(ours_step, torch_step, args.steps,
                      "same process, after tl.keep_freed_memory()")

    print("\nper-layer breakdown (ours, ms; each layer on a detached input):")
    rows = layer_breakdown(net, x, y, repeats=20)
    for name, fwd, bwd in rows:
        print(f"  {name:24s} fwd {fwd:6.2f}  bwd {bwd:6.2f}")
    print(f"  {'total':24s} fwd {sum(r[1] for r in rows):6.2f}  bwd {sum(r[2] for r in rows):6.2f}")

    peak = gemm_gflops(1024, 1024, 1024)
    print(f"\nnumpy float32 GEMM: {peak:.0f} GFLOP/s (1024^3), "
          f"{gemm_gflops(32, 144, 12544):.0f} GFLOP/s at conv2's shape (32x144 @ 144x12544)")
    for c_in, c_out, size in ((1, 16, 28), (16, 32, 14)):
        r = conv_layer_timing(c_in, c_out, size, repeats=20)
        print(f"  conv3x3 {c_in:2d}->{c_out:2d} at {size}x{size}: fwd+bwd fused "
              f"{r['fused']:.2f} ms, composite {r['composite']:.2f} ms; {r['gflops']:.0f} GFLOP/s ="
              f" {r['gflops'] / peak:.0%} of numpy GEMM peak")

    if args.memory_steps > 0:
        start, end, grown = memory_check(ours_step, args.memory_steps)
        print(f"\nmemory over {args.memory_steps} steps: RSS {start:.1f} MiB after 50 steps, "
              f"{end:.1f} MiB after {args.memory_steps} (growth {grown:+.1f} MiB)")


if __name__ == "__main__":
    main()
