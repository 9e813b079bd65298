"""Padding (ops/padding.py): the Pad primitive and F.pad's four modes against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from tests.helpers import assert_close, compare_with_torch, torch_or_skip
from tinygrad_lite.autograd import gradcheck, gradgradcheck
from tinygrad_lite.ops import movement, padding


def rnd(*shape: int) -> np.ndarray:
    return np.random.default_rng([*shape, len(shape)]).standard_normal(shape)


def leaf(*shape: int) -> tl.Tensor:
    return tl.tensor(rnd(*shape), requires_grad=True)


@pytest.mark.parametrize(
    ("shape", "pad", "value"),
    [
        ((2, 3), (1, 2), 0.0),
        ((2, 3), (1, 0, 0, 2), 1.5),
        ((2, 3, 4), (0, 1, 2, 0, 1, 1), -2.0),
        ((4,), (3, 3), 0.0),
        ((2, 5), (-1, 2), 0.0),
        ((3, 5), (1, -2, -1, 0), 0.5),
        ((2, 3), (), 0.0),
    ],
)
def test_pad_constant_matches_torch(shape, pad, value):
    torch = torch_or_skip()
    compare_with_torch(
        lambda x: padding.pad(x, pad, value=value),
        lambda x: torch.nn.functional.pad(x, pad, value=value),
        [rnd(*shape)],
    )


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize(("shape", "pad"), [((2, 5), (2, 3)), ((1, 2, 4, 5), (1, 2, 3, 1))])
def test_pad_modes_match_torch(mode, shape, pad):
    torch = torch_or_skip()
    compare_with_torch(
        lambda x: padding.pad(x, pad, mode=mode),
        lambda x: torch.nn.functional.pad(x, pad, mode=mode),
        [rnd(*shape)],
    )


def test_pad_backward_sums_reused_border_entries():
    x = tl.tensor([1.0, 2.0, 3.0], dtype=np.float64, requires_grad=True)
    padding.pad(x, (2, 2), mode="replicate").sum().backward()
    assert x.grad.tolist() == [3.0, 1.0, 3.0]


def test_pad_errors():
    x = leaf(2, 3)
    with pytest.raises(RuntimeError, match=r"pad: padding \(1, 2, 3\) must have an even length"):
        padding.pad(x, (1, 2, 3))
    message = r"pad: reflect padding \(3, 0\) must be less than the size 3"
    with pytest.raises(RuntimeError, match=message):
        padding.pad(x, (3, 0), mode="reflect")
    with pytest.raises(RuntimeError, match="pad: unknown mode 'wrap'"):
        padding.pad(x, (1, 1), mode="wrap")
    with pytest.raises(RuntimeError, match=r"pad: padding \(-2, -2\) crops more than the tensor"):
        padding.pad(x, (-2, -2))


def test_pad_primitive_takes_numpy_pad_width():
    x = leaf(2, 3)
    y = padding.Pad.apply(x, pad_width=((1, 0), (2, 1)))
    assert y.shape == (3, 6)
    assert_close(y.data[1:, 2:5], x.data)
    assert y.data.sum() == pytest.approx(x.data.sum())


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_gradcheck_and_gradgradcheck(mode):
    x = leaf(2, 4, 5)
    assert gradcheck(lambda t: padding.pad(t, (2, 1, 0, 3), mode=mode), [x])
    assert gradgradcheck(lambda t: padding.pad(t * t, (1, 2), mode=mode), [x])


def test_pad_is_reexported_from_movement_and_functional():
    assert movement.pad is padding.pad and movement.Pad is padding.Pad
    assert F.pad is padding.pad
