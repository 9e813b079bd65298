"""The bench/ scripts run and print what docs/performance.md quotes (smoke runs, tiny sizes).

No timing is checked, only that each documented command still works and reports its figures,
so that the numbers in the docs stay re-runnable with one command.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("TINYGRAD_LITE_TEST_DATA") or ROOT.parent / "shared" / "data")
NUMBER = r"\d+(\.\d+)?"

try:
    import torch  # noqa: F401

    HAS_TORCH = True
except ImportError:
    HAS_TORCH = False


def run(*args: str) -> str:
    """Run ``python bench/<args>`` from the project root; its stdout."""
    out = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def test_ops_bench_prints_the_per_op_cost_and_ratio():
    out = run("bench/ops.py", "--ops", "30", "--repeats", "2")
    assert re.search(rf"tinygrad_lite:\s+{NUMBER} us/op best", out)
    if HAS_TORCH:
        assert re.search(rf"ratio ours/torch: {NUMBER} best", out)


def test_cnn_bench_prints_step_times_breakdown_and_gflops():
    out = run("bench/cnn.py", "--steps", "3", "--memory-steps", "0", "--same-run-only")
    assert re.search(rf"tinygrad_lite:\s+{NUMBER} ms/step\s+{NUMBER} images/s", out)
    assert "same process, after tl.keep_freed_memory()" in out
    for layer in ("Conv2d", "ReLU", "MaxPool2d", "Linear", "cross_entropy", "total"):
        assert re.search(rf"^\s+{layer}\s+fwd\s+{NUMBER}\s+bwd\s+{NUMBER}", out, re.M), layer
    assert re.search(rf"conv3x3 16->32 at 14x14: fwd\+bwd fused {NUMBER} ms", out)
    if HAS_TORCH:
        assert re.search(rf"ratio ours/torch: {NUMBER}", out)
        assert "first-step loss: ours" in out


@pytest.mark.parametrize("keep", [False, True])
def test_cnn_bench_alone_child_prints_ms_and_faults(keep):
    out = run("bench/cnn.py", "--alone", "ours", "--steps", "3", *(["--keep-freed"] * keep))
    ms, faults = (float(v) for v in out.split()[-2:])
    assert ms > 0 and faults >= 0


def test_conv_gflops_bench_prints_fractions_of_gemm():
    out = run("bench/conv_gflops.py", "--repeats", "2")
    assert len(re.findall(rf"tinygrad_lite:\s+{NUMBER} ms\s+{NUMBER} GFLOP/s", out)) == 2
    assert re.search(rf"numpy float32 GEMM 1024x1024x1024: {NUMBER} GFLOP/s", out)
    assert len(re.findall(rf"conv_transpose2d\s+{NUMBER} ms", out)) == 3


def test_suite_prints_every_row_of_the_table():
    out = run("bench/suite.py", "--quick", "--profile")
    assert "method: same process" in out
    rows = ("Conv2d 3x3 fwd+bwd, 1->16", "Conv2d 3x3 fwd+bwd, 16->32",
            "worst cell of the conv scan", "after keep_freed_memory()", "glibc malloc defaults",
            "BatchNorm CNN step",
            "2-conv CNN 32->64->128", "MLP 784-256-10", "chain of 50 elementwise ops")
    for name in rows:
        line = next((ln for ln in out.splitlines() if ln.startswith("| ") and name in ln), None)
        assert line is not None, name
        if HAS_TORCH:
            assert re.search(rf"\*\*{NUMBER}\*\*", line), line
    assert re.search(rf"ratio\s+{NUMBER}", out)  # the scan's cells
    assert "measured again" in out  # the scan's highest cells, measured again
    assert re.search(rf"no allocation .* takes {NUMBER} ms", out)  # the chain's numpy floor
    assert len(re.findall(rf"ours alone in a fresh process without PyTorch, .*: {NUMBER} ms",
                          out)) == 2
    assert "ncalls" in out  # the worst cell's profile


def test_suite_numpy_chain_is_the_autograd_chains_gradient():
    """The chain row's floor (plain in-place numpy) computes the same gradient as autograd."""
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import suite
    finally:
        sys.path.remove(str(ROOT / "bench"))
    import numpy as np

    import tinygrad_lite as tl

    x = np.random.default_rng(1).standard_normal(500)
    grad = suite.chain_numpy(x, 50, [np.empty_like(x) for _ in range(53)])
    xt = tl.tensor(x, requires_grad=True)
    suite.chain(xt, 50).backward(tl.ones(500, dtype=tl.float64))
    np.testing.assert_allclose(grad, xt.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_elementwise_bench_prints_the_per_op_table():
    out = run("bench/elementwise.py", "--size", "1000", "--rounds", "1",
              "--ops", "sigmoid,relu,add,log_softmax")
    for op in ("sigmoid", "relu", "add", "log_softmax"):
        assert re.search(rf"^{op}\s+{NUMBER}\s+{NUMBER}\s+{NUMBER}", out, re.M), op


def test_memory_bench_prints_rss_growth():
    out = run("bench/memory.py", "--steps", "50")
    assert re.search(r"tinygrad_lite\s+RSS\s+[\d.]+ MiB at step 50", out)
    assert re.search(r"live numpy/Python allocations \(tracemalloc\): [\d.]+ MiB", out)


@pytest.mark.skipif(
    not (DATA / "mnist").is_dir(),
    reason=f"MNIST IDX files not found in {DATA}/mnist (set TINYGRAD_LITE_TEST_DATA to a folder "
    "holding mnist/ and fashion-mnist/)",
)
def test_epoch_bench_trains_and_reports_accuracy():
    out = run("bench/epoch.py", "--data-dir", str(DATA), "--limit", "256", "--epochs", "1")
    assert re.search(rf"tinygrad_lite\s+epoch 1:\s+{NUMBER} s\s+{NUMBER} images/s\s+"
                     rf"test accuracy {NUMBER}%", out)  # fmt: skip
    if HAS_TORCH:
        assert re.search(rf"ratio of epoch time ours/torch: {NUMBER}", out)


def test_layers13_bench_prints_times_and_ratios():
    out = run("bench/layers13.py", "--repeats", "1", "--only", "relu6", "embedding")
    assert re.search(rf"relu6: ours\s+{NUMBER} ms", out)
    assert re.search(rf"embedding: ours\s+{NUMBER} ms", out)
    if HAS_TORCH:
        assert len(re.findall(rf"ratio ours/torch: {NUMBER}", out)) == 2
