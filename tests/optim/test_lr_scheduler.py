"""Every scheduler's learning-rate sequence equals torch.optim.lr_scheduler's."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tl
from tinygrad_lite.optim import lr_scheduler as sched

torch = pytest.importorskip("torch")

EPOCHS = 40


def _two_groups(lib: Any, opt_name: str = "SGD", **kwargs: Any) -> Any:
    a = lib.zeros(2, requires_grad=True)
    b = lib.zeros(3, requires_grad=True)
    return getattr(lib.optim, opt_name)([{"params": [a]}, {"params": [b], "lr": 0.05}], **kwargs)


def _sequence(lib: Any, make: Any, opt_name: str, opt_kwargs: dict[str, Any], epochs: int):
    opt = _two_groups(lib, opt_name, **opt_kwargs)
    s = make(lib.optim.lr_scheduler, opt)
    lrs, momenta = [], []
    for _ in range(epochs):
        lrs.append(list(s.get_last_lr()))
        momenta.append([g.get("momentum", g.get("betas", (None,))[0]) for g in opt.param_groups])
        opt.step()
        s.step()
    lrs.append(list(s.get_last_lr()))
    assert lrs[-1] == [g["lr"] for g in opt.param_groups]
    return lrs, momenta


SCHEDULES: list[tuple[str, Any, str, dict[str, Any], int]] = [
    ("lambda", lambda m, o: m.LambdaLR(o, lambda e: 0.95**e), "SGD", {"lr": 0.1}, EPOCHS),
    (
        "lambda-per-group",
        lambda m, o: m.LambdaLR(o, [lambda e: 1 / (1 + e), lambda e: 0.5 ** (e // 4)]),
        "SGD",
        {"lr": 0.1},
        EPOCHS,
    ),
    ("step", lambda m, o: m.StepLR(o, step_size=3, gamma=0.5), "SGD", {"lr": 0.1}, EPOCHS),
    (
        "multistep",
        lambda m, o: m.MultiStepLR(o, milestones=[3, 7, 7, 12], gamma=0.3),
        "SGD",
        {"lr": 0.1},
        EPOCHS,
    ),
    ("exponential", lambda m, o: m.ExponentialLR(o, gamma=0.9), "SGD", {"lr": 0.1}, EPOCHS),
    (
        "cosine-with-restarts",
        lambda m, o: m.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
        "SGD",
        {"lr": 0.1},
        EPOCHS,
    ),
    ("cosine-default", lambda m, o: m.CosineAnnealingLR(o, T_max=7), "Adam", {}, EPOCHS),
    (
        "linear-warmup",
        lambda m, o: m.LinearLR(o, start_factor=0.25, total_iters=6),
        "SGD",
        {"lr": 0.1},
        EPOCHS,
    ),
    (
        "linear-decay",
        lambda m, o: m.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=8),
        "SGD",
        {"lr": 0.1},
        EPOCHS,
    ),
    (
        "onecycle-cos-sgd-momentum",
        lambda m, o: m.OneCycleLR(o, max_lr=[0.1, 0.05], total_steps=EPOCHS),
        "SGD",
        {"lr": 0.1, "momentum": 0.9},
        EPOCHS,
    ),
    (
        "onecycle-linear-three-phase",
        lambda m, o: m.OneCycleLR(
            o, max_lr=0.2, epochs=4, steps_per_epoch=10, anneal_strategy="linear",
            three_phase=True, pct_start=0.25, base_momentum=0.8, max_momentum=0.9,
        ),
        "SGD",
        {"lr": 0.1, "momentum": 0.9},
        EPOCHS,
    ),
    (
        "onecycle-adam-betas",
        lambda m, o: m.OneCycleLR(o, max_lr=0.01, total_steps=EPOCHS, div_factor=10.0),
        "Adam",
        {},
        EPOCHS,
    ),
    (
        "onecycle-no-momentum-cycle",
        lambda m, o: m.OneCycleLR(
            o, max_lr=0.01, total_steps=EPOCHS, cycle_momentum=False, final_div_factor=100.0
        ),
        "Adagrad",
        {},
        EPOCHS,
    ),
]


@pytest.mark.parametrize(("label", "make", "opt_name", "opt_kwargs", "epochs"), SCHEDULES,
                         ids=[s[0] for s in SCHEDULES])
def test_lr_sequence_matches_torch(label, make, opt_name, opt_kwargs, epochs) -> None:
    ours, our_momenta = _sequence(tl, make, opt_name, opt_kwargs, epochs)
    theirs, their_momenta = _sequence(torch, make, opt_name, opt_kwargs, epochs)
    assert ours == theirs  # identical floats: the same formulas in the same order
    assert our_momenta == their_momenta
    assert len({tuple(lrs) for lrs in ours}) > 1, "the schedule never changed the lr"


METRICS = [1.0, 0.9, 0.95, 0.95, 0.96, 0.97, 0.899, 0.8999, 0.9, 0.91, 0.92, 0.93, 0.5, 0.6,
           0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"patience": 2},
        {"patience": 1, "factor": 0.5, "cooldown": 2},
        {"patience": 0, "threshold": 0.05, "threshold_mode": "abs", "min_lr": [0.02, 0.01]},
        {"mode": "max", "patience": 1, "factor": 0.3, "min_lr": 0.004},
        {"mode": "max", "patience": 2, "threshold": 0.1, "threshold_mode": "abs", "eps": 0.01},
    ],
    ids=str,
)
def test_reduce_lr_on_plateau_matches_torch(kwargs: dict[str, Any]) -> None:
    results = []
    for lib in (tl, torch):
        opt = _two_groups(lib, "SGD", lr=0.1)
        s = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
        lrs = []
        for metric in METRICS:
            s.step(metric)
            lrs.append(list(s.get_last_lr()))
        results.append((lrs, s.num_bad_epochs, s.best, s.cooldown_counter, s.last_epoch))
    assert results[0] == results[1]
    assert len({tuple(lrs) for lrs in results[0][0]}) > 1


@pytest.mark.parametrize(
    "make",
    [
        lambda m, o: m.StepLR(o, step_size=3, gamma=0.5, last_epoch=4),
        lambda m, o: m.ExponentialLR(o, gamma=0.9, last_epoch=4),
        lambda m, o: m.CosineAnnealingLR(o, T_max=6, last_epoch=4),
        lambda m, o: m.LinearLR(o, start_factor=0.5, total_iters=8, last_epoch=4),
    ],
)
def test_resuming_with_last_epoch_matches_torch(make: Any) -> None:
    sequences = []
    for lib in (tl, torch):
        opt = _two_groups(lib, "SGD", lr=0.1)
        for group in opt.param_groups:
            group["initial_lr"] = 0.2
        s = make(lib.optim.lr_scheduler, opt)
        lrs = []
        for _ in range(12):
            lrs.append(list(s.get_last_lr()))
            opt.step()
            s.step()
        sequences.append((lrs, s.last_epoch, s.base_lrs))
    assert sequences[0] == sequences[1]


def test_scheduler_state_dict_round_trip_through_a_file(tmp_path) -> None:
    def build():
        opt = _two_groups(tl, "SGD", lr=0.1, momentum=0.9)
        return opt, [
            sched.MultiStepLR(opt, milestones=[2, 5, 5], gamma=0.5),
            sched.CosineAnnealingLR(opt, T_max=6),
        ]

    opt, schedulers = build()
    for _ in range(4):
        opt.step()
        for s in schedulers:
            s.step()
    tl.save({"opt": opt.state_dict(), "sched": [s.state_dict() for s in schedulers]},
            tmp_path / "s.npz")
    expected = []
    for _ in range(8):
        opt.step()
        for s in schedulers:
            s.step()
        expected.append(schedulers[-1].get_last_lr())

    ckpt = tl.load(tmp_path / "s.npz")
    opt2, schedulers2 = build()
    opt2.load_state_dict(ckpt["opt"])
    for s, state in zip(schedulers2, ckpt["sched"]):
        s.load_state_dict(state)
    resumed = []
    for _ in range(8):
        opt2.step()
        for s in schedulers2:
            s.step()
        resumed.append(schedulers2[-1].get_last_lr())
    assert resumed == expected


@pytest.mark.parametrize(
    "make",
    [
        lambda o: sched.OneCycleLR(o, max_lr=0.1, total_steps=10, pct_start=0.4),
        lambda o: sched.ReduceLROnPlateau(o, mode="max", patience=1, cooldown=1),
    ],
)
def test_other_scheduler_state_dicts_round_trip(make: Any, tmp_path) -> None:
    opt = _two_groups(tl, "SGD", lr=0.1, momentum=0.9)
    s = make(opt)
    tl.save(s.state_dict(), tmp_path / "s.npz")
    loaded = tl.load(tmp_path / "s.npz")
    s2 = make(_two_groups(tl, "SGD", lr=0.1, momentum=0.9))
    s2.load_state_dict(loaded)
    assert s2.state_dict().keys() == s.state_dict().keys()
    for key, value in s.state_dict().items():
        assert s2.state_dict()[key] == value, key


def test_lambda_state_dict_keeps_callable_objects_state() -> None:
    class Warmup:
        def __init__(self) -> None:
            self.scale = 1.0

        def __call__(self, epoch: int) -> float:
            return self.scale * min(1.0, (epoch + 1) / 3)

    opt = _two_groups(tl, "SGD", lr=0.1)
    fn = Warmup()
    s = sched.LambdaLR(opt, [fn, lambda e: 1.0])
    fn.scale = 2.0
    sd = s.state_dict()
    assert sd["lr_lambdas"] == [{"scale": 2.0}, None]
    fn2 = Warmup()
    s2 = sched.LambdaLR(_two_groups(tl, "SGD", lr=0.1), [fn2, lambda e: 1.0])
    s2.load_state_dict(sd)
    assert fn2.scale == 2.0 and s2.last_epoch == 0


def test_scheduler_errors() -> None:
    opt = _two_groups(tl, "SGD", lr=0.1)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        sched.StepLR(object(), step_size=1)
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        sched.LambdaLR(opt, [lambda e: 1.0])
    with pytest.raises(ValueError, match="start_factor"):
        sched.LinearLR(opt, start_factor=0)
    with pytest.raises(ValueError, match="end_factor"):
        sched.LinearLR(opt, end_factor=1.5)
    with pytest.raises(KeyError, match="initial_lr"):
        sched.StepLR(_two_groups(tl, "SGD", lr=0.1), step_size=2, last_epoch=3)
    with pytest.raises(ValueError, match="total_steps OR"):
        sched.OneCycleLR(opt, max_lr=0.1)
    with pytest.raises(ValueError, match="pct_start"):
        sched.OneCycleLR(opt, max_lr=0.1, total_steps=10, pct_start=1.5)
    with pytest.raises(ValueError, match="anneal_strategy"):
        sched.OneCycleLR(opt, max_lr=0.1, total_steps=10, anneal_strategy="exp")
    with pytest.raises(ValueError, match="max_lr must have the same length"):
        sched.OneCycleLR(opt, max_lr=[0.1], total_steps=10)
    with pytest.raises(ValueError, match="must support momentum"):
        sched.OneCycleLR(_two_groups(tl, "Adagrad"), max_lr=0.1, total_steps=10)
    one = sched.OneCycleLR(opt, max_lr=0.1, total_steps=3)
    for _ in range(2):
        one.step()
    one.step()  # step 3 == total_steps is still allowed, as in PyTorch
    with pytest.raises(ValueError, match="Tried to step 4 times"):
        one.step()
    with pytest.raises(ValueError, match="factor should be < 1.0"):
        sched.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode 'best' is unknown"):
        sched.ReduceLROnPlateau(opt, mode="best")
    with pytest.raises(ValueError, match="threshold mode 'x' is unknown"):
        sched.ReduceLROnPlateau(opt, threshold_mode="x")
    with pytest.raises(ValueError, match="expected 2 min_lrs, got 1"):
        sched.ReduceLROnPlateau(opt, min_lr=[0.1])


def test_cosine_follows_the_closed_form_within_a_half_period() -> None:
    opt = _two_groups(tl, "SGD", lr=0.1)
    s = sched.CosineAnnealingLR(opt, T_max=10, eta_min=0.01)
    for t in range(1, 11):
        opt.step()
        s.step()
        expected = 0.01 + (0.1 - 0.01) * (1 + math.cos(math.pi * t / 10)) / 2
        np.testing.assert_allclose(s.get_last_lr()[0], expected, rtol=1e-12, atol=1e-15)
