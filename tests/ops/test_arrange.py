"""tril/triu, roll, repeat_interleave, outer and sum_to_size vs PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tl
from tests.helpers import compare_with_torch, torch_or_skip
from tinygrad_lite.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(7)
A = RNG.standard_normal((3, 4))
B3 = RNG.standard_normal((2, 3, 4))

CASES = {
    "tril": (lambda m, x: m.tril(x), [A]),
    "tril +1": (lambda m, x: m.tril(x, 1), [B3]),
    "tril -2": (lambda m, x: x.tril(diagonal=-2), [A.T]),
    "triu": (lambda m, x: m.triu(x), [B3]),
    "triu -1": (lambda m, x: x.triu(-1), [A]),
    "triu 9": (lambda m, x: m.triu(x, 9), [A]),
    "roll flat": (lambda m, x: m.roll(x, 5), [A]),
    "roll dim": (lambda m, x: x.roll(-1, 1), [A]),
    "roll dims": (lambda m, x: m.roll(x, (1, -7), (0, 2)), [B3]),
    "repeat_interleave int": (lambda m, x: x.repeat_interleave(2), [A]),
    "repeat_interleave dim": (lambda m, x: m.repeat_interleave(x, 3, dim=1), [A]),
    "repeat_interleave tensor": (
        lambda m, x: x.repeat_interleave(m.tensor([2, 0, 3]), dim=0), [A],
    ),
    "outer": (lambda m, x, y: m.outer(x, y), [A[0], A[1, :3]]),
    "outer method": (lambda m, x, y: x.outer(y), [A[0], A[1]]),
    "sum_to_size": (lambda m, x: x.sum_to_size(3, 1), [A]),
    "sum_to_size lead": (lambda m, x: x.sum_to_size((1, 4)), [B3]),
    "sum_to_size same": (lambda m, x: x.sum_to_size(3, 4) * 2, [A]),
}  # fmt: skip


@pytest.mark.parametrize("name", CASES)
def test_matches_torch(name):
    torch = torch_or_skip()
    fn, inputs = CASES[name]
    compare_with_torch(lambda *t: fn(tl, *t), lambda *t: fn(torch, *t), inputs)


@pytest.mark.parametrize("name", ["tril +1", "roll dims", "repeat_interleave tensor", "outer"])
def test_gradcheck_and_gradgradcheck(name):
    fn, inputs = CASES[name]
    ts = tuple(tl.tensor(x, requires_grad=True) for x in inputs)
    assert gradcheck(lambda *t: fn(tl, *t) ** 2, ts)
    assert gradgradcheck(lambda *t: fn(tl, *t) ** 2, ts)


def test_integer_and_bool_inputs():
    torch = torch_or_skip()
    for call in (
        lambda m: m.tril(m.tensor([[1, 2], [3, 4]])),
        lambda m: m.triu(m.tensor([[True, True], [True, True]])),
        lambda m: m.roll(m.tensor([1, 2, 3, 4]), 1),
        lambda m: m.repeat_interleave(m.tensor([2, 1])),
        lambda m: m.outer(m.tensor([1, 2]), m.tensor([1.5])),
    ):
        ours, theirs = call(tl), call(torch)
        np.testing.assert_array_equal(ours.data, theirs.numpy())
        assert str(theirs.dtype) == f"torch.{ours.dtype}"


def test_errors():
    with pytest.raises(RuntimeError, match=r"tril: input tensor must have at least 2 dim.*\(3,\)"):
        tl.zeros(3).tril()
    with pytest.raises(RuntimeError, match="roll: shifts and dimensions must align"):
        tl.zeros(2, 2).roll((1, 1), (0,))
    with pytest.raises(RuntimeError, match=r"repeats.size\(0\) = 3 and input.size\(0\) = 2"):
        tl.zeros(2).repeat_interleave(tl.tensor([1, 2, 3]))
    with pytest.raises(RuntimeError, match="outer: Expected 1-D argument self, but got 2-D"):
        tl.outer(tl.zeros(1, 1), tl.zeros(1))
    with pytest.raises(RuntimeError, match=r"size \[3\] is not expandable to size \[2, 2\]"):
        tl.zeros(2, 2).sum_to_size(3)
