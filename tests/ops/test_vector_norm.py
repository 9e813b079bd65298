"""linalg.vector_norm, norm and F.normalize vs PyTorch: every ord, dims, the gradient at 0
(0, not NaN), ties of the inf-norm, zero entries for p < 1; double backward."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from tests.helpers import compare_with_torch, torch_or_skip
from tinygrad_lite.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(17)
A = RNG.standard_normal((3, 4))
KINKS = np.array([[0.0, 0.0, 0.0, 0.0], [1.0, -2.0, 2.0, 0.0], [-3.0, 3.0, 0.5, -3.0]])
ORDS = [2, 1, 3, 0.5, 1.5, 0, math.inf, -math.inf, -1.5]


@pytest.mark.parametrize("ord", ORDS)
@pytest.mark.parametrize("dim", [None, 1, (0, 1), 0])
@pytest.mark.parametrize("data", [A, KINKS], ids=["random", "kinks"])
def test_vector_norm_matches_torch(ord, dim, data):
    """The kinks rows hold an all-zero row (gradient 0 for every ord), ties of |x| (the
    inf-norm splits evenly) and zero entries (0 for p < 1)."""
    torch = torch_or_skip()
    if ord < 0 and data is KINKS:
        pytest.skip("negative ords at zero entries: inf/nan gradients on both sides")
    compare_with_torch(
        lambda x: tl.linalg.vector_norm(x, ord, dim, keepdim=dim == 0),
        lambda x: torch.linalg.vector_norm(x, ord, dim, keepdim=dim == 0),
        [data],
    )


def test_gradient_at_zero_is_zero_not_nan():
    for ord in ORDS:
        z = tl.zeros(3, dtype=tl.float64, requires_grad=True)
        tl.linalg.vector_norm(z, ord).backward()
        assert z.grad.tolist() == [0.0, 0.0, 0.0], ord


@pytest.mark.parametrize("ord", [2, 1, 3, 0.5, 1.5, math.inf, -math.inf])
def test_gradcheck_and_gradgradcheck(ord):
    x = tl.tensor(A, requires_grad=True)
    fn = lambda t: tl.linalg.vector_norm(t, ord, dim=1)  # noqa: E731
    assert gradcheck(fn, (x,))
    if ord != 1:  # |x|'s second derivative is 0 a.e.: nothing to check beyond the zeros
        assert gradgradcheck(fn, (x,))


@pytest.mark.parametrize(
    "call",
    [
        lambda m, x: m.norm(x),
        lambda m, x: x.norm(p="fro", dim=(0, 1)),
        lambda m, x: m.norm(x, 1, dim=1, keepdim=True),
        lambda m, x: x.norm(3),
        lambda m, x: m.norm(x, float("inf"), 0),
        lambda m, x: m.norm(x, None, 1),
    ],
)
def test_norm_matches_torch(call):
    torch = torch_or_skip()
    compare_with_torch(lambda x: call(tl, x), lambda x: call(torch, x), [KINKS])


@pytest.mark.parametrize(("p", "dim"), [(2.0, 1), (1.0, 0), (3.0, -1), (math.inf, 1)])
def test_normalize_matches_torch_including_zero_rows(p, dim):
    """At a zero row the norm is clamped to eps: the gradient is g / eps, as PyTorch."""
    torch = torch_or_skip()
    compare_with_torch(
        lambda x: F.normalize(x, p, dim),
        lambda x: torch.nn.functional.normalize(x, p, dim),
        [KINKS],
        rtol=1e-7,
        atol=1e-4,  # entries of size 1e12 at the zero row
    )
    x = tl.tensor(A, requires_grad=True)
    assert gradgradcheck(lambda t: F.normalize(t, p if p != math.inf else 2.0, dim), (x,))


def test_float32_and_dtype_argument():
    torch = torch_or_skip()
    a = A.astype(np.float32)
    compare_with_torch(
        lambda x: tl.linalg.vector_norm(x, 2, 1),
        lambda x: torch.linalg.vector_norm(x, 2, 1),
        [a],
        rtol=1e-6,
        atol=1e-6,
    )
    y = tl.linalg.vector_norm(tl.tensor(a), dtype=tl.float64)
    assert y.dtype == np.float64


def test_errors():
    with pytest.raises(RuntimeError, match="linalg.vector_norm: Expected a floating point"):
        tl.linalg.vector_norm(tl.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="norm: Expected a floating point"):
        tl.norm(tl.tensor([1, 2]))
    with pytest.raises(NotImplementedError, match="norm: p='nuc' is not implemented"):
        tl.zeros(2, 2).norm("nuc")
    with pytest.raises(RuntimeError, match="cannot compute the inf norm on an empty tensor"):
        tl.linalg.vector_norm(tl.zeros(0), math.inf)
    with pytest.raises(IndexError, match="linalg.vector_norm: dimension out of range"):
        tl.linalg.vector_norm(tl.zeros(2), dim=1)


@pytest.mark.parametrize("ord", [1, 3, math.inf, 2])
def test_nan_entries_as_torch(ord):
    """sign(nan) = 0 in PyTorch's backward: the 1- and inf-norms give 0 there, not NaN."""
    torch = torch_or_skip()
    compare_with_torch(
        lambda x: tl.linalg.vector_norm(x, ord),
        lambda x: torch.linalg.vector_norm(x, ord),
        [np.array([1.0, np.nan, -2.0])],
    )
