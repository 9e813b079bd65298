"""matmul: 1-D, 2-D, batched and broadcast operands vs PyTorch; errors name both shapes (and
both dtypes: mixed dtypes raise, as in PyTorch)."""

from __future__ import annotations

import re

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
    with pytest.raises(RuntimeError, match=r"matmul: cannot multiply \(2, 3\) by \(2, 3\)"):
        tl.randn(2, 3) @ tl.randn(2, 3)
    with pytest.raises(RuntimeError, match=r"matmul: cannot multiply \(3,\) by \(4,\)"):
        tl.randn(3) @ tl.randn(4)
    with pytest.raises(RuntimeError, match="matmul: both arguments need to be at least 1D"):
        tl.tensor(2.0) @ tl.randn(3)
    with pytest.raises(RuntimeError, match="matmul: batch dimensions"):
        tl.randn(2, 2, 3) @ tl.randn(5, 3, 4)


# ----- dtypes: matmul refuses mixed operands (PyTorch), elementwise ops promote --------------

MIXED = [
    ((8, 4), np.float64, (4, 3), np.float32),
    ((8, 4), np.float32, (4, 3), np.float64),
    ((4,), np.float32, (4,), np.float64),
    ((4,), np.float32, (4, 3), np.float64),
    ((3, 4), np.float32, (4,), np.float64),
    ((2, 3, 4), np.float32, (4, 5), np.float64),
    ((3, 4), np.int64, (4, 2), np.float32),
]


@pytest.mark.parametrize("sa,da,sb,db", MIXED)
def test_matmul_mixed_dtypes_raise_like_torch(sa, da, sb, db):
    a = tl.tensor(RNG.standard_normal(sa).astype(da))
    b = tl.tensor(RNG.standard_normal(sb).astype(db))
    msg = (
        rf"matmul: input dtype {np.dtype(da)} does not match other dtype {np.dtype(db)} "
        rf"\(input {re.escape(str(sa))}, other {re.escape(str(sb))}\); convert with"
    )
    with pytest.raises(RuntimeError, match=msg):
        a @ b
    with pytest.raises(RuntimeError, match="matmul: input dtype"):
        a.matmul(b)
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError):
        torch.from_numpy(a.data) @ torch.from_numpy(b.data)


def test_matmul_dtype_error_suggests_the_conversions():
    with pytest.raises(RuntimeError, match=r"convert with input\.float\(\) or other\.double\(\)$"):
        tl.randn(2, 3, dtype=tl.float64) @ tl.randn(3, 2)
    hint = r"convert with input\.to\(tl\.float16\) or other\.float\(\)$"
    with pytest.raises(RuntimeError, match=hint):
        tl.randn(2, 3) @ tl.randn(3, 2, dtype=tl.float16)


def test_matmul_same_dtype_still_works_and_elementwise_still_promotes():
    ints = tl.tensor([[1, 2], [3, 4]]) @ tl.tensor([[1], [1]])
    assert ints.dtype == np.int64 and ints.tolist() == [[3], [7]]
    assert (tl.randn(2, 3, dtype=tl.float64) @ tl.randn(3, dtype=tl.float64)).dtype == np.float64
    assert (tl.randn(3) + tl.randn(3, dtype=tl.float64)).dtype == np.float64
