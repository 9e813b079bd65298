"""The speed suite of issue 14: every workload of its table, one table of ratios ours/PyTorch.

Rows (float32, batch B, both libraries from the same weights; "step" = zero grad, forward,
cross-entropy, backward, optimizer step):

* one ``Conv2d`` 3x3 (padding 1) forward + backward, input gradient included: 1->16 at 28x28
  and 16->32 at 14x14, B=64; then the worst cell of a scan over channels {1->16, 16->32,
  32->64, 64->128} x spatial {8, 14, 28, 56} x batch {8, 64, 256} (the whole scan is printed,
  3 rounds per cell; its 3 highest cells are measured again with full rounds, and the worst
  of those is the row);
* the LeNet step of ``bench/cnn.py`` (B=64, Adam), each in a fresh process: after
  ``tl.keep_freed_memory()``, and with glibc's malloc defaults (its target: within 10% of the
  first, i.e. ``defaults / keep_freed <= 1.1``);
* the BatchNorm CNN of ``bench/epoch.py`` (``examples/train_cnn.py``'s net, B=64, Adam): one
  step on random MNIST-shaped data (``bench/epoch.py`` times whole epochs on the real data);
* a 2-conv CNN 32->64->128 at 28x28: conv3x3(32->64)-ReLU-maxpool2-conv3x3(64->128)-ReLU-
  maxpool2-Linear(6272->10), B=64, Adam;
* an MLP 784-256-10 (ReLU), B=32, SGD with momentum 0.9;
* a chain of 50 elementwise ops (``* 1.01``, ``+ x``, ``tanh``, ``- 0.5``, ``sigmoid``,
  ``y * y``, cycled) on 1e6 floats, forward + backward.

Method: both libraries use ``--threads`` threads (default 2; ``bench/blas_threads.py`` sets the
BLAS/OpenMP variables before numpy loads, and ``torch.set_num_threads``).  Each row times the
two libraries in the same process, interleaved in rounds of alternating *blocks* of calls with
a pause between blocks (``bench/harness.py``: two spinning thread pools on 2 cores slow each
other when single calls alternate); each block gives a median, and the row's ratio is the
median over rounds of the per-round ratios.  The header names the BLAS kernels
``threadpoolctl`` reports.  ``--quick`` runs every row at tiny sizes (a smoke test, no meaning).

Run: ``python bench/suite.py [--quick] [--rounds N] [--threads N] [--no-scan] [--profile]
[--cells CIN,COUT,SIZE,BATCH ...]`` (``make bench``; several minutes with the full scan;
``--cells`` scans only the cells named).
"""

from __future__ import annotations

import argparse
import sys

if __name__ == "__main__":  # thread counts must be set before numpy loads its BLAS
    import blas_threads

    blas_threads.set_from_argv()

import cProfile  # noqa: E402
import io  # noqa: E402
import pstats  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
from harness import block_size, describe_machine, median_ms, median_ratio, time_blocks  # noqa: E402

import tinygrad_lite as tl  # noqa: E402
from tinygrad_lite import optim  # noqa: E402
from tinygrad_lite.nn import functional as F  # noqa: E402

SCAN_CHANNELS = ((1, 16), (16, 32), (32, 64), (64, 128))
SCAN_SIZES = (8, 14, 28, 56)
SCAN_BATCHES = (8, 64, 256)


class Settings:
    """Sizes and repeat counts: the real suite, or ``--quick`` (tiny, for the smoke test)."""

    def __init__(self, quick: bool, rounds: int) -> None:
        self.quick = quick
        self.rounds = 1 if quick else rounds
        self.batch = 4 if quick else 64
        self.mlp_batch = 4 if quick else 32
        self.chain_size = 1000 if quick else 1_000_000
        self.scan = (
            [((16, 32), 8, 4)] if quick else
            [(c, s, b) for c in SCAN_CHANNELS for s in SCAN_SIZES for b in SCAN_BATCHES]
        )  # fmt: skip


# ----- the two libraries' workloads ------------------------------------------------------


def load_weights(ours: Any, theirs: Any) -> None:
    """Give our module PyTorch's initial weights (same ``state_dict`` keys and layouts)."""
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})


def conv_pair(torch: Any, c_in: int, c_out: int, size: int, batch: int) -> dict[str, Callable]:
    """Forward + backward of one 3x3 pad-1 ``Conv2d`` (input gradient included), both libs."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, c_in, size, size)).astype(np.float32)
    g = rng.standard_normal((batch, c_out, size, size)).astype(np.float32)
    tl.manual_seed(0)
    ours = tl.nn.Conv2d(c_in, c_out, 3, padding=1)
    xo, go = tl.tensor(x, requires_grad=True), tl.tensor(g)

    def run_ours() -> None:
        xo.grad = None
        ours.zero_grad()
        ours(xo).backward(go)

    fns = {"ours": run_ours}
    if torch is not None:
        theirs = torch.nn.Conv2d(c_in, c_out, 3, padding=1)
        load_weights(ours, theirs)
        xt, gt = torch.tensor(x, requires_grad=True), torch.from_numpy(g)

        def run_torch() -> None:
            xt.grad = None
            theirs.zero_grad()
            theirs(xt).backward(gt)

        fns["torch"] = run_torch
    return fns


def lenet(m: Any) -> Any:
    """bench/cnn.py's LeNet-style net from ``m`` = ``tl.nn`` or ``torch.nn``."""
    return m.Sequential(
        m.Conv2d(1, 16, 3, padding=1), m.ReLU(), m.MaxPool2d(2),
        m.Conv2d(16, 32, 3, padding=1), m.ReLU(), m.MaxPool2d(2),
        m.Flatten(), m.Linear(1568, 128), m.ReLU(), m.Linear(128, 10),
    )  # fmt: skip


def bn_cnn(m: Any) -> Any:
    """bench/epoch.py's (examples/train_cnn.py's) BatchNorm CNN."""

    def block(cin: int, cout: int) -> list[Any]:
        return [m.Conv2d(cin, cout, 3, padding=1, bias=False), m.BatchNorm2d(cout), m.ReLU(),
                m.MaxPool2d(2)]  # fmt: skip

    return m.Sequential(*block(1, 16), *block(16, 32), m.Flatten(), m.Linear(1568, 128),
                        m.ReLU(), m.Linear(128, 10))  # fmt: skip


def wide_cnn(m: Any) -> Any:
    """The 2-conv CNN 32->64->128 at 28x28."""
    return m.Sequential(
        m.Conv2d(32, 64, 3, padding=1), m.ReLU(), m.MaxPool2d(2),
        m.Conv2d(64, 128, 3, padding=1), m.ReLU(), m.MaxPool2d(2),
        m.Flatten(), m.Linear(128 * 7 * 7, 10),
    )  # fmt: skip


def mlp(m: Any) -> Any:
    """The MLP 784-256-10."""
    return m.Sequential(m.Linear(784, 256), m.ReLU(), m.Linear(256, 10))


NETS = {  # name: (builder, input shape without the batch, optimizer)
    "lenet": (lenet, (1, 28, 28), "adam"),
    "bn_cnn": (bn_cnn, (1, 28, 28), "adam"),
    "wide_cnn": (wide_cnn, (32, 28, 28), "adam"),
    "mlp": (mlp, (784,), "momentum"),
}


def step_pair(torch: Any, net: str, batch: int) -> dict[str, Callable]:
    """One training step of ``net`` in each library, from the same weights and batch."""
    build, shape, opt_name = NETS[net]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, *shape)).astype(np.float32)
    y = rng.integers(0, 10, batch)
    tl.manual_seed(0)
    ours = build(tl.nn)

    def make_opt(lib_optim: Any, params: Any) -> Any:
        if opt_name == "adam":
            return lib_optim.Adam(params, lr=1e-3)
        return lib_optim.SGD(params, lr=0.01, momentum=0.9)

    def stepper(net: Any, opt: Any, x: Any, y: Any, loss: Callable) -> Callable[[], None]:
        def step() -> None:
            opt.zero_grad()
            loss(net(x), y).backward()
            opt.step()

        return step

    if torch is not None:
        torch.manual_seed(0)
        theirs = build(torch.nn)
        load_weights(ours, theirs)
    fns = {"ours": stepper(ours, make_opt(optim, ours.parameters()), tl.tensor(x), tl.tensor(y),
                           F.cross_entropy)}  # fmt: skip
    if torch is not None:
        fns["torch"] = stepper(theirs, make_opt(torch.optim, theirs.parameters()),
                               torch.from_numpy(x), torch.from_numpy(y),
                               torch.nn.functional.cross_entropy)  # fmt: skip
    return fns


def chain(x: Any, n_ops: int) -> Any:
    """``n_ops`` elementwise ops on ``x``: ``* 1.01``, ``+ x``, tanh, ``- 0.5``, sigmoid,
    ``y * y``, cycled (bench/ops.py's mix; values stay bounded)."""
    y = x
    for i in range(n_ops):
        k = i % 6
        if k == 0:
            y = y * 1.01
        elif k == 1:
            y = y + x
        elif k == 2:
            y = y.tanh()
        elif k == 3:
            y = y - 0.5
        elif k == 4:
            y = y.sigmoid()
        else:
            y = y * y
    return y


def chain_numpy(x: np.ndarray, n_ops: int, bufs: list[np.ndarray]) -> np.ndarray:
    r"""The gradient of ``chain(x, n_ops)`` (summed against ones) in the fewest numpy passes:
    every op in place on preallocated buffers (``bufs``: ``n_ops + 2`` arrays like ``x``),
    keeping only what backward reads (tanh's and sigmoid's outputs, the square's input).  No
    autograd, no allocation, no page faults: the single-threaded numpy floor of the row."""
    y, gx, saved = bufs[0], bufs[1], bufs[2:]
    np.copyto(y, x)
    gx.fill(0)
    for i in range(n_ops):
        k = i % 6
        if k == 0:
            y *= 1.01
        elif k == 1:
            y += x
        elif k == 2:
            np.tanh(y, out=y)
            np.copyto(saved[i], y)
        elif k == 3:
            y -= 0.5
        elif k == 4:
            np.negative(y, out=y)
            np.exp(y, out=y)
            y += 1
            np.reciprocal(y, out=y)
            np.copyto(saved[i], y)
        else:
            np.copyto(saved[i], y)
            y *= y
    g = y  # the output's gradient: ones, then back through the ops
    g.fill(1)
    tmp = bufs[-1]
    for i in reversed(range(n_ops)):
        k = i % 6
        if k == 0:
            g *= 1.01
        elif k == 1:
            gx += g
        elif k == 2:  # g (1 - t^2)
            np.multiply(saved[i], saved[i], out=tmp)
            np.subtract(1, tmp, out=tmp)
            g *= tmp
        elif k == 4:  # g s (1 - s)
            np.subtract(1, saved[i], out=tmp)
            tmp *= saved[i]
            g *= tmp
        elif k == 5:  # 2 y g
            g *= saved[i]
            g *= 2
    gx += g
    return gx


def chain_floor_ms(size: int, n_ops: int = 50, repeats: int = 5) -> float:
    """Best time of :func:`chain_numpy` in ms (buffers allocated and touched first)."""
    x = np.random.default_rng(0).standard_normal(size).astype(np.float32)
    bufs = [np.ones_like(x) for _ in range(n_ops + 3)]
    chain_numpy(x, n_ops, bufs)
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        chain_numpy(x, n_ops, bufs)
        best = min(best, time.perf_counter() - t0)
    return best * 1e3


def chain_pair(torch: Any, size: int, n_ops: int = 50) -> dict[str, Callable]:
    """Forward + backward of :func:`chain` on ``size`` floats, both libraries."""
    x = np.random.default_rng(0).standard_normal(size).astype(np.float32)
    g = np.ones(size, np.float32)
    xo, go = tl.tensor(x, requires_grad=True), tl.tensor(g)

    def run_ours() -> None:
        xo.grad = None
        chain(xo, n_ops).backward(go)

    fns = {"ours": run_ours}
    if torch is not None:
        xt, gt = torch.tensor(x, requires_grad=True), torch.from_numpy(g)

        def run_torch() -> None:
            xt.grad = None
            chain(xt, n_ops).backward(gt)

        fns["torch"] = run_torch
    return fns


# ----- timing ----------------------------------------------------------------------------


def measure(fns: dict[str, Callable], s: Settings, rounds: int = 0) -> dict[str, float]:
    """Median ms of each side and the median ratio ours/torch (nan without torch); ``rounds``
    overrides the settings' count."""
    block = 1 if s.quick else block_size(fns["ours"], target=0.1, cap=10)
    times = time_blocks(fns, rounds=rounds or s.rounds, block=block, pause=0.05,
                        warmup=1 if s.quick or block == 1 else 2)  # fmt: skip
    res = {name: median_ms(t) for name, t in times.items()}
    res["ratio"] = median_ratio(times["ours"], times["torch"]) if "torch" in times else np.nan
    return res


def child_lenet(keep: bool, s: Settings, threads: int) -> None:
    """In a fresh process: the LeNet step's ``ours_ms torch_ms ratio`` (one line)."""
    if keep:
        tl.keep_freed_memory()
    torch = import_torch(threads)
    r = measure(step_pair(torch, "lenet", s.batch), s)
    print(f"{r['ours']} {r.get('torch', np.nan)} {r['ratio']}")


def child_chain(keep: bool, s: Settings) -> None:
    """In a fresh process without PyTorch: the median ms of ours on the chain row (one line).

    Why alone: in the suite's process a PyTorch call leaves a long-lived allocation at the top
    of glibc's heap, which stops glibc from returning our freed arrays to the OS; a program
    that never loads PyTorch has no such pin.  ``keep``: after ``keep_freed_memory(1 << 30)``.
    """
    if keep:
        tl.keep_freed_memory(1 << 30)
    fns = chain_pair(None, s.chain_size)
    times = time_blocks(fns, rounds=s.rounds, block=1, pause=0.05, warmup=1)
    print(median_ms(times["ours"]))


def run_child(keep: bool, args: argparse.Namespace) -> dict[str, float]:
    """Run :func:`child_lenet` in a fresh process; its medians and ratio."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child-lenet", "keep" if keep else
           "defaults", "--threads", str(args.threads), "--rounds", str(args.rounds)]
    cmd += ["--quick"] if args.quick else []
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.split()
    ours, theirs, ratio = (float(v) for v in out[-3:])
    return {"ours": ours, "torch": theirs, "ratio": ratio}


def import_torch(threads: int) -> Any:
    """PyTorch with ``threads`` threads, or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    return torch


def gemm_floor_ms(c_in: int, c_out: int, size: int, batch: int, repeats: int = 3) -> float:
    """The three numpy GEMMs of an im2col 3x3 conv's forward + backward at this cell's shapes
    (``W @ cols``, the weight gradient, the column gradient), best of ``repeats``, in ms: what
    an im2col layer costs with im2col, col2im and every permute free."""
    rng = np.random.default_rng(0)
    k, length = 9 * c_in, batch * size * size
    w = rng.standard_normal((c_out, k)).astype(np.float32)
    cols = rng.standard_normal((k, length)).astype(np.float32)
    g = rng.standard_normal((c_out, length)).astype(np.float32)
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        w @ cols
        g @ cols.T
        w.T @ g
        best = min(best, time.perf_counter() - t0)
    return best * 1e3


def profile_ours(fns: dict[str, Callable], top: int = 12) -> str:
    """cProfile of ten calls of ours: the ``top`` functions by own time."""
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(10):
        fns["ours"]()
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(top)
    lines = [ln for ln in buf.getvalue().splitlines() if ln.strip()]
    start = next(i for i, ln in enumerate(lines) if ln.lstrip().startswith("ncalls"))
    return "\n".join(lines[start:])


def scan(torch: Any, s: Settings) -> tuple[tuple[Any, ...], dict[str, float]]:
    """Every conv cell of the scan (printed as it goes), then the ``RECHECK`` cells with the
    highest ratios measured again with the rows' full rounds; the worst cell of that second
    measurement and its figures.

    Why measure twice: the highest of 48 ratios, each a median of 3 rounds, is biased upward
    by noise -- a burst of load that hits one cell's ours-blocks makes that cell the worst.
    """
    print("\nconv scan, 3x3 pad 1, forward + backward (input gradient included), ratio "
          f"ours/torch ({min(s.rounds, 3)} rounds per cell):")
    found: list[tuple[float, tuple[Any, ...]]] = []
    for (c_in, c_out), size, batch in s.scan:
        r = measure(conv_pair(torch, c_in, c_out, size, batch), s, rounds=min(s.rounds, 3))
        print(f"  {c_in:3d}->{c_out:<3d} @{size:2d} B={batch:<3d} ours {r['ours']:8.2f} ms"
              f"  torch {r.get('torch', np.nan):8.2f} ms  ratio {r['ratio']:5.2f}", flush=True)
        found.append((r["ratio"], ((c_in, c_out), size, batch)))
    top = sorted(found, key=lambda item: -item[0] if item[0] == item[0] else 0.0)[:RECHECK]
    print(f"the {len(top)} highest, measured again ({s.rounds} rounds each):")
    worst: tuple[Any, ...] = ()
    worst_r: dict[str, float] = {"ratio": -1.0}
    for _, cell in top:
        (c_in, c_out), size, batch = cell
        r = measure(conv_pair(torch, c_in, c_out, size, batch), s)
        print(f"  {c_in:3d}->{c_out:<3d} @{size:2d} B={batch:<3d} ours {r['ours']:8.2f} ms"
              f"  torch {r.get('torch', np.nan):8.2f} ms  ratio {r['ratio']:5.2f}", flush=True)
        if r["ratio"] > worst_r["ratio"] or not worst:
            worst, worst_r = cell, r
    return worst, worst_r


RECHECK = 3
"""How many of the scan's highest cells are measured again for the worst-cell row."""


def main() -> None:
    """Run the suite and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-scan", action="store_true", help="skip the conv scan")
    parser.add_argument("--cells", nargs="+", metavar="CIN,COUT,SIZE,BATCH",
                        help="scan only these cells, e.g. 16,32,28,256")
    parser.add_argument("--profile", action="store_true",
                        help="print a cProfile of ours on the scan's worst cell")
    parser.add_argument("--child-lenet", choices=("keep", "defaults"), help=argparse.SUPPRESS)
    parser.add_argument("--child-chain", choices=("keep", "defaults"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    s = Settings(args.quick, args.rounds)
    if args.cells:
        s.scan = [((a, b), size, n) for a, b, size, n in
                  (tuple(int(v) for v in cell.split(",")) for cell in args.cells)]
    if args.child_lenet:
        child_lenet(args.child_lenet == "keep", s, args.threads)
        return
    if args.child_chain:
        child_chain(args.child_chain == "keep", s)
        return
    torch = import_torch(args.threads)
    print("tinygrad_lite speed suite (issue 14): ratios ours/torch, < 1 means ours is faster")
    print("\n".join(describe_machine(args.threads, torch)))
    print(f"method: same process, {s.rounds} rounds of alternating blocks of calls (ours, "
          "torch; reversed every other round), 50 ms pause after each block; a row's ratio is "
          "the median over rounds of the per-round ratio of block medians; LeNet rows each in a "
          "fresh process" + ("; --quick: tiny sizes, figures meaningless" if s.quick else ""))
    b = s.batch
    rows: list[tuple[str, dict[str, float], str]] = []

    def row(name: str, r: dict[str, float], target: str) -> None:
        rows.append((name, r, target))
        print(f"  {name}: ours {r['ours']:.2f} ms, torch {r.get('torch', np.nan):.2f} ms, "
              f"ratio {r['ratio']:.2f}", flush=True)

    print("\nrows:")
    row(f"Conv2d 3x3 fwd+bwd, 1->16 @28, B={b}", measure(conv_pair(torch, 1, 16, 28, b), s),
        "<= 1.0")
    row(f"Conv2d 3x3 fwd+bwd, 16->32 @14, B={b}", measure(conv_pair(torch, 16, 32, 14, b), s),
        "<= 1.6")
    worst = None
    if not args.no_scan:
        worst, worst_r = scan(torch, s)
        (c_in, c_out), size, batch = worst
        row(f"worst cell of the conv scan ({c_in}->{c_out} @{size}, B={batch})", worst_r,
            "<= 2.0")
    keep = run_child(True, args)
    row(f"LeNet step (bench/cnn.py), B={b}, after keep_freed_memory()", keep, "<= 1.0")
    defaults = run_child(False, args)
    row(f"LeNet step, glibc malloc defaults (vs the line above: "
        f"{defaults['ratio'] / keep['ratio']:.2f})", defaults, "<= 1.1 x line above")
    row(f"BatchNorm CNN step (bench/epoch.py's net), B={b}", measure(step_pair(torch, "bn_cnn", b),
                                                                     s), "<= 1.25")
    row(f"2-conv CNN 32->64->128 @28 step, B={b}", measure(step_pair(torch, "wide_cnn", b), s),
        "<= 1.4")
    row(f"MLP 784-256-10, B={s.mlp_batch}, SGD momentum", measure(step_pair(torch, "mlp",
                                                                            s.mlp_batch), s),
        "<= 1.1")  # fmt: skip
    row(f"chain of 50 elementwise ops on {s.chain_size:.0e} floats, fwd+bwd",
        measure(chain_pair(torch, s.chain_size), s), "<= 1.5")

    print("\n| workload | ours ms | torch ms | ours/torch | target |")
    print("|---|---|---|---|---|")
    for name, r, target in rows:
        print(f"| {name} | {r['ours']:.2f} | {r.get('torch', np.nan):.2f} | "
              f"**{r['ratio']:.2f}** | {target} |")
    chain_r = rows[-1][1]
    for mode, what in (("defaults", "glibc malloc defaults"),
                       ("keep", "after tl.keep_freed_memory(1 << 30)")):
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child-chain", mode, "--threads",
               str(args.threads), "--rounds", str(args.rounds)] + (["--quick"] if s.quick else [])
        alone = float(subprocess.run(cmd, capture_output=True, text=True,
                                     check=True).stdout.split()[-1])
        print(f"elementwise chain, ours alone in a fresh process without PyTorch, {what}: "
              f"{alone:.2f} ms = {alone / chain_r.get('torch', np.nan):.2f} x torch's time above")
    floor = chain_floor_ms(s.chain_size, repeats=1 if s.quick else 5)
    print(f"\nelementwise chain: the same forward + backward in plain in-place numpy, no autograd "
          f"and no allocation (bench/suite.py chain_numpy), takes {floor:.2f} ms = "
          f"{floor / chain_r.get('torch', np.nan):.2f} x torch (numpy's one-thread floor)")
    if args.profile and worst is not None:
        (c_in, c_out), size, batch = worst
        floor = gemm_floor_ms(c_in, c_out, size, batch, repeats=1 if s.quick else 3)
        print(f"\nworst cell: numpy's three GEMMs alone at its shapes take {floor:.2f} ms = "
              f"{floor / worst_r.get('torch', np.nan):.2f} x torch's whole layer (the im2col "
              "floor)")
        print(f"\nprofile of ours on the worst cell ({c_in}->{c_out} @{size}, B={batch}), ten "
              "calls, by own time:")
        print(profile_ours(conv_pair(None, c_in, c_out, size, batch)))


if __name__ == "__main__":
    main()
