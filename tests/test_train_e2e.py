"""The training example end to end: learning, checkpoints, and resuming an interrupted run.

Small and seeded: a few hundred ``shapes`` images and a CNN of a few hundred parameters.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

import tinygrad_lite as tl
from tinygrad_lite.data import DataLoader, shapes
from tinygrad_lite.data.transforms import Normalize

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["--dataset", "shapes", "--limit", "640", "--width", "6", "--batch-size", "16",
         "--lr", "0.01", "--no-pictures"]  # fmt: skip


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("train_cnn", ROOT / "examples" / "train_cnn.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _state(model) -> dict[str, np.ndarray]:
    return {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}


def _assert_same_state(a, b):
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def _curves(history):
    return {k: v for k, v in history.items() if k not in ("seconds", "images_per_s")}


def test_small_cnn_learns_shapes(script, tmp_path, capsys):
    tl.manual_seed(0)  # the untrained network, as main() builds it
    _, test, _ = script.load_data("shapes", limit=640)
    untrained = script.build_model(1, 8, width=6, hidden=0)
    loader = DataLoader(test, 500, transform=Normalize(*script.MEAN_STD["shapes"]))
    before = script.evaluate(untrained, loader)["accuracy"]
    result = script.main([*SMALL[:-1], "--epochs", "4", "--out", str(tmp_path)])
    acc = result["history"]["test_acc"]
    assert before < 0.3 and acc[-1] >= 0.85, (before, acc)  # chance is 1/8
    lines = capsys.readouterr().out.strip().splitlines()
    (acc_line,) = [i for i, line in enumerate(lines) if line.startswith("test accuracy: ")]
    assert re.fullmatch(r"test accuracy: \d+\.\d\d%", lines[acc_line])
    assert lines[acc_line] == f"test accuracy: {100 * acc[-1]:.2f}%"
    # the last lines list every file written, and each exists
    assert lines[acc_line + 1].startswith("wrote ") and lines[acc_line + 1].endswith(":")
    listed = [line.split()[0] for line in lines[acc_line + 2:]]
    assert "checkpoint.npz" in listed and "history.json" in listed
    assert all((tmp_path / name).exists() for name in listed)
    saved = json.loads((tmp_path / "history.json").read_text())
    assert saved["test_acc"] == acc and saved["epoch"] == [1, 2, 3, 4]
    assert (tmp_path / "checkpoint.npz").exists()
    if shutil.which("dot"):
        assert "<svg" in (tmp_path / "graph.svg").read_text()
    pytest.importorskip("matplotlib")
    assert (tmp_path / "history.png").stat().st_size > 0
    assert (tmp_path / "filters.png").stat().st_size > 0
    assert "filters.png" in listed and "history.png" in listed
    assert any(name.startswith("activations_") for name in listed)
    assert len(saved["step_loss"]) == len(saved["step_acc"]) > 4  # per step, not per epoch


def test_checkpoint_gives_identical_outputs_and_continued_training(script, tmp_path):
    train, test = shapes(n=96, n_test=32, seed=1)

    def fresh():
        tl.manual_seed(3)
        model = script.build_model(1, 8, width=4)
        return model, script.make_optimizer("adam", model.parameters(), 0.01)

    model, opt = fresh()
    loader = DataLoader(train, batch_size=16, shuffle=True, seed=0)
    script.train_epoch(model, loader, opt)
    tl.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
             "loader": loader.state_dict()}, tmp_path / "ckpt.npz")  # fmt: skip

    model2, opt2 = fresh()
    state = tl.load(tmp_path / "ckpt.npz")
    model2.load_state_dict(state["model"])
    opt2.load_state_dict(state["optimizer"])
    loader2 = DataLoader(train, batch_size=16, shuffle=True, seed=123)
    loader2.load_state_dict(state["loader"])
    x = tl.tensor(test.arrays[0])
    model.eval(), model2.eval()
    np.testing.assert_array_equal(model(x).detach().numpy(), model2(x).detach().numpy())
    _assert_same_state(_state(model), _state(model2))

    a = script.train_epoch(model, loader, opt)
    b = script.train_epoch(model2, loader2, opt2)
    assert a["loss"] == b["loss"] and a["accuracy"] == b["accuracy"]
    _assert_same_state(_state(model), _state(model2))


@pytest.mark.parametrize("extra", [[], ["--optimizer", "momentum", "--schedule", "cosine",
                                        "--augment"]])  # fmt: skip
def test_resume_after_interruption_equals_uninterrupted_run(script, tmp_path, monkeypatch, extra):
    args = [*SMALL, *extra, "--epochs", "3"]
    full = script.main([*args, "--out", str(tmp_path / "full")])

    calls = {"n": 0}
    train_epoch = script.train_epoch

    def dies_in_third_epoch(model, loader, optimizer, progress=None, scheduler=None):
        calls["n"] += 1
        if calls["n"] == 3:
            next(iter(loader))  # half-way through, as a Ctrl-C would be
            raise KeyboardInterrupt
        return train_epoch(model, loader, optimizer, progress, scheduler)

    monkeypatch.setattr(script, "train_epoch", dies_in_third_epoch)
    with pytest.raises(KeyboardInterrupt):
        script.main([*args, "--out", str(tmp_path / "cut")])
    monkeypatch.setattr(script, "train_epoch", train_epoch)
    assert tl.load(tmp_path / "cut" / "checkpoint.npz")["epoch"] == 2

    tl.manual_seed(12345)  # the resumed process starts with other global RNG state
    resumed = script.main([*args, "--out", str(tmp_path / "cut"), "--resume"])
    assert _curves(resumed["history"]) == _curves(full["history"])
    assert resumed["history"]["epoch"] == [1, 2, 3]
    _assert_same_state(_state(resumed["model"]), _state(full["model"]))


def test_resume_with_other_options_is_refused(script, tmp_path):
    script.main([*SMALL, "--epochs", "1", "--out", str(tmp_path)])
    with pytest.raises(SystemExit, match=r"options differ.*'lr': \(0.01, 0.02\)"):
        script.main([*SMALL[:-3], "--lr", "0.02", "--epochs", "2", "--out", str(tmp_path),
                     "--resume"])  # fmt: skip


def test_resume_of_finished_run_trains_no_more(script, tmp_path, capsys):
    first = script.main([*SMALL, "--epochs", "1", "--out", str(tmp_path)])
    again = script.main([*SMALL, "--epochs", "1", "--out", str(tmp_path), "--resume"])
    assert again["history"] == first["history"]
    assert any(line.startswith("test accuracy: ")
               for line in capsys.readouterr().out.strip().splitlines())


def test_every_optimizer_choice_builds(script):
    model = script.build_model(1, 8, width=2, hidden=4, batch_norm=False)
    for name in script.OPTIMIZERS:
        assert isinstance(script.make_optimizer(name, model.parameters()), tl.optim.Optimizer)
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'"):
        script.make_optimizer("lbfgs", model.parameters())


def test_missing_dataset_is_a_message_not_a_traceback(script, tmp_path):
    with pytest.raises(SystemExit, match=r"(?s)MNIST: train-images.*not found.*--download"):
        script.main(["--dataset", "mnist", "--data-dir", str(tmp_path), "--epochs", "1"])


@pytest.mark.parametrize("option, value", [
    ("--epochs", "-1"), ("--batch-size", "0"), ("--lr", "-0.1"), ("--lr", "0"), ("--seed", "-1"),
    ("--width", "0"), ("--hidden", "-1"), ("--limit", "0"), ("--limit", "many"),
])  # fmt: skip
def test_bad_numbers_are_usage_errors_not_tracebacks(script, capsys, option, value):
    with pytest.raises(SystemExit) as info:
        script.parse_args([option, value])
    assert info.value.code == 2
    assert f"argument {option}:" in capsys.readouterr().err


def test_progress_into_a_file_writes_whole_lines(script):
    """A log (not a terminal) gets one line per update, no carriage returns."""
    import io

    stream = io.StringIO()
    bar = script.Progress(100, "epoch 1/1", stream)
    bar.update(10, "loss 2.0")
    bar.update(100, "loss 1.0", final=True)
    lines = stream.getvalue().split("\n")
    assert "\r" not in stream.getvalue() and lines[-1] == ""
    assert lines[0].startswith("epoch 1/1 [##") and lines[0].endswith("10/100 loss 2.0")
    assert lines[1] == "epoch 1/1 [####################] 100/100 loss 1.0"


def test_pictures_without_graphviz_package_are_not_fatal(script, tmp_path, monkeypatch, capsys):
    """No graphviz package: the graph is written as DOT text, the run still prints its accuracy
    line and ends with the list of files it wrote."""
    import sys

    monkeypatch.setitem(sys.modules, "graphviz", None)
    monkeypatch.delitem(sys.modules, "tinygrad_lite.viz.render", raising=False)
    small = [a for a in SMALL if a != "--no-pictures"]
    script.main([*small, "--limit", "64", "--epochs", "1", "--out", str(tmp_path)])
    out = capsys.readouterr().out.strip().splitlines()
    assert any(line.startswith("test accuracy: ") for line in out)
    assert out[-1].split()[0] in {p.name for p in tmp_path.iterdir()}  # the file list
    assert any("graph.gv (DOT text) written" in line for line in out)
    assert (tmp_path / "graph.gv").read_text().startswith("digraph {")
    assert not (tmp_path / "graph.svg").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_resume_from_a_broken_or_foreign_checkpoint_is_a_message(script, tmp_path):
    (tmp_path / "checkpoint.npz").write_bytes(b"PK\x03\x04 cut off")
    with pytest.raises(SystemExit, match=r"(?s)--resume: load: .*checkpoint.npz.*drop --resume"):
        script.main([*SMALL, "--epochs", "1", "--out", str(tmp_path), "--resume"])
    tl.save({"model": {}}, tmp_path / "checkpoint.npz")
    with pytest.raises(SystemExit, match=r"not this script's checkpoint \(lacks \['config'"):
        script.main([*SMALL, "--epochs", "1", "--out", str(tmp_path), "--resume"])
