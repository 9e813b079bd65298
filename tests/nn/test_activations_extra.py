"""Issue 13's activations (relu6 ... glu) against PyTorch: values, gradients and second
derivatives, with inputs exactly at every kink; modules' reprs; errors."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from tests.helpers import assert_close, compare_with_torch, torch_or_skip
from tinygrad_lite import nn
from tinygrad_lite.autograd import gradcheck, gradgradcheck

# every kink of every function below (0, +-0.5, +-1, +-3, 6, the threshold 0.25), values one
# ulp beside some of them, the softplus switch (20) inside mish, and extremes
KINKS = np.array([
    -1e3, -30.0, -6.0, -3.0, -2.9999999999999996, -1.0, -0.5, -0.25, -1e-9, 0.0, 0.0, 1e-9,
    0.25, 0.5, 1.0, 2.9999999999999996, 3.0, 3.0000000000000004, 6.0, 7.0, 20.0, 20.5, 1e3,
])


def _inputs(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.concatenate([KINKS, rng.standard_normal(25) * 4])


# (name, kwargs): the same call in both libraries
CASES = [
    ("relu6", {}),
    ("hardtanh", {}),
    ("hardtanh", {"min_val": -3.0, "max_val": 0.5}),
    ("hardsigmoid", {}),
    ("hardswish", {}),
    ("mish", {}),
    ("celu", {}),
    ("celu", {"alpha": 0.5}),
    ("celu", {"alpha": 0.7}),  # PyTorch rounds 1/alpha to float32 in the gradient
    ("selu", {}),
    ("softsign", {}),
    ("tanhshrink", {}),
    ("softshrink", {}),
    ("softshrink", {"lambd": 1.0}),
    ("softshrink", {"lambd": 0.0}),
    ("hardshrink", {}),
    ("hardshrink", {"lambd": 3.0}),
    ("threshold", {"threshold": 0.25, "value": -2.0}),
    ("logsigmoid", {}),
    ("gelu", {"approximate": "tanh"}),
]


@pytest.mark.parametrize("name,kwargs", CASES)
def test_matches_torch_float64_at_kinks(name: str, kwargs: dict) -> None:
    torch = torch_or_skip()
    ours, theirs = getattr(F, name), getattr(torch.nn.functional, name)
    compare_with_torch(lambda x: ours(x, **kwargs), lambda x: theirs(x, **kwargs), [_inputs()],
                       rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name,kwargs", CASES)
def test_matches_torch_float32(name: str, kwargs: dict) -> None:
    torch = torch_or_skip()
    ours, theirs = getattr(F, name), getattr(torch.nn.functional, name)
    x = _inputs(1).astype(np.float32)
    out = ours(tl.tensor(x), **kwargs)
    assert out.dtype == np.float32
    compare_with_torch(lambda t: ours(t, **kwargs), lambda t: theirs(t, **kwargs), [x],
                       rtol=2e-6, atol=1e-6)


def _torch():
    return torch_or_skip()


def _torch_f():
    return torch_or_skip().nn.functional


def _grad_at(fn, values: list[float]) -> list[float]:
    x = tl.tensor(np.array(values), requires_grad=True)
    fn(x).sum().backward()
    return x.grad.tolist()


def test_kink_table() -> None:
    """docs/subgradients.md's rows, as numbers (each also checked against torch above)."""
    assert _grad_at(F.relu6, [0.0, 6.0, 3.0]) == [0.0, 0.0, 1.0]
    assert _grad_at(lambda t: t.clamp(0.0, 6.0), [0.0, 6.0]) == [1.0, 1.0]  # clamp differs
    assert _grad_at(F.hardtanh, [-1.0, 1.0, 0.0]) == [0.0, 0.0, 1.0]
    assert _grad_at(F.hardsigmoid, [-3.0, 3.0]) == [0.0, 0.0]
    assert _grad_at(F.hardswish, [-3.0, 3.0, 0.0]) == [0.0, 1.0, 0.5]
    assert _grad_at(F.softshrink, [-0.5, 0.5, 0.6]) == [0.0, 0.0, 1.0]
    assert _grad_at(F.hardshrink, [-0.5, 0.5, -0.6]) == [0.0, 0.0, 1.0]
    assert _grad_at(lambda t: F.threshold(t, 1.0, 5.0), [1.0, 1.5]) == [0.0, 1.0]
    assert _grad_at(F.celu, [0.0]) == [1.0]
    assert _grad_at(F.selu, [0.0]) == pytest.approx([1.7580993408473766], rel=1e-15)
    assert _grad_at(F.softsign, [0.0]) == [1.0]
    assert _grad_at(F.logsigmoid, [0.0]) == [0.5]


def test_hardsigmoid_slope_is_pytorchs_float32_sixth() -> None:
    # PyTorch's CPU kernel multiplies by float(1/6) in float64 too; we agree to the bit
    assert _grad_at(F.hardsigmoid, [0.0]) == [float(np.float32(1) / np.float32(6))]


def test_forward_values_at_kinks() -> None:
    x = tl.tensor(np.array([-0.5, 0.5, -0.3]))
    assert F.softshrink(x).tolist() == [0.0, 0.0, 0.0]  # (the sign of a zero may differ)
    assert F.hardshrink(x).tolist() == [0.0, 0.0, 0.0]
    inf = tl.tensor(np.array([-np.inf, np.inf]))
    for fn in (F.softshrink, F.hardshrink, F.relu6, F.hardswish):
        expected = getattr(_torch_f(), fn.__name__)(_torch().tensor(inf.data)).numpy()
        with np.errstate(invalid="ignore"):  # hardswish(-inf) = -inf * 0 = nan, as PyTorch
            np.testing.assert_array_equal(fn(inf).data, expected, err_msg=fn.__name__)
    assert F.threshold(tl.tensor([0.25, 0.3]), 0.25, -1.0).tolist() == pytest.approx([-1.0, 0.3])
    nan = tl.tensor(np.array([np.nan]))
    for fn in (F.relu6, F.hardtanh, F.hardsigmoid, F.hardswish, F.softshrink, F.hardshrink,
               F.logsigmoid, F.mish, lambda t: F.threshold(t, 0.0, 1.0)):
        assert np.isnan(fn(nan).data).all()


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_glu_matches_torch(dim: int) -> None:
    torch = torch_or_skip()
    x = np.random.default_rng(2).standard_normal((4, 6, 2))
    compare_with_torch(lambda t: F.glu(t, dim), lambda t: torch.nn.functional.glu(t, dim), [x],
                       rtol=1e-10, atol=1e-12)


def test_extremes_stay_finite() -> None:
    x = tl.tensor(np.array([-1e3, -50.0, 50.0, 1e3]), requires_grad=True)
    for fn in (F.logsigmoid, F.mish, F.selu, F.celu, F.softsign, F.tanhshrink):
        x.grad = None
        y = fn(x)
        y.sum().backward()
        assert np.isfinite(y.data).all() and np.isfinite(x.grad.data).all(), fn.__name__


# second derivatives: away from the points where the first derivative jumps (a jump is not a
# kink: finite differences of the gradient blow up there), but at the smooth origin
SMOOTH = np.array([-4.0, -2.5, -1.2, -0.3, 0.0, 0.4, 1.1, 2.6, 4.5])
DOUBLE = [
    ("mish", {}), ("celu", {"alpha": 0.7}), ("softsign", {}), ("tanhshrink", {}),
    ("logsigmoid", {}), ("hardswish", {}), ("gelu", {"approximate": "tanh"}),
]


@pytest.mark.parametrize("name,kwargs", DOUBLE)
def test_double_backward_matches_torch(name: str, kwargs: dict) -> None:
    torch = torch_or_skip()
    ours, theirs = getattr(F, name), getattr(torch.nn.functional, name)
    x = SMOOTH if name != "celu" else SMOOTH[SMOOTH != 0]
    a, b = tl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (ga,) = tl.autograd.grad(ours(a, **kwargs).sum(), a, create_graph=True)
    (gb,) = torch.autograd.grad(theirs(b, **kwargs).sum(), b, create_graph=True)
    assert_close(ga, gb, rtol=1e-10, atol=1e-12)
    ga.sum().backward()
    gb.sum().backward()
    assert_close(a.grad, b.grad, rtol=1e-10, atol=1e-12)


GRADCHECK = [
    (F.relu6, KINKS[2:-3]), (F.hardtanh, KINKS[2:-3]), (F.hardsigmoid, KINKS[2:-3]),
    (F.hardswish, KINKS[2:-3]), (F.softshrink, KINKS), (F.hardshrink, KINKS[KINKS != 0.5]),
    (lambda t: F.threshold(t, 0.25, 0.25), KINKS), (F.mish, KINKS[1:-1]),
    (F.celu, KINKS[1:-1]), (F.selu, KINKS[1:-1]), (F.softsign, KINKS), (F.tanhshrink, KINKS),
    (F.logsigmoid, KINKS), (lambda t: F.glu(t, 0), KINKS[1:-1]),
]


@pytest.mark.parametrize("index", range(len(GRADCHECK)))
def test_gradcheck_at_kinks_and_gradgradcheck(index: int) -> None:
    fn, x = GRADCHECK[index]
    if x.size % 2:
        x = x[1:]  # glu halves its input
    assert gradcheck(fn, (tl.tensor(x, requires_grad=True),))
    assert gradgradcheck(fn, (tl.tensor(SMOOTH[1:], requires_grad=True),))


MODULES = [
    ("ReLU6", {}), ("ReLU6", {"inplace": True}), ("Hardtanh", {}),
    ("Hardtanh", {"min_val": -2, "max_val": 3, "inplace": True}), ("Hardsigmoid", {}),
    ("Hardsigmoid", {"inplace": True}), ("Hardswish", {"inplace": True}), ("Mish", {}),
    ("Mish", {"inplace": True}), ("CELU", {}), ("CELU", {"alpha": 2, "inplace": True}),
    ("SELU", {}), ("SELU", {"inplace": True}), ("Softsign", {}), ("Tanhshrink", {}),
    ("Softshrink", {}), ("Softshrink", {"lambd": 1}), ("Hardshrink", {}),
    ("Hardshrink", {"lambd": 0.25}), ("Threshold", {"threshold": 0.1, "value": 20}),
    ("Threshold", {"threshold": 1, "value": 2, "inplace": True}), ("LogSigmoid", {}),
    ("GLU", {}), ("GLU", {"dim": 0}),
]


@pytest.mark.parametrize("name,kwargs", MODULES)
def test_module_matches_torch_and_repr(name: str, kwargs: dict) -> None:
    torch = torch_or_skip()
    ours, theirs = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(ours) == repr(theirs)
    x = _inputs(3)[:48].reshape(6, 8)
    # an in-place module needs a non-leaf input in torch: feed both libraries x * 1
    compare_with_torch(lambda t: ours(t * 1), lambda t: theirs(t * 1), [x], rtol=1e-10,
                       atol=1e-12)


def test_inplace_flag_writes_into_the_input_and_gives_the_same_values() -> None:
    x = tl.tensor(np.array([-4.0, -0.2, 0.0, 0.7, 7.0]))
    calls = [(name, lambda f, t: f(t, inplace=True), lambda f, t: f(t)) for name in (
        "relu6", "hardtanh", "hardsigmoid", "hardswish", "mish", "celu", "selu", "relu",
        "leaky_relu", "elu", "silu")]
    calls.append(("threshold", lambda f, t: f(t, 0.0, 1.0, inplace=True),
                  lambda f, t: f(t, 0.0, 1.0)))
    for name, in_place, out_of_place in calls:
        fn = getattr(F, name)
        target = x.clone()
        result = in_place(fn, target)
        assert result is target and target._version == 1, name
        np.testing.assert_array_equal(target.data, out_of_place(fn, x).data, err_msg=name)


def test_integer_inputs_as_pytorch() -> None:
    torch = torch_or_skip()
    i = np.array([-3, 0, 1, 7], dtype=np.int64)
    for name, kw in (("relu6", {}), ("hardtanh", {}), ("threshold", {"threshold": 0, "value": 5})):
        ours = getattr(F, name)(tl.tensor(i), **kw)
        theirs = getattr(torch.nn.functional, name)(torch.tensor(i), **kw)
        assert ours.dtype == np.int64 and ours.tolist() == theirs.tolist(), name
    for name in ("hardsigmoid", "hardswish", "mish", "selu", "celu", "softshrink",
                 "hardshrink", "logsigmoid", "glu"):
        with pytest.raises(NotImplementedError, match=f"{name}: not implemented for int64"):
            getattr(F, name)(tl.tensor(i))


def test_errors_name_the_op() -> None:
    x = tl.randn(2, 3)
    with pytest.raises(ValueError, match="hardtanh: min_val cannot be greater than max_val"):
        F.hardtanh(x, 2.0, 1.0)
    with pytest.raises(AssertionError, match="Hardtanh: max_val"):
        nn.Hardtanh(1.0, 1.0)
    with pytest.raises(RuntimeError, match="softshrink: lambda must be in range"):
        F.softshrink(x, -1.0)
    with pytest.raises(RuntimeError, match="celu: ZeroDivisionError: alpha cannot be 0"):
        F.celu(x, 0.0)
    with pytest.raises(RuntimeError, match="Halving dimension must be even, but dimension 1"):
        F.glu(x, 1)
    with pytest.raises(RuntimeError, match="glu does not support scalars"):
        F.glu(tl.tensor(1.0))
    with pytest.raises(IndexError, match="glu: dim 2 is out of range"):
        F.glu(x, 2)


def test_hardtanh_deprecated_keywords_warn() -> None:
    with pytest.warns(FutureWarning, match="min_value"):
        m = nn.Hardtanh(min_value=-2.0)
    assert m.min_val == -2.0


@pytest.mark.parametrize("fn", [F.hardswish, F.selu, lambda t: F.celu(t, 0.7)])
def test_fast_slope_equals_the_create_graph_formula(fn) -> None:
    x = np.concatenate([KINKS, [-np.inf, np.inf]])
    a = tl.tensor(x, requires_grad=True)
    with np.errstate(invalid="ignore"):  # hardswish(-inf) = -inf * 0
        fn(a).sum().backward()  # numpy path: the slope precomputed in forward
        b = tl.tensor(x, requires_grad=True)
        (g,) = tl.autograd.grad(fn(b).sum(), b, create_graph=True)  # the xp.where formula
    np.testing.assert_allclose(a.grad.data, g.data, rtol=1e-15, atol=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fast_expm1_is_accurate(dtype) -> None:
    from tinygrad_lite.ops.activation import fast_expm1

    z = -np.concatenate([np.logspace(-30, 2.5, 4001), [0.0, np.inf]]).astype(dtype)
    got = fast_expm1(z, np.exp(z))
    np.testing.assert_allclose(got, np.expm1(z), rtol=4 * np.finfo(dtype).eps, atol=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fast_log1p_is_accurate(dtype) -> None:
    from tinygrad_lite.ops.activation import fast_log1p

    w = np.concatenate([np.logspace(-40, 0, 4001), [0.0, 0.5, 0.75]]).astype(dtype)
    np.testing.assert_allclose(fast_log1p(w), np.log1p(w), rtol=4 * np.finfo(dtype).eps, atol=0)


def test_logsigmoid_at_infinities_matches_torch():
    torch = torch_or_skip()
    x0 = np.array([-np.inf, -1e3, -30.0, 0.0, 30.0, 1e3, np.inf])
    res = []
    for lib, f in ((tl, F.logsigmoid), (torch, torch.nn.functional.logsigmoid)):
        x = lib.tensor(x0, requires_grad=True)
        y = f(x)
        y.backward(lib.ones(7, dtype=lib.float64))
        res.append((y, x.grad))
    for a, b, what in zip(*res, ("value", "gradient")):
        assert_close(a, b, what=what)


def test_hardswish_at_infinities_is_silent_and_matches_torch():
    torch = torch_or_skip()
    import warnings

    x0 = np.array([-np.inf, -3.0, 0.0, 3.0, np.inf])
    res = []
    for lib in (tl, torch):
        x = lib.tensor(x0, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            y = (F if lib is tl else torch.nn.functional).hardswish(x)
            y.backward(lib.ones(5, dtype=lib.float64))
        res.append((y, x.grad))
    for a, b, what in zip(*res, ("value", "gradient")):
        assert_close(a, b, what=what)


@pytest.mark.parametrize("name", ["mish", "sigmoid", "hardswish", "silu", "gelu", "elu",
                                  "softplus", "logsigmoid", "tanh"])
def test_activations_at_inf_and_nan_emit_no_warning(name):
    import warnings

    x = tl.tensor(np.array([-np.inf, -1e3, 0.0, 1e3, np.inf, np.nan]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        getattr(F, name)(x).backward(tl.ones(6, dtype=tl.float64))


@pytest.mark.parametrize("name", ["expm1", "erf", "reciprocal", "rsqrt"])
def test_new_elementwise_methods_match_torch(name):
    torch = torch_or_skip()
    x0 = np.array([0.25, 1e-9, 0.5, 3.0])
    res = []
    for lib in (tl, torch):
        x = lib.tensor(x0, requires_grad=True)
        y = getattr(x, name)()
        y.sum().backward()
        res.append((y, x.grad, getattr(lib, name)(lib.tensor(x0))))
    for a, b, what in zip(*res, ("method", "gradient", "function")):
        assert_close(a, b, what=what)
