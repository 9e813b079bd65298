"""cumsum, cumprod (zeros included) and diff vs PyTorch, forward, backward, double backward."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tl
from tests.helpers import assert_close, compare_with_torch, torch_or_skip
from tinygrad_lite.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(13)
A = RNG.standard_normal((3, 4))
ZEROS = np.array([[2.0, 0.0, 3.0, 0.0, 4.0], [0.0, 1.5, -2.0, 0.5, 3.0], [1.0, 2.0, 0.0, 0.0, 0.0]])
INF_ZERO = np.array([[2.0, np.inf, 0.0, 3.0], [0.0, 1.0, np.inf, 2.0]])


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumsum_matches_torch(dim):
    compare_with_torch(lambda x: x.cumsum(dim), None, [A])


@pytest.mark.parametrize("data", [A, ZEROS, ZEROS.T, INF_ZERO], ids=["plain", "zeros", "zT", "inf"])
@pytest.mark.parametrize("dim", [0, 1])
def test_cumprod_matches_torch_with_zeros(data, dim):
    compare_with_torch(lambda x: x.cumprod(dim), None, [data])


def test_cumprod_gradient_at_zeros_is_the_product_of_the_others():
    x = tl.tensor([2.0, 0.0, 3.0, 0.0, 4.0], dtype=tl.float64, requires_grad=True)
    x.cumprod(0).backward(tl.tensor([1.0, 2.0, 3.0, 4.0, 5.0], dtype=tl.float64))
    assert x.grad.tolist() == [1.0, 22.0, 0.0, 0.0, 0.0]  # PyTorch's values


@pytest.mark.parametrize("data", [A, ZEROS], ids=["plain", "zeros"])
def test_cumprod_cumsum_gradcheck_and_gradgradcheck(data):
    x = tl.tensor(data, requires_grad=True)
    for fn in (lambda t: t.cumprod(1), lambda t: t.cumprod(0), lambda t: t.cumsum(1) ** 2):
        assert gradcheck(fn, (x,))
        assert gradgradcheck(fn, (x,))


def test_cumprod_double_backward_with_zeros_matches_torch():
    torch = torch_or_skip()
    data = ZEROS[0]
    g = np.array([1.0, -2.0, 0.5, 3.0, 1.5])
    x = tl.tensor(data, requires_grad=True)
    (gx,) = tl.autograd.grad(x.cumprod(0), x, tl.tensor(g), create_graph=True)
    (gx * gx).sum().backward()
    xt = torch.tensor(data, requires_grad=True)
    (gxt,) = torch.autograd.grad(xt.cumprod(0), xt, torch.tensor(g), create_graph=True)
    (gxt * gxt).sum().backward()
    assert_close(gx, gxt, what="first order")
    assert_close(x.grad, xt.grad, what="second order")


def test_scan_dtypes_as_torch():
    torch = torch_or_skip()
    for make in (lambda m: m.tensor([1, 2, 3]), lambda m: m.tensor([True, False, True])):
        for op in ("cumsum", "cumprod"):
            ours, theirs = getattr(make(tl), op)(0), getattr(make(torch), op)(0)
            assert str(theirs.dtype) == f"torch.{ours.dtype}"
            np.testing.assert_array_equal(ours.data, theirs.numpy())
    y = tl.tensor([1.0, 2.0], requires_grad=True).cumsum(0, dtype=tl.float64)
    assert y.dtype == np.float64 and y.requires_grad
    assert tl.tensor(2.5).cumsum(0).item() == 2.5 and tl.tensor(2.5).cumprod(-1).shape == ()


def test_scan_errors():
    with pytest.raises(IndexError, match=r"cumsum: dimension out of range .* got 2"):
        tl.zeros(3).cumsum(2)
    with pytest.raises(IndexError, match="cumprod: dimension out of range"):
        tl.zeros(3, 2).cumprod(-3)


@pytest.mark.parametrize(
    "call",
    [
        lambda m, x: m.diff(x),
        lambda m, x: m.diff(x, n=2, dim=0),
        lambda m, x: m.diff(x, n=3),
        lambda m, x: m.diff(x, n=0),
        lambda m, x: m.diff(x, n=7),
        lambda m, x: x.diff(dim=1, prepend=x[:, :2] * 2, append=x[:, 1:2]),
    ],
)
def test_diff_matches_torch(call):
    torch = torch_or_skip()
    compare_with_torch(lambda x: call(tl, x), lambda x: call(torch, x), [A])


def test_diff_bool_int_and_errors():
    torch = torch_or_skip()
    for data in ([True, False, False, True], [1, 4, 9, 16]):
        ours, theirs = tl.tensor(data).diff(), torch.tensor(data).diff()
        np.testing.assert_array_equal(ours.data, theirs.numpy())
        assert str(theirs.dtype) == f"torch.{ours.dtype}"
    x = tl.tensor(A, requires_grad=True)
    assert gradgradcheck(lambda t: t.diff(n=2) ** 2, (x,))
    with pytest.raises(RuntimeError, match="diff: order must be non-negative but got -1"):
        tl.zeros(3).diff(n=-1)
    with pytest.raises(RuntimeError, match=r"diff: prepend \(1,\) must have the same number"):
        tl.zeros(2, 3).diff(prepend=tl.zeros(1))
    with pytest.raises(RuntimeError, match="at least one-dimensional"):
        tl.tensor(1.0).diff()


@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
def test_float32_scans_accumulate_in_float64_as_torch(op):
    """PyTorch's CPU scans keep a float64 running value for float32 input and round each
    output once; a float32 running sum drifts away from it within a few hundred entries."""
    torch = torch_or_skip()
    x = np.random.default_rng(0).standard_normal((2, 20000)).astype(np.float32)
    if op == "cumprod":
        x = 1 + x * 1e-3
    ours, theirs = getattr(tl.tensor(x), op)(1), getattr(torch.tensor(x), op)(1)
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    g = np.random.default_rng(1).standard_normal(x.shape).astype(np.float32)
    compare_with_torch(lambda t: getattr(t, op)(1), None, [x], rtol=1e-5, atol=1e-5)
    a = tl.tensor(x, requires_grad=True)
    getattr(a, op)(1).backward(tl.tensor(g))
    b = torch.tensor(x, requires_grad=True)
    getattr(b, op)(1).backward(torch.tensor(g))
    np.testing.assert_array_equal(a.grad.data, b.grad.numpy())  # bitwise, backward too


def test_cumprod_fast_zero_gradient_equals_the_plain_form():
    """The O(n) masked gradient (first order) and the O(n^2) product-of-the-others form
    (create_graph) agree, zeros anywhere in the slices."""
    from tinygrad_lite.ops import scan

    data = np.array([[0.0, 2.0, 0.0, 3.0], [1.5, 0.0, -2.0, 4.0], [2.0, 3.0, 0.5, 0.0]])
    g = RNG.standard_normal(data.shape)
    for dim in (0, 1):
        y = np.cumprod(data, axis=dim)
        fast = scan._cumprod_grad_with_zeros(data, y, g, dim)
        plain = scan._cumprod_grad_graph(tl.tensor(data), tl.tensor(g), dim)
        np.testing.assert_allclose(fast, plain.data, rtol=1e-12, atol=1e-12)
