"""Convolutions of an empty batch (N = 0) give PyTorch's empty outputs and zero gradients,
instead of a numpy error from deep inside the kernels."""

from __future__ import annotations

import pytest

import tinygrad_lite as tl
from tests.helpers import assert_close, torch_or_skip
from tinygrad_lite.nn import functional as F

CASES = [
    ("conv2d", (0, 3, 8, 8), (4, 3, 3, 3), dict(padding=1)),
    ("conv2d", (0, 3, 8, 8), (4, 3, 3, 3), dict(stride=2)),
    ("conv2d", (0, 16, 28, 28), (4, 16, 3, 3), dict(padding=1)),
    ("conv2d", (0, 4, 5, 5), (4, 2, 3, 3), dict(groups=2)),
    ("conv1d", (0, 3, 8), (4, 3, 3), dict(padding=1)),
    ("conv3d", (0, 2, 4, 4, 4), (4, 2, 3, 3, 3), dict(padding=1)),
    ("conv_transpose2d", (0, 4, 5, 5), (4, 3, 3, 3), dict(padding=1, stride=2)),
    ("conv_transpose1d", (0, 4, 5), (4, 3, 3), dict(padding=1)),
]


@pytest.mark.parametrize("name, xs, ws, kwargs", CASES)
def test_empty_batch_matches_torch(name, xs, ws, kwargs):
    torch = torch_or_skip()
    res = []
    for lib, mod in ((tl, F), (torch, torch.nn.functional)):
        x = lib.zeros(*xs, dtype=lib.float64, requires_grad=True)
        w = lib.ones(*ws, dtype=lib.float64, requires_grad=True)
        b = lib.ones(w.shape[0] if "transpose" not in name else w.shape[1] * kwargs.get(
            "groups", 1), dtype=lib.float64, requires_grad=True)
        y = getattr(mod, name)(x, w, b, **kwargs)
        (y.sum() + (w * w).sum()).backward()
        res.append((y, x.grad, w.grad, b.grad))
    for a, b, what in zip(*res, ("output", "grad x", "grad w", "grad b")):
        assert tuple(a.shape) == tuple(b.shape), what
        assert_close(a, b, what=what)


def test_empty_batch_double_backward():
    x = tl.zeros(0, 3, 6, 6, requires_grad=True)
    w = tl.randn(4, 3, 3, 3, requires_grad=True)
    (gw,) = tl.autograd.grad((F.conv2d(x, w, padding=1) ** 2).sum(), [w], create_graph=True)
    assert gw.shape == (4, 3, 3, 3) and float(abs(gw).sum()) == 0.0
