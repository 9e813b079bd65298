"""The fused Linear primitive (ops/linalg.py) against its plain form ``x @ w.T + b`` and
against PyTorch's ``F.linear``: values, every gradient, double backward, version checks."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tl
from tests.helpers import assert_close, torch_or_skip
from tinygrad_lite.nn import functional as F
from tinygrad_lite.ops.linalg import Linear

RNG = np.random.default_rng(3)


@pytest.mark.parametrize("x_shape", [(5, 4), (4,), (2, 3, 4), (0, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_equals_its_plain_form(x_shape, bias):
    x0, w0, b0 = RNG.standard_normal(x_shape), RNG.standard_normal((3, 4)), RNG.standard_normal(3)
    results = []
    for fused in (True, False):
        x, w = tl.tensor(x0, requires_grad=True), tl.tensor(w0, requires_grad=True)
        b = tl.tensor(b0, requires_grad=True) if bias else None
        if fused:
            y = Linear.apply(x, w, b) if bias else Linear.apply(x, w)
            assert y.grad_fn.name == "LinearBackward"
        else:
            y = x @ w.T + b if bias else x @ w.T
        (y * y).sum().backward()
        results.append([y.detach(), x.grad, w.grad] + ([b.grad] if bias else []))
    for a, b in zip(*results):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("x_shape", [(5, 4), (4,), (2, 3, 4)])
def test_linear_matches_torch_with_double_backward(x_shape):
    torch = torch_or_skip()
    x0, w0, b0 = RNG.standard_normal(x_shape), RNG.standard_normal((3, 4)), RNG.standard_normal(3)
    res = []
    for lib, lin in ((tl, F.linear), (torch, torch.nn.functional.linear)):
        x, w, b = (lib.tensor(a, requires_grad=True) for a in (x0, w0, b0))
        y = lin(x, w, b)
        gx, gw = lib.autograd.grad((y * y).sum(), [x, w], create_graph=True)
        ((gx * gx).sum() + (gw * gw * gw).sum()).backward()
        res.append((y, gx, gw, x.grad, w.grad, b.grad))
    for a, b, name in zip(*res, ("y", "gx", "gw", "x.grad", "w.grad", "b.grad")):
        assert_close(a, b, what=name)


@pytest.mark.parametrize("needs", [(True, False, False), (False, True, True),
                                   (True, True, False), (False, False, True)])
@pytest.mark.parametrize("changed", [0, 1, 2])
def test_linear_version_errors_as_torch(needs, changed):
    """Writing to one operand after the forward raises exactly when PyTorch's does (an
    operand is saved only for the other one's gradient)."""
    torch = torch_or_skip()
    x0, w0, b0 = RNG.standard_normal((5, 4)), RNG.standard_normal((3, 4)), RNG.standard_normal(3)
    raised = []
    for lib, lin in ((tl, F.linear), (torch, torch.nn.functional.linear)):
        leaves = [lib.tensor(a, requires_grad=r) for a, r in zip((x0, w0, b0), needs)]
        ops = [t * 1.0 if t.requires_grad else t.clone() for t in leaves]  # writable non-leaves
        y = lin(*ops)
        ops[changed].add_(1.0)
        try:
            y.sum().backward()
            raised.append(False)
        except RuntimeError:
            raised.append(True)
    assert raised[0] == raised[1]


def test_linear_with_a_broadcast_bias_keeps_the_plain_form():
    x, w = tl.randn(5, 4, requires_grad=True), tl.randn(3, 4, requires_grad=True)
    b = tl.randn(5, 3, requires_grad=True)  # not (out,): the composite, which broadcasts
    y = F.linear(x, w, b)
    assert y.grad_fn.name == "AddBackward"
    y.sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), np.ones((5, 3)))
