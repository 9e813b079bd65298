"""Top-level functions (``tl.exp(x)``, ``tl.sum(x, 1)``, ...) vs ``torch.*`` in float64,
forward and backward, with PyTorch's signatures; plus their errors for non-Tensor input."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tl
from tests.helpers import compare_with_torch, torch_or_skip
from tinygrad_lite.ops import functions

RNG = np.random.default_rng(0)
A = RNG.uniform(-2.0, 2.0, (3, 4))
B = RNG.uniform(-2.0, 2.0, (4,))
POS = RNG.uniform(0.5, 2.0, (3, 4))
KINKS = np.array([[0.0, 1.0, -1.0, 2.0], [0.0, 0.0, 3.0, -2.0], [1.0, 1.0, 1.0, 1.0]])
IDX = np.array([[0, 0, 3], [1, 2, 2], [3, 3, 3]])

# name -> (call taking the library module and tensors, inputs)
CASES = {
    "add": (lambda m, a, b: m.add(a, b, alpha=2.0), [A, B]),
    "add scalar first": (lambda m, a: m.add(2.0, a), [A]),
    "sub": (lambda m, a, b: m.sub(a, b, alpha=0.5), [A, B]),
    "mul": (lambda m, a, b: m.mul(a, b), [A, B]),
    "div": (lambda m, a, b: m.div(a, b), [A, POS]),
    "pow": (lambda m, a, b: m.pow(a, b), [POS, B]),
    "pow scalar base": (lambda m, a: m.pow(2.0, a), [A]),
    "neg": (lambda m, a: m.neg(a), [A]),
    "matmul": (lambda m, a, b: m.matmul(a, b), [A, B]),
    "exp": (lambda m, a: m.exp(a), [A]),
    "log": (lambda m, a: m.log(a), [POS]),
    "log1p": (lambda m, a: m.log1p(a), [POS]),
    "sqrt": (lambda m, a: m.sqrt(a), [POS]),
    "square": (lambda m, a: m.square(a), [KINKS]),
    "square method": (lambda m, a: a.square() * 2, [A]),
    "abs": (lambda m, a: m.abs(a), [KINKS]),
    "sign": (lambda m, a: m.sign(a), [KINKS]),
    "sin": (lambda m, a: m.sin(a), [A]),
    "cos": (lambda m, a: m.cos(a), [A]),
    "tanh": (lambda m, a: m.tanh(a), [A]),
    "sigmoid": (lambda m, a: m.sigmoid(a), [A]),
    "relu": (lambda m, a: m.relu(a), [KINKS]),
    "clamp": (lambda m, a: m.clamp(a, -1.0, 1.0), [KINKS]),
    "clamp tensor": (lambda m, a, b: m.clamp(a, max=b), [KINKS, B]),
    "clip": (lambda m, a: m.clip(a, min=0.0), [KINKS]),
    "maximum": (lambda m, a, b: m.maximum(a, b), [KINKS, np.zeros(4)]),
    "minimum": (lambda m, a, b: m.minimum(a, b), [KINKS, np.ones(4)]),
    "sum": (lambda m, a: m.sum(a, (0, 1)), [A]),
    "sum keepdim": (lambda m, a: m.sum(a, -1, keepdim=True), [A]),
    "mean": (lambda m, a: m.mean(a, 0), [A]),
    "amax": (lambda m, a: m.amax(a, 1), [KINKS]),
    "amin": (lambda m, a: m.amin(a, (0, 1)), [KINKS]),
    "max full": (lambda m, a: m.max(a), [KINKS]),
    "max dim": (lambda m, a: m.max(a, 1, keepdim=True).values, [KINKS]),
    "max other": (lambda m, a, b: m.max(a, b), [KINKS, np.zeros(4)]),
    "min dim": (lambda m, a: m.min(a, dim=0).indices, [KINKS]),
    "argmax": (lambda m, a: m.argmax(a, 1), [KINKS]),
    "argmin": (lambda m, a: m.argmin(a), [KINKS]),
    "var": (lambda m, a: m.var(a, 1, correction=0), [A]),
    "std": (lambda m, a: m.std(a, 0, keepdim=True), [A]),
    "logsumexp": (lambda m, a: m.logsumexp(a, 1), [A]),
    "prod": (lambda m, a: m.prod(a, 1), [KINKS]),
    "reshape": (lambda m, a: m.reshape(a, (2, -1)), [A]),
    "flatten": (lambda m, a: m.flatten(m.reshape(a, (3, 2, 2)), 1), [A]),
    "transpose": (lambda m, a: m.transpose(a, 0, -1), [A]),
    "permute": (lambda m, a: m.permute(a, (1, 0)), [A]),
    "squeeze": (lambda m, a: m.squeeze(m.unsqueeze(a, 1), 1), [A]),
    "unsqueeze": (lambda m, a: m.unsqueeze(a, -1), [A]),
    "flip": (lambda m, a: m.flip(a, (0, 1)), [A]),
    "gather": (lambda m, a, i: m.gather(a, 1, i), [A, IDX]),
    "index_select": (lambda m, a: m.index_select(a, 1, m.tensor([3, 0, 3])), [A]),
    "masked_fill": (lambda m, a: m.masked_fill(a, m.gt(a, 0.5), 0.0), [A]),
}


@pytest.mark.parametrize("name", CASES)
def test_function_matches_torch(name):
    torch = torch_or_skip()
    fn, inputs = CASES[name]
    compare_with_torch(lambda *t: fn(tl, *t), lambda *t: fn(torch, *t), inputs)


@pytest.mark.parametrize("name", ["lt", "le", "gt", "ge", "eq", "ne"])
def test_comparisons_match_torch(name):
    torch = torch_or_skip()
    ours = getattr(tl, name)(tl.tensor(KINKS), 1.0)
    theirs = getattr(torch, name)(torch.tensor(KINKS), 1.0)
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    assert ours.dtype == np.bool_


def test_every_function_is_exported_and_documented():
    for name in functions.__all__:
        assert getattr(tl, name) is getattr(functions, name) and name in tl.__all__
        assert getattr(functions, name).__doc__


def test_numel_and_is_tensor():
    assert tl.numel(tl.zeros(2, 3)) == 6
    assert tl.is_tensor(tl.zeros(1)) and not tl.is_tensor(np.zeros(1))


def test_non_tensor_input_raises_naming_the_function():
    with pytest.raises(TypeError, match="exp: argument 'input' must be a Tensor, not float"):
        tl.exp(2.0)
    with pytest.raises(TypeError, match="sum: argument 'input' must be a Tensor, not list"):
        tl.sum([1.0, 2.0])
    with pytest.raises(TypeError, match="add: expected a Tensor operand, got int and float"):
        tl.add(1, 2.0)
