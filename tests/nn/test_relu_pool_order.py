"""Sequential runs ReLU -> MaxPool2d as MaxPool2d -> ReLU: values and gradients must not change."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tl
from tests.helpers import torch_or_skip
from tinygrad_lite import nn
from tinygrad_lite.nn.functional import max_pool2d, relu

RNG = np.random.default_rng(0)


def awkward_input(shape, dtype=np.float64):
    """Rounded values (ties inside windows), all-negative windows, zeros, -inf and NaN."""
    x = np.round(RNG.standard_normal(shape) * 2) / 2
    flat = x.reshape(-1)
    flat[::7] = 0.0
    flat[3::11] = -0.0
    flat[5::13] = -np.inf
    flat[17::97] = np.nan
    x[0, 0, :2, :2] = -1.0  # a window with no positive value
    return x.astype(dtype)


POOLS = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
         dict(kernel_size=2, stride=1), dict(kernel_size=3, stride=2, ceil_mode=True)]  # fmt: skip


@pytest.mark.parametrize("pool", POOLS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sequential_relu_then_pool_equals_the_plain_order(pool, dtype):
    x_np = awkward_input((3, 2, 8, 8), dtype)
    g_np = RNG.standard_normal((3, 2) + max_pool2d(tl.tensor(x_np), **pool).shape[2:])
    seq = nn.Sequential(nn.ReLU(), nn.MaxPool2d(**pool))
    x1, x2 = tl.tensor(x_np, requires_grad=True), tl.tensor(x_np, requires_grad=True)
    y1 = seq(x1)
    y2 = max_pool2d(relu(x2), **pool)  # the order as written
    np.testing.assert_array_equal(y1.data, y2.data)
    y1.backward(tl.tensor(g_np.astype(dtype)))
    y2.backward(tl.tensor(g_np.astype(dtype)))
    np.testing.assert_array_equal(x1.grad.data, x2.grad.data)


def test_commuted_order_after_a_conv_keeps_the_gradients():
    # conv2d's batch-innermost output order, the training case (batch >= image width)
    conv = nn.Conv2d(2, 4, 3, padding=1)
    x = tl.tensor(RNG.standard_normal((16, 2, 8, 8)).astype(np.float32))
    fused = nn.Sequential(conv, nn.ReLU(), nn.MaxPool2d(2))
    y1 = fused(x)
    y1.sum().backward()
    g1 = conv.weight.grad.data.copy()
    conv.zero_grad()
    y2 = max_pool2d(relu(conv(x)), 2)
    y2.sum().backward()
    np.testing.assert_array_equal(y1.data, y2.data)
    np.testing.assert_array_equal(g1, conv.weight.grad.data)


def test_the_order_is_kept_when_hooks_or_indices_need_it():
    seen = []
    relu_mod = nn.ReLU()
    relu_mod.register_forward_hook(lambda m, args, out: seen.append(out.shape))
    nn.Sequential(relu_mod, nn.MaxPool2d(2))(tl.randn(1, 1, 4, 4))
    assert seen == [(1, 1, 4, 4)]  # the hook saw ReLU's full-size output
    out, idx = nn.Sequential(nn.ReLU(), nn.MaxPool2d(2, return_indices=True))(tl.randn(1, 1, 4, 4))
    assert out.shape == idx.shape == (1, 1, 2, 2)


def test_against_torch():
    torch = torch_or_skip()
    x_np = awkward_input((2, 3, 6, 6))
    x = tl.tensor(x_np, requires_grad=True)
    y = nn.Sequential(nn.ReLU(), nn.MaxPool2d(2))(x)
    y.sum().backward()
    xt = torch.tensor(x_np, requires_grad=True)
    yt = torch.nn.Sequential(torch.nn.ReLU(), torch.nn.MaxPool2d(2))(xt)
    yt.sum().backward()
    np.testing.assert_array_equal(y.data, yt.detach().numpy())
    np.testing.assert_array_equal(x.grad.data, xt.grad.numpy())
