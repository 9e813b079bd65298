"""The top-level functions of issue 13 (``tl.cumsum``, ``tl.einsum``, ...) vs ``torch.*`` in
float64 with PyTorch's signatures; every one exported from ``tl`` and documented."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tl
from tests.helpers import compare_with_torch, torch_or_skip
from tinygrad_lite.ops import functions_math

RNG = np.random.default_rng(2)
A = RNG.uniform(-3.0, 3.0, (3, 4))
B = RNG.uniform(0.5, 2.0, (3, 4))
IDX = np.array([[0, 1, 2, 0], [2, 2, 1, 0]])

CASES = {
    "cumsum": (lambda m, a: m.cumsum(a, 1), [A]),
    "cumprod": (lambda m, a: m.cumprod(a, dim=0), [A]),
    "diff": (lambda m, a: m.diff(a, 2, 0), [A]),
    "tan": (lambda m, a: m.tan(a * 0.4), [A]),
    "floor": (lambda m, a: m.floor(a) * a, [A]),
    "ceil": (lambda m, a: m.ceil(a) * a, [A]),
    "round": (lambda m, a: m.round(a, decimals=1) * a, [A]),
    "trunc": (lambda m, a: m.trunc(a) * a, [A]),
    "frac": (lambda m, a: m.frac(a), [A]),
    "fmod": (lambda m, a, b: m.fmod(a, b), [A, B]),
    "remainder": (lambda m, a, b: m.remainder(a, b), [A, B]),
    "tril": (lambda m, a: m.tril(a, -1), [A]),
    "triu": (lambda m, a: m.triu(a, 1), [A]),
    "roll": (lambda m, a: m.roll(a, (1, 2), (0, 1)), [A]),
    "repeat_interleave": (lambda m, a: m.repeat_interleave(a, 2, dim=0), [A]),
    "outer": (lambda m, a, b: m.outer(a[0], b[1]), [A, B]),
    "einsum": (lambda m, a, b: m.einsum("ij,kj->ik", a, b), [A, B]),
    "sort": (lambda m, a: m.sort(a, 1, descending=True).values, [A]),
    "argsort": (lambda m, a: a[0][m.argsort(a[0])], [A]),
    "topk": (lambda m, a: m.topk(a, 2, dim=0).values, [A]),
    "scatter": (lambda m, a, b: m.scatter(a, 1, m.tensor(IDX[:, :3] * 0), b[:2, :3]), [A, B]),
    "scatter_add": (lambda m, a, b: m.scatter_add(a, 0, m.tensor(IDX), b[:2]), [A, B]),
    "index_add": (lambda m, a, b: m.index_add(a, 0, m.tensor([2, 2, 0]), b, alpha=3.0), [A, B]),
    "masked_select": (lambda m, a: m.masked_select(a, m.gt(a, 0.5)), [A]),
    "norm": (lambda m, a: m.norm(a, 3, dim=1), [A]),
}


@pytest.mark.parametrize("name", CASES)
def test_function_matches_torch(name):
    torch = torch_or_skip()
    fn, inputs = CASES[name]
    compare_with_torch(lambda *t: fn(tl, *t), lambda *t: fn(torch, *t), inputs)


def test_linalg_and_normalize_namespaces():
    torch = torch_or_skip()
    compare_with_torch(lambda a: tl.linalg.vector_norm(a, 1.5, (0, 1)),
                       lambda a: torch.linalg.vector_norm(a, 1.5, (0, 1)), [A])  # fmt: skip
    compare_with_torch(lambda a: tl.nn.functional.normalize(a, dim=0),
                       lambda a: torch.nn.functional.normalize(a, dim=0), [A])  # fmt: skip


def test_every_function_is_exported_and_documented():
    assert set(CASES) == set(functions_math.__all__)
    for name in functions_math.__all__:
        assert getattr(tl, name) is getattr(functions_math, name) and name in tl.__all__
        assert getattr(functions_math, name).__doc__


def test_non_tensor_input_raises_naming_the_function():
    with pytest.raises(TypeError, match="cumsum: argument 'input' must be a Tensor, not list"):
        tl.cumsum([1.0, 2.0], 0)
    with pytest.raises(TypeError, match="outer: argument 'vec2' must be a Tensor, not float"):
        tl.outer(tl.ones(2), 2.0)
