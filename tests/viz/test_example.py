"""examples/draw_graph.py writes its pictures (SVG with dot, DOT text without)."""

from __future__ import annotations

import html
import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("graphviz")

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "draw_graph.py"
NAMES = [
    "scalar_expression", "cnn_loss", "graph_basic", "graph_saved", "graph_marks", "backward_step3"
]
if importlib.util.find_spec("onnx") is not None:
    NAMES.append("cnn_onnx")  # the same CNN exported to ONNX, drawn from the file


def test_draw_graph_example_writes_every_picture(tmp_path):
    out = subprocess.run(
        [sys.executable, str(EXAMPLE), "--out", str(tmp_path)],
        capture_output=True, text=True, check=True, timeout=120,
    )
    suffix = ".svg" if shutil.which("dot") else ".gv"
    for name in NAMES:
        path = tmp_path / (name + suffix)
        assert f"wrote {path}" in out.stdout
        text = path.read_text()
        assert ("<svg" in text) if suffix == ".svg" else text.startswith("digraph {")
    cnn = (tmp_path / ("cnn_loss" + suffix)).read_text()
    for expected in ("conv1.weight", "conv2.bias", "fc1.weight", "fc2.bias", "ConvolutionBackward"):
        assert expected in cnn
    assert re.search(r"\[1\] \w+Backward", cnn)  # numbered in backward order
    if "cnn_onnx" in NAMES:
        drawn = html.unescape((tmp_path / ("cnn_onnx" + suffix)).read_text())
        for expected in ("Conv", "Gemm", "conv1.weight", "fc2.bias", "batch×1×8×8", "[0, 32]"):
            assert expected in drawn
    scalar = html.unescape((tmp_path / ("scalar_expression" + suffix)).read_text())
    assert "data 0.7071" in scalar and "grad -1.500" in scalar  # micrograd's numbers


def test_draw_graph_example_without_dot_writes_dot_text(tmp_path):
    """A PATH without `dot`: the example still runs and writes the DOT text of each graph."""
    out = subprocess.run(
        [sys.executable, str(EXAMPLE), "--out", str(tmp_path)],
        capture_output=True, text=True, check=True, timeout=120,
        env={"PATH": str(tmp_path), "HOME": str(tmp_path)},
    )
    assert "writing DOT text (.gv)" in out.stdout
    for name in NAMES:
        assert (tmp_path / f"{name}.gv").read_text().startswith("digraph {")
    assert not list(tmp_path.glob("*.svg"))
