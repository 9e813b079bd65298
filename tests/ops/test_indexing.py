"""Indexing (getitem, IndexAdd, gather, index_select, masked_fill, split, chunk) vs PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import tinygrad_lite as tl
from tests.helpers import assert_close, compare_with_torch, torch_or_skip
from tinygrad_lite.autograd import gradcheck, gradgradcheck
from tinygrad_lite.ops import movement


def rnd(*shape: int) -> np.ndarray:
    return np.random.default_rng([*shape, len(shape)]).standard_normal(shape)


def leaf(*shape: int) -> tl.Tensor:
    return tl.tensor(rnd(*shape), requires_grad=True)


MASK = np.array([True, False, True])
INDEXES = [
    1,
    -1,
    (1, 1),
    (0, -1, 3),
    slice(1, None),
    (slice(None), slice(0, 4, 2)),
    (slice(None, None, 2), 1, slice(1, 3)),
    (Ellipsis, 1),
    (None, 0, Ellipsis, None),
    (slice(None), None, 1),
    np.array([0, 2, 2]),
    [2, 0],
    [0, slice(None)],  # a list holding a slice is read as a tuple
    (np.array([0, 1, 2]), slice(None), np.array([3, 1, 3])),
    (np.array([[0], [2]]), np.array([1, 0, 1])),
    (slice(1, 3), [0, 0, 1]),
    (1, [0, 1], slice(None)),
    (Ellipsis, [3, 0, 3]),
    MASK,
    (MASK, slice(None), 2),
    (slice(None), slice(None), np.array([True, False, False, True])),
    np.array([[True, False], [False, True], [True, True]])[:, :, None].repeat(4, axis=2),
    (MASK, [1, 1]),
    (np.array(1), slice(None)),
    (),
]


@pytest.mark.filterwarnings("ignore:Using a non-tuple sequence")  # torch on [0, slice(None)]
@pytest.mark.parametrize("index", INDEXES, ids=range(len(INDEXES)))
def test_getitem_matches_torch(index):
    compare_with_torch(lambda x: x[index], None, [rnd(3, 2, 4)])


def test_list_of_lists_is_one_integer_array():
    """numpy 2 semantics (PyTorch 2.13 reads it as a tuple but announces the same change)."""
    torch = torch_or_skip()
    index = [[0, 1], [1, 2]]
    compare_with_torch(lambda x: x[index], lambda x: x[torch.tensor(index)], [rnd(3, 2, 4)])


@pytest.mark.parametrize(
    "index",
    [
        (slice(None, None, -1),),
        (slice(None), slice(3, 0, -2)),
        (slice(None, None, -2), [1, 1], slice(None, None, -1)),
    ],
)
def test_getitem_negative_steps_as_numpy(index):
    data = rnd(3, 2, 4)
    x = tl.tensor(data, requires_grad=True)
    y = x[index]
    assert_close(y, data[index])
    g = rnd(*y.shape)
    y.backward(tl.tensor(g))
    expected = np.zeros_like(data)
    np.add.at(expected, index, g)
    assert_close(x.grad, expected)
    assert gradcheck(lambda t: t[index], (leaf(3, 2, 4),))


def test_getitem_with_tensor_indices_matches_torch():
    torch = torch_or_skip()
    rows, mask = [0, 2, 0], [True, False, True, True]

    def ours(x):
        picked = x[tl.tensor(rows), :, tl.tensor([1, 0, 1])]
        return picked + x[:, 1][:, tl.tensor(mask)].sum()

    def theirs(x):
        picked = x[torch.tensor(rows), :, torch.tensor([1, 0, 1])]
        return picked + x[:, 1][:, torch.tensor(mask)].sum()

    compare_with_torch(ours, theirs, [rnd(3, 2, 4)])
    compare_with_torch(lambda x: x[x > 0], None, [rnd(3, 4)])


def test_repeated_indices_accumulate():
    x = tl.tensor([1.0, 2.0, 3.0], dtype=np.float64, requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]
    compare_with_torch(lambda x: x[[1, 1, 0], [2, 2, 2]] * 2, None, [rnd(2, 3)])
    compare_with_torch(lambda x: x[np.array([[0, 0], [0, 1]])], None, [rnd(2, 3)])


def test_basic_index_backward_is_an_assignment_into_zeros():
    x = leaf(4, 5)
    y = x[1:3, ::2]
    y.backward(tl.tensor(np.ones(y.shape)))
    expected = np.zeros((4, 5))
    expected[1:3, ::2] = 1
    assert_close(x.grad, expected)
    assert not any(isinstance(s, np.ndarray) for s in y.grad_fn.saved)


def test_getitem_errors():
    x = leaf(3, 4)
    out_of_range = "getitem: index {} is out of bounds for dimension {} with size {} "
    with pytest.raises(IndexError, match=out_of_range.format(5, 0, 3)):
        x[5]
    with pytest.raises(IndexError, match=out_of_range.format(7, 1, 4)):
        x[:, [0, 7]]
    with pytest.raises(IndexError, match="getitem: too many indices"):
        x[0, 0, 0]
    with pytest.raises(IndexError, match="getitem: boolean index did not match"):
        x[np.array([True, False])]
    with pytest.raises(IndexError, match="getitem: tensors used as indices must be integer or"):
        x[tl.tensor([0.5])]
    with pytest.raises(TypeError, match="getitem: unsupported index of type str"):
        x["a"]


def test_index_add_primitive_and_its_backward():
    g = tl.tensor(np.array([1.0, 2.0, 4.0]), requires_grad=True)
    y = movement.IndexAdd.apply(g, shape=(2, 3), index=(np.array([0, 0, 1]), np.array([1, 1, 2])))
    assert y.tolist() == [[0.0, 3.0, 0.0], [0.0, 0.0, 4.0]]
    y.backward(tl.tensor(np.arange(6.0).reshape(2, 3)))
    assert g.grad.tolist() == [1.0, 1.0, 5.0]
    basic = movement.IndexAdd.apply(g, shape=(2, 5), index=(1, slice(1, 4)))
    assert basic.tolist() == [[0.0] * 5, [0.0, 1.0, 2.0, 4.0, 0.0]]
    with pytest.raises(IndexError, match="getitem: index 4 is out of bounds for dimension 0"):
        movement.IndexAdd.apply(g, shape=(3,), index=np.array([0, 4, 1]))


def test_index_add_gradcheck():
    index = (slice(None), np.array([[0], [2]]), np.array([1, 1, 0]))
    fn = lambda v: movement.IndexAdd.apply(v * v, shape=(2, 3, 2), index=index)  # noqa: E731
    assert gradcheck(fn, (leaf(2, 2, 3),))
    assert gradgradcheck(fn, (leaf(2, 2, 3),))


@pytest.mark.parametrize(
    "index",
    [
        (slice(None), [0, 2, 2]),
        (slice(1, None), 0),
        np.array([[True, False, False], [True, True, False]]),
    ],
)
def test_double_backward_through_getitem_matches_torch(index):
    torch = torch_or_skip()
    data, v = rnd(2, 3) + 2.0, rnd(2, 3)

    def first(lib, x):
        y = (x * x * x)[index]
        (g,) = lib.autograd.grad((y * y).sum(), x, create_graph=True)
        return (g * lib.tensor(v)).sum()

    x, xt = tl.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    first(tl, x).backward()
    first(torch, xt).backward()
    assert_close(x.grad, xt.grad)


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: x[[0, 0, 1], 1:],
        lambda x: x[np.array([True, False, True]), ::-1] * x[2],
        lambda x: x[None, ..., [2, 2]] ** 2,
        lambda x: x.gather(1, tl.tensor([[0, 0], [2, 1], [1, 1]])) ** 2,
    ],
)
def test_gradcheck_and_gradgradcheck(fn):
    x = leaf(3, 3)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


# ----- gather / index_select / masked_fill ----------------------------------------------


@pytest.mark.parametrize(
    ("shape", "dim", "index"),
    [
        ((3, 4), 1, [[0, 0, 3], [1, 2, 1], [3, 3, 3]]),
        ((3, 4), 0, [[2, 0, 0, 1]]),
        ((3, 4), -1, [[1], [0]]),
        ((2, 3, 4), 2, np.zeros((2, 3, 5), dtype=np.int64)),
        ((2, 3, 4), 1, [[[2, 0, 1, 1]], [[0, 0, 0, 2]]]),
    ],
)
def test_gather_matches_torch(shape, dim, index):
    torch = torch_or_skip()
    idx = np.array(index, dtype=np.int64)
    compare_with_torch(
        lambda x: x.gather(dim, tl.tensor(idx)),
        lambda x: torch.gather(x, dim, torch.tensor(idx)),
        [rnd(*shape)],
    )


def test_gather_errors():
    x = leaf(3, 4)
    with pytest.raises(RuntimeError, match="gather: index 4 is out of bounds for dimension 1"):
        x.gather(1, tl.tensor([[0, 4]]))
    with pytest.raises(RuntimeError, match=r"gather: index \(2,\) must have the same number"):
        x.gather(1, tl.tensor([0, 1]))
    with pytest.raises(RuntimeError, match=r"gather: index \(4, 1\) is larger than input"):
        x.gather(1, tl.tensor([[0], [1], [2], [3]]))
    with pytest.raises(TypeError, match="gather: expected an integer index tensor"):
        x.gather(1, tl.tensor([[0.0]]))


@pytest.mark.parametrize(("dim", "index"), [(0, [2, 0, 2]), (1, [3]), (-1, [1, 1, 0, 3])])
def test_index_select_matches_torch(dim, index):
    torch = torch_or_skip()
    compare_with_torch(
        lambda x: x.index_select(dim, tl.tensor(index)),
        lambda x: torch.index_select(x, dim, torch.tensor(index)),
        [rnd(3, 4)],
    )
    with pytest.raises(IndexError, match="index_select: index 9 is out of bounds for dimension"):
        leaf(3, 4).index_select(dim, tl.tensor([9]))


def test_masked_fill_matches_torch():
    torch = torch_or_skip()
    mask = np.array([[True], [False], [True]])
    compare_with_torch(
        lambda x: x.masked_fill(tl.tensor(mask), -1.5),
        lambda x: x.masked_fill(torch.tensor(mask), -1.5),
        [rnd(3, 4)],
    )
    with pytest.raises(RuntimeError, match=r"masked_fill: mask \(2, 1\) cannot be broadcast"):
        leaf(3, 4).masked_fill(tl.tensor([[True], [False]]), 0.0)


# ----- split / chunk --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fn", "arg", "dim"),
    [("split", 2, 0), ("split", 3, 1), ("split", [1, 3, 0, 1], -1), ("split", 10, 1),
     ("chunk", 2, 0), ("chunk", 3, 1), ("chunk", 4, -1), ("chunk", 10, 0)],
)  # fmt: skip
def test_split_chunk_match_torch(fn, arg, dim):
    torch = torch_or_skip()

    def ours(x):
        parts = getattr(x, fn)(arg, dim)
        return tl.cat([p * (k + 1) for k, p in enumerate(parts)], dim)

    def theirs(x):
        parts = getattr(x, fn)(arg, dim)
        return torch.cat([p * (k + 1) for k, p in enumerate(parts)], dim)

    compare_with_torch(ours, theirs, [rnd(3, 5)])
    x, xt = leaf(3, 5), torch.tensor(rnd(3, 5))
    assert [p.shape for p in getattr(tl, fn)(x, arg, dim)] == [
        tuple(p.shape) for p in getattr(torch, fn)(xt, arg, dim)
    ]


def test_split_chunk_errors():
    x = leaf(3, 4)
    with pytest.raises(RuntimeError, match=r"split: split sizes \[1, 1\] do not sum to 3"):
        x.split([1, 1], 0)
    with pytest.raises(RuntimeError, match="split: split_size must be a positive integer, got 0"):
        x.split(0)
    with pytest.raises(RuntimeError, match="chunk: chunks must be greater than 0, got 0"):
        x.chunk(0)


# ----- property: any basic index (negative steps included) ------------------------------

slices = st.builds(
    slice,
    st.one_of(st.none(), st.integers(-5, 5)),
    st.one_of(st.none(), st.integers(-5, 5)),
    st.one_of(st.none(), st.integers(-3, 3).filter(bool)),
)
int_lists = st.lists(st.integers(-3, 2), max_size=4)
items = st.one_of(slices, st.integers(-3, 2), st.just(None), st.just(Ellipsis), int_lists)


def _ints_mixed_with_arrays(index):
    """True when PyTorch (ints applied first) and numpy (ints are advanced) may differ."""
    kinds = {type(i) for i in index}
    return int in kinds and np.ndarray in kinds


def _ellipsis_between_arrays(index):
    """True when an ``...`` separates array indices: PyTorch keeps them adjacent when the
    ``...`` covers no dimension, numpy does not (see ``indexing._expand_ellipsis``)."""
    kinds = ["a" if isinstance(i, np.ndarray) else "e" if i is Ellipsis else "-" for i in index]
    text = "".join(kinds)
    return "e" in text and "a" in text[: text.index("e")] and "a" in text[text.index("e") :]


@settings(max_examples=60, deadline=None)
@given(st.lists(items, max_size=3))
def test_getitem_property_matches_numpy(index):
    """Forward is numpy's ``x[index]``; backward adds the gradient back with ``np.add.at``.

    (Ints mixed with arrays follow PyTorch instead: see the next test.)
    """
    index = tuple(np.array(i, dtype=np.int64) if isinstance(i, list) else i for i in index)
    assume(not _ints_mixed_with_arrays(index) and not _ellipsis_between_arrays(index))
    data = rnd(3, 4, 2)
    try:
        expected = data[index]
    except IndexError:
        with pytest.raises(IndexError, match="getitem: "):
            tl.tensor(data)[index]
        return
    x = tl.tensor(data, requires_grad=True)
    y = x[index]
    assert_close(y, expected)
    g = np.random.default_rng(1).standard_normal(expected.shape)
    y.backward(tl.tensor(g))
    reference = np.zeros_like(data)
    np.add.at(reference, index, g)
    assert_close(x.grad, reference)


torch_slices = st.builds(  # PyTorch has no negative steps
    slice,
    st.one_of(st.none(), st.integers(-5, 5)),
    st.one_of(st.none(), st.integers(-5, 5)),
    st.one_of(st.none(), st.integers(1, 3)),
)
torch_items = st.one_of(
    torch_slices, st.integers(-3, 2), st.just(None), st.just(Ellipsis), int_lists
)


@settings(max_examples=80, deadline=None)
@given(st.lists(torch_items, max_size=4))
def test_getitem_property_matches_torch(index):
    """Any mix of ints, slices, None, ``...`` and integer arrays: values and gradients are
    PyTorch's (integer indices are applied before the arrays), errors are IndexErrors.
    (Several ``...`` are an error here, as in numpy; PyTorch lets the first one expand.)"""
    torch = torch_or_skip()
    assume(sum(i is Ellipsis for i in index) <= 1)
    data = rnd(3, 4, 2)
    ours = tuple(np.array(i, dtype=np.int64) if isinstance(i, list) else i for i in index)
    theirs = tuple(torch.tensor(i) if isinstance(i, np.ndarray) else i for i in ours)
    try:
        expected = torch.tensor(data)[theirs]
    except IndexError:
        with pytest.raises(IndexError, match="getitem: "):
            tl.tensor(data)[ours]
        return
    if expected.numel() == 0:  # PyTorch skips the bounds check when nothing is selected
        try:
            tl.tensor(data)[ours]
        except IndexError:
            return
    compare_with_torch(lambda t: t[ours], lambda t: t[theirs], [data])


@pytest.mark.parametrize(
    "index",
    [
        (slice(None), [0, 0, 0], Ellipsis, [0]),  # an empty ... keeps the arrays adjacent
        (slice(None), [], Ellipsis, []),
        ([1, 2], Ellipsis, [0, 1]),  # a ... over one dim separates them: broadcast dims first
        (Ellipsis, [0, 1], [1, 0]),
        (0, Ellipsis, [1, 0]),
    ],
)
def test_getitem_ellipsis_between_array_indices_matches_torch(index):
    torch = torch_or_skip()
    data = rnd(3, 3, 3)
    ours = tuple(np.array(i, dtype=np.int64) if isinstance(i, list) else i for i in index)
    theirs = tuple(torch.tensor(i, dtype=torch.int64) if isinstance(i, list) else i
                   for i in index)  # fmt: skip
    compare_with_torch(lambda t: t[ours], lambda t: t[theirs], [data])

