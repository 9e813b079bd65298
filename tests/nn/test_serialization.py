"""save / load: round trips of modules, state_dicts and nested checkpoints; atomic writes;
clear errors for truncated and foreign files; no pickle anywhere."""

from __future__ import annotations

import io
import math
import os
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest

import tinygrad_lite as tl
from tinygrad_lite import nn
from tinygrad_lite.serialization import CheckpointError


def _net() -> nn.Module:
    return nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 2))


def test_module_round_trip_gives_identical_outputs(tmp_path: Path) -> None:
    net = _net()
    net(tl.randn(8, 4))  # non-trivial running stats
    net.eval()
    path = tmp_path / "model.npz"
    tl.save(net, path)
    loaded = tl.load(path)
    assert isinstance(loaded, OrderedDict) and list(loaded) == list(net.state_dict())
    for key, value in net.state_dict().items():
        assert isinstance(loaded[key], tl.Tensor) and loaded[key].dtype == value.dtype
        np.testing.assert_array_equal(loaded[key].data, value.data)
    fresh = _net().eval()
    fresh.load_state_dict(loaded)
    x = tl.randn(5, 4)
    np.testing.assert_array_equal(fresh(x).data, net(x).data)
    assert int(fresh[1].num_batches_tracked.item()) == 1


def test_nested_checkpoint_round_trip(tmp_path: Path) -> None:
    checkpoint = {
        "model": _net().state_dict(),
        "optimizer": {
            "state": {0: {"step": 3, "exp_avg": tl.randn(2, 3)}, 1: {"step": 3.0}},
            "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0, 1], "name": None}],
        },
        "epoch": 5,
        "note": "héllo",
        "flags": [True, False],
        "np_scalar": np.float32(3.5),
        "array": np.arange(6, dtype=np.int32).reshape(2, 3),
        "nan": float("nan"),
        "param": nn.Parameter(tl.ones(2)),
        "grad_leaf": tl.ones(3, requires_grad=True),
    }
    path = tmp_path / "ckpt.npz"
    tl.save(checkpoint, str(path))
    back = tl.load(path)
    assert type(back) is dict and list(back) == list(checkpoint)
    assert isinstance(back["model"], OrderedDict)
    state = back["optimizer"]["state"]
    assert list(state) == [0, 1] and state[0]["step"] == 3 and isinstance(state[1]["step"], float)
    original = checkpoint["optimizer"]["state"][0]["exp_avg"]
    np.testing.assert_array_equal(state[0]["exp_avg"].data, original.data)
    group = back["optimizer"]["param_groups"][0]
    assert group == {"lr": 0.1, "betas": (0.9, 0.999), "params": [0, 1], "name": None}
    assert back["epoch"] == 5 and back["note"] == "héllo" and back["flags"] == [True, False]
    assert type(back["np_scalar"]) is np.float32 and back["np_scalar"] == 3.5
    assert back["array"].dtype == np.int32 and back["array"].shape == (2, 3)
    assert math.isnan(back["nan"])
    assert isinstance(back["param"], nn.Parameter) and back["param"].requires_grad
    assert back["grad_leaf"].requires_grad and not back["model"]["0.weight"].requires_grad


def test_file_objects_work(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    tl.save({"w": tl.ones(2)}, buffer)
    buffer.seek(0)
    np.testing.assert_array_equal(tl.load(buffer)["w"].data, [1.0, 1.0])


def test_write_is_atomic_and_leaves_no_temp_file(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "model.npz"
    tl.save({"a": tl.ones(3)}, path)
    tl.save({"a": tl.zeros(3)}, path)  # replaces the old file
    assert os.listdir(tmp_path) == ["model.npz"]
    np.testing.assert_array_equal(tl.load(path)["a"].data, np.zeros(3))

    def crash(file, **arrays):  # a failure half-way through writing
        file.write(b"PK\x03\x04 partial")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        tl.save({"a": tl.ones(3)}, path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["model.npz"]  # old checkpoint intact, temp file removed
    np.testing.assert_array_equal(tl.load(path)["a"].data, np.zeros(3))


def test_unsupported_objects_are_refused_before_writing(tmp_path: Path) -> None:
    path = tmp_path / "bad.npz"
    with pytest.raises(TypeError, match=r"save: cannot store an object of type set at obj\['x'\]"):
        tl.save({"x": {1, 2}}, path)
    with pytest.raises(TypeError, match="cannot store an array of dtype object"):
        tl.save({"x": np.array([None, 1])}, path)
    with pytest.raises(TypeError, match="dict keys must be str, int, float, bool or None"):
        tl.save({(1, 2): 3}, path)
    assert os.listdir(tmp_path) == []


def test_truncated_file_gives_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    tl.save(_net(), path)
    data = path.read_bytes()
    for size in (len(data) // 2, 30, 0):
        path.write_bytes(data[:size])
        with pytest.raises(CheckpointError, match=r"model\.npz.*not a readable tinygrad_lite"):
            tl.load(path)


def test_foreign_files_give_clear_errors(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello, I am not a checkpoint\n")
    with pytest.raises(CheckpointError, match="notes.txt"):
        tl.load(text)
    plain = tmp_path / "plain.npz"
    np.savez(plain, weight=np.ones(3))
    with pytest.raises(CheckpointError, match=r"plain\.npz' is an \.npz archive but not a"):
        tl.load(plain)
    single = tmp_path / "single.npy"
    np.save(single, np.ones(3))
    with pytest.raises(CheckpointError, match="single .npy array"):
        tl.load(single)
    pickled = tmp_path / "pickled.npy"
    np.save(pickled, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(CheckpointError, match="pickled.npy"):
        tl.load(pickled)
    with pytest.raises(FileNotFoundError):
        tl.load(tmp_path / "missing.npz")


def test_load_never_unpickles(tmp_path: Path, monkeypatch) -> None:
    """Members are read by our own .npy reader, which refuses object arrays (the only .npy
    content that needs pickle) before reading their bytes; pickle is never called."""
    import pickle

    path = tmp_path / "m.npz"
    tl.save({"opt": {"state": {0: {"step": 1}}}, "w": tl.ones(2)}, path)
    with np.load(path, allow_pickle=False) as archive:  # every member readable without pickle
        assert all(archive[k].dtype.kind != "O" for k in archive.files)

    def refuse(*args, **kwargs):
        raise AssertionError("pickle must never run while loading a checkpoint")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    assert tl.load(path)["w"].tolist() == [1.0, 1.0]
    evil = tmp_path / "evil.npz"
    members = {"__structure__": np.array('{"ndarray": "arr_0"}'),
               "__format__": np.array("tinygrad_lite-checkpoint/1"),
               "arr_0": np.array([print], dtype=object)}
    np.savez(evil, **members)
    with pytest.raises(CheckpointError, match=r"evil\.npz.*arr_0.*dtype object"):
        tl.load(evil)


def test_training_checkpoint_with_optimizer_round_trips(tmp_path: Path) -> None:
    net = _net()
    opt = tl.optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(2):
        opt.zero_grad()
        net(tl.randn(8, 4)).pow(2).sum().backward()
        opt.step()
    path = tmp_path / "ckpt.npz"
    tl.save({"model": net, "optimizer": opt.state_dict(), "step": 2}, path)
    back = tl.load(path)

    fresh = _net()
    fresh.load_state_dict(back["model"])
    fresh_opt = tl.optim.Adam(fresh.parameters(), lr=1e-2)
    fresh_opt.load_state_dict(back["optimizer"])
    x = tl.randn(8, 4)
    for model, optimizer in ((net, opt), (fresh, fresh_opt)):  # one more identical step each
        optimizer.zero_grad()
        model(x).pow(2).sum().backward()
        optimizer.step()
    for (name, a), b in zip(net.state_dict().items(), fresh.state_dict().values()):
        np.testing.assert_array_equal(a.data, b.data, err_msg=name)


def test_saved_file_gets_the_usual_permissions(tmp_path):
    path = tmp_path / "ckpt.npz"
    tl.save({"w": tl.ones(2)}, path)
    mask = os.umask(0)
    os.umask(mask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~mask
