"""einsum vs PyTorch (and numpy): explicit and implicit outputs, ellipsis, repeated indices,
broadcasting, the sublist form; gradients and double backward."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tl
from tests.helpers import compare_with_torch, torch_or_skip
from tinygrad_lite.autograd import gradcheck, gradgradcheck
from tinygrad_lite.ops.einsum import explicit_equation

RNG = np.random.default_rng(11)


def r(*shape):
    return RNG.standard_normal(shape)


CASES = [
    ("ij,jk->ik", [r(2, 3), r(3, 4)]),
    ("ij,jk", [r(2, 3), r(3, 4)]),  # implicit output
    ("ii->i", [r(3, 3)]),  # diagonal
    ("ii", [r(3, 3)]),  # trace
    ("iij->ji", [r(2, 2, 3)]),
    ("ij->", [r(2, 3)]),
    ("ij->ji", [r(2, 3)]),
    ("i,j->ij", [r(2), r(3)]),
    ("i,i->", [r(4), r(4)]),
    ("bij,bjk->bik", [r(2, 2, 3), r(2, 3, 2)]),
    ("...ij,...jk->...ik", [r(2, 1, 2, 3), r(4, 3, 2)]),  # ellipsis broadcast
    ("...ij,...jk", [r(2, 2, 3), r(3, 2)]),
    ("ab,b...->a...", [r(2, 3), r(3, 2, 2)]),
    ("...", [r(2, 3)]),
    ("i...->...", [r(3, 2, 2)]),
    ("ij,ij->ij", [r(1, 3), r(2, 1)]),  # size-1 broadcast on labelled dims
    ("ij,jk,kl->il", [r(2, 3), r(3, 4), r(4, 2)]),
    ("Ba,aB", [r(2, 3), r(3, 2)]),  # uppercase letters
    ("ijk,ikj->k", [r(2, 3, 3), r(2, 3, 3)]),
    ("i j , j k -> i k", [r(2, 3), r(3, 4)]),  # spaces
]


@pytest.mark.parametrize(("eq", "inputs"), CASES, ids=[c[0] for c in CASES])
def test_matches_torch(eq, inputs):
    torch = torch_or_skip()
    compare_with_torch(lambda *t: tl.einsum(eq, *t), lambda *t: torch.einsum(eq, *t), inputs)


@pytest.mark.parametrize(("eq", "inputs"), CASES, ids=[c[0] for c in CASES])
def test_matches_numpy_and_gradchecks(eq, inputs):
    ts = [tl.tensor(x, requires_grad=True) for x in inputs]
    np.testing.assert_allclose(tl.einsum(eq, *ts).data, np.einsum(eq, *inputs), rtol=1e-12)
    assert gradcheck(lambda *t: tl.einsum(eq, *t), ts)
    assert gradgradcheck(lambda *t: tl.einsum(eq, *t), ts)


def test_same_tensor_twice_and_operand_list():
    torch = torch_or_skip()
    a = r(3, 3)
    compare_with_torch(lambda t: tl.einsum("ij,jk->ik", [t, t]),
                       lambda t: torch.einsum("ij,jk->ik", [t, t]), [a])  # fmt: skip
    x = tl.tensor(a, requires_grad=True)
    assert gradgradcheck(lambda t: tl.einsum("ij,jk", t, t) ** 2, (x,))


def test_sublist_form_as_torch():
    torch = torch_or_skip()
    a, b = r(2, 3), r(3, 4)
    ours = tl.einsum(tl.tensor(a), [0, 1], tl.tensor(b), [1, 2], [0, 2])
    theirs = torch.einsum(torch.tensor(a), [0, 1], torch.tensor(b), [1, 2], [0, 2])
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12)
    ours = tl.einsum(tl.tensor(a), [Ellipsis, 0])
    np.testing.assert_allclose(ours.data, np.einsum(a, [Ellipsis, 0]), rtol=1e-12)


def test_float32_dtype_promotion_and_integers():
    torch = torch_or_skip()
    a, b = r(4, 5).astype(np.float32), r(5, 3).astype(np.float32)
    compare_with_torch(
        lambda x, y: tl.einsum("ij,jk", x, y),
        lambda x, y: torch.einsum("ij,jk", x, y),
        [a, b],
        rtol=1e-5,
        atol=1e-6,
    )
    for call in (
        lambda m: m.einsum("ij,jk", m.tensor([[1.0]]), m.tensor([[1.0, 2.0]], dtype=m.float64)),
        lambda m: m.einsum("i,i", m.tensor([1, 2]), m.tensor([3, 4])),
    ):
        ours, theirs = call(tl), call(torch)
        np.testing.assert_array_equal(ours.data, theirs.numpy())
        assert str(theirs.dtype) == f"torch.{ours.dtype}"


def test_output_is_not_a_view_of_the_input():
    x = tl.tensor(r(2, 3))
    y = tl.einsum("ij->ji", x)
    assert not np.shares_memory(y.data, x.data)


def test_explicit_equation():
    assert explicit_equation("ij,jk", [(2, 3), (3, 4)]) == "ij,jk->ik"
    assert explicit_equation("...ij,...jk", [(5, 2, 3), (3, 4)]) == "Aij,jk->Aik"
    assert explicit_equation("ba", [(2, 3)]) == "ba->ab"


def test_errors():
    with pytest.raises(RuntimeError, match=r"einsum\(\): subscript i is repeated for operand 0"):
        tl.einsum("ii->i", tl.zeros(1, 2))
    with pytest.raises(RuntimeError, match=r"einsum\(\): operands do not broadcast: subscript j"):
        tl.einsum("ij,jk", tl.zeros(2, 3), tl.zeros(2, 2))
    with pytest.raises(RuntimeError, match=r"the number of subscripts in the equation \(2\) does"):
        tl.einsum("ij", tl.zeros(2, 3, 4))
    with pytest.raises(RuntimeError, match=r"has 2 operand\(s\) but 1 tensor\(s\)"):
        tl.einsum("ij,jk", tl.zeros(2, 3))
    with pytest.raises(RuntimeError, match="output subscript i appears more than once"):
        tl.einsum("i->ii", tl.zeros(2))
    with pytest.raises(RuntimeError, match="output subscript k does not appear"):
        tl.einsum("i->k", tl.zeros(2))
    with pytest.raises(RuntimeError, match="invalid subscript '1'"):
        tl.einsum("i1", tl.zeros(2, 2))
    with pytest.raises(TypeError, match=r"einsum\(\): operand 0 must be a Tensor, not ndarray"):
        tl.einsum("i", np.zeros(2))
