"""Weights both ways between tinygrad_lite and PyTorch, on the training example's network.

The one-liners (README, docs/index.md)::

    torch_model.load_state_dict({k: torch.as_tensor(v) for k, v in ours.state_dict().items()})
    ours.load_state_dict(torch_model.state_dict())

After either, both libraries compute the same outputs and gradients to float32 rounding.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F

torch = pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[2]
WIDTH, HIDDEN = 8, 32


@pytest.fixture(scope="module")
def build_model():
    spec = importlib.util.spec_from_file_location("train_cnn", ROOT / "examples" / "train_cnn.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build_model


def torch_twin(width: int = WIDTH, hidden: int = HIDDEN) -> torch.nn.Sequential:
    """examples/train_cnn.py's build_model(1, 10, width, hidden), written in PyTorch."""
    tnn = torch.nn

    def block(cin, cout):
        return [tnn.Conv2d(cin, cout, 3, padding=1, bias=False), tnn.BatchNorm2d(cout),
                tnn.ReLU(), tnn.MaxPool2d(2)]  # fmt: skip

    return tnn.Sequential(*block(1, width), *block(width, 2 * width), tnn.Flatten(),
                          tnn.Linear(2 * width * 49, hidden), tnn.ReLU(),
                          tnn.Linear(hidden, 10))  # fmt: skip


def ours_to_torch(ours, torch_model):
    """The documented one-liner, ours -> PyTorch."""
    torch_model.load_state_dict({k: torch.as_tensor(v) for k, v in ours.state_dict().items()})


def outputs_and_grads(ours, torch_model, images, labels, train):
    """Logits, loss and every parameter's gradient, in both libraries."""
    ours.train(train)
    torch_model.train(train)
    ours.zero_grad()
    torch_model.zero_grad()
    logits = ours(tl.tensor(images))
    loss = F.cross_entropy(logits, tl.tensor(labels))
    loss.backward()
    t_logits = torch_model(torch.from_numpy(images))
    t_loss = torch.nn.functional.cross_entropy(t_logits, torch.from_numpy(labels))
    t_loss.backward()
    ours_grads = {k: p.grad.numpy() for k, p in ours.named_parameters()}
    torch_grads = {k: p.grad.numpy() for k, p in torch_model.named_parameters()}
    return (logits.detach().numpy(), loss.item(), ours_grads), (
        t_logits.detach().numpy(), t_loss.item(), torch_grads)


def assert_same_computation(ours, torch_model, train):
    rng = np.random.default_rng(3)
    images = rng.standard_normal((16, 1, 28, 28)).astype(np.float32)
    labels = rng.integers(0, 10, 16)
    (lo, lv, lg), (to, tv, tg) = outputs_and_grads(ours, torch_model, images, labels, train)
    np.testing.assert_allclose(lo, to, rtol=1e-5, atol=1e-5)
    assert lv == pytest.approx(tv, rel=1e-5)
    assert lg.keys() == tg.keys()
    for k in lg:  # float32 rounding, relative to the gradient's scale
        scale = np.abs(tg[k]).max()
        np.testing.assert_allclose(lg[k], tg[k], rtol=0, atol=2e-5 * scale, err_msg=k)
    # the running statistics moved the same way in training mode (and not at all in eval)
    t_state = torch_model.state_dict()
    for k, v in ours.state_dict().items():
        np.testing.assert_allclose(v.numpy(), t_state[k].numpy(), rtol=1e-5, atol=1e-6,
                                   err_msg=k)  # fmt: skip


@pytest.mark.parametrize("train", [True, False])
def test_ours_to_torch_same_outputs_and_gradients(build_model, train):
    tl.manual_seed(1)
    ours = build_model(1, 10, WIDTH, HIDDEN)
    torch_model = torch_twin()
    ours_to_torch(ours, torch_model)
    assert_same_computation(ours, torch_model, train)


@pytest.mark.parametrize("train", [True, False])
def test_torch_to_ours_same_outputs_and_gradients(build_model, train):
    torch.manual_seed(2)
    torch_model = torch_twin()
    with torch.no_grad():  # running statistics away from 0 and 1, so eval mode tests them
        for m in torch_model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
    ours = build_model(1, 10, WIDTH, HIDDEN)
    result = ours.load_state_dict(torch_model.state_dict())  # the documented one-liner
    assert not result.missing_keys and not result.unexpected_keys
    assert_same_computation(ours, torch_model, train)


def test_round_trip_is_exact(build_model):
    tl.manual_seed(4)
    ours = build_model(1, 10, WIDTH, HIDDEN)
    torch_model = torch_twin()
    ours_to_torch(ours, torch_model)
    back = build_model(1, 10, WIDTH, HIDDEN)
    back.load_state_dict(torch_model.state_dict())
    for (k, a), (k2, b) in zip(ours.state_dict().items(), back.state_dict().items(), strict=True):
        assert k == k2
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_torch_copy_is_independent(build_model):
    """load_state_dict copies: training the PyTorch copy leaves ours as it was."""
    ours = build_model(1, 10, WIDTH, HIDDEN)
    before = ours.state_dict()["0.weight"].numpy().copy()
    torch_model = torch_twin()
    ours_to_torch(ours, torch_model)
    with torch.no_grad():
        torch_model[0].weight.add_(1.0)
    np.testing.assert_array_equal(ours.state_dict()["0.weight"].numpy(), before)
