"""scatter, scatter_add, index_add, masked_select (and gather, index_select) vs PyTorch,
duplicate indices included."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tl
from tests.helpers import compare_with_torch, torch_or_skip
from tinygrad_lite.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(5)
X = RNG.standard_normal((3, 4))
SRC = RNG.standard_normal((3, 4))
DUP0 = np.array([[0, 2, 2, 1], [0, 2, 0, 1], [0, 1, 1, 1]])  # along dim 0: repeats per column
DUP1 = np.array([[3, 3, 0], [1, 1, 1], [2, 0, 2]])  # along dim 1, narrower than src


def _pair(name):
    """(ours, torch) callables for a case of CASES."""
    torch = torch_or_skip()
    fn = CASES[name][0]
    return lambda *t: fn(tl, *t), lambda *t: fn(torch, *t)


CASES = {
    "scatter dup dim 0": (lambda m, x, s: x.scatter(0, m.tensor(DUP0), s), [X, SRC]),
    "scatter dup dim 1": (lambda m, x, s: m.scatter(x, 1, m.tensor(DUP1), s), [X, DUP1 * 0.5]),
    "scatter value": (lambda m, x: x.scatter(1, m.tensor(DUP1), 2.5), [X]),
    "scatter value kw": (lambda m, x: m.scatter(x, 0, m.tensor(DUP0), value=-1.0), [X]),
    "scatter_add dup": (lambda m, x, s: x.scatter_add(0, m.tensor(DUP0), s), [X, SRC]),
    "scatter_add dim 1": (
        lambda m, x, s: m.scatter_add(x, 1, m.tensor(DUP1), s), [X, SRC[:, :3] * 2],
    ),
    "index_add dup": (
        lambda m, x, s: x.index_add(0, m.tensor([2, 0, 2, 2]), s), [X, RNG.standard_normal((4, 4))],
    ),
    "index_add alpha dim 1": (
        lambda m, x, s: m.index_add(x, 1, m.tensor([1, 1]), s, alpha=-2.0), [X, SRC[:, :2]],
    ),
    "masked_select": (lambda m, x: x.masked_select(m.tensor(X > 0)), [X]),
    "masked_select broadcast": (
        lambda m, x: m.masked_select(x, m.tensor([[True], [False], [True]]).expand(3, 4)), [X],
    ),
    "masked_select broadcast input": (
        lambda m, x: m.masked_select(x, m.tensor(np.ones((2, 3, 4), dtype=bool))), [X],
    ),
    "gather dup": (lambda m, x: m.gather(x, 0, m.tensor(DUP0)), [X]),
    "index_select dup": (lambda m, x: x.index_select(1, m.tensor([3, 3, 0])), [X]),
}  # fmt: skip


@pytest.mark.parametrize("name", CASES)
def test_matches_torch(name):
    """Forward (the last write along dim wins) and both gradients: the input gets 0 where
    something was written; every src entry gets the output gradient at its target."""
    ours, theirs = _pair(name)
    compare_with_torch(ours, theirs, CASES[name][1])


# with duplicates scatter's src gradient is PyTorch's choice, not the Jacobian: tested above
@pytest.mark.parametrize("name", [n for n in CASES if "value" not in n and "scatter dup" not in n])
def test_gradcheck_and_gradgradcheck(name):
    fn, inputs = CASES[name]
    ts = tuple(tl.tensor(x, requires_grad=True) for x in inputs)
    assert gradcheck(lambda *t: fn(tl, *t) ** 2, ts)
    assert gradgradcheck(lambda *t: fn(tl, *t) ** 2, ts)


def test_scatter_without_duplicates_gradchecks():
    x, s = tl.tensor(X, requires_grad=True), tl.tensor(SRC, requires_grad=True)
    index = tl.tensor(np.argsort(RNG.standard_normal((3, 4)), axis=0)[:2])  # a permutation
    assert gradcheck(lambda a, b: a.scatter(0, index, b) ** 2, (x, s))
    assert gradgradcheck(lambda a, b: a.scatter(0, index, b) ** 2, (x, s))


def test_scatter_src_larger_than_index_gets_zero_padded_gradient():
    """PyTorch 2.13 raises in backward here ("invalid gradient ... got [2, 1]"); we give the
    gradient: the gathered values where src was used, 0 elsewhere."""
    x, s = tl.zeros(2, 3, dtype=tl.float64, requires_grad=True), tl.ones(2, 3, dtype=tl.float64)
    s.requires_grad_()
    (x.scatter(1, tl.tensor([[0], [1]]), s) * tl.arange(6.0).reshape(2, 3)).sum().backward()
    assert s.grad.tolist() == [[0.0, 0.0, 0.0], [4.0, 0.0, 0.0]]


def test_zero_dim_and_int_inputs():
    torch = torch_or_skip()
    for call in (
        lambda m: m.zeros(()).scatter(0, m.tensor(0), m.tensor(5.0)),
        lambda m: m.zeros(()).index_add(0, m.tensor([0]), m.tensor(5.0)),
        lambda m: m.zeros(3, dtype=m.int64).scatter(0, m.tensor([0, 1]), 2.7),
        lambda m: m.scatter_add(m.zeros(3, dtype=m.int64), 0, m.tensor([1, 1]), m.tensor([2, 3])),
        lambda m: m.masked_select(m.tensor([1, 2, 3]), m.tensor([True, False, True])),
    ):
        ours, theirs = call(tl), call(torch)
        np.testing.assert_array_equal(ours.data, theirs.numpy())
        assert str(theirs.dtype) == f"torch.{ours.dtype}"


def test_errors_as_torch():
    x = tl.zeros(3)
    with pytest.raises(RuntimeError, match="scatter: index -1 is out of bounds for dimension 0"):
        x.scatter(0, tl.tensor([-1]), tl.tensor([1.0]))
    with pytest.raises(RuntimeError, match="scatter_add: index 3 is out of bounds"):
        x.scatter_add(0, tl.tensor([3]), tl.tensor([1.0]))
    with pytest.raises(IndexError, match="index_add: index 3 is out of bounds"):
        x.index_add(0, tl.tensor([3]), tl.tensor([1.0]))
    with pytest.raises(RuntimeError, match="scatter: Index tensor must have the same number"):
        x.scatter(0, tl.tensor([[0]]), tl.tensor([1.0]))
    with pytest.raises(RuntimeError, match=r"scatter: Expected index \(2, 4\) to be smaller"):
        tl.zeros(2, 3).scatter(0, tl.zeros(2, 4, dtype=tl.int64), tl.ones(2, 3))
    with pytest.raises(RuntimeError, match="index_add: Expected self.dtype to be equal to sou"):
        x.index_add(0, tl.tensor([0]), tl.tensor([1.0], dtype=tl.float64))
    with pytest.raises(RuntimeError, match=r"index_add: Number of indices \(2\) should be equal"):
        tl.zeros(3, 2).index_add(0, tl.tensor([0, 1]), tl.ones(3, 2))
    with pytest.raises(RuntimeError, match="scatter: Expected dtype int32/int64 for index"):
        x.scatter(0, tl.tensor([0.0]), tl.tensor([1.0]))
    with pytest.raises(RuntimeError, match="masked_select: expected BoolTensor for mask"):
        x.masked_select(tl.tensor([1, 0, 1]))
    with pytest.raises(RuntimeError, match=r"masked_select: the mask \(4, 1\) and input \(2, 3\)"):
        tl.zeros(2, 3).masked_select(tl.ones(4, 1, dtype=tl.bool_))
    with pytest.raises(NotImplementedError, match="scatter: reduce='add' is not implemented"):
        x.scatter(0, tl.tensor([0]), tl.tensor([1.0]), reduce="add")
    with pytest.raises(RuntimeError, match="gather: index 4 is out of bounds"):
        tl.zeros(2, 3).gather(1, tl.tensor([[0, 4]]))
