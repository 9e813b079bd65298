"""nn.Embedding / F.embedding against PyTorch: lookup, padding_idx, scale_grad_by_freq,
max_norm (in place), from_pretrained, reprs, errors, gradcheck."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from tests.helpers import assert_close, compare_with_torch, torch_or_skip
from tinygrad_lite import nn
from tinygrad_lite.autograd import gradcheck, gradgradcheck

IDX = np.array([[0, 2, 2, 5], [4, 2, 0, 0]])  # rows 0 and 2 repeat, 1 and 3 unused


def _weight(seed: int = 0, rows: int = 6, cols: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((rows, cols))


@pytest.mark.parametrize("kwargs", [
    {}, {"padding_idx": 2}, {"padding_idx": -1}, {"scale_grad_by_freq": True},
    {"padding_idx": 0, "scale_grad_by_freq": True},
])
@pytest.mark.parametrize("idx", [IDX, IDX[0], np.array(3), IDX.astype(np.int32)])
def test_embedding_matches_torch(kwargs: dict, idx: np.ndarray) -> None:
    torch = torch_or_skip()
    compare_with_torch(
        lambda i, w: F.embedding(i, w, **kwargs),
        lambda i, w: torch.nn.functional.embedding(i, w, **kwargs),
        [idx, _weight()], requires_grad=[False, True], rtol=1e-12, atol=0,
    )


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
def test_max_norm_renormalises_looked_up_rows_in_place(norm_type: float) -> None:
    torch = torch_or_skip()
    w = _weight(1) * 2
    ours, theirs = tl.tensor(w.copy(), requires_grad=True), torch.tensor(w.copy(),
                                                                       requires_grad=True)
    out = F.embedding(tl.tensor(IDX), ours, max_norm=1.5, norm_type=norm_type)
    out_t = torch.nn.functional.embedding(torch.tensor(IDX), theirs, max_norm=1.5,
                                          norm_type=norm_type)
    assert_close(ours.detach(), theirs.detach(), rtol=1e-12, atol=0, what="weight")
    assert_close(out, out_t, rtol=1e-12, atol=0)
    g = np.random.default_rng(2).standard_normal(out.shape)
    out.backward(tl.tensor(g))
    out_t.backward(torch.tensor(g))
    assert_close(ours.grad, theirs.grad, rtol=1e-12, atol=0)
    assert np.all(ours.data[3] == w[3])  # row 3 is not looked up: untouched


def test_module_init_repr_and_from_pretrained() -> None:
    torch = torch_or_skip()
    for kwargs in ({}, {"padding_idx": -2}, {"max_norm": 2, "scale_grad_by_freq": True},
                   {"norm_type": 1.0}, {"padding_idx": 0, "max_norm": 1.0, "norm_type": 3}):
        assert repr(nn.Embedding(10, 3, **kwargs)) == repr(torch.nn.Embedding(10, 3, **kwargs))
    tl.manual_seed(0)
    m = nn.Embedding(1000, 4, padding_idx=-1)
    assert m.padding_idx == 999 and m.weight.dtype == np.float32 and m.weight.shape == (1000, 4)
    assert np.all(m.weight.data[999] == 0)
    assert abs(m.weight.data[:999].std() - 1.0) < 0.05  # N(0, 1), as PyTorch
    assert list(m.state_dict()) == ["weight"]
    pre = tl.tensor(np.arange(8.0).reshape(4, 2))
    frozen = nn.Embedding.from_pretrained(pre)
    assert not frozen.weight.requires_grad and frozen.weight.data is pre.data
    assert repr(frozen) == "Embedding(4, 2)"
    assert nn.Embedding.from_pretrained(pre, freeze=False, padding_idx=1).weight.requires_grad
    assert frozen(tl.tensor([3, 1])).tolist() == [[6.0, 7.0], [2.0, 3.0]]


def test_module_forward_backward_and_padding_row_never_learns() -> None:
    m = nn.Embedding(5, 2, padding_idx=0)
    m(tl.tensor(np.array([[0, 1], [0, 3]]))).sum().backward()
    assert m.weight.grad.tolist()[0] == [0.0, 0.0]
    assert m.weight.grad.tolist()[1] == [1.0, 1.0]


def test_gradcheck_and_gradgradcheck() -> None:
    w = tl.tensor(_weight(3), requires_grad=True)
    # (padding_idx and scale_grad_by_freq change the gradient on purpose, so it is no longer
    # the derivative of the value: those are checked against torch above, not by differences)
    assert gradcheck(lambda t: F.embedding(tl.tensor(IDX), t), (w,))
    assert gradgradcheck(lambda t: F.embedding(tl.tensor(IDX), t) ** 2, (w,))


def test_forward_returns_a_fresh_array() -> None:
    w = tl.tensor(_weight(4))
    out = F.embedding(tl.tensor(np.array([1])), w)
    out.data[...] = 0
    assert np.all(w.data[1] != 0)


def test_errors_name_the_op() -> None:
    w = tl.tensor(_weight())
    with pytest.raises(IndexError, match="embedding: index out of range in self"):
        F.embedding(tl.tensor([6]), w)
    with pytest.raises(IndexError, match="embedding: index out of range"):
        F.embedding(tl.tensor([-1]), w)
    with pytest.raises(RuntimeError, match="embedding: expected indices of dtype int64 or int32"):
        F.embedding(tl.tensor([1.0]), w)
    with pytest.raises(RuntimeError, match="embedding: 'weight' must be 2-D"):
        F.embedding(tl.tensor([1]), tl.tensor(np.ones(3)))
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        F.embedding(tl.tensor([1]), w, padding_idx=6)
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(5, 2, padding_idx=-6)
    with pytest.raises(NotImplementedError, match="sparse"):
        nn.Embedding(5, 2, sparse=True)
    with pytest.raises(AssertionError, match="2-dimensional"):
        nn.Embedding.from_pretrained(tl.tensor(np.ones(3)))
    with pytest.raises(TypeError, match="embedding: expected Tensors"):
        F.embedding([1], w)
