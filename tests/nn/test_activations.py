"""Activations (functional and module forms) against PyTorch, kinks and extremes included."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from tests.helpers import assert_close, compare_with_torch, torch_or_skip
from tinygrad_lite import nn
from tinygrad_lite.ops.special import erf_array

# kinks (0), the softplus threshold (20), tiny values and extremes that overflow a naive exp
KINKS = np.array([-1e3, -50.0, -20.0, -1.0, -1e-9, 0.0, 0.0, 1e-9, 0.5, 1.0, 20.0, 20.5, 1e3])


def _inputs(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.concatenate([KINKS, rng.standard_normal(30) * 3])


# (ours, torch's name, kwargs) -- each function is tested with the same kwargs in both libraries
FUNCTIONAL_CASES = [
    ("relu", {}),
    ("leaky_relu", {}),
    ("leaky_relu", {"negative_slope": 0.2}),
    ("elu", {}),
    ("elu", {"alpha": 0.5}),
    ("gelu", {}),
    ("gelu", {"approximate": "tanh"}),
    ("silu", {}),
    ("sigmoid", {}),
    ("tanh", {}),
    ("softplus", {}),
    ("softplus", {"beta": 2.0, "threshold": 10.0}),
]


@pytest.mark.parametrize("name,kwargs", FUNCTIONAL_CASES)
def test_functional_matches_torch(name: str, kwargs: dict) -> None:
    torch = torch_or_skip()
    ours = getattr(F, name)
    theirs = getattr(torch.nn.functional, name)
    compare_with_torch(lambda x: ours(x, **kwargs), lambda x: theirs(x, **kwargs), [_inputs()])


MODULE_CASES = [
    ("ReLU", {}),
    ("LeakyReLU", {"negative_slope": 0.1}),
    ("ELU", {"alpha": 2.0}),
    ("GELU", {}),
    ("GELU", {"approximate": "tanh"}),
    ("SiLU", {}),
    ("Sigmoid", {}),
    ("Tanh", {}),
    ("Softplus", {"beta": 0.5, "threshold": 5.0}),
    ("Softplus", {"beta": 2, "threshold": 10}),  # ints: the repr shows them as given
    ("Softplus", {}),
    ("Softmax", {"dim": 1}),
    ("LogSoftmax", {"dim": -1}),
]


@pytest.mark.parametrize("name,kwargs", MODULE_CASES)
def test_module_matches_torch_and_repr(name: str, kwargs: dict) -> None:
    torch = torch_or_skip()
    ours = getattr(nn, name)(**kwargs)
    theirs = getattr(torch.nn, name)(**kwargs)
    x = _inputs(1)[:42].reshape(6, 7)
    compare_with_torch(ours, theirs, [x])
    assert repr(ours) == repr(theirs)


def test_kink_gradients_are_pytorchs() -> None:
    x = tl.tensor(np.zeros(1), requires_grad=True)
    for fn, expected in [
        (F.relu, 0.0),
        (lambda t: F.leaky_relu(t, 0.3), 0.3),
        (lambda t: F.elu(t, 0.7), 0.7),
        (F.softplus, 0.5),
    ]:
        x.grad = None
        fn(x).sum().backward()
        assert x.grad.item() == pytest.approx(expected, abs=1e-15)


@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_family_matches_torch(fn, dim: int) -> None:
    torch = torch_or_skip()
    theirs = getattr(torch.nn.functional, fn.__name__)
    x = np.random.default_rng(2).standard_normal((4, 5, 3))
    x[0, 0, 0] = x[0, 1, 0]  # a tie
    compare_with_torch(lambda t: fn(t, dim=dim), lambda t: theirs(t, dim=dim), [x])


@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax])
def test_softmax_is_stable_for_huge_logits(fn) -> None:
    torch = torch_or_skip()
    theirs = getattr(torch.nn.functional, fn.__name__)
    x = np.array([[1000.0, -1000.0, 0.0, 999.0], [-1e3, -1e3, -1e3, -1e3]])
    compare_with_torch(lambda t: fn(t, dim=1), lambda t: theirs(t, dim=1), [x])
    out = fn(tl.tensor(x.astype(np.float32)), dim=1)
    assert np.all(np.isfinite(out.data)) and out.dtype == np.float32


def test_softmax_implicit_dim_and_dtype() -> None:
    torch = torch_or_skip()
    x = np.random.default_rng(3).standard_normal((3, 4))
    with pytest.warns(UserWarning):
        expected = torch.nn.functional.softmax(torch.tensor(x), dim=None)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        assert_close(F.softmax(tl.tensor(x)), expected)
    out = F.log_softmax(tl.tensor(x.astype(np.float32)), dim=1, dtype=tl.float64)
    assert out.dtype == np.float64
    with pytest.raises(IndexError, match="softmax: dim 2 is out of range"):
        F.softmax(tl.tensor(x), dim=2)


def test_softmax_rows_sum_to_one() -> None:
    x = tl.randn(8, 10) * 30
    np.testing.assert_allclose(F.softmax(x, dim=1).sum(1).data, 1.0, rtol=1e-6)


def test_gelu_rejects_unknown_approximation() -> None:
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh'"):
        F.gelu(tl.randn(3), approximate="fast")
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh'"):
        nn.GELU("fast")


def test_float32_stays_float32() -> None:
    x = tl.randn(4, 3)
    for fn in (F.relu, F.gelu, F.elu, F.silu, F.softplus, F.leaky_relu, F.sigmoid, F.tanh):
        assert fn(x).dtype == np.float32, fn.__name__


# ----- erf primitive ------------------------------------------------------------------------


def test_erf_is_accurate_to_an_ulp() -> None:
    # every branch of Cody's approximation, its boundaries, and the far tails
    x = np.concatenate(
        [
            np.linspace(-7.0, 7.0, 20001),
            [0.0, -0.0, 0.46875, -0.46875, 4.0, -4.0, 1e-300, -1e-20, 26.0, 27.0, 1e3],
        ]
    )
    expected = np.array([math.erf(v) for v in x])
    got = erf_array(x)
    tiny = np.abs(expected) < 1e-300
    np.testing.assert_allclose(got[~tiny], expected[~tiny], rtol=2e-15, atol=0)
    assert np.all(got[tiny] == expected[tiny])
    assert np.isnan(erf_array(np.array([np.nan])))[0]
    np.testing.assert_array_equal(erf_array(np.array([np.inf, -np.inf])), [1.0, -1.0])


def test_erf_gradient_is_gaussian_density() -> None:
    from tinygrad_lite.ops.special import erf

    x = np.array([-3.0, -0.5, 0.0, 0.3, 2.0, 5.0])
    t = tl.tensor(x, requires_grad=True)
    erf(t).sum().backward()
    np.testing.assert_allclose(t.grad.data, 2 / np.sqrt(np.pi) * np.exp(-x * x), rtol=1e-15)


def test_gelu_double_backward_matches_torch() -> None:
    torch = torch_or_skip()
    x = np.array([-2.0, -0.3, 0.0, 0.7, 1.5])
    ours = tl.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    (g,) = tl.autograd.grad(F.gelu(ours).sum(), ours, create_graph=True)
    g.sum().backward()
    (gt,) = torch.autograd.grad(torch.nn.functional.gelu(theirs).sum(), theirs, create_graph=True)
    gt.sum().backward()
    assert_close(g, gt)
    assert_close(ours.grad, theirs.grad)


@pytest.mark.parametrize("name", ["erf", "log1p", "expm1"])
def test_special_primitives_gradcheck_and_gradgradcheck(name: str) -> None:
    from tinygrad_lite.autograd import gradcheck, gradgradcheck
    from tinygrad_lite.ops import special

    fn = getattr(special, name)
    x = tl.tensor(np.array([-0.9, -0.3, 0.0, 1e-8, 0.5, 2.5]), requires_grad=True)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))
    reference = {"erf": np.vectorize(math.erf), "log1p": np.log1p, "expm1": np.expm1}[name]
    np.testing.assert_allclose(fn(x).data, reference(x.data), rtol=1e-15)


def test_composites_double_backward() -> None:
    from tinygrad_lite.autograd import gradgradcheck

    x = tl.tensor(np.random.default_rng(5).standard_normal((3, 4)), requires_grad=True)
    for fn in (F.softplus, F.elu, F.silu, lambda t: F.log_softmax(t, 1), lambda t: F.softmax(t, 0)):
        assert gradgradcheck(fn, (x,))
