"""Each optimizer, with each of its options, follows torch.optim's trajectory to ~1e-9."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tl
from tests.optim import problem

torch = pytest.importorskip("torch")

# (optimizer name, base lr, extra kwargs): every option of every optimizer is switched on at
# least once, alone and combined with weight decay / maximize.
CASES: list[tuple[str, float, dict[str, Any]]] = [
    ("SGD", 0.02, {}),
    ("SGD", 0.02, {"momentum": 0.9}),
    ("SGD", 0.02, {"momentum": 0.9, "dampening": 0.3}),
    ("SGD", 0.02, {"momentum": 0.8, "nesterov": True, "weight_decay": 0.1}),
    ("SGD", 0.01, {"momentum": 0.5, "dampening": 0.1, "weight_decay": 0.05, "maximize": True}),
    ("Adagrad", 0.1, {}),
    ("Adagrad", 0.1, {"lr_decay": 0.05, "weight_decay": 0.1}),
    ("Adagrad", 0.1, {"initial_accumulator_value": 0.5, "eps": 1e-6, "maximize": True}),
    ("Adadelta", 1.0, {}),
    ("Adadelta", 0.5, {"rho": 0.5, "eps": 1e-4, "weight_decay": 0.1}),
    ("Adadelta", 1.0, {"maximize": True}),
    ("RMSprop", 0.01, {}),
    ("RMSprop", 0.01, {"centered": True}),
    ("RMSprop", 0.01, {"momentum": 0.9}),
    ("RMSprop", 0.01, {"centered": True, "momentum": 0.5, "alpha": 0.9, "weight_decay": 0.1}),
    ("RMSprop", 0.01, {"maximize": True, "eps": 1e-3}),
    ("Adam", 0.05, {}),
    ("Adam", 0.05, {"amsgrad": True}),
    ("Adam", 0.05, {"weight_decay": 0.1, "betas": (0.5, 0.9)}),
    ("Adam", 0.05, {"amsgrad": True, "weight_decay": 0.1, "maximize": True}),
    ("Adam", 0.05, {"decoupled_weight_decay": True, "weight_decay": 0.3}),
    ("AdamW", 0.05, {}),
    ("AdamW", 0.05, {"weight_decay": 0.5, "amsgrad": True}),
    ("AdamW", 0.05, {"maximize": True, "eps": 1e-3}),
    ("NAdam", 0.05, {}),
    ("NAdam", 0.05, {"momentum_decay": 0.05, "weight_decay": 0.1}),
    ("NAdam", 0.05, {"decoupled_weight_decay": True, "weight_decay": 0.2, "betas": (0.8, 0.99)}),
    ("NAdam", 0.05, {"maximize": True}),
]


@pytest.fixture(autouse=True)
def _torch_float64():
    """torch keeps scalar state (``step``, NAdam's ``mu_product``) in the default dtype."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def _pair(name: str, lr: float, kwargs: dict[str, Any], seed: int = 0):
    data = problem.make_data(seed)
    ours_params, ours_loss = problem.ours(data)
    their_params, their_loss = problem.theirs(torch, data)
    ours_opt = getattr(tl.optim, name)(problem.groups(ours_params, lr), lr=lr, **kwargs)
    their_opt = getattr(torch.optim, name)(problem.groups(their_params, lr), lr=lr, **kwargs)
    return (ours_opt, ours_params, ours_loss), (their_opt, their_params, their_loss)


def _assert_same(ours: list[list[np.ndarray]], theirs: list[list[np.ndarray]]) -> None:
    for step, (a_step, b_step) in enumerate(zip(ours, theirs)):
        for i, (a, b) in enumerate(zip(a_step, b_step)):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12, err_msg=f"step {step} x{i + 1}")


@pytest.mark.parametrize(("name", "lr", "kwargs"), CASES, ids=lambda c: str(c))
def test_trajectory_matches_torch(name: str, lr: float, kwargs: dict[str, Any]) -> None:
    (o_opt, o_params, o_loss), (t_opt, t_params, t_loss) = _pair(name, lr, kwargs)
    ours = problem.run(o_opt, o_params, o_loss, problem.STEPS)
    theirs = problem.run(t_opt, t_params, t_loss, problem.STEPS)
    _assert_same(ours, theirs)
    # the parameters moved, and the unused one (grad None) was skipped, state and all
    assert not np.allclose(ours[-1][0], ours[0][0])
    np.testing.assert_array_equal(ours[-1][2], problem.make_data()["x3"])
    assert o_opt.state.get(o_params[2], {}).get("step", 0) == 0
    for o_p, t_p in zip(o_params, t_params):
        assert sorted(o_opt.state.get(o_p, {})) == sorted(t_opt.state.get(t_p, {}))


@pytest.mark.parametrize("name", ["SGD", "Adam", "NAdam", "RMSprop"])
def test_closure_step_matches_torch(name: str) -> None:
    """``step(closure)`` evaluates the closure with grad enabled and returns its loss."""
    (o_opt, o_params, o_loss), (t_opt, t_params, t_loss) = _pair(name, 0.01, {})

    def closure(opt: Any, loss_fn: Any) -> Any:
        def f():
            opt.zero_grad()
            loss = loss_fn()
            loss.backward()
            return loss

        return f

    for _ in range(5):
        with tl.no_grad():  # the closure must turn grad mode back on by itself
            o_loss_value = o_opt.step(closure(o_opt, o_loss))
        t_loss_value = t_opt.step(closure(t_opt, t_loss))
        np.testing.assert_allclose(o_loss_value.item(), t_loss_value.item(), rtol=1e-10)
    np.testing.assert_allclose(o_params[1].data, t_params[1].detach().numpy(), rtol=1e-10)


def test_lr_changed_in_param_group_between_steps() -> None:
    """Hyperparameters are read from ``param_groups`` at every step, as in PyTorch."""
    (o_opt, o_params, o_loss), (t_opt, t_params, t_loss) = _pair("SGD", 0.02, {"momentum": 0.9})
    for step in range(12):
        for opt in (o_opt, t_opt):
            opt.param_groups[0]["lr"] = 0.02 / (1 + step)
            opt.param_groups[1]["momentum"] = 0.5 if step % 2 else 0.9
        ours = problem.run(o_opt, o_params, o_loss, 1)
        theirs = problem.run(t_opt, t_params, t_loss, 1)
        _assert_same(ours, theirs)


def test_float32_parameters_stay_float32_and_close_to_torch() -> None:
    torch.set_default_dtype(torch.float32)
    w = tl.tensor([1.0, -2.0, 3.0], requires_grad=True)
    tw = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    opt, topt = tl.optim.Adam([w], lr=0.1), torch.optim.Adam([tw], lr=0.1)
    for _ in range(20):
        for p, o in ((w, opt), (tw, topt)):
            o.zero_grad()
            ((p * p).sum() + p.abs().sum()).backward()
            o.step()
    assert w.dtype == np.float32 and opt.state[w]["exp_avg"].dtype == np.float32
    np.testing.assert_allclose(w.data, tw.detach().numpy(), rtol=1e-5, atol=1e-6)
