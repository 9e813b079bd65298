"""nn.utils.clip_grad_norm_ / clip_grad_value_ against torch.nn.utils."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_lite as tl
from tinygrad_lite.nn.utils import clip_grad_norm_, clip_grad_value_

torch = pytest.importorskip("torch")


def _grads(scale: float = 1.0) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [scale * rng.standard_normal(s) for s in ((3, 4), (5,), (2, 2, 2))]


def _params(lib, grads, none_last: bool = True):
    params = []
    for g in grads:
        p = lib.zeros(g.shape, dtype=lib.float64, requires_grad=True)
        p.grad = lib.tensor(g.copy())
        params.append(p)
    if none_last:
        params.append(lib.zeros(2, requires_grad=True))  # grad None: ignored
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf, "inf", 0.5])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(norm_type, max_norm) -> None:
    grads = _grads()
    ours, theirs = _params(tl, grads), _params(torch, grads)
    n_ours = clip_grad_norm_(ours, max_norm, norm_type=float(norm_type))
    n_theirs = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=float(norm_type))
    assert isinstance(n_ours, tl.Tensor) and n_ours.shape == () and n_ours.dtype == np.float64
    np.testing.assert_allclose(n_ours.item(), n_theirs.item(), rtol=1e-12)
    for p, tp in zip(ours[:-1], theirs[:-1]):
        np.testing.assert_allclose(p.grad.data, tp.grad.numpy(), rtol=1e-12)
    assert ours[-1].grad is None
    if max_norm < n_ours.item():  # clipped: the new joint norm is max_norm (up to the 1e-6)
        again = clip_grad_norm_(ours, max_norm, norm_type=float(norm_type))
        np.testing.assert_allclose(again.item(), max_norm, rtol=1e-5)


def test_clip_grad_norm_single_tensor_float32_and_empty() -> None:
    p = tl.zeros(4, requires_grad=True)
    p.grad = tl.tensor([3.0, 4.0, 0.0, 0.0])
    tp = torch.zeros(4, requires_grad=True)
    tp.grad = torch.tensor([3.0, 4.0, 0.0, 0.0])
    norm = clip_grad_norm_(p, 2.0)
    tnorm = torch.nn.utils.clip_grad_norm_(tp, 2.0)
    assert norm.dtype == np.float32 and norm.item() == tnorm.item()
    np.testing.assert_array_equal(p.grad.data, tp.grad.numpy())
    assert clip_grad_norm_([tl.zeros(2, requires_grad=True)], 1.0).item() == 0.0


def test_clip_grad_norm_nonfinite() -> None:
    p = tl.zeros(2, dtype=tl.float64, requires_grad=True)
    p.grad = tl.tensor(np.array([np.inf, 1.0]))
    with pytest.raises(RuntimeError, match="total norm of order 2.0 .* is non-finite"):
        clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert math.isinf(clip_grad_norm_([p], 1.0).item())  # without the flag: scaled anyway


@pytest.mark.parametrize("clip_value", [0.1, 0.7, 5.0])
def test_clip_grad_value_matches_torch(clip_value: float) -> None:
    grads = _grads(scale=2.0)
    ours, theirs = _params(tl, grads), _params(torch, grads)
    clip_grad_value_(ours, clip_value)
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    for p, tp in zip(ours[:-1], theirs[:-1]):
        np.testing.assert_array_equal(p.grad.data, tp.grad.numpy())
        assert np.abs(p.grad.data).max() <= clip_value


@pytest.mark.parametrize("name", ["clip_grad_norm_", "clip_grad_value_"])
def test_signature_matches_torch(name: str) -> None:
    """Same parameter names and defaults (``foreach`` is accepted, as in PyTorch)."""
    import inspect

    import tinygrad_lite.nn.utils as ours

    def params(fn):
        return [(p.name, p.default) for p in inspect.signature(fn).parameters.values()]

    assert params(getattr(ours, name)) == params(getattr(torch.nn.utils, name))
    g = _grads()
    mine, theirs = _params(tl, g), _params(torch, g)
    out = getattr(ours, name)(mine, 0.5, foreach=True)
    ref = getattr(torch.nn.utils, name)(theirs, 0.5, foreach=True)
    if ref is not None:
        np.testing.assert_allclose(out.item(), ref.item(), rtol=1e-12)
    for a, b in zip(mine[:-1], theirs[:-1]):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12)
