"""The blocked same-size convolution (ops/conv_blocked.py): forced on small inputs by lowering
its thresholds, it gives PyTorch's values and gradients (float64) and the plain im2col path's
(float32), in both memory orders, for every combination of needed gradients."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tl
from tests.helpers import assert_close, torch_or_skip
from tinygrad_lite.nn import functional as F
from tinygrad_lite.ops import conv_blocked, convolution

RNG = np.random.default_rng(7)


@pytest.fixture(params=["keep", "recompute"])
def force_blocked(monkeypatch, request):
    """Every eligible convolution takes the blocked path, in blocks of a few units, its columns
    kept for backward or made again there."""
    monkeypatch.setattr(conv_blocked, "MIN_COLUMN_BYTES", 0)
    monkeypatch.setattr(conv_blocked, "BLOCK_BYTES", 3000)
    monkeypatch.setattr(conv_blocked, "KEEP_COLUMN_BYTES", 1 << 40 if request.param == "keep"
                        else 0)


@pytest.fixture
def blocked(force_blocked, monkeypatch):
    """As ``force_blocked``, and the test fails if no backward took the blocked path."""
    calls = []
    real = convolution.backward_blocked

    def spy(*args, **kwargs):
        calls.append(args[4])  # batch_inner
        return real(*args, **kwargs)

    monkeypatch.setattr(convolution, "backward_blocked", spy)
    yield calls
    assert calls, "no convolution took the blocked path"


def _in_order(x0: np.ndarray, order: str) -> np.ndarray:
    """``x0`` (N, C, H, W) with NCHW memory, or the same values with CHWN memory (batch
    innermost, as a batch-innermost convolution or pool returns them)."""
    if order == "nchw":
        return x0
    return np.ascontiguousarray(x0.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)


CASES = [
    # (x shape, weight shape, kwargs)
    ((3, 2, 6, 5), (4, 2, 3, 3), dict(padding=1)),
    ((7, 3, 5, 6), (4, 3, 3, 3), dict(padding=1)),
    ((8, 2, 4, 5), (3, 2, 4, 2), dict(padding="same", dilation=(1, 2))),
    ((2, 3, 7, 8), (2, 3, 5, 5), dict(padding=2)),
    ((9, 1, 4, 4), (5, 1, 3, 3), dict(padding=1)),
]


def _both(torch, xs, ws, kwargs, bias, order):
    x0, w0 = RNG.standard_normal(xs), RNG.standard_normal(ws)
    b0 = RNG.standard_normal(ws[0]) if bias else None
    g0 = None
    out = []
    for lib, conv in ((tl, F.conv2d), (torch, torch.nn.functional.conv2d)):
        x = lib.tensor(_in_order(x0, order) if lib is tl else x0, requires_grad=True)
        w = lib.tensor(w0, requires_grad=True)
        b = None if b0 is None else lib.tensor(b0, requires_grad=True)
        y = conv(x, w, b, **kwargs)
        if g0 is None:
            g0 = RNG.standard_normal(tuple(y.shape))
        y.backward(lib.tensor(g0))
        out.append((y, x.grad, w.grad, None if b is None else b.grad))
    return out


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("order", ["nchw", "chwn"])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("xs, ws, kwargs", CASES)
def test_blocked_conv_matches_torch(blocked, xs, ws, kwargs, bias, order):
    torch = torch_or_skip()
    ours, theirs = _both(torch, xs, ws, kwargs, bias, order)
    assert blocked == [order == "chwn"]  # the blocked path, in the input's memory order
    for a, b, name in zip(ours, theirs, ("y", "grad x", "grad w", "grad b")):
        if b is not None:
            assert_close(a, b, what=name)


@pytest.mark.parametrize("needs", [(True, False, False), (False, True, False),
                                   (False, False, True), (True, False, True)])
@pytest.mark.parametrize("order", ["nchw", "chwn"])
def test_blocked_conv_only_the_needed_gradients(blocked, needs, order):
    torch = torch_or_skip()
    x0, w0, b0 = RNG.standard_normal((7, 3, 5, 6)), RNG.standard_normal((4, 3, 3, 3)), \
        RNG.standard_normal(4)
    grads = []
    for lib, conv in ((tl, F.conv2d), (torch, torch.nn.functional.conv2d)):
        xs = _in_order(x0, order) if lib is tl else x0
        args = [lib.tensor(a, requires_grad=r) for a, r in zip((xs, w0, b0), needs)]
        conv(*args, padding=1).pow(2).sum().backward()
        grads.append([a.grad for a in args])
    for a, b in zip(*grads):
        assert (a is None) == (b is None)
        if b is not None:
            assert_close(a, b, what="gradient")


@pytest.mark.parametrize("order", ["nchw", "chwn"])
@pytest.mark.parametrize("n", [3, 9])
def test_blocked_equals_plain_in_float32(monkeypatch, n, order):
    x0 = _in_order(RNG.standard_normal((n, 4, 7, 6)).astype(np.float32), order)
    layer = tl.nn.Conv2d(4, 5, 3, padding=1)
    results = []
    for min_bytes, keep in ((1 << 40, 0), (0, 0), (0, 1 << 40)):  # plain, blocked (2 ways)
        monkeypatch.setattr(conv_blocked, "MIN_COLUMN_BYTES", min_bytes)
        monkeypatch.setattr(conv_blocked, "KEEP_COLUMN_BYTES", keep)
        monkeypatch.setattr(conv_blocked, "BLOCK_BYTES", 5000)
        layer.zero_grad()
        x = tl.tensor(x0, requires_grad=True)
        y = layer(x)
        (y * y).sum().backward()
        results.append((y.detach().numpy(), x.grad.numpy(), layer.weight.grad.numpy(),
                        layer.bias.grad.numpy()))
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-5)


@pytest.mark.parametrize("order", ["nchw", "chwn"])
def test_blocked_layers_chain_and_double_backward_match_torch(blocked, order):
    torch = torch_or_skip()
    x0 = RNG.standard_normal((7, 2, 5, 6))
    w1, w2 = RNG.standard_normal((3, 2, 3, 3)), RNG.standard_normal((4, 3, 3, 3))
    res = []
    for lib, conv in ((tl, F.conv2d), (torch, torch.nn.functional.conv2d)):
        x = lib.tensor(_in_order(x0, order) if lib is tl else x0, requires_grad=True)
        a, b = lib.tensor(w1, requires_grad=True), lib.tensor(w2, requires_grad=True)
        y = conv(conv(x, a, padding=1).tanh(), b, padding=1)
        (gx,) = lib.autograd.grad((y * y).sum(), [x], create_graph=True)
        (gx * gx).sum().backward()
        res.append((y, gx, a.grad, b.grad))
    for p, q, name in zip(*res, ("y", "grad x", "grad a", "grad b")):
        assert_close(p, q, rtol=1e-6, what=name)


def test_blocked_conv_refuses_backward_after_its_input_changed(force_blocked):
    x = tl.randn(7, 2, 5, 6, requires_grad=True)
    h = x * 1.0
    w = tl.randn(3, 2, 3, 3, requires_grad=True)
    y = F.conv2d(h, w, padding=1)
    h.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
