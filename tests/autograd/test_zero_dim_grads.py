"""Gradients of 0-d tensors are 0-d Tensors backed by arrays (numpy arithmetic on 0-d arrays
returns numpy scalars; hooks, ``retain_grad``, ``.grad`` and ``autograd.grad`` must not leak
them), and ``@no_grad`` / ``@enable_grad`` work without parentheses, as in PyTorch."""

from __future__ import annotations

import numpy as np

import tinygrad_lite as tl


def test_hooks_and_retained_grads_of_0d_tensors_are_arrays():
    seen = []
    x = tl.tensor(1.5, requires_grad=True)
    x.register_hook(lambda g: seen.append(type(g.data)))
    y = x.tanh()
    y.register_hook(lambda g: seen.append(type(g.data)))
    y.retain_grad()
    z = y.tanh()
    (z * 2).backward(retain_graph=True)
    (z * 2).backward()
    assert seen == [np.ndarray] * 4
    assert type(x.grad.data) is np.ndarray and type(y.grad.data) is np.ndarray
    assert x.grad.shape == () and y.grad.shape == ()


def test_autograd_grad_of_0d_returns_tensors():
    x = tl.tensor(1.5, dtype=tl.float64, requires_grad=True)
    (g,) = tl.autograd.grad(x.tanh().tanh(), x)
    assert isinstance(g, tl.Tensor) and type(g.data) is np.ndarray and g.dtype == np.float64
    (g1,) = tl.autograd.grad(x.tanh(), x, create_graph=True)
    (g2,) = tl.autograd.grad(g1, x, create_graph=True)
    (g3,) = tl.autograd.grad(g2, x)
    t = np.tanh(1.5)
    assert isinstance(g3, tl.Tensor)
    np.testing.assert_allclose(g3.item(), -2 * (1 - t * t) ** 2 + 4 * t * t * (1 - t * t))


def test_no_grad_and_enable_grad_as_bare_decorators():
    x = tl.tensor([1.0], requires_grad=True)

    @tl.no_grad
    def doubled(t):
        return t * 2

    @tl.enable_grad
    def tripled(t):
        return t * 3

    assert doubled.__name__ == "doubled"
    assert not doubled(x).requires_grad and tl.is_grad_enabled()
    with tl.no_grad():
        assert tripled(x).requires_grad
        assert not tl.is_grad_enabled()
