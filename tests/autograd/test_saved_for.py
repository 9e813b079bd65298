"""Which saved operand a gradient reads (``Function.saved_for``): writing an operand in place
between forward and backward refuses backward exactly when PyTorch refuses it, for ops with
several inputs of which only some need a gradient (docs/autodiff.md, section 12)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from tests.helpers import assert_close, torch_or_skip

rng = np.random.default_rng(0)
A, B, V = rng.standard_normal((3, 4)), rng.standard_normal((4, 5)), rng.standard_normal(4)
X = rng.standard_normal((2, 4, 3))
W, BIAS = rng.uniform(0.5, 1.5, 4), rng.standard_normal(4)


def _run(lib: str, fn: Callable[..., Any], arrays: list[np.ndarray], needs: tuple[bool, ...],
         write: int) -> tuple[str, list[Any]]:
    """Forward, an in-place write to operand ``write`` (under no_grad), backward: "ok" and the
    gradients, or "refused" (the version error)."""
    torch = torch_or_skip()
    make, no_grad = (tl.tensor, tl.no_grad) if lib == "tl" else (torch.tensor, torch.no_grad)
    ts = [make(a.copy(), requires_grad=r) for a, r in zip(arrays, needs)]
    y = fn(*ts)
    with no_grad():
        ts[write].mul_(1.5)
    try:
        y.sum().backward()
    except RuntimeError as e:
        assert "modified by an inplace operation" in str(e)
        return "refused", []
    return "ok", [t.grad for t in ts]


CASES = [
    ("einsum ij,jk->ik", lambda a, b: tl.einsum("ij,jk->ik", a, b),
     lambda a, b: _torch().einsum("ij,jk->ik", a, b), [A, B]),
    ("einsum ij,j->i", lambda a, v: tl.einsum("ij,j->i", a, v),
     lambda a, v: _torch().einsum("ij,j->i", a, v), [A, V]),
    ("einsum ii->i", lambda a: tl.einsum("ii->i", a), lambda a: _torch().einsum("ii->i", a),
     [A[:3, :3]]),
    ("einsum i,i-> (bilinear)", lambda a, b: tl.einsum("i,i->", a, b),
     lambda a, b: _torch().einsum("i,i->", a, b), [V, V + 1]),
    # PyTorch's batch_norm saves x even when only bias needs a gradient, so it refuses a write
    # to x that ours accepts (the other direction, not checked below)
    ("instance_norm", lambda x, w, b: F.instance_norm(x, weight=w, bias=b),
     lambda x, w, b: _torch().nn.functional.instance_norm(x, weight=w, bias=b), [X, W, BIAS]),
    ("mul", lambda a, b: a * b, lambda a, b: a * b, [V, V + 1]),
    ("matmul", lambda a, b: a @ b, lambda a, b: a @ b, [A, B]),
]


def _torch() -> Any:
    return torch_or_skip()


@pytest.mark.parametrize("name,ours,theirs,arrays", CASES, ids=[c[0] for c in CASES])
def test_in_place_write_refuses_backward_exactly_when_pytorch_does(name, ours, theirs, arrays):
    n = len(arrays)
    for needs in itertools.product([False, True], repeat=n):
        if not any(needs):
            continue
        for write in range(n):
            got, grads = _run("tl", ours, arrays, needs, write)
            want, torch_grads = _run("torch", theirs, arrays, needs, write)
            if name == "instance_norm" and want == "refused" and got == "ok":
                continue
            assert got == want, f"needs grad {needs}, write to operand {write}: {got} vs {want}"
            for g, gt in zip(grads, torch_grads):  # the values saved at forward time are used
                assert (g is None) == (gt is None)
                if g is not None:
                    assert_close(g, gt, rtol=1e-12)


def test_einsum_of_three_operands_still_refuses_where_pytorch_contracts_pairwise():
    """A known difference: PyTorch contracts three operands pair by pair, so writing one the
    first pair's intermediate absorbed is no error there; one Einsum node here reads every
    other operand for each gradient, and refuses."""
    torch = torch_or_skip()
    c = rng.standard_normal(5)
    ours = _run("tl", lambda a, b, v: tl.einsum("ij,jk,k->i", a, b, v), [A, B, c],
                (False, False, True), 0)[0]
    theirs = _run("torch", lambda a, b, v: torch.einsum("ij,jk,k->i", a, b, v), [A, B, c],
                  (False, False, True), 0)[0]
    assert (ours, theirs) == ("refused", "ok")
