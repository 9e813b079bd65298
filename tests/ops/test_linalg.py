"""matmul: 1-D, 2-D, batched and broadcast operands vs PyTorch; errors name both shapes."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tl
from tests.helpers import compare_with_torch
from tinygrad_lite.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(1)

SHAPES = [
    ((4,), (4,)),
    ((4,), (4, 3)),
    ((2, 4), (4,)),
    ((2, 4), (4, 3)),
    ((5, 2, 4), (4, 3)),
    ((2, 4), (5, 4, 3)),
    ((5, 2, 4), (5, 4, 3)),
    ((1, 2, 4), (6, 4, 3)),
    ((7, 1, 2, 4), (6, 4, 3)),
    ((4,), (6, 4, 3)),
    ((6, 2, 4), (4,)),
]


@pytest.mark.parametrize("sa,sb", SHAPES)
def test_matmul_matches_torch(sa, sb):
    a, b = RNG.standard_normal(sa), RNG.standard_normal(sb)
    compare_with_torch(lambda x, y: x @ y, None, [a, b])
    compare_with_torch(lambda x, y: x.matmul(y), None, [a, b])


@pytest.mark.parametrize("sa,sb", SHAPES[:8])
def test_matmul_gradcheck_and_gradgradcheck(sa, sb):
    a = tl.tensor(RNG.standard_normal(sa), requires_grad=True)
    b = tl.tensor(RNG.standard_normal(sb), requires_grad=True)
    assert gradcheck(lambda x, y: x @ y, [a, b])
    assert gradgradcheck(lambda x, y: x @ y, [a, b])


def test_matmul_with_a_constant_operand_skips_its_gradient():
    a = tl.randn(2, 3, requires_grad=True)
    b = tl.randn(3, 4)
    (a @ b).sum().backward()
    assert a.grad.shape == (2, 3) and b.grad is None


def test_rmatmul_with_numpy_array():
    a = tl.randn(3, 2, requires_grad=True)
    m = np.ones((4, 3), dtype=np.float32)
    out = m @ a
    assert out.shape == (4, 2) and out.requires_grad


def test_float32_stays_float32():
    assert (tl.randn(2, 3) @ tl.randn(3, 4)).dtype == np.float32


def test_errors_name_both_shapes():
    with pytest.raises(ValueError, match=r"matmul: cannot multiply \(2, 3\) by \(2, 3\)"):
        tl.randn(2, 3) @ tl.randn(2, 3)
    with pytest.raises(ValueError, match=r"matmul: cannot multiply \(3,\) by \(4,\)"):
        tl.randn(3) @ tl.randn(4)
    with pytest.raises(ValueError, match="matmul: both arguments need to be at least 1D"):
        tl.tensor(2.0) @ tl.randn(3)
    with pytest.raises(ValueError, match="matmul: batch dimensions"):
        tl.randn(2, 2, 3) @ tl.randn(5, 3, 4)
