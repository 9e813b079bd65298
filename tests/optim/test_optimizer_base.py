"""Optimizer base behaviour: param groups, zero_grad, in-place steps, state_dict round trips,
and hyperparameter validation."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tl
from tests.optim import problem
from tinygrad_lite import optim

ALL = ["SGD", "Adagrad", "Adadelta", "RMSprop", "Adam", "AdamW", "NAdam"]
OPTIONS: dict[str, dict[str, Any]] = {
    "SGD": {"lr": 0.02, "momentum": 0.9, "nesterov": True},
    "Adagrad": {"lr": 0.1, "lr_decay": 0.01},
    "Adadelta": {"rho": 0.8},
    "RMSprop": {"lr": 0.01, "momentum": 0.5, "centered": True},
    "Adam": {"lr": 0.05, "amsgrad": True},
    "AdamW": {"lr": 0.05, "weight_decay": 0.2},
    "NAdam": {"lr": 0.05},
}


def _make(name: str, seed: int = 0):
    params, loss = problem.ours(problem.make_data(seed))
    kwargs = dict(OPTIONS[name])
    lr = kwargs.pop("lr", 1.0)
    return getattr(optim, name)(problem.groups(params, lr), lr=lr, **kwargs), params, loss


# ----- param groups -----------------------------------------------------------------------
def test_param_groups_fill_defaults_and_keep_overrides() -> None:
    a, b = tl.zeros(2, requires_grad=True), tl.zeros(3, requires_grad=True)
    opt = optim.Adam([{"params": [a]}, {"params": b, "lr": 0.5, "betas": (0.8, 0.9)}], lr=0.01)
    assert opt.param_groups[0]["lr"] == 0.01 and opt.param_groups[0]["betas"] == (0.9, 0.999)
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["params"] == [b]
    assert opt.param_groups[1]["betas"] == (0.8, 0.9) and opt.defaults["lr"] == 0.01
    c = tl.zeros(1, requires_grad=True)
    opt.add_param_group({"params": [c], "eps": 1e-3})
    assert opt.param_groups[2]["eps"] == 1e-3 and opt.param_groups[2]["lr"] == 0.01


def test_named_parameters_are_accepted() -> None:
    a = tl.zeros(2, requires_grad=True)
    opt = optim.SGD([("weight", a)], lr=0.1)
    assert opt.param_groups[0]["params"] == [a]
    assert opt.param_groups[0]["param_names"] == ["weight"]


def test_param_group_errors() -> None:
    a = tl.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        optim.SGD(a, lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD({a}, lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors, but one of the params is"):
        optim.SGD([np.zeros(2)], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([a * 2], lr=0.1)
    opt = optim.SGD([a], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(ValueError, match="duplicate parameters"):
        optim.SGD([a, a], lr=0.1)


def test_zero_grad() -> None:
    a = tl.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([a], lr=0.1)
    (a * a).sum().backward()
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(a.grad.data, [0.0, 0.0])
    opt.zero_grad()
    assert a.grad is None


# ----- the step works in place ------------------------------------------------------------
@pytest.mark.parametrize("name", ALL)
def test_step_updates_in_place_and_keeps_dtype(name: str) -> None:
    opt, params, loss = _make(name)
    arrays = [p.data for p in params]
    for _ in range(2):
        opt.zero_grad()
        loss().backward()
        opt.step()
        state_arrays = {k: v.data for k, v in opt.state[params[0]].items() if hasattr(v, "data")}
        grad_before = params[0].grad.data.copy()
    loss().backward()
    grad_array = params[0].grad.data
    opt.step()
    assert all(p.data is arr for p, arr in zip(params, arrays)), "parameters were replaced"
    for key, arr in state_arrays.items():
        assert opt.state[params[0]][key].data is arr, f"state {key!r} was replaced"
        assert arr.dtype == np.float64
    np.testing.assert_array_equal(params[0].grad.data, grad_array)  # grad not written into
    assert grad_before.shape == grad_array.shape


def test_step_runs_without_recording_a_graph() -> None:
    a = tl.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.Adam([a], lr=0.1)
    (a * a).sum().backward()
    opt.step()
    assert a.grad_fn is None and a.is_leaf and a.requires_grad


# ----- state_dict -------------------------------------------------------------------------
@pytest.mark.parametrize("name", ALL)
def test_state_dict_round_trip_through_a_file_continues_identically(name: str, tmp_path) -> None:
    opt, params, loss = _make(name)
    problem.run(opt, params, loss, 7)
    tl.save({"optimizer": opt.state_dict(), "params": [p.detach() for p in params]},
            tmp_path / "ckpt.npz")
    expected = problem.run(opt, params, loss, 10)

    checkpoint = tl.load(tmp_path / "ckpt.npz")
    opt2, params2, loss2 = _make(name)  # a fresh optimizer; values come from the file
    for p, saved in zip(params2, checkpoint["params"]):
        p.data[...] = saved.data
    opt2.load_state_dict(checkpoint["optimizer"])
    assert opt2.param_groups[1]["lr"] == opt.param_groups[1]["lr"]
    resumed = problem.run(opt2, params2, loss2, 10)
    for a_step, b_step in zip(expected, resumed):
        for a, b in zip(a_step, b_step):
            np.testing.assert_array_equal(a, b)


def test_state_dict_layout_is_pytorchs() -> None:
    opt, params, loss = _make("Adam")
    problem.run(opt, params, loss, 3)
    sd = opt.state_dict()
    assert sorted(sd) == ["param_groups", "state"]
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1, 2]]
    assert sorted(sd["state"]) == [0, 1]  # x3 never had a gradient: no state
    assert sd["state"][0]["step"] == 3.0
    assert sorted(sd["state"][1]) == ["exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"]
    assert sd["param_groups"][1]["lr"] == 0.025 and sd["param_groups"][0]["amsgrad"] is True
    assert sd["state"][0]["exp_avg"] is opt.state[params[0]]["exp_avg"]  # shared, as in torch


def test_load_state_dict_errors() -> None:
    opt, _, _ = _make("SGD")
    sd = opt.state_dict()
    one = optim.SGD([tl.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        one.load_state_dict(sd)
    a, b = tl.zeros(1, requires_grad=True), tl.zeros(1, requires_grad=True)
    two = optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1)
    with pytest.raises(ValueError, match="doesn't match the size"):
        two.load_state_dict(sd)


def test_torch_state_dict_loads_and_ours_loads_into_torch() -> None:
    torch = pytest.importorskip("torch")
    data = problem.make_data()
    t_params, t_loss = problem.theirs(torch, data)
    t_opt = torch.optim.Adam(problem.groups(t_params, 0.05), lr=0.05, amsgrad=True)
    problem.run(t_opt, t_params, t_loss, 5)
    t_sd = t_opt.state_dict()
    as_numpy = {
        "state": {
            i: {k: v.detach().numpy().copy() for k, v in s.items()}
            for i, s in t_sd["state"].items()
        },
        "param_groups": t_sd["param_groups"],
    }
    params, loss = problem.ours(data)
    for p, tp in zip(params, t_params):
        p.data[...] = tp.detach().numpy()
    opt = optim.Adam(problem.groups(params, 0.05), lr=0.05, amsgrad=True)
    opt.load_state_dict(as_numpy)
    ours = problem.run(opt, params, loss, 5)

    # and back: our state dict (Tensors -> torch tensors) drives torch from here on
    sd = opt.state_dict()
    t_opt2 = torch.optim.Adam(problem.groups(t_params, 0.05), lr=0.05, amsgrad=True)
    theirs = problem.run(t_opt, t_params, t_loss, 5)
    for a_step, b_step in zip(ours, theirs):
        for a, b in zip(a_step, b_step):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)
    t_opt2.load_state_dict({
        "state": {
            i: {k: torch.tensor(v.data if hasattr(v, "data") else v) for k, v in s.items()}
            for i, s in sd["state"].items()
        },
        "param_groups": sd["param_groups"],
    })
    assert float(t_opt2.state[t_params[0]]["step"]) == 10.0
    np.testing.assert_array_equal(
        t_opt2.state[t_params[1]]["exp_avg"].numpy(), opt.state[params[1]]["exp_avg"].data
    )


# ----- validation -------------------------------------------------------------------------
def _p() -> list[tl.Tensor]:
    return [tl.zeros(2, requires_grad=True)]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: optim.SGD(_p(), lr=-0.1), r"Invalid learning rate: -0\.1"),
        (lambda: optim.SGD(_p(), lr=float("nan")), "Invalid learning rate: nan"),
        (lambda: optim.SGD(_p(), momentum=-0.5), "Invalid momentum value: -0.5"),
        (lambda: optim.SGD(_p(), weight_decay=-1), "Invalid weight_decay value: -1"),
        (lambda: optim.SGD(_p(), nesterov=True), "Nesterov momentum requires a momentum"),
        (
            lambda: optim.SGD(_p(), momentum=0.9, dampening=0.1, nesterov=True),
            "Nesterov momentum requires a momentum and zero dampening",
        ),
        (lambda: optim.Adagrad(_p(), lr_decay=-1), "Invalid lr_decay value: -1"),
        (
            lambda: optim.Adagrad(_p(), initial_accumulator_value=-1),
            "Invalid initial_accumulator_value value: -1",
        ),
        (lambda: optim.Adagrad(_p(), eps=-1e-3), "Invalid epsilon value: -0.001"),
        (lambda: optim.Adadelta(_p(), rho=1.5), "Invalid rho value: 1.5"),
        (lambda: optim.Adadelta(_p(), lr=-1), "Invalid learning rate: -1"),
        (lambda: optim.RMSprop(_p(), alpha=-0.1), "Invalid alpha value: -0.1"),
        (lambda: optim.RMSprop(_p(), momentum=-0.1), "Invalid momentum value: -0.1"),
        (lambda: optim.RMSprop(_p(), eps=-1), "Invalid epsilon value: -1"),
        (lambda: optim.Adam(_p(), betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
        (lambda: optim.Adam(_p(), betas=(0.9, -0.1)), r"Invalid beta parameter at index 1: -0\.1"),
        (lambda: optim.Adam(_p(), eps=-1), "Invalid epsilon value: -1"),
        (lambda: optim.AdamW(_p(), weight_decay=-0.01), "Invalid weight_decay value: -0.01"),
        (lambda: optim.AdamW(_p(), betas=(0.9, 1.0)), "Invalid beta parameter at index 1: 1.0"),
        (lambda: optim.NAdam(_p(), momentum_decay=-1), "Invalid momentum_decay value: -1"),
        (lambda: optim.NAdam(_p(), betas=(-0.1, 0.9)), "Invalid beta parameter at index 0"),
        (lambda: optim.NAdam(_p(), lr=-2e-3), "Invalid learning rate: -0.002"),
    ],
)
def test_hyperparameters_are_validated(make: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


def test_defaults_are_pytorchs() -> None:
    p = _p()
    assert optim.SGD(p).defaults["lr"] == 1e-3
    assert optim.Adagrad(p).defaults == {
        "lr": 1e-2, "lr_decay": 0, "eps": 1e-10, "weight_decay": 0,
        "initial_accumulator_value": 0, "maximize": False,
    }
    assert optim.Adadelta(p).defaults["lr"] == 1.0 and optim.Adadelta(p).defaults["rho"] == 0.9
    rms = optim.RMSprop(p).defaults
    assert (rms["lr"], rms["alpha"], rms["eps"]) == (1e-2, 0.99, 1e-8)
    adam = optim.Adam(p).defaults
    assert (adam["lr"], adam["betas"], adam["eps"], adam["weight_decay"]) == (
        1e-3, (0.9, 0.999), 1e-8, 0
    )
    assert optim.AdamW(p).defaults["weight_decay"] == 1e-2
    assert optim.AdamW(p).defaults["decoupled_weight_decay"] is True
    nadam = optim.NAdam(p).defaults
    assert (nadam["lr"], nadam["momentum_decay"]) == (2e-3, 4e-3)
