"""examples/mnist_minimal.py: at most 50 lines, no helpers, and it learns."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "mnist_minimal.py"


def test_short_and_self_contained():
    text = EXAMPLE.read_text()
    assert len(text.splitlines()) <= 50
    assert "def " not in text  # data, model, loop, accuracy: read top to bottom
    assert "train_cnn" not in re.sub(r'""".*?"""', "", text, flags=re.S)


def test_learns_on_a_subset(data_dir):
    out = subprocess.run(
        [sys.executable, str(EXAMPLE), str(data_dir / "mnist"), "1", "2000"],
        capture_output=True, text=True, check=True, timeout=300,
    ).stdout
    acc = float(re.search(r"epoch 1: last loss [\d.]+, test accuracy ([\d.]+)%", out).group(1))
    assert acc > 50.0  # chance is 10%
