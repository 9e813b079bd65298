"""The NllLoss primitive (ops/nll.py) against its plain form and against PyTorch: values and
gradients for every reduction, class weights, ignored targets and K-d inputs, double backward
through cross_entropy, and the graph PyTorch draws for it."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tl
from tests.helpers import assert_close, torch_or_skip
from tinygrad_lite.nn import functional as F
from tinygrad_lite.ops import elementwise as ew
from tinygrad_lite.ops.nll import NllLoss

RNG = np.random.default_rng(11)


@pytest.mark.parametrize("shape, dim", [((6, 4), 1), ((4,), 0), ((3, 4, 2, 5), 1)])
@pytest.mark.parametrize("reduce", [True, False])
def test_nll_primitive_equals_its_plain_form(shape, dim, reduce):
    x0 = RNG.standard_normal(shape)
    t_shape = shape[:dim] + (1,) + shape[dim + 1:]
    index = RNG.integers(0, shape[dim], t_shape)
    coef = RNG.standard_normal(t_shape)
    valid = RNG.random(t_shape) > 0.3
    coef = np.where(valid, coef, 0.0)
    out_shape = () if reduce else shape[:dim] + shape[dim + 1:]
    g = RNG.standard_normal(out_shape)
    outs = []
    for fused in (True, False):
        x = tl.tensor(x0, requires_grad=True)
        if fused:
            y = NllLoss.apply(x, index=index, coef=coef, valid=valid, dim=dim, reduce=reduce)
        else:
            onehot = (index == np.arange(shape[dim]).reshape(
                [-1 if a == dim else 1 for a in range(len(shape))])) & valid
            terms = ew.where(onehot, x, 0.0) * tl.tensor(coef)
            y = terms.sum() if reduce else terms.sum(dim)
        y.backward(tl.tensor(g))
        outs.append((y.detach().numpy(), x.grad.numpy()))
    np.testing.assert_allclose(outs[0][0], outs[1][0], rtol=1e-12)
    np.testing.assert_allclose(outs[0][1], outs[1][1], rtol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape", [(6, 4), (3, 4, 2)])
def test_cross_entropy_double_backward_matches_torch(reduction, weighted, shape):
    torch = torch_or_skip()
    x0 = RNG.standard_normal(shape)
    t0 = RNG.integers(0, shape[1], (shape[0],) + shape[2:])
    t0.flat[0] = -100  # one ignored target
    w0 = RNG.random(shape[1]) + 0.5
    res = []
    for lib, ce in ((tl, F.cross_entropy), (torch, torch.nn.functional.cross_entropy)):
        x = lib.tensor(x0, requires_grad=True)
        w = lib.tensor(w0) if weighted else None
        loss = ce(x, lib.tensor(t0), weight=w, reduction=reduction)
        (gx,) = lib.autograd.grad((loss * loss).sum(), [x], create_graph=True)
        (gx * gx).sum().backward()
        res.append((loss, gx, x.grad))
    for a, b, name in zip(*res, ("loss", "grad", "second-order grad")):
        assert_close(a, b, what=name)


def test_cross_entropy_graph_is_torchs():
    torch = torch_or_skip()
    x = tl.randn(3, 4, requires_grad=True)
    loss = F.cross_entropy(x, tl.tensor([0, 3, 1]))
    assert loss.grad_fn.name == "NllLossBackward"
    assert loss.grad_fn.parents[0].name == "LogSoftmaxBackward"
    xt = torch.randn(3, 4, requires_grad=True)
    lt = torch.nn.functional.cross_entropy(xt, torch.tensor([0, 3, 1]))
    assert type(lt.grad_fn).__name__ == "NllLossBackward0"
    assert type(lt.grad_fn.next_functions[0][0]).__name__ == "LogSoftmaxBackward0"


def test_nll_loss_ignored_target_at_minus_infinity_gives_zero_not_nan():
    torch = torch_or_skip()
    x0 = np.array([[-np.inf, 0.0, -1.0], [0.5, -np.inf, 0.0]])
    t0 = np.array([-100, 2])
    res = []
    for lib, nll in ((tl, F.nll_loss), (torch, torch.nn.functional.nll_loss)):
        x = lib.tensor(x0, requires_grad=True)
        loss = nll(x, lib.tensor(t0))
        loss.backward()
        res.append((loss, x.grad))
    for a, b, name in zip(*res, ("loss", "grad")):
        assert_close(a, b, what=name)
