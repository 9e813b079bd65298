"""Regression tests from the autodiff-core audit: edge cases where behaviour once differed
from PyTorch 2.13 (dtypes of unary ops on integers, NaN subgradients, Tensor clamp bounds,
empty and 0-d reductions, integer indices mixed with array indices)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tl
from tests.helpers import assert_close, compare_with_torch, torch_or_skip
from tinygrad_lite.autograd import gradcheck, gradgradcheck

FLOAT_UNARY = ["exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "log1p"]


@pytest.mark.parametrize("name", FLOAT_UNARY)
@pytest.mark.parametrize("data", [[1, 2], [True, False]], ids=["int64", "bool"])
@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # log(False) = -inf
def test_float_unary_ops_of_integer_tensors_give_float32(name, data):
    torch = torch_or_skip()
    ours, theirs = getattr(tl.tensor(data), name)(), getattr(torch.tensor(data), name)()
    assert ours.dtype == np.float32 and str(theirs.dtype) == "torch.float32"
    assert_close(ours, theirs, rtol=1e-6)


def test_erf_of_integer_tensor_gives_float32():
    from tinygrad_lite.ops.special import erf

    assert erf(tl.tensor([1, 2])).dtype == np.float32


def test_neg_of_bool_raises_naming_the_op():
    with pytest.raises(RuntimeError, match="neg: negation.*bool"):
        -tl.tensor([True])


# ----- NaN: PyTorch's sign(nan) = 0, and the masks it uses in backward --------------------

NAN_INPUT = np.array([np.nan, -np.inf, np.inf, 0.0, -0.0, -1.5, 2.0])


@pytest.mark.parametrize("name", ["sign", "abs", "relu"])
def test_nan_and_inf_inputs_match_torch(name):
    compare_with_torch(lambda t: getattr(t, name)(), None, [NAN_INPUT])


def test_sign_of_nan_is_zero_also_for_0d():
    assert tl.tensor(np.array(np.nan)).sign().item() == 0.0


def test_full_max_of_nan_sends_gradient_to_the_nans():
    for op in ("max", "min"):
        compare_with_torch(lambda t, op=op: getattr(t, op)(), None, [np.array([1.0, np.nan, 3.0])])


# ----- clamp with Tensor bounds and mixed dtypes -------------------------------------------

X = np.array([[-1.0, 0.5, 2.0], [3.0, 0.2, 0.5]])
LO = np.array([[0.0], [0.5]])
HI = np.array([1.0, 0.5, 0.1])  # HI < LO in places: PyTorch's masks decide who gets grad


def test_clamp_with_tensor_bounds_matches_torch():
    compare_with_torch(lambda x, lo, hi: x.clamp(lo, hi), None, [X, LO, HI])
    compare_with_torch(lambda x, lo: x.clamp(lo), None, [X, LO])
    compare_with_torch(lambda x, hi: x.clamp(max=hi), None, [X, HI])
    compare_with_torch(lambda x, lo, hi: x.clip(lo, hi), None, [X, LO, X * 0 + 0.5])


def test_clamp_with_tensor_bounds_gradcheck_and_gradgradcheck():
    rng = np.random.default_rng(0)
    x, lo, hi = (tl.tensor(a, requires_grad=True) for a in
                 (rng.uniform(-2, 2, (3, 4)), rng.uniform(-1, 0, (4,)), rng.uniform(0, 1, (3, 1))))
    assert gradcheck(lambda x, lo, hi: x.clamp(lo, hi), (x, lo, hi))
    assert gradgradcheck(lambda x, lo, hi: x.clamp(lo, hi) ** 2, (x, lo, hi))


def test_clamp_result_dtype_follows_torch_promotion():
    torch = torch_or_skip()
    cases = [
        (lambda m: m.tensor([-1, 4]).clamp(0.5, 2), "float32"),
        (lambda m: m.tensor([-1, 4]).clamp(m.tensor([0.5, 1.0])), "float32"),
        (lambda m: m.tensor([True, False]).clamp(0, 1), "int64"),
        (lambda m: m.tensor([1, 2]).clamp(1), "int64"),
    ]
    for make, dtype in cases:
        ours, theirs = make(tl), make(torch)
        assert ours.dtype == np.dtype(dtype) and str(theirs.dtype) == f"torch.{dtype}"
        assert_close(ours, theirs)


def test_clamp_with_unbroadcastable_bounds_names_the_shapes():
    with pytest.raises(ValueError, match=r"clamp: cannot broadcast shapes \(2, 3\) and \(4,\)"):
        tl.tensor(X).clamp(tl.tensor(np.zeros(4)))


# ----- reductions: empty dim lists, empty tensors, 0-d, max(other), unbiased= ---------------


@pytest.mark.parametrize("op", ["sum", "mean", "amax", "amin", "var", "std"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_empty_dim_tuple_reduces_over_all_dims(op, keepdim):
    x = np.random.default_rng(1).standard_normal((2, 3, 4))
    t = getattr(tl.tensor(x), op)(dim=(), keepdim=keepdim)
    full = getattr(tl.tensor(x), op)(dim=(0, 1, 2), keepdim=keepdim)
    assert t.shape == full.shape
    assert_close(t, full.data)


def test_reducing_other_dims_of_an_empty_tensor_is_fine():
    torch = torch_or_skip()
    z = np.zeros((0, 3))
    for fn in (lambda t: t.amax(1), lambda t: t.amin(1), lambda t: t.max(1)[0],
               lambda t: t.argmax(1), lambda t: t.logsumexp(0), lambda t: t.logsumexp((0, 1)),
               lambda t: t.logsumexp(1)):
        assert_close(fn(tl.tensor(z)), fn(torch.tensor(z)))


def test_reducing_an_empty_dimension_raises_naming_the_op():
    z = tl.tensor(np.zeros((0, 3)))
    with pytest.raises(IndexError, match="amax: cannot reduce over dimension 0 of size 0"):
        z.amax(0)
    with pytest.raises(IndexError, match="argmin: cannot reduce over dimension 0 of size 0"):
        z.argmin(0)
    with pytest.raises(RuntimeError, match=r"amin: cannot reduce an empty tensor of shape"):
        z.amin()


def test_max_min_along_dim_of_a_0d_tensor():
    torch = torch_or_skip()
    for op in ("max", "min"):
        compare_with_torch(lambda t, op=op: getattr(t, op)(0)[0], None, [np.array(2.0)])
        ours = getattr(tl.tensor(2.0), op)(-1, keepdim=True)
        theirs = getattr(torch.tensor(2.0), op)(-1, keepdim=True)
        assert_close(ours.indices, theirs.indices)


def test_max_min_of_another_tensor_are_elementwise():
    a, b = np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 5.0]]), np.array([3.0, 0.0, 4.0])
    compare_with_torch(lambda x, y: x.max(y), None, [a, b])
    compare_with_torch(lambda x, y: x.min(y), None, [a, b])


@pytest.mark.parametrize("op", ["var", "std"])
def test_var_std_accept_unbiased(op):
    x = np.random.default_rng(2).standard_normal((3, 4))
    compare_with_torch(lambda t: getattr(t, op)(1, unbiased=False), None, [x])
    compare_with_torch(lambda t: getattr(t, op)(unbiased=True), None, [x])


# ----- getitem: integer indices are applied before array indices, as in PyTorch -------------

IDX = np.array([0, 1])
MIXED = [
    (1, slice(None), IDX),
    (1, slice(None), IDX, 2),
    (0, slice(None), np.array([[0, 1], [1, 1]]), 0),
    (0, None, slice(None), IDX),
    (slice(None), 1, slice(None), IDX),
    (0, slice(None), np.array([True, False, True, True])),
    (-1, slice(None, None, 2), [1, 1, 0], slice(1, 3)),
    (IDX, slice(None), 0),
    (Ellipsis, 0, IDX),
]


@pytest.mark.parametrize("index", MIXED, ids=repr)
def test_integer_and_array_indices_mixed_match_torch(index):
    torch = torch_or_skip()

    def convert(lib):
        return tuple(lib.tensor(i) if isinstance(i, np.ndarray) else i for i in index)

    compare_with_torch(
        lambda t: t[convert(tl)],
        lambda t: t[convert(torch)],
        [np.random.default_rng(3).standard_normal((2, 3, 4, 5))],
    )


def test_mixed_index_gradcheck_accumulates_repeats():
    x = tl.tensor(np.random.default_rng(4).standard_normal((2, 3, 4)), requires_grad=True)
    assert gradcheck(lambda t: t[1, :, [0, 0, 3]] ** 2, (x,))
    assert gradgradcheck(lambda t: t[1, :, [0, 0, 3]] ** 2, (x,))


def test_mixed_index_errors_name_the_users_index():
    x = tl.zeros(2, 3, 4)
    with pytest.raises(IndexError, match=r"index 5 is out of bounds.*\(5, slice"):
        x[5, :, [0]]
    with pytest.raises(IndexError, match=r"index 9 is out of bounds.*integer indices are applied"):
        x[0, :, [9]]
