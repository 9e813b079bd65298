"""Tensor hooks (leaves and intermediates, removal, autograd.grad, create_graph) and retain_grad."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tl
from tests.helpers import assert_close


def test_leaf_hook_modifies_gradient_and_can_be_removed():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    h = x.register_hook(lambda g: seen.append(g.data.copy()) or g * 10)
    (x * x).sum().backward()
    assert_close(x.grad, [20.0, 40.0])
    assert len(seen) == 1  # called once, with the total gradient of both uses, as PyTorch
    assert_close(seen[0], [2.0, 4.0])
    h.remove()
    x.grad = None
    (x * x).sum().backward()
    assert_close(x.grad, [2.0, 4.0])
    h.remove()  # removing twice is harmless


def test_non_leaf_hook_changes_what_flows_upstream():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.register_hook(lambda g: g * 0 + 1)  # replace dL/dy by ones
    (y * y).sum().backward()
    assert_close(x.grad, [3.0, 3.0])


def test_hook_returning_none_keeps_gradient():
    x = tl.tensor([1.0], requires_grad=True)
    y = x * 2
    calls = []
    y.register_hook(lambda g: calls.append(1))
    (y * 5).backward()
    assert calls == [1]
    assert_close(x.grad, [10.0])


def test_hook_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        tl.tensor([1.0]).register_hook(lambda g: g)


def test_retain_grad_keeps_non_leaf_grad():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.retain_grad()
    z = y * y
    z.sum().backward()
    assert_close(y.grad, [6.0, 12.0])
    assert z.grad is None  # not retained
    assert_close(x.grad, [18.0, 36.0])


def test_retain_grad_accumulates():
    x = tl.tensor([1.0], requires_grad=True)
    y = x * 3
    y.retain_grad()
    z = y * y
    z.backward(retain_graph=True)
    z.backward()
    assert_close(y.grad, [12.0])


def test_hooks_run_in_autograd_grad_only_for_its_inputs():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    other = tl.tensor([3.0, 4.0], requires_grad=True)
    calls = []
    x.register_hook(lambda g: calls.append("x") or g * 2)
    other.register_hook(lambda g: calls.append("other"))
    (gx,) = tl.autograd.grad((x * other).sum(), x)
    assert calls == ["x"]
    assert_close(gx, [6.0, 8.0])
    assert x.grad is None and other.grad is None


def test_hooks_under_create_graph_receive_differentiable_tensors():
    x = tl.tensor([1.5], dtype=np.float64, requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.requires_grad))
    (x**3).backward(create_graph=True)
    assert seen == [True] and x.grad.requires_grad
    (g2,) = tl.autograd.grad(x.grad, x)
    assert_close(g2, [9.0])
