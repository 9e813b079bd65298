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
    with pytest.raises(RuntimeError, match=r"clamp: cannot broadcast shapes \(2, 3\) and \(4,\)"):
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


# ----- found by differential fuzzing against PyTorch ----------------------------------------


def test_maximum_minimum_with_a_nan_send_the_gradient_to_both_inputs():
    a = np.array([1.0, np.nan, 2.0, 3.0, np.nan, 0.0])
    b = np.array([1.0, 0.0, np.nan, 2.0, np.nan, 4.0])
    for op in ("maximum", "minimum"):
        compare_with_torch(lambda x, y, op=op: getattr(x, op)(y), None, [a, b])
    # broadcast: the NaN in b takes the gradient of a whole row of a, and a keeps it too
    a2, b2 = np.array([[0.5, -2.0], [3.0, 1.0], [-1.0, 0.0]]), np.array([[np.nan], [1.0], [-1.0]])
    compare_with_torch(lambda x, y: x.maximum(y), None, [a2, b2])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # inf - inf, 0/0 on the way to nan
@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dim", [0, 1])
def test_softmax_of_a_slice_with_inf_or_nan_is_all_nan_like_torch(op, dim):
    torch = torch_or_skip()
    from tinygrad_lite.ops import softmax as softmax_ops

    x = np.array([[-np.inf, np.nan], [-np.inf, 2.0], [np.inf, 1.0], [-np.inf, -np.inf]])
    prim = softmax_ops.Softmax if op == "softmax" else softmax_ops.LogSoftmax
    assert_close(prim.apply(tl.tensor(x), dim=dim), getattr(torch, op)(torch.tensor(x), dim))


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # log of an empty sum
@pytest.mark.parametrize("shape, dim", [((1, 0), 1), ((0, 3), 1), ((2, 0, 3), 1)])
def test_softmax_over_or_beside_an_empty_dim(shape, dim):
    from tinygrad_lite.ops import softmax as softmax_ops

    for prim, name in ((softmax_ops.Softmax, "softmax"), (softmax_ops.LogSoftmax, "log_softmax")):
        fn = lambda t, prim=prim: prim.apply(t, dim=dim)  # noqa: E731
        tfn = lambda t, name=name: getattr(t, name)(dim)  # noqa: E731
        compare_with_torch(fn, tfn, [np.zeros(shape)])


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # 0/0: the NaN gradient
@pytest.mark.parametrize("op", ["amax", "amin"])
def test_full_amax_of_a_nan_has_a_nan_gradient_unlike_max(op):
    # PyTorch: amax's gradient goes to the elements equal to the result; none equals NaN
    compare_with_torch(lambda t: getattr(t, op)(), None, [np.array([[1.0, np.nan], [3.0, 2.0]])])


def test_logsumexp_of_integers_gives_float32():
    torch = torch_or_skip()
    for data in ([1, 2, 3], [True, False]):
        ours, theirs = tl.tensor(data).logsumexp(0), torch.tensor(data).logsumexp(0)
        assert ours.dtype == np.float32 and str(theirs.dtype) == "torch.float32"
        assert_close(ours, theirs, rtol=1e-6)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # inf - inf, x / 0
@pytest.mark.filterwarnings("ignore::UserWarning")  # torch warns of dof <= 0
def test_var_backward_is_torchs_closed_form_at_inf_and_few_elements():
    x = np.array([[1.0, 2.0, np.inf], [3.0, 4.0, 5.0]])
    compare_with_torch(lambda t: t.var(1), None, [x])  # finite gradient -inf, not nan
    for correction in (1, 2, 0.5):  # n <= correction over a dim: the factor 2 / (n - c)
        compare_with_torch(lambda t, c=correction: t.var(1, correction=c), None, [x[:, :1]])
        compare_with_torch(lambda t, c=correction: t.var(correction=c), None, [np.array(1.5)])
        compare_with_torch(lambda t, c=correction: t.var(correction=c), None, [np.ones(2)])
    assert gradgradcheck(lambda t: t.var(1), (tl.tensor(X, requires_grad=True),))


def test_var_of_integers_raises_naming_the_op():
    with pytest.raises(RuntimeError, match="var: input dtype must be floating point"):
        tl.tensor([1, 2]).var()
    with pytest.raises(RuntimeError, match="std: input dtype must be floating point"):
        tl.tensor([1, 2]).std()


def test_bool_inputs_torch_rejects_raise():
    mask = tl.tensor([True, False])
    with pytest.raises(RuntimeError, match="relu: boolean inputs are not supported"):
        tl.nn.functional.relu(mask)
    with pytest.raises(RuntimeError, match=r"matmul: not implemented for bool tensors \(\(1, 2\)"):
        mask.reshape(1, 2) @ mask.reshape(2, 1)
    assert (tl.tensor([[1, 2]]) @ tl.tensor([[1], [2]])).tolist() == [[5]]  # ints still work


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # sqrt of negatives, 1 / 0
@pytest.mark.parametrize("p", [0.5, -0.5, 1.5])
def test_square_root_powers_at_signed_zero_and_infinities_like_torch(p):
    """PyTorch computes x ** 0.5 as sqrt and x ** -0.5 as 1 / sqrt (and so the gradient of
    x ** 0.5): at -0.0 that gives -0.0 and -inf where np.power gives +inf, at -inf nan."""
    torch = torch_or_skip()
    vals = np.array([-0.0, 0.0, -np.inf, np.inf, -1.0, 4.0])
    ours = tl.tensor(vals, requires_grad=True)
    theirs = torch.tensor(vals, requires_grad=True)
    y, ty = ours**p, theirs**p
    y.sum().backward()
    ty.sum().backward()
    for a, b in ((y.data, ty.detach().numpy()), (ours.grad.data, theirs.grad.numpy())):
        np.testing.assert_array_equal(a, b)  # NaN where torch has NaN
        finite_or_zero = ~np.isnan(b)
        assert (np.signbit(a) == np.signbit(b))[finite_or_zero].all(), (a, b)


def test_integer_pow_with_negative_tensor_exponents_like_torch():
    torch = torch_or_skip()
    a = np.array([2, 1, -1, 0, -2, 3, -1, 5])
    p = np.array([-1, -2, -3, -1, -1, -2, -2, 2])
    assert (tl.tensor(a) ** tl.tensor(p)).tolist() == (torch.tensor(a) ** torch.tensor(p)).tolist()
    assert (2 ** tl.tensor(p)).tolist() == (2 ** torch.tensor(p)).tolist()
    with pytest.raises(RuntimeError, match="pow: integers to negative integer powers"):
        tl.tensor(a) ** -1


def test_sign_of_bool_is_the_identity():
    torch = torch_or_skip()
    x = [True, False]
    assert tl.tensor(x).sign().tolist() == torch.tensor(x).sign().tolist() == x
    assert tl.tensor(x).sign().dtype == np.bool_
