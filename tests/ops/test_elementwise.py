"""Elementwise ops vs PyTorch (float64, ~1e-7 relative), on kinks, gradcheck and gradgradcheck."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tl
from tests.helpers import assert_close, compare_with_torch, torch_or_skip
from tinygrad_lite.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(0)
# (shape of a, shape of b): same, trailing, middle and leading broadcasting, scalar tensor
SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 3, 1), (3, 4)), ((4,), (2, 1, 4)), ((), (3,))]


def rnd(shape, low=-2.0, high=2.0):
    return RNG.uniform(low, high, shape)


def pos(shape):
    return RNG.uniform(0.5, 2.0, shape)


BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
    "maximum": lambda a, b: a.maximum(b),
    "minimum": lambda a, b: a.minimum(b),
    "method_add": lambda a, b: a.add(b).sub(b).mul(b).div(b),
}
# positive inputs where the op needs them (pow's base, div's denominator)
NEEDS_POSITIVE = {"div": (False, True), "pow": (True, False), "method_add": (False, True)}


def _binary_inputs(name, sa, sb):
    pa, pb = NEEDS_POSITIVE.get(name, (False, False))
    return [pos(sa) if pa else rnd(sa), pos(sb) if pb else rnd(sb)]


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("name", BINARY)
def test_binary_matches_torch_with_broadcasting(name, shapes):
    compare_with_torch(BINARY[name], None, _binary_inputs(name, *shapes))


@pytest.mark.parametrize("shapes", SHAPES[:4], ids=str)
@pytest.mark.parametrize("name", BINARY)
def test_binary_gradcheck_with_broadcasting(name, shapes):
    a, b = (tl.tensor(x, requires_grad=True) for x in _binary_inputs(name, *shapes))
    assert gradcheck(BINARY[name], (a, b))


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "pow"])
def test_binary_gradgradcheck(name):
    a, b = (tl.tensor(x, requires_grad=True) for x in _binary_inputs(name, (2, 3), (3,)))
    assert gradgradcheck(BINARY[name], (a, b))


SCALAR_FORMS = {
    "radd": lambda x: 2.5 + x,
    "rsub": lambda x: 2.5 - x,
    "rmul": lambda x: 2.5 * x,
    "rdiv": lambda x: 2.5 / x,
    "rpow": lambda x: 2.5**x,
    "add_s": lambda x: x + 2.5,
    "sub_s": lambda x: x - 2.5,
    "mul_s": lambda x: x * 2.5,
    "div_s": lambda x: x / 2.5,
    "pow_2": lambda x: x**2,
    "pow_int3": lambda x: x**3,
    "pow_half": lambda x: x**0.5,
    "pow_neg": lambda x: x**-1.5,
    "pow_method": lambda x: x.pow(1.7),
    "neg": lambda x: -x,
    "pos": lambda x: +x * 1.0,
}


@pytest.mark.parametrize("name", SCALAR_FORMS)
def test_scalar_and_reflected_forms_match_torch(name):
    compare_with_torch(SCALAR_FORMS[name], None, [pos((2, 3))])


@pytest.mark.parametrize("name", SCALAR_FORMS)
def test_scalar_and_reflected_forms_gradcheck(name):
    x = tl.tensor(pos((2, 3)), requires_grad=True)
    assert gradcheck(SCALAR_FORMS[name], (x,))
    assert gradgradcheck(SCALAR_FORMS[name], (x,))


def test_numpy_array_on_the_left_defers_to_tensor():
    a = rnd((3,))
    x = tl.tensor(rnd((2, 3)), requires_grad=True)
    y = a * x + a - x / (a * a + 1)
    assert isinstance(y, tl.Tensor) and y.requires_grad
    assert_close(y.detach(), a * x.data + a - x.data / (a * a + 1))


UNARY = {
    "neg": (lambda x: x.neg(), rnd),
    "exp": (lambda x: x.exp(), rnd),
    "log": (lambda x: x.log(), pos),
    "sqrt": (lambda x: x.sqrt(), pos),
    "abs": (lambda x: x.abs(), rnd),
    "abs_builtin": (lambda x: abs(x), rnd),
    "sign": (lambda x: x.sign(), rnd),
    "sin": (lambda x: x.sin(), rnd),
    "cos": (lambda x: x.cos(), rnd),
    "tanh": (lambda x: x.tanh(), rnd),
    "sigmoid": (lambda x: x.sigmoid(), lambda s: rnd(s, -8, 8)),
    "relu": (lambda x: x.relu(), rnd),
    "clamp": (lambda x: x.clamp(-0.5, 0.7), rnd),
    "clamp_min": (lambda x: x.clamp(min=-0.5), rnd),
    "clamp_max": (lambda x: x.clamp(max=0.3), rnd),
    "clip": (lambda x: x.clip(-1.0, 1.0), rnd),
}
SMOOTH = ["neg", "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid"]


@pytest.mark.parametrize("name", UNARY)
def test_unary_matches_torch(name):
    fn, gen = UNARY[name]
    compare_with_torch(fn, None, [gen((3, 5))])


@pytest.mark.parametrize("name", UNARY)
def test_unary_gradcheck(name):
    fn, gen = UNARY[name]
    x = tl.tensor(gen((2, 3)), requires_grad=True)
    assert gradcheck(fn, (x,))


@pytest.mark.parametrize("name", SMOOTH)
def test_unary_gradgradcheck(name):
    fn, gen = UNARY[name]
    x = tl.tensor(gen((2, 3)), requires_grad=True)
    assert gradgradcheck(fn, (x,))


# ----- kinks: the exact subgradient PyTorch picks, checked at the kink itself -----------------

ON_KINKS = np.array([-1.0, -0.5, 0.0, 0.5, 0.7, 1.0])


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: x.relu(),
        lambda x: x.abs(),
        lambda x: x.sign(),
        lambda x: x.clamp(-0.5, 0.7),  # bounds hit exactly: the gradient passes there
        lambda x: x.clamp(min=0.0),
        lambda x: x.clamp(max=1.0),
    ],
    ids=["relu", "abs", "sign", "clamp", "clamp_min", "clamp_max"],
)
def test_unary_kinks_match_torch(fn):
    compare_with_torch(fn, None, [ON_KINKS])


def test_relu_of_infinities_and_nan():
    x = tl.tensor([-np.inf, np.inf, np.nan, -1.0], dtype=np.float32)
    out = x.relu().data
    assert out[0] == 0.0 and out[1] == np.inf and np.isnan(out[2])
    assert not np.signbit(out[3])  # +0 for a negative input, as torch.relu


def test_kink_values_explicitly():
    x = tl.tensor([0.0, -0.5, 0.7], dtype=np.float64, requires_grad=True)
    x.relu().sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0]  # relu'(0) = 0
    x.grad = None
    x.abs().sum().backward()
    assert x.grad.tolist() == [0.0, -1.0, 1.0]  # abs'(0) = 0
    x.grad = None
    x.clamp(-0.5, 0.7).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0]  # bounds included


def test_maximum_minimum_ties_split_half_half():
    a = np.array([[1.0, 2.0, -3.0], [0.0, 5.0, 5.0]])
    b = np.array([1.0, 0.0, -3.0])  # ties at [0, 0], [0, 2]
    for fn in (lambda x, y: x.maximum(y), lambda x, y: x.minimum(y)):
        compare_with_torch(fn, None, [a, b])
    x, y = tl.tensor(a, requires_grad=True), tl.tensor(b, requires_grad=True)
    x.maximum(y).sum().backward()
    assert x.grad.data[0, 0] == 0.5 and x.grad.data[0, 2] == 0.5
    assert y.grad.tolist() == [0.5 + 1.0, 0.0, 0.5 + 0.0]  # half of each tie, summed over rows


@pytest.mark.parametrize("exponent", [0.0, 1.0, 2.0, 3.0])
def test_pow_at_zero_base_matches_torch(exponent):
    base = np.array([0.0, 0.0, 1.5, -2.0])
    compare_with_torch(lambda x: x**exponent, None, [base])
    x = tl.tensor(base, requires_grad=True)
    assert gradcheck(lambda x: x**exponent, (x,))
    assert gradgradcheck(lambda x: x**exponent, (x,))
    # tensor exponent: d/dp 0**p is taken as 0 for p >= 0 (as PyTorch)
    compare_with_torch(lambda x, p: x**p, None, [base[:3], np.full(3, exponent)])


def test_pow_half_at_zero_forward_and_infinite_slope_like_torch():
    torch = torch_or_skip()
    x = tl.tensor([0.0, 4.0], dtype=np.float64, requires_grad=True)
    xt = torch.tensor([0.0, 4.0], dtype=torch.float64, requires_grad=True)
    y, yt = x**0.5, xt**0.5
    assert_close(y.detach(), yt)
    with np.errstate(divide="ignore"):
        y.sum().backward()
    yt.sum().backward()
    assert x.grad.tolist() == xt.grad.tolist() == [float("inf"), 0.25]


def test_zero_to_the_power_of_a_tensor():
    compare_with_torch(lambda p: 0.0**p, None, [np.array([0.0, 1.0, 2.5])])


def test_sigmoid_is_finite_at_large_inputs():
    for dtype in (np.float32, np.float64):
        x = tl.tensor(np.array([-1000.0, -100.0, 0.0, 100.0, 1000.0], dtype=dtype),
                      requires_grad=True)
        y = x.sigmoid()
        assert y.dtype == dtype and np.all(np.isfinite(y.data))
        assert y.data[0] == 0.0 and y.data[-1] == 1.0 and y.data[2] == 0.5
        y.sum().backward()
        assert np.all(np.isfinite(x.grad.data))
    compare_with_torch(lambda x: x.sigmoid(), None, [np.array([-700.0, -50.0, 30.0, 700.0])])


# ----- where, comparisons, casts -------------------------------------------------------------


def test_where_matches_torch_with_broadcasting():
    torch = torch_or_skip()
    cond = RNG.uniform(size=(3, 1)) > 0.5
    cond[0, 0], cond[1, 0] = True, False
    compare_with_torch(
        lambda a, b: tl.where(tl.tensor(cond), a, b),
        lambda a, b: torch.where(torch.tensor(cond), a, b),
        [rnd((3, 4)), rnd((4,))],
    )


def test_where_with_scalar_and_gradcheck():
    x = tl.tensor(rnd((2, 3)), requires_grad=True)
    y = tl.tensor(rnd((3,)), requires_grad=True)
    assert gradcheck(lambda x, y: tl.where(x > 0, x, y * 2), (x, y))
    z = tl.where(x > 0, x, 0.0)
    z.sum().backward()
    assert_close(x.grad, (x.data > 0).astype(np.float64))


COMPARISONS = {
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
}


@pytest.mark.parametrize("name", COMPARISONS)
def test_comparisons_give_bool_without_grad(name):
    torch = torch_or_skip()
    a = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 2.0]])
    b = np.array([1.0, 0.0, 3.0])
    fn = COMPARISONS[name]
    x = tl.tensor(a, requires_grad=True)
    out = fn(x, tl.tensor(b))
    assert out.dtype == np.bool_ and not out.requires_grad and out.grad_fn is None
    assert_close(out, fn(torch.tensor(a), torch.tensor(b)))
    assert_close(fn(x, 1.0), fn(torch.tensor(a), 1.0))
    assert_close(fn(2.0, x), fn(2.0, torch.tensor(a)))  # reflected


def test_casts_are_differentiable_between_float_types():
    x = tl.tensor(rnd((3,)), requires_grad=True)
    y = x.float()
    assert y.dtype == np.float32 and y.grad_fn is not None
    (y.double() * 3).sum().backward()
    assert x.grad.dtype == np.float64
    assert_close(x.grad, np.full(3, 3.0))
    assert x.double() is x  # same dtype: no new node
    z = x.long()
    assert z.dtype == np.int64 and not z.requires_grad
    assert x.to(np.float32).dtype == np.float32
    assert x.bool().dtype == np.bool_


def test_cast_gradcheck_and_gradgradcheck():
    x = tl.tensor(rnd((4,)), requires_grad=True)
    assert gradcheck(lambda x: x.float().double() * x, (x,), atol=1e-4, rtol=1e-3, eps=1e-3)


# ----- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "pow", "maximum", "minimum"])
def test_binary_shape_error_names_op_and_shapes(name):
    a, b = tl.ones(2, 3), tl.ones(4)
    with pytest.raises(RuntimeError, match=rf"{name}: cannot broadcast shapes \(2, 3\) and \(4,\)"):
        BINARY[name](a, b)


def test_comparison_shape_error():
    with pytest.raises(RuntimeError, match=r"less: cannot compare shapes \(2, 3\) and \(4,\)"):
        _ = tl.ones(2, 3) < tl.ones(4)


def test_clamp_needs_a_bound():
    with pytest.raises(RuntimeError, match="clamp: at least one of 'min' or 'max'"):
        tl.ones(2).clamp()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_fast_form_agrees_with_the_plain_form(dtype):
    from tinygrad_lite.ops.unary import sigmoid_array

    x = np.concatenate([np.linspace(-800, 800, 20001),
                        [0.0, -0.0, np.inf, -np.inf, 1e-30, -1e-30]]).astype(dtype)
    fast = sigmoid_array(x)  # large: the mask form
    plain = np.concatenate([sigmoid_array(c) for c in np.array_split(x, 40)])  # < 1024 each
    with np.errstate(over="ignore"):
        exact = 1 / (1 + np.exp(-x.astype(np.longdouble)))
    tiny = exact < np.finfo(dtype).tiny  # underflow: both give 0 or a subnormal
    eps = np.finfo(dtype).eps
    rel = lambda y: np.abs(y - exact)[~tiny] / exact[~tiny]  # noqa: E731
    assert rel(fast).max() <= 4 * eps  # ~1 ulp everywhere
    # exp(-logaddexp(0, -x)) carries the rounding of log(1 + e^{-x}) ~ |x| into the exponent
    assert np.all(rel(plain) <= (np.abs(x[~tiny]) + 4) * eps)
    assert fast.dtype == dtype and np.isnan(sigmoid_array(np.full(2000, np.nan, dtype))).all()
