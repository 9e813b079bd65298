"""Reductions: values and gradients vs PyTorch (float64), ties on purpose, and gradcheck."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tl
from tests.helpers import compare_with_torch, torch_or_skip
from tinygrad_lite.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4, 5))
# ties on purpose: the maximum 2.0 appears twice in row 0, the minimum -1.0 twice in row 1
TIES = np.array([[2.0, 1.0, 2.0, 0.0], [-1.0, 0.5, -1.0, 3.0], [1.0, 1.0, 1.0, 1.0]])
DIMS = [None, 0, 1, -1, (0, 2), (2, 0)]


# torch's amax/var with dim=None and keepdim follow the same path as dims: not generated
REDUCE_CASES = [
    (op, dim, keepdim)
    for op in ["sum", "mean", "amax", "amin", "var", "std", "logsumexp"]
    for keepdim in [False, True]
    for dim in DIMS
    if not (dim is None and op in ("amax", "amin", "var", "std") and keepdim)
]


@pytest.mark.parametrize("op, dim, keepdim", REDUCE_CASES)
def test_reduce_matches_torch(op, dim, keepdim):
    def fn(x):
        return getattr(x, op)(dim=dim, keepdim=keepdim) if dim is not None or op not in (
            "logsumexp",) else x.logsumexp(dim=(0, 1, 2), keepdim=keepdim)

    compare_with_torch(fn, None, [X])


@pytest.mark.parametrize("op", ["amax", "amin"])
@pytest.mark.parametrize("dim", [None, 0, 1])
def test_amax_amin_ties_split_evenly(op, dim):
    compare_with_torch(lambda x: getattr(x, op)(dim=dim), None, [TIES])


@pytest.mark.parametrize("op", ["max", "min"])
def test_full_max_min_ties_split_evenly(op):
    compare_with_torch(lambda x: getattr(x, op)(), None, [TIES])
    x = tl.tensor([[2.0, 1.0], [2.0, 0.0]], requires_grad=True)
    (x.max() if op == "max" else (-x).min()).backward()
    np.testing.assert_array_equal(np.abs(x.grad.data), [[0.5, 0.0], [0.5, 0.0]])


@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_dim_routes_to_returned_index(op, keepdim):
    torch = torch_or_skip()
    compare_with_torch(lambda x: getattr(x, op)(1, keepdim)[0], None, [TIES])
    values, indices = getattr(tl.tensor(TIES), op)(1, keepdim)
    t_values, t_indices = getattr(torch.tensor(TIES), op)(1, keepdim)
    np.testing.assert_array_equal(indices.data, t_indices.numpy())
    assert indices.dtype == np.int64


def test_argmax_argmin():
    torch = torch_or_skip()
    t = torch.tensor(TIES)
    for op in ("argmax", "argmin"):
        assert getattr(tl.tensor(TIES), op)().item() == getattr(t, op)().item()
        for dim in (0, 1, -1):
            for keepdim in (False, True):
                ours = getattr(tl.tensor(TIES), op)(dim, keepdim)
                np.testing.assert_array_equal(ours.data, getattr(t, op)(dim, keepdim).numpy())


@pytest.mark.parametrize("dim", [None, 0, 1])
def test_prod_with_zeros_matches_torch(dim):
    x = np.array([[1.5, 0.0, 2.0], [0.0, 0.0, 3.0], [1.0, -2.0, 0.5]])
    compare_with_torch(lambda t: t.prod(dim) if dim is not None else t.prod(), None, [x])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # 0 * inf
@pytest.mark.parametrize("dim", [None, 0, 1])
def test_prod_with_zeros_next_to_infinities_matches_torch(dim):
    """With a zero present the gradient is the exact product of the others (no y / x_i, which
    is nan next to an inf), and the full product of two or more zeros has gradient 0."""
    torch = torch_or_skip()
    for x in (np.array([[0.0, np.inf, 2.0], [1.0, 2.0, 3.0]]),
              np.array([[0.0, 3.0, np.inf], [0.0, 2.0, 3.0]])):  # fmt: skip
        ours, theirs = tl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        (ours.prod() if dim is None else ours.prod(dim)).sum().backward()
        (theirs.prod() if dim is None else theirs.prod(dim)).sum().backward()
        np.testing.assert_array_equal(ours.grad.data, theirs.grad.numpy())


def test_prod_double_backward_with_a_zero():
    torch = torch_or_skip()
    x = np.array([[1.5, 0.0, 2.0], [0.7, -1.0, 3.0]])
    a = tl.tensor(x, requires_grad=True)
    (g,) = tl.autograd.grad(a.prod(1).sum(), a, create_graph=True)
    (h,) = tl.autograd.grad((g * g).sum(), a)
    t = torch.tensor(x, requires_grad=True)
    (gt,) = torch.autograd.grad(t.prod(1).sum(), t, create_graph=True)
    (ht,) = torch.autograd.grad((gt * gt).sum(), t)
    np.testing.assert_allclose(h.data, ht.numpy(), rtol=1e-10)


def test_var_std_correction():
    compare_with_torch(lambda x: x.var(1, correction=0), None, [X])
    compare_with_torch(lambda x: x.std((0, 1), correction=0, keepdim=True), None, [X])


def test_logsumexp_is_stable_at_large_inputs():
    x = np.array([[1000.0, 1000.0, -1000.0], [-1e3, -1e3, -1e3]])
    compare_with_torch(lambda t: t.logsumexp(1), None, [x])
    out = tl.tensor(x.astype(np.float32)).logsumexp(1)
    assert np.all(np.isfinite(out.data))


def test_sum_of_int_and_bool_gives_int64():
    assert tl.tensor([1, 2, 3]).sum().dtype == np.int64
    assert (tl.tensor([1.0, 2.0]) > 1.5).sum().item() == 1


def test_float32_stays_float32():
    x = tl.randn(3, 4)
    for op in ("sum", "mean", "amax", "var", "logsumexp"):
        assert getattr(x, op)(1).dtype == np.float32


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: x.sum(1),
        lambda x: x.mean((0, 2), keepdim=True),
        lambda x: x.amax(1),
        lambda x: x.var(2),
        lambda x: x.std(0),
        lambda x: x.logsumexp(1),
        lambda x: x.prod(2),
        lambda x: x.max(),
        lambda x: x.max(1)[0],
    ],
)
def test_gradcheck(fn):
    x = tl.tensor(X, requires_grad=True)
    assert gradcheck(fn, [x])


@pytest.mark.parametrize(
    "fn", [lambda x: x.sum(1), lambda x: x.logsumexp(1), lambda x: x.var(2), lambda x: x.prod(2)]
)
def test_gradgradcheck(fn):
    x = tl.tensor(X, requires_grad=True)
    assert gradgradcheck(fn, [x])


def test_errors_name_the_op_and_dims():
    x = tl.randn(2, 3)
    with pytest.raises(IndexError, match=r"sum: dimension out of range .* got 2"):
        x.sum(2)
    with pytest.raises(RuntimeError, match="amax: dim 1 appears multiple times"):
        x.amax((1, -1))
    with pytest.raises(RuntimeError, match="mean: input dtype must be floating point"):
        tl.tensor([1, 2]).mean()
    with pytest.raises(RuntimeError, match=r"max: cannot reduce an empty tensor of shape \(0,\)"):
        tl.zeros(0).max()


def test_std_at_zero_variance_has_zero_gradient_like_torch():
    x = np.array([[1.0, 1.0, 1.0], [1.0, 2.0, 4.0]])
    compare_with_torch(lambda t: t.std(1), None, [x])
    compare_with_torch(lambda t: t.std(1, correction=0, keepdim=True), None, [x])


def test_std_gradgradcheck():
    x = tl.tensor(X, requires_grad=True)
    assert gradgradcheck(lambda t: t.std(1), [x])


def test_var_std_take_a_positional_bool_as_unbiased_and_keep_float32():
    x = tl.arange(12.0).reshape(3, 4)
    flat = np.arange(12.0)
    np.testing.assert_allclose(x.var(True).item(), flat.var(ddof=1), rtol=1e-6)
    np.testing.assert_allclose(tl.var(x, False).item(), flat.var(), rtol=1e-6)
    np.testing.assert_allclose(x.std(False).item(), flat.std(), rtol=1e-6)
    for t in (x.std(), x.std(0), x.std(correction=0), x.var(True), x.std(1, keepdim=True)):
        assert t.dtype == np.float32
    torch = pytest.importorskip("torch")
    xt = torch.arange(12.0).reshape(3, 4)
    np.testing.assert_allclose(x.var(True).item(), xt.var(True).item(), rtol=1e-6)
    np.testing.assert_allclose(x.std(False).item(), xt.std(False).item(), rtol=1e-6)


@pytest.mark.parametrize(
    "op", ["sum", "mean", "amax", "amin", "max", "argmax", "logsumexp", "prod"]
)
def test_a_bool_is_not_a_dimension(op):
    with pytest.raises(TypeError, match=f"{op}: dim must be an int or a tuple of ints, not bool"):
        getattr(tl.ones(3, 4), op)(True)
