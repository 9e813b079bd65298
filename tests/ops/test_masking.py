"""Masked gradients (tinygrad_lite/ops/masking.py) against PyTorch in float64: an infinite or
NaN upstream gradient gives 0 where PyTorch *selects* the gradient away (relu, clamp, hardtanh,
the shrinks, max-pooling, ...), values and signs of zeros included; NaN inputs; and second
derivatives through piecewise-linear ops (zeros where PyTorch gives zeros, an error where it
raises)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from tests.helpers import torch_or_skip
from tinygrad_lite.autograd import grad as tl_grad
from tinygrad_lite.ops.masking import masked

# kinks, both zeros, NaN and infinities
X = np.array([-7.0, -3.0, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 3.0, 6.0, 7.0, np.nan, np.inf, -np.inf])


def _same(a: np.ndarray, b: np.ndarray, what: str) -> None:
    """Equal values (NaN where NaN) and equal signs of every non-NaN entry (so -0 != +0)."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, f"{what}: {a.shape} != {b.shape}"
    ok = np.array_equal(a, b, equal_nan=True)
    signs = np.array_equal(np.signbit(a) & ~np.isnan(a), np.signbit(b) & ~np.isnan(b))
    assert ok and signs, f"{what}:\n ours  {a}\n torch {b}"


def _compare_backward(ours: Callable[..., Any], theirs: Callable[..., Any], x: np.ndarray,
                      extra: tuple[np.ndarray, ...] = ()) -> None:
    """Forward values and every input's gradient for upstream gradients nan, +-inf and -1."""
    torch = torch_or_skip()
    for gval in (np.nan, np.inf, -np.inf, -1.0):
        ts = [tl.tensor(a.copy(), requires_grad=True) for a in (x, *extra)]
        rs = [torch.tensor(a.copy(), requires_grad=True) for a in (x, *extra)]
        y, yr = ours(*ts), theirs(*rs)
        _same(y.detach().numpy(), yr.detach().numpy(), "forward")
        y.backward(tl.tensor(np.full(y.shape, gval)))
        yr.backward(torch.tensor(np.full(tuple(yr.shape), gval)))
        for i, (t, r) in enumerate(zip(ts, rs)):
            _same(t.grad.numpy(), r.grad.numpy(), f"upstream {gval}: gradient of input {i}")


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("n", [5, 3000])  # np.where below the size cut-off, the bits above it
def test_masked_is_where_exactly(dtype: Any, n: int) -> None:
    rng = np.random.default_rng(n)
    g = (rng.standard_normal(n) * 3).astype(dtype)
    g[:5] = [np.nan, np.inf, -np.inf, -1.0, -0.0]
    mask = rng.standard_normal(n) > 0
    for grad, m in ((g, mask), (g[::-1], mask[::-1]), (g[: n // 2 * 2].reshape(-1, 2).T, True)):
        expected = np.where(m, grad, dtype(0))
        got = masked(grad, np.asarray(m))
        assert got.dtype == grad.dtype
        _same(got, expected, "masked")
    col = g[:4].reshape(4, 1)  # broadcast against the mask
    _same(masked(col, mask[:6]), np.where(mask[:6], col, dtype(0)), "broadcast")
    _same(masked(np.float64(-2.0), np.array(False)), np.array(0.0), "0-d")


# PyTorch's gradient at a NaN input differs between its vectorised loop and its scalar tail
POSITIONAL_NAN = {"hardtanh", "relu6", "hardswish", "softshrink", "hardshrink"}
RULES = [
    ("relu", lambda t: t.relu(), lambda t: t.relu()),
    ("F.relu", F.relu, "relu"),
    ("clamp", lambda t: t.clamp(-1.0, 1.0), lambda t: t.clamp(-1.0, 1.0)),
    ("clamp_min", lambda t: t.clamp(min=0.0), lambda t: t.clamp(min=0.0)),
    ("clamp_max", lambda t: t.clamp(max=0.0), lambda t: t.clamp(max=0.0)),
    ("sign", lambda t: t.sign(), lambda t: t.sign()),
    ("floor", lambda t: t.floor(), lambda t: t.floor()),
    ("round", lambda t: t.round(), lambda t: t.round()),
    ("frac", lambda t: t.frac(), lambda t: t.frac()),
    ("hardtanh", F.hardtanh, "hardtanh"),
    ("relu6", F.relu6, "relu6"),
    ("hardsigmoid", F.hardsigmoid, "hardsigmoid"),
    ("hardswish", F.hardswish, "hardswish"),
    ("softshrink", F.softshrink, "softshrink"),
    ("hardshrink", F.hardshrink, "hardshrink"),
    ("threshold", lambda t: F.threshold(t, 0.5, 2.0), lambda t: _tf().threshold(t, 0.5, 2.0)),
    ("leaky_relu", F.leaky_relu, "leaky_relu"),
    ("hinge", lambda t: F.hinge_embedding_loss(t, tl.tensor(-np.ones(t.shape)), reduction="none"),
     lambda t: _tf().hinge_embedding_loss(t, -_torch().ones(t.shape, dtype=t.dtype),
                                          reduction="none")),
]


def _torch() -> Any:
    return torch_or_skip()


def _tf() -> Any:
    return torch_or_skip().nn.functional


def _without(nan: bool = False) -> np.ndarray:
    """X, and where PyTorch's gradient at a NaN input depends on the element's position (its
    vectorised loop and its scalar tail disagree) without NaN:
    ``test_nan_input_gradients_match_pytorchs_vectorised_kernels`` covers those."""
    return X[~np.isnan(X)] if nan else X


@pytest.mark.filterwarnings("ignore:invalid value")  # frac(inf), hardswish(-inf): NaN values
@pytest.mark.parametrize("name,ours,theirs", RULES, ids=[r[0] for r in RULES])
def test_infinite_and_nan_upstream_gradients_are_selected_away_as_pytorch(name, ours, theirs):
    if isinstance(theirs, str):
        theirs = getattr(_tf(), theirs)
    x = X if name in ("sign", "floor", "round", "frac", "hardsigmoid", "threshold",
                      "leaky_relu") else _without(nan=name in POSITIONAL_NAN)
    _compare_backward(ours, theirs, x)


def test_tensor_bounds_clamp_and_maximum_minimum_select_their_gradients():
    torch = torch_or_skip()
    x = _without()
    lo, hi, zero = np.full(x.size, -1.0), np.full(x.size, 1.0), np.zeros(X.size)
    _compare_backward(lambda t, a, b: t.clamp(a, b), lambda t, a, b: t.clamp(a, b), x, (lo, hi))
    _compare_backward(lambda t, a: t.clamp(min=a), lambda t, a: t.clamp(min=a), x, (lo,))
    _compare_backward(lambda t, a: t.maximum(a), torch.maximum, X, (zero,))
    _compare_backward(lambda t, a: t.minimum(a), torch.minimum, X, (zero,))


def test_reductions_select_as_pytorch_and_amax_multiplies_as_pytorch():
    v = np.array([1.0, 3.0, 3.0, 2.0, -1.0])
    _compare_backward(lambda t: t.max(), lambda t: t.max(), v)
    _compare_backward(lambda t: t.min(), lambda t: t.min(), v)
    _compare_backward(lambda t: t.max(0)[0], lambda t: t.max(0)[0], v)
    _compare_backward(lambda t: t.amax(0), lambda t: t.amax(0), v)  # NaN, as PyTorch's product


def test_embedding_padding_row_gets_zero_for_an_infinite_gradient():
    torch = torch_or_skip()
    idx = np.array([0, 2, 0, 3])
    _compare_backward(
        lambda w: F.embedding(tl.tensor(idx), w, padding_idx=0),
        lambda w: torch.nn.functional.embedding(torch.tensor(idx), w, padding_idx=0),
        np.arange(8.0).reshape(4, 2),
    )
    _compare_backward(
        lambda w: F.embedding(tl.tensor(idx), w, padding_idx=0, scale_grad_by_freq=True),
        lambda w: torch.nn.functional.embedding(torch.tensor(idx), w, padding_idx=0,
                                                scale_grad_by_freq=True),
        np.arange(8.0).reshape(4, 2),
    )


@pytest.mark.parametrize("layout", ["nchw", "batch_inner"])
@pytest.mark.parametrize("args", [(2,), (3, 1), (3, 2, 1), (2, 2, 0, 2)],
                         ids=["2x2", "overlap", "pad", "dilation"])
def test_max_pool_routes_an_infinite_gradient_only_to_each_window_max(layout, args):
    torch = torch_or_skip()
    rng = np.random.default_rng(0)
    x = np.round(rng.standard_normal((2, 3, 6, 20)), 1)  # ties; width 20: the 2x2 fast path
    x[0, 0, :2, :2] = 0.0  # a window of equal values

    def ours(t):
        if layout == "batch_inner":  # (N, C, H, W) view of a (C, H, W, N) array
            t = t.permute(1, 2, 3, 0).reshape(-1).reshape(3, 6, 20, 2).permute(3, 0, 1, 2)
        return F.max_pool2d(t, *args)

    _compare_backward(ours, lambda t: torch.nn.functional.max_pool2d(t, *args), x)


@pytest.mark.parametrize("name", ["relu", "hardtanh", "relu6", "hardswish", "hardsigmoid", "elu",
                                  "celu", "selu", "softplus", "leaky_relu", "threshold",
                                  "softshrink", "hardshrink"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nan_input_gradients_match_pytorchs_vectorised_kernels(name: str, dtype: Any) -> None:
    """NaN inputs in a long tensor, where PyTorch's vectorised loop handles them (its scalar
    tail, the last few elements, answers differently for hardtanh, hardswish, elu and the
    shrinks: docs/subgradients.md)."""
    tf, torch = _tf(), _torch()
    x = np.full(64, np.nan, dtype=dtype)
    x[1::4] = np.linspace(-7.0, 7.0, 16)
    ours, theirs = getattr(F, name), getattr(tf, name)
    if name == "threshold":
        ours, theirs = (lambda t: F.threshold(t, 0.5, 2.0)), (lambda t: tf.threshold(t, 0.5, 2.0))
    t, r = tl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours(t).backward(tl.tensor(-np.ones(64, dtype=dtype)))
    theirs(r).backward(-torch.ones(64, dtype=r.dtype))
    got, want = t.grad.numpy()[:32], r.grad.numpy()[:32]  # (the first half: vectorised)
    rtol = 1e-4 if dtype == np.float32 else 1e-10  # (float32: the composites round differently)
    np.testing.assert_allclose(got, want, rtol=rtol, equal_nan=True)


def test_shrinks_give_positive_zero_inside_as_pytorch():
    torch = torch_or_skip()
    x = np.array([-0.7, -0.5, -0.3, -0.0, 0.0, 0.3, 0.5, 0.7, np.inf, -np.inf, np.nan])
    for name in ("softshrink", "hardshrink"):
        for lambd in (0.0, 0.5, 1e300):
            y = getattr(F, name)(tl.tensor(x), lambd).numpy()
            yr = getattr(torch.nn.functional, name)(torch.tensor(x), lambd).numpy()
            _same(y, yr, f"{name}({lambd})")
    y = F.hardshrink(tl.tensor(x), np.inf).numpy()
    _same(y, torch.nn.functional.hardshrink(torch.tensor(x), np.inf).numpy(), "hardshrink(inf)")
    message = r"lambda must be in range \[0, 1.79769e\+308\] for input dtype"
    with pytest.raises(RuntimeError, match="softshrink: " + message):
        F.softshrink(tl.tensor(x), np.inf)
    with pytest.raises(RuntimeError, match=message):
        torch.nn.functional.softshrink(torch.tensor(x), np.inf)


# ----- second derivatives ----------------------------------------------------------------

ZERO_SECOND = [
    ("relu", lambda t: t.relu(), lambda t: t.relu()),
    ("abs", lambda t: t.abs(), lambda t: t.abs()),
    ("hardtanh", F.hardtanh, "hardtanh"),
    ("relu6", F.relu6, "relu6"),
    ("leaky_relu", F.leaky_relu, "leaky_relu"),
    ("softshrink", F.softshrink, "softshrink"),
    ("hardshrink", F.hardshrink, "hardshrink"),
    ("threshold", lambda t: F.threshold(t, 0.5, 2.0), lambda t: _tf().threshold(t, 0.5, 2.0)),
    ("l1_loss", lambda t: F.l1_loss(t, t.detach() * 0), lambda t: _tf().l1_loss(t, t.detach() * 0)),
    ("max_pool2d", lambda t: F.max_pool2d(t.reshape(1, 1, 2, 4), 2),
     lambda t: _tf().max_pool2d(t.reshape(1, 1, 2, 4), 2)),
    ("max_pool2d_overlap", lambda t: F.max_pool2d(t.reshape(1, 1, 2, 4), 2, 1),
     lambda t: _tf().max_pool2d(t.reshape(1, 1, 2, 4), 2, 1)),
    # linear, but PyTorch's fused backward takes the input too (masking.Anchored)
    ("avg_pool2d", lambda t: F.avg_pool2d(t.reshape(1, 1, 2, 4), 2, 1, 1, True, False),
     lambda t: _tf().avg_pool2d(t.reshape(1, 1, 2, 4), 2, 1, 1, True, False)),
    ("adaptive_avg_pool2d", lambda t: F.adaptive_avg_pool2d(t.reshape(1, 1, 2, 4), (1, 3)),
     lambda t: _tf().adaptive_avg_pool2d(t.reshape(1, 1, 2, 4), (1, 3))),
    ("adaptive_avg_pool2d_same", lambda t: F.adaptive_avg_pool2d(t.reshape(1, 1, 2, 4), (2, 4)),
     lambda t: _tf().adaptive_avg_pool2d(t.reshape(1, 1, 2, 4), (2, 4))),
    ("adaptive_avg_pool2d_tiles", lambda t: F.adaptive_avg_pool2d(t.reshape(1, 1, 2, 4), (1, 2)),
     lambda t: _tf().adaptive_avg_pool2d(t.reshape(1, 1, 2, 4), (1, 2))),
]
SECOND_X = np.array([-1.0, 0.0, 0.5, 2.0, -3.0, 1.0, 7.0, 0.25])


@pytest.mark.parametrize("name,ours,theirs", ZERO_SECOND, ids=[r[0] for r in ZERO_SECOND])
def test_second_derivative_of_piecewise_linear_ops_is_zeros_as_pytorch(name, ours, theirs):
    torch = torch_or_skip()
    if isinstance(theirs, str):
        theirs = getattr(torch.nn.functional, theirs)
    x, xr = tl.tensor(SECOND_X, requires_grad=True), torch.tensor(SECOND_X, requires_grad=True)
    (g,) = tl_grad(ours(x).sum(), x, create_graph=True)
    (gr,) = torch.autograd.grad(theirs(xr).sum(), xr, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), gr.detach().numpy(), rtol=1e-15)
    assert g.requires_grad and gr.requires_grad
    (gg,) = tl_grad((g * tl.tensor(np.arange(8.0))).sum(), x, allow_unused=True)
    (ggr,) = torch.autograd.grad((gr * torch.arange(8.0)).sum(), xr, allow_unused=True)
    # (+ 0 materialises PyTorch's zero tensor, abs's answer)
    np.testing.assert_array_equal(gg.detach().numpy(), (ggr + 0).numpy())
    # backward(create_graph=True), then backward through the gradient: .grad is unchanged
    x.grad = None
    ours(x).sum().backward(create_graph=True)
    first = x.grad.detach().numpy().copy()
    x.grad.sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), first)


def test_relu_second_derivative_reaches_its_output_as_pytorch():
    torch = torch_or_skip()
    x, xr = tl.tensor(SECOND_X, requires_grad=True), torch.tensor(SECOND_X, requires_grad=True)
    y, yr = x.relu(), xr.relu()  # PyTorch's threshold_backward saved the result
    (g,) = tl_grad(y.sum(), x, create_graph=True)
    (gr,) = torch.autograd.grad(yr.sum(), xr, create_graph=True)
    (gy,) = tl_grad(g.sum(), y)
    (gyr,) = torch.autograd.grad(gr.sum(), yr)
    np.testing.assert_array_equal(gy.numpy(), gyr.numpy())


NO_SECOND = [
    ("clamp", lambda t: t.clamp(-0.5, 1.0)),
    ("sign", lambda t: t.sign()),
    ("floor", lambda t: t.floor()),
    ("maximum", lambda t: t.maximum(t.detach() * 0)),
    ("max", lambda t: t.max()),
    ("amax", lambda t: t.amax()),
]


@pytest.mark.parametrize("name,fn", NO_SECOND, ids=[r[0] for r in NO_SECOND])
def test_gradient_that_does_not_depend_on_x_cannot_be_differentiated_as_in_pytorch(name, fn):
    torch = torch_or_skip()
    x, xr = tl.tensor(SECOND_X, requires_grad=True), torch.tensor(SECOND_X, requires_grad=True)
    (g,) = tl_grad(fn(x).sum(), x, create_graph=True)
    (gr,) = torch.autograd.grad(fn(xr).sum(), xr, create_graph=True)
    assert not g.requires_grad and not gr.requires_grad
    with pytest.raises(RuntimeError, match="does not require grad"):
        tl_grad(g.sum(), x)
    with pytest.raises(RuntimeError, match="does not require grad"):
        torch.autograd.grad(gr.sum(), xr)


@pytest.mark.parametrize("name,ours,theirs", [
    ("relu", lambda t: t.relu(), lambda t: t.relu()),
    ("clamp_min", lambda t: t.clamp(min=0.0), lambda t: t.clamp(min=0.0)),
    ("clamp_max", lambda t: t.clamp(max=0.0), lambda t: t.clamp(max=0.0)),
    ("clamp_max_neg0", lambda t: t.clamp(max=-0.0), lambda t: t.clamp(max=-0.0)),
    ("clamp", lambda t: t.clamp(0.0, 1.0), lambda t: t.clamp(0.0, 1.0)),
    ("clamp_tensor", lambda t: t.clamp(t * 0, t * 0 + 1), lambda t: t.clamp(t * 0, t * 0 + 1)),
    ("relu6", F.relu6, "relu6"), ("hardtanh", lambda t: F.hardtanh(t, 0.0, 1.0), "hardtanh"),
    ("elu", F.elu, "elu"), ("celu", F.celu, "celu"), ("selu", F.selu, "selu"),
    ("leaky_relu", F.leaky_relu, "leaky_relu"),
])  # fmt: skip
def test_negative_zero_values_keep_their_sign_as_pytorch(name, ours, theirs):
    """numpy's maximum/minimum return the *second* argument on a tie, so the input goes second:
    relu(-0.) is -0., as PyTorch's (and the same speed)."""
    torch = torch_or_skip()
    args = (0.0, 1.0) if name == "hardtanh" else ()
    if isinstance(theirs, str):
        theirs = getattr(torch.nn.functional, theirs)
    for dtype in (np.float32, np.float64):
        x = np.array([-0.0, 0.0, -1.0, 2.0, np.nan], dtype=dtype)
        got, want = ours(tl.tensor(x)).numpy(), theirs(torch.tensor(x), *args).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-6, equal_nan=True)  # (elu: a few ulp)
        zeros = want == 0
        assert np.array_equal(np.signbit(got[zeros]), np.signbit(want[zeros])), (name, got)


def test_adaptive_avg_pool_to_one_cell_is_a_mean_as_in_pytorch():
    """PyTorch's shortcut for output size 1: a mean, whose gradient does not depend on x."""
    torch = torch_or_skip()
    x, xr = tl.tensor(SECOND_X, requires_grad=True), torch.tensor(SECOND_X, requires_grad=True)
    (g,) = tl_grad(F.adaptive_avg_pool2d(x.reshape(1, 1, 2, 4), 1).sum(), x, create_graph=True)
    (gr,) = torch.autograd.grad(
        torch.nn.functional.adaptive_avg_pool2d(xr.reshape(1, 1, 2, 4), 1).sum(), xr,
        create_graph=True)
    np.testing.assert_allclose(g.numpy(), gr.detach().numpy(), rtol=1e-15)
    assert not g.requires_grad and not gr.requires_grad


def test_leaky_relu_of_integers_is_refused_as_in_pytorch():
    torch = torch_or_skip()
    with pytest.raises(NotImplementedError, match="leaky_relu"):
        F.leaky_relu(tl.tensor([1, -2]))
    with pytest.raises(NotImplementedError):
        torch.nn.functional.leaky_relu(torch.tensor([1, -2]))
    assert F.threshold(tl.tensor([1, -2, 3]), 1.5, 0.5).tolist() == [0, 0, 3]  # value cast
