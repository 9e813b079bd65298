"""Movement ops (reshape, permute, expand, flip, cat and composites) against PyTorch; pad
mixed with them in the higher-order tests (pad itself: test_padding.py)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tl
from tests.helpers import assert_close, compare_with_torch, torch_or_skip
from tinygrad_lite.autograd import gradcheck, gradgradcheck
from tinygrad_lite.ops import movement


def rnd(*shape: int) -> np.ndarray:
    return np.random.default_rng([*shape, len(shape)]).standard_normal(shape)


def leaf(*shape: int) -> tl.Tensor:
    return tl.tensor(rnd(*shape), requires_grad=True)


# ----- reshape / view / flatten / squeeze / unsqueeze -----------------------------------


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: x.reshape(3, 8),
        lambda x: x.reshape((4, -1)),
        lambda x: x.reshape([2, 3, 2, 2]),
        lambda x: x.reshape(-1),
        lambda x: x.view(6, 4),
        lambda x: x.flatten(),
        lambda x: x.flatten(1),
        lambda x: x.flatten(0, 1),
        lambda x: x.flatten(-2, -1),
        lambda x: x.unsqueeze(0),
        lambda x: x.unsqueeze(-1),
        lambda x: x.unsqueeze(-2),
        lambda x: x.unsqueeze(3),
        lambda x: x.unsqueeze(1).squeeze(),
        lambda x: x.unsqueeze(1).squeeze(1),
        lambda x: x.unsqueeze(1).squeeze(-3),
        lambda x: x.unsqueeze(0).unsqueeze(2).squeeze((0, 2)),
        lambda x: x.squeeze(0),  # size 2: a no-op, as in PyTorch
    ],
)
def test_reshape_family_matches_torch(fn):
    compare_with_torch(fn, None, [rnd(2, 3, 4)])


def test_reshape_family_on_0d_and_size_1():
    compare_with_torch(lambda x: x.reshape(1, 1), None, [rnd(1)[0]])
    compare_with_torch(lambda x: x.flatten(), None, [np.array(2.5)])
    compare_with_torch(lambda x: x.squeeze(), None, [rnd(1, 1, 1)])
    compare_with_torch(lambda x: x.unsqueeze(0), None, [np.array(2.5)])


def test_reshape_is_a_view_and_saves_no_array():
    x = leaf(2, 3)
    for y in (x.reshape(3, 2), x.permute(1, 0), x.T, x.unsqueeze(0).expand(4, 2, 3)):
        assert np.shares_memory(y.data, x.data)
        assert not any(isinstance(s, np.ndarray) for s in y.grad_fn.saved)


def test_reshape_errors():
    x = leaf(2, 3)
    message = r"reshape: shape \(4, 4\) is invalid for input of size 6"
    with pytest.raises(RuntimeError, match=message):
        x.reshape(4, 4)
    with pytest.raises(RuntimeError, match=r"reshape: only one dimension can be inferred"):
        x.reshape(-1, -1)
    with pytest.raises(IndexError, match=r"unsqueeze: dimension out of range .*got 3"):
        x.unsqueeze(3)
    with pytest.raises(IndexError, match=r"squeeze: dimension out of range"):
        x.squeeze(2)
    with pytest.raises(RuntimeError, match="flatten: start_dim 1 cannot come after end_dim 0"):
        x.flatten(1, 0)


# ----- permute / transpose / .T ---------------------------------------------------------


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: x.permute(2, 0, 1),
        lambda x: x.permute((1, 2, 0)),
        lambda x: x.permute([-1, -3, -2]),
        lambda x: x.transpose(0, 2),
        lambda x: x.transpose(-1, 1),
        lambda x: x.transpose(1, 1),
        lambda x: x.permute(2, 1, 0) * 2,
    ],
)
def test_permute_matches_torch(fn):
    compare_with_torch(fn, None, [rnd(2, 3, 4)])


def test_T_matches_torch():
    compare_with_torch(lambda x: x.T, None, [rnd(3, 5)])
    compare_with_torch(lambda x: x.T, lambda x: x.permute(2, 1, 0), [rnd(2, 3, 4)])


def test_permute_errors():
    x = leaf(2, 3)
    message = r"permute: dims \(0, 0\) are not a permutation .*\(2, 3\)"
    with pytest.raises(RuntimeError, match=message):
        x.permute(0, 0)
    with pytest.raises(RuntimeError, match=r"permute: dims \(0,\) are not a permutation"):
        x.permute(0)
    with pytest.raises(IndexError, match="transpose: dimension out of range"):
        x.transpose(0, 2)


# ----- expand / repeat ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "fn"),
    [
        ((3, 1), lambda x: x.expand(3, 4)),
        ((3, 1), lambda x: x.expand(-1, 5)),
        ((3, 1), lambda x: x.expand((2, 3, 4))),
        ((1, 1), lambda x: x.expand([2, 4, -1, 3])),
        ((2, 3), lambda x: x.expand(2, 3)),
        ((4,), lambda x: x.expand(2, 3, 4)),
        ((3,), lambda x: x.repeat(2)),
        ((2, 3), lambda x: x.repeat(2, 3)),
        ((2, 3), lambda x: x.repeat(2, 1, 3)),
        ((2, 1), lambda x: x.repeat(1, 1)),
        ((2, 3), lambda x: x.repeat(0, 2)),
    ],
)
def test_expand_repeat_match_torch(shape, fn):
    compare_with_torch(fn, None, [rnd(*shape)])


def test_expand_errors():
    x = leaf(2, 3)
    with pytest.raises(RuntimeError, match=r"expand: cannot expand shape \(2, 3\) to \(2, 4\)"):
        x.expand(2, 4)
    with pytest.raises(RuntimeError, match=r"expand: the number of sizes \(3,\) must be at least"):
        x.expand(3)
    with pytest.raises(RuntimeError, match=r"expand: size -1 is not allowed in the new leading"):
        x.expand(-1, 2, 3)
    with pytest.raises(RuntimeError, match="repeat: the number of repeat dims"):
        x.repeat(2)


# ----- flip -----------------------------------------------------------------------------


@pytest.mark.parametrize("dims", [0, -1, (0, 2), [1], (2, 1, 0), ()])
def test_flip_matches_torch(dims):
    torch_dims = [dims] if isinstance(dims, int) else list(dims)
    compare_with_torch(lambda x: x.flip(dims), lambda x: x.flip(torch_dims), [rnd(2, 3, 4)])


def test_flip_errors():
    with pytest.raises(RuntimeError, match=r"flip: dims \(0, -2\) contain a dimension more"):
        leaf(2, 3).flip((0, -2))


# ----- cat / stack ----------------------------------------------------------------------


@pytest.mark.parametrize("dim", [0, 1, -1, -2])
def test_cat_matches_torch(dim):
    torch = torch_or_skip()
    shapes = {0: [(2, 3), (1, 3), (4, 3)], 1: [(2, 3), (2, 1), (2, 2)]}[dim % 2]
    compare_with_torch(
        lambda *xs: tl.cat(xs, dim), lambda *xs: torch.cat(xs, dim), [rnd(*s) for s in shapes]
    )


def test_cat_input_without_grad_and_dtype_promotion():
    torch = torch_or_skip()
    compare_with_torch(
        lambda a, b: tl.cat([a, b], 1),
        lambda a, b: torch.cat([a, b], 1),
        [rnd(2, 3), rnd(2, 2)],
        requires_grad=[False, True],
    )
    ints = tl.tensor([1, 2])
    assert tl.cat([ints, tl.tensor([0.5])]).dtype == np.float32
    assert tl.cat([ints, tl.tensor([3])]).tolist() == [1, 2, 3]


@pytest.mark.parametrize("dim", [0, 1, 2, -1, -3])
def test_stack_matches_torch(dim):
    torch = torch_or_skip()
    compare_with_torch(
        lambda *xs: tl.stack(xs, dim),
        lambda *xs: torch.stack(xs, dim),
        [rnd(2, 3) * k for k in (1, 2, 3)],
    )


def test_cat_stack_errors():
    a, b = leaf(2, 3), leaf(3, 4)
    message = (
        r"cat: expected tensors with the same shape except in dimension 1, "
        r"got \(2, 3\) and \(3, 4\)"
    )
    with pytest.raises(RuntimeError, match=message):
        tl.cat([a, b], 1)
    with pytest.raises(ValueError, match="cat: expected a non-empty sequence"):
        tl.cat([])
    with pytest.raises(TypeError, match="cat: expected a sequence of Tensors, got a single Tensor"):
        tl.cat(a)
    with pytest.raises(IndexError, match=r"cat: dimension out of range .*got 2"):
        tl.cat([a, a], 2)
    with pytest.raises(RuntimeError, match=r"stack: expected all tensors to have the same shape"):
        tl.stack([a, b])


# ----- higher order and finite differences ----------------------------------------------


def test_double_backward_through_pad_cat_expand_matches_torch():
    torch = torch_or_skip()
    data = rnd(3, 1, 3)
    v = rnd(2, 3, 4, 6)

    def f(lib, x):
        pad = movement.pad if lib is tl else torch.nn.functional.pad
        e = x.expand(2, 3, 4, 3)
        y = lib.cat([e, e * e], -1)
        return (pad(y, (1, 0)) ** 3)[..., 1:] * lib.tensor(v)

    x = tl.tensor(data, requires_grad=True)
    xt = torch.tensor(data, requires_grad=True)
    (g,) = tl.autograd.grad(f(tl, x).sum(), x, create_graph=True)
    (gt,) = torch.autograd.grad(f(torch, xt).sum(), xt, create_graph=True)
    assert_close(g, gt)
    (g.sin().sum()).backward()
    (gt.sin().sum()).backward()
    assert_close(x.grad, xt.grad)


@pytest.mark.parametrize(
    "fn",
    [
        lambda x, y: (x.reshape(3, 2) * y).permute(1, 0).flip(0),
        lambda x, y: tl.cat([x, y.T.expand(2, 2, 3)[0]], 0).repeat(2, 1),
        lambda x, y: movement.pad(tl.stack([x, x * y.T]), (1, 2, 0, 1), value=3.0),
        lambda x, y: movement.pad(x * x, (1, 2), mode="reflect").unsqueeze(0).squeeze(0),
        lambda x, y: movement.pad(x.unsqueeze(0), (2, 2, 1, 0), mode="circular").flatten(),
    ],
)
def test_gradcheck_and_gradgradcheck(fn):
    x, y = leaf(2, 3), leaf(3, 2)
    assert gradcheck(fn, (x, y))
    assert gradgradcheck(fn, (x, y))
