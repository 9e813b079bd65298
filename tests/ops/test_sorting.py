"""sort, argsort and topk vs PyTorch: values, indices, gradients through the values, ties."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tl
from tests.helpers import compare_with_torch, torch_or_skip
from tinygrad_lite.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(3)
A = RNG.standard_normal((4, 5))
TIES = RNG.integers(0, 3, (4, 6)).astype(np.float64)  # few distinct values: many ties
NAN = np.array([1.0, 3.0, 1.0, 2.0, 3.0, 1.0, np.nan, 3.0, -np.inf, np.inf, -0.0, 0.0])


@pytest.mark.parametrize("data", [A, TIES], ids=["distinct", "ties"])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("descending", [False, True])
def test_sort_matches_torch_stable(data, dim, descending):
    """Values, indices and the gradient (through the values) as torch's ``stable=True``."""
    torch = torch_or_skip()
    compare_with_torch(
        lambda x: x.sort(dim, descending=descending).values,
        lambda x: torch.sort(x, dim=dim, descending=descending, stable=True).values,
        [data],
    )
    ours = tl.sort(tl.tensor(data), dim, descending).indices
    theirs = torch.sort(torch.tensor(data), dim=dim, descending=descending, stable=True).indices
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    np.testing.assert_array_equal(
        tl.argsort(tl.tensor(data), dim, descending).data, theirs.numpy()
    )


@pytest.mark.parametrize("descending", [False, True])
def test_sort_nan_inf_and_signed_zero_as_torch(descending):
    """NaN sorts above +inf; -0.0 and 0.0 are equal (kept in order).  PyTorch's default sort
    is stable for up to 16 entries, so ``stable=False`` agrees here too."""
    torch = torch_or_skip()
    for stable in (False, True):
        ours = tl.tensor(NAN).sort(descending=descending, stable=stable)
        theirs = torch.tensor(NAN).sort(descending=descending, stable=stable)
        np.testing.assert_array_equal(ours.indices.data, theirs.indices.numpy())
        np.testing.assert_array_equal(ours.values.data, theirs.values.numpy())


@pytest.mark.parametrize("k", [1, 3, 5])
@pytest.mark.parametrize("largest", [True, False])
def test_topk_matches_torch_without_ties(k, largest):
    torch = torch_or_skip()
    compare_with_torch(
        lambda x: x.topk(k, dim=1, largest=largest).values,
        lambda x: torch.topk(x, k, dim=1, largest=largest).values,
        [A],
    )
    ours = tl.topk(tl.tensor(A.T), k, 0, largest).indices
    theirs = torch.topk(torch.tensor(A.T), k, 0, largest).indices
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_topk_ties_take_the_lowest_index_and_its_gradient():
    """PyTorch leaves the order of tied entries unspecified (it varies with k and n); we return
    the lowest indices first, and the gradient goes to exactly the entries returned."""
    torch = torch_or_skip()
    x = tl.tensor([1.0, 3.0, 1.0, 2.0, 3.0, 1.0, 3.0], dtype=tl.float64, requires_grad=True)
    top = x.topk(2)
    assert top.indices.tolist() == [1, 4]
    top.values.sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    theirs = torch.topk(torch.tensor(x.data), 2)
    np.testing.assert_array_equal(top.values.data, theirs.values.numpy())  # same values


def test_gradcheck_and_gradgradcheck():
    x = tl.tensor(A, requires_grad=True)
    for fn in (
        lambda t: t.sort(1).values ** 2,
        lambda t: t.sort(0, descending=True)[0] * t,
        lambda t: t.topk(2, 0).values ** 3,
    ):
        assert gradcheck(fn, (x,))
        assert gradgradcheck(fn, (x,))


def test_integer_zero_dim_and_errors():
    torch = torch_or_skip()
    for call in (
        lambda m: m.sort(m.tensor([3, 1, 2]), descending=True).values,
        lambda m: m.argsort(m.tensor([True, False, True])),
        lambda m: m.topk(m.tensor([3, 1, 2]), 2).indices,
        lambda m: m.sort(m.tensor(2.5)).indices,
    ):
        ours, theirs = call(tl), call(torch)
        np.testing.assert_array_equal(ours.data, theirs.numpy())
        assert str(theirs.dtype) == f"torch.{ours.dtype}"
    with pytest.raises(RuntimeError, match=r"topk: selected index k out of range \(k=3"):
        tl.zeros(2).topk(3)
    with pytest.raises(IndexError, match="sort: dimension out of range"):
        tl.zeros(2).sort(1)
