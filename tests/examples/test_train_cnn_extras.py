"""examples/train_cnn.py around the training: the progress bar (tqdm or plain) and
``--export-onnx`` on the trained demo network, checked in onnxruntime."""

from __future__ import annotations

import importlib.util
import io
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_lite as tl
from tinygrad_lite.data import DataLoader, shapes
from tinygrad_lite.data.transforms import Normalize

ROOT = Path(__file__).resolve().parents[2]
SMALL = ["--dataset", "shapes", "--limit", "320", "--width", "6", "--batch-size", "16",
         "--lr", "0.01", "--no-pictures", "--epochs", "2"]  # fmt: skip


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("train_cnn", ROOT / "examples" / "train_cnn.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_tqdm_on_a_terminal(script):
    pytest.importorskip("tqdm")
    import training_utils

    stream = Terminal()
    bar = training_utils.progress_bar(64, "epoch 1/1", stream)
    assert isinstance(bar, training_utils.TqdmProgress)
    bar.update(32, "loss 2.0000")
    bar.update(64, "loss 1.0000", final=True)
    text = stream.getvalue()
    assert "epoch 1/1" in text and "64/64" in text and "loss 1.0000" in text


def test_plain_lines_without_a_terminal_or_without_tqdm(script, monkeypatch):
    import training_utils

    assert type(training_utils.progress_bar(10, "e", io.StringIO())) is training_utils.Progress
    monkeypatch.setitem(sys.modules, "tqdm", None)
    stream = Terminal()
    bar = training_utils.progress_bar(10, "e", stream)
    assert type(bar) is training_utils.Progress
    bar.update(10, "done", final=True)
    assert stream.getvalue() == "\re [####################] 10/10 done\n"


def test_export_onnx_after_training_matches_in_onnxruntime(script, tmp_path, capsys):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    path = tmp_path / "sub" / "demo.onnx"
    result = script.main([*SMALL, "--export-onnx", str(path)])
    assert f"ONNX model written to {path}" in capsys.readouterr().out
    model = result["model"]
    assert result["test_accuracy"] > 0.5  # trained, not the random init
    _, test = shapes(n=320, n_test=320, seed=0)
    mean, std = script.MEAN_STD["shapes"]
    images, labels = next(iter(DataLoader(test, 100, transform=Normalize(mean, std))))
    model.eval()
    with tl.no_grad():
        ours = model(images).numpy()
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (theirs,) = session.run(["logits"], {"image": images.numpy()})
    np.testing.assert_allclose(theirs, ours, rtol=1e-4, atol=1e-4)
    assert (theirs.argmax(1) == ours.argmax(1)).all()


def test_export_onnx_without_the_package_is_a_usage_error(script, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(SystemExit) as info:
        script.parse_args(["--export-onnx", "x.onnx"])
    assert info.value.code == 2
    assert "pip install 'tinygrad_lite[onnx]'" in capsys.readouterr().err
