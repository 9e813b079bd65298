"""Shared test helpers: compare a tinygrad_lite function with PyTorch, forward and backward."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tl


def torch_or_skip() -> Any:
    """Import torch or skip the calling test (the framework itself never imports torch)."""
    return pytest.importorskip("torch")


def assert_close(
    actual: Any, expected: Any, rtol: float = 1e-7, atol: float = 1e-10, what: str = ""
) -> None:
    """``np.testing.assert_allclose`` on arrays, Tensors or torch tensors."""
    a = actual.data if isinstance(actual, tl.Tensor) else np.asarray(_np(actual))
    e = np.asarray(_np(expected))
    assert a.shape == e.shape, f"{what}: shape {a.shape} != {e.shape}"
    np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, err_msg=what)


def _np(x: Any) -> Any:
    if hasattr(x, "detach"):
        x = x.detach()
        return x.numpy() if hasattr(x, "numpy") else x.data
    return x


def compare_with_torch(
    fn: Callable[..., Any],
    torch_fn: Callable[..., Any] | None,
    inputs: Sequence[np.ndarray],
    rtol: float = 1e-7,
    atol: float = 1e-10,
    requires_grad: Sequence[bool] | None = None,
    seed: int = 0,
) -> None:
    """Check values and gradients of ``fn`` (on Tensors) against ``torch_fn`` (on torch tensors).

    ``inputs`` are numpy arrays (use float64); both functions receive one tensor per array.
    The upstream gradient is a fixed random array, so every output element is checked.
    ``torch_fn=None`` means the same callable works for both libraries (``lambda a, b: a * b``).
    """
    torch = torch_or_skip()
    torch_fn = fn if torch_fn is None else torch_fn
    if requires_grad is None:
        requires_grad = [np.asarray(x).dtype.kind == "f" for x in inputs]
    ours = [tl.tensor(np.array(x), requires_grad=r) for x, r in zip(inputs, requires_grad)]
    theirs = [torch.tensor(np.array(x), requires_grad=r) for x, r in zip(inputs, requires_grad)]
    out, out_t = fn(*ours), torch_fn(*theirs)
    assert_close(out, out_t, rtol, atol, "forward")
    if not out.requires_grad:
        return
    g = np.random.default_rng(seed).standard_normal(out.shape).astype(out.dtype)
    out.backward(tl.tensor(g))
    out_t.backward(torch.tensor(g))
    for i, (a, b) in enumerate(zip(ours, theirs)):
        if not requires_grad[i]:
            continue
        if b.grad is None:
            assert a.grad is None or np.all(a.grad.data == 0), f"input {i}: torch has no grad"
            continue
        assert a.grad is not None, f"input {i}: no gradient"
        assert_close(a.grad, b.grad, rtol, atol, f"grad of input {i}")


def data_makers(seed: int) -> tuple[Callable[..., np.ndarray], Callable[..., np.ndarray]]:
    """``(randn, ties)`` drawing from one seeded generator: standard normal values, and few
    distinct values (0, 1, 2) so that max-pool windows hold several equal maxima."""
    rng = np.random.default_rng(seed)

    def randn(*shape: int) -> np.ndarray:
        return rng.standard_normal(shape)

    def ties(*shape: int) -> np.ndarray:
        return rng.integers(0, 3, size=shape).astype(np.float64)

    return randn, ties
