"""Fast elementwise kernels agree with the plain formulas they replace (values and gradients).

Each in-place kernel of ``ops/unary.py`` keeps its plain formula beside it; these tests pin that
both give the same numbers (bit for bit where the roundings are the same, to an ulp or two where
a different but more accurate formula is used), and that no overflow warning escapes.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_lite as tl
from tests.helpers import torch_or_skip
from tinygrad_lite.ops import unary

RNG = np.random.default_rng(0)
EDGES = [np.inf, -np.inf, np.nan, 0.0, -0.0, 1e-30, -1e-30, 88.0, -88.0, 89.0, -89.0, 104.0,
         -104.0, 710.0, -710.0, 746.0, -746.0]  # fmt: skip


def values(dtype):
    x = np.concatenate([RNG.standard_normal(5000) * 6, np.linspace(-800, 800, 4001), EDGES])
    return x.astype(dtype)


def ulps(a, b, dtype):
    """Largest distance from ``a`` to ``b`` in units of ``b``'s last place (finite, normal)."""
    ok = np.isfinite(a) & np.isfinite(b) & (np.abs(b) > np.finfo(dtype).tiny)
    return float(np.max(np.abs(a[ok] - b[ok]) / np.spacing(np.abs(b[ok]).astype(dtype))))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_array_matches_the_logaddexp_formula_without_warnings(dtype):
    x = values(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fast = unary.sigmoid_array(x)
    with np.errstate(all="ignore"):
        plain = np.exp(-np.logaddexp(0, -x))  # the formula it replaced
        naive = 1 / (1 + np.exp(-x))
    assert fast.dtype == dtype
    np.testing.assert_array_equal(fast, naive)  # the same value as the textbook formula
    np.testing.assert_array_equal(np.isnan(fast), np.isnan(plain))
    # the old formula's error grows with |x| (exp of a rounded logarithm); near 0 they agree
    small = np.abs(x) < 4
    assert ulps(fast[small], plain[small], dtype) <= 4
    assert fast[x == np.inf][0] == 1 and fast[x == -np.inf][0] == 0


def test_sigmoid_array_of_a_0d_array():
    y = unary.sigmoid_array(np.array(0.0, np.float32))
    assert isinstance(y, np.ndarray) and y.shape == () and y == 0.5


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_in_place_backward_kernels_equal_the_plain_formulas(dtype):
    y = np.tanh(values(dtype))
    grad = RNG.standard_normal(y.shape).astype(dtype)
    np.testing.assert_array_equal(unary.tanh_grad_array(grad, y), grad * (1 - y * y))
    s = unary.sigmoid_array(values(dtype))
    np.testing.assert_array_equal(unary.sigmoid_grad_array(grad, s), grad * s * (1 - s))


def test_fast_backward_is_used_only_for_matching_arrays():
    y = np.zeros((2, 3), np.float32)
    assert unary.same_layout(np.ones((2, 3), np.float32), y)
    assert not unary.same_layout(np.ones((2, 3), np.float64), y)
    assert not unary.same_layout(np.ones((3,), np.float32), y)
    assert not unary.same_layout(np.ones((), np.float32), np.zeros((), np.float32))


def test_sigmoid_and_tanh_gradients_through_the_fast_and_the_graph_paths_agree():
    x = tl.tensor(RNG.standard_normal((4, 5)), requires_grad=True)
    for op in (lambda t: t.sigmoid(), lambda t: t.tanh()):
        (g1,) = tl.autograd.grad(op(x).sum(), [x])  # numpy backward: the in-place kernels
        (g2,) = tl.autograd.grad(op(x).sum(), [x], create_graph=True)  # Tensor formulas
        np.testing.assert_allclose(g1.data, g2.data, rtol=1e-15)


def test_sigmoid_matches_torch_in_float32_at_every_magnitude():
    torch = torch_or_skip()
    x = values(np.float32)
    ours = tl.tensor(x, requires_grad=True)
    y = ours.sigmoid()
    y.backward(tl.tensor(np.ones_like(x)))
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.sigmoid(xt)
    yt.backward(torch.ones_like(xt))
    np.testing.assert_array_equal(y.data == 0, yt.detach().numpy() == 0)  # where it underflows
    assert ulps(y.data, yt.detach().numpy(), np.float32) <= 4
    # y (1 - y) cancels near y = 1 in both libraries: a few 1e-5 relative
    np.testing.assert_allclose(ours.grad.data, xt.grad.numpy(), rtol=1e-4, atol=1e-37)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sign_array_maps_nan_to_zero_only_where_needed(dtype):
    x = np.array([-2.0, -0.0, 0.0, 3.0, np.nan, -np.inf], dtype)
    np.testing.assert_array_equal(unary.sign_array(x), [-1, 0, 0, 1, 0, -1])
    clean = RNG.standard_normal(100).astype(dtype)
    np.testing.assert_array_equal(unary.sign_array(clean), np.sign(clean))
    assert unary.sign_array(np.array(np.nan, dtype)) == 0


def test_clamp_forward_is_minimum_of_maximum_and_its_mask_is_built_in_backward():
    x = np.array([-np.inf, -2, -1, -0.0, 0.0, 0.5, 1, 2, np.inf, np.nan], np.float32)
    for lo, hi in ((-1.0, 1.0), (None, 0.5), (0.0, None), (2.0, 1.0)):
        t = tl.tensor(x, requires_grad=True)
        y = t.clamp(lo, hi)
        plain = x  # x second: numpy returns it on a tie, so -0 stays -0 (PyTorch's values)
        if lo is not None:
            plain = np.maximum(np.float32(lo), plain)
        if hi is not None:
            plain = np.minimum(np.float32(hi), plain)
        np.testing.assert_array_equal(y.data, plain)
        np.testing.assert_array_equal(np.signbit(y.data), np.signbit(plain))
        y.sum().backward()
        mask = np.ones(x.shape, bool)
        if lo is not None:
            mask &= x >= lo
        if hi is not None:
            mask &= x <= hi
        np.testing.assert_array_equal(t.grad.data, mask.astype(np.float32))


def test_masks_built_in_backward_accept_a_numpy_scalar_input():
    # a 0-d tensor's data can be a numpy scalar (0-d arithmetic), whose .data is a buffer
    for op, expected in ((lambda t: t.abs(), -1.0), (lambda t: t.clamp(-1, 1), 1.0),
                         (lambda t: t.sign(), 0.0), (lambda t: tl.maximum(t, t * 0.5), 0.5),
                         (lambda t: tl.minimum(t, t * 0.5), 1.0)):  # fmt: skip
        t = tl.Tensor._make(np.float64(-0.7), None).requires_grad_(True)
        op(t).backward()
        assert t.grad.item() == expected


@pytest.mark.parametrize("shape", [(), (7,), (300, 500)])
def test_square_backward_is_bitwise_the_sum_of_both_products(shape):
    x0 = RNG.standard_normal(shape).astype(np.float32)
    g0 = RNG.standard_normal(shape).astype(np.float32)
    x = tl.tensor(x0, requires_grad=True)
    h = x * 1.5
    (h * h).backward(tl.tensor(g0))
    hv = (x0 * np.float32(1.5)).astype(np.float32)
    expected = (g0 * hv + g0 * hv) * np.float32(1.5)  # the engine's sum of the two products
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_square_of_a_tensor_and_its_detached_copy_is_not_doubled():
    x = tl.tensor(RNG.standard_normal(5), requires_grad=True)
    (x * x.detach()).sum().backward()  # one array, but only one side needs a gradient
    np.testing.assert_array_equal(x.grad.numpy(), x.detach().numpy())


def test_square_second_derivatives_match_torch():
    torch = pytest.importorskip("torch")
    x0 = RNG.standard_normal((4, 3))
    res = []
    for lib in (tl, torch):
        x = lib.tensor(x0, requires_grad=True)
        (g,) = lib.autograd.grad((x * x * x).sum(), [x], create_graph=True)
        (g * g).sum().backward()
        res.append((g.detach().numpy(), x.grad.numpy()))
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-12)
