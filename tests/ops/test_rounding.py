"""tan, floor, ceil, round (decimals), trunc, frac, fmod, remainder vs PyTorch, kinks included."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tl
from tests.helpers import compare_with_torch, torch_or_skip
from tinygrad_lite.autograd import gradcheck, gradgradcheck

# halves, integers, negative zero and values just off them: the rounding kinks and ties
STEPS = np.array([[0.5, 1.5, 2.5, -0.5, -1.5, -2.5], [2.0, -2.0, 0.0, -0.0, 2.7, -2.7]])
ROUND_DECIMALS = np.array([0.125, 2.5, -0.125, 1234.5, 0.005, 1.005, -7.45, 123.456])


@pytest.mark.parametrize("name", ["floor", "ceil", "round", "trunc", "frac"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_rounding_matches_torch_at_the_jumps(name, dtype):
    """Values, and PyTorch's gradient: 0 for the steps (also at the jumps), 1 for frac."""
    compare_with_torch(lambda x: getattr(x, name)(), None, [STEPS.astype(dtype)])


@pytest.mark.parametrize("decimals", [-2, -1, 0, 1, 2, 3])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_round_decimals_matches_torch_bitwise(decimals, dtype):
    torch = torch_or_skip()
    data = np.concatenate([ROUND_DECIMALS, np.random.default_rng(1).uniform(-500, 500, 50)])
    data = data.astype(dtype)
    ours = tl.round(tl.tensor(data), decimals=decimals)
    theirs = torch.round(torch.tensor(data), decimals=decimals)
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_rounding_integer_and_bool_inputs_as_torch():
    torch = torch_or_skip()
    for name in ("floor", "ceil", "trunc", "round"):
        ours, theirs = getattr(tl.tensor([1, -25]), name)(), getattr(torch.tensor([1, -25]), name)()
        np.testing.assert_array_equal(ours.data, theirs.numpy())
        assert ours.dtype == np.int64
        with pytest.raises(NotImplementedError, match=f"{name}: not implemented for bool"):
            getattr(tl.tensor([True]), name)()
    with pytest.raises(NotImplementedError, match="round: decimals=1 is not implemented for int"):
        tl.tensor([1, 2]).round(decimals=1)
    with pytest.raises(NotImplementedError, match="frac: not implemented for int64"):
        tl.tensor([1, 2]).frac()


def test_tan_matches_torch_and_gradchecks():
    x = np.array([[-1.2, -0.3, 0.0], [0.4, 1.0, 1.4]])
    compare_with_torch(lambda t: t.tan(), None, [x])
    compare_with_torch(lambda t: t.tan(), None, [x.astype(np.float32)], rtol=1e-6, atol=1e-6)
    t = tl.tensor(x, requires_grad=True)
    assert gradcheck(lambda a: a.tan(), (t,)) and gradgradcheck(lambda a: a.tan(), (t,))
    assert tl.tan(tl.tensor([1, 2])).dtype == np.float32  # int -> default float, as torch


A = np.array([5.0, -5.0, 4.0, -4.0, 5.5, -7.25, 0.0, 3.0, 1e-3])
B = np.array([3.0, 3.0, -2.0, 2.0, -2.0, 1.5, 2.0, 0.0, -1e-3])


@pytest.mark.parametrize("name", ["fmod", "remainder"])
def test_fmod_remainder_match_torch_both_gradients(name):
    """Exact multiples (kinks of the quotient), signs both ways and a zero divisor."""
    torch = torch_or_skip()
    with np.errstate(all="ignore"):
        compare_with_torch(lambda a, b: getattr(a, name)(b), None, [A, B])
        compare_with_torch(
            lambda a, b: getattr(tl, name)(a, b),
            lambda a, b: getattr(torch, name)(a, b),
            [A.reshape(3, 3), B[:3]],
        )
    ours = getattr(tl.tensor(A), name)(tl.tensor(B))
    theirs = getattr(torch.tensor(A), name)(torch.tensor(B))
    number = ~np.isnan(theirs.numpy())  # signed zeros as torch (a NaN's sign bit is noise)
    np.testing.assert_array_equal(np.signbit(ours.data)[number], np.signbit(theirs.numpy())[number])


@pytest.mark.parametrize("name", ["fmod", "remainder"])
def test_fmod_remainder_scalars_dtypes_and_errors(name):
    torch = torch_or_skip()
    for make in (
        lambda m: getattr(m, name)(m.tensor([5, -3, 7]), 2.5),
        lambda m: getattr(m, name)(m.tensor([5, -3, 7]), 2),
        lambda m: getattr(m, name)(m.tensor([5.0, -3.0], dtype=m.float32), m.tensor([2, -2])),
    ):
        ours, theirs = make(tl), make(torch)
        np.testing.assert_array_equal(ours.data, theirs.numpy())
        assert str(theirs.dtype) == f"torch.{ours.dtype}"
    with pytest.raises(RuntimeError, match=f"{name}: ZeroDivisionError"):
        getattr(tl, name)(tl.tensor([5, 3]), tl.tensor([0, 2]))
    with pytest.raises(RuntimeError, match=rf"{name}: cannot broadcast shapes \(2,\) and \(3,\)"):
        getattr(tl, name)(tl.zeros(2), tl.ones(3))
    a, b = tl.tensor(A[:3], requires_grad=True), tl.tensor(B[:3] + 0.3, requires_grad=True)
    assert gradcheck(lambda x, y: getattr(x, name)(y), (a, b))
    assert gradgradcheck(lambda x, y: getattr(x, name)(y) * x, (a, b))


def test_remainder_with_a_number_first():
    torch = torch_or_skip()
    ours = tl.remainder(2, tl.tensor([3.0, -3.0]))
    theirs = torch.remainder(2, torch.tensor([3.0, -3.0]))
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_mod_operator_is_remainder():
    torch = torch_or_skip()
    compare_with_torch(lambda a, b: a % b, None, [A[:4], B[:4]])
    ours, theirs = 7.5 % tl.tensor([2.0, -2.0]), 7.5 % torch.tensor([2.0, -2.0])
    np.testing.assert_array_equal(ours.data, theirs.numpy())
