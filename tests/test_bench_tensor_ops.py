"""bench/tensor_ops.py runs and prints a time (and a ratio with torch) per op: a smoke run at
tiny sizes; no timing is checked."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_tensor_ops_bench_prints_every_case():
    out = subprocess.run(
        [sys.executable, "bench/tensor_ops.py", "--repeats", "1", "--scale", "0.05"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 12
    for line in lines:
        assert re.search(r": +\d+\.\d+ ms", line), line
