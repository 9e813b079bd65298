"""GroupNorm and InstanceNorm2d (functional and modules) against PyTorch: values, gradients of
input/weight/bias, running statistics, eval mode, unbatched input, reprs, errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from tests.helpers import assert_close, compare_with_torch, torch_or_skip
from tinygrad_lite import nn
from tinygrad_lite.autograd import gradcheck, gradgradcheck


def _x(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape) * 2 + 0.5


@pytest.mark.parametrize("shape,groups", [((2, 6, 5), 3), ((3, 4, 3, 3), 2), ((2, 4), 4),
                                          ((2, 4, 2, 2), 1), ((1, 6, 2, 3, 2), 6)])
@pytest.mark.parametrize("affine", [False, True])
def test_group_norm_matches_torch(shape: tuple[int, ...], groups: int, affine: bool) -> None:
    torch = torch_or_skip()
    c = shape[1]
    inputs = [_x(*shape)] + ([_x(c, seed=1), _x(c, seed=2)] if affine else [])
    compare_with_torch(
        lambda x, *wb: F.group_norm(x, groups, *wb, eps=1e-4),
        lambda x, *wb: torch.nn.functional.group_norm(x, groups, *wb, eps=1e-4),
        inputs, rtol=1e-10, atol=1e-12,
    )


def test_group_norm_float32_and_constant_groups() -> None:
    torch = torch_or_skip()
    x = _x(2, 4, 3, 3).astype(np.float32)
    x[0, :2] = 1.5  # a constant group: variance 0, normalised by sqrt(eps)
    out = F.group_norm(tl.tensor(x), 2)
    assert out.dtype == np.float32
    assert_close(out, torch.nn.functional.group_norm(torch.tensor(x), 2), rtol=1e-5, atol=1e-5)


def test_group_norm_module() -> None:
    torch = torch_or_skip()
    for kwargs in ({}, {"affine": False}, {"eps": 1e-3, "bias": False}):
        ours, theirs = nn.GroupNorm(2, 4, **kwargs), torch.nn.GroupNorm(2, 4, **kwargs)
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict())
    m = nn.GroupNorm(2, 4).double()
    m.weight.data[:] = [1.0, 2.0, 0.5, -1.0]
    mt = torch.nn.GroupNorm(2, 4).double()
    with torch.no_grad():
        mt.weight[:] = torch.tensor([1.0, 2.0, 0.5, -1.0])
    compare_with_torch(m, mt, [_x(3, 4, 2, 2)], rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match=r"GroupNorm: num_channels \(4\) must be divisible"):
        nn.GroupNorm(3, 4)


def test_group_norm_errors() -> None:
    with pytest.raises(RuntimeError, match="group_norm: Expected number of channels in input"):
        F.group_norm(tl.randn(2, 6, 3), 4)
    with pytest.raises(RuntimeError, match="group_norm: Expected weight to be a vector of size"):
        nn.GroupNorm(2, 4)(tl.randn(2, 6, 3))
    with pytest.raises(RuntimeError, match="group_norm: Expected at least 2 dimensions"):
        F.group_norm(tl.randn(4), 2)
    with pytest.raises(ValueError, match="group_norm: Expected more than 1 value per channel"):
        F.group_norm(tl.randn(1, 2), 2)


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (3, 2, 6), (2, 2, 2, 2, 3)])
@pytest.mark.parametrize("affine", [False, True])
def test_instance_norm_matches_torch(shape: tuple[int, ...], affine: bool) -> None:
    torch = torch_or_skip()
    c = shape[1]
    inputs = [_x(*shape)] + ([_x(c, seed=1), _x(c, seed=2)] if affine else [])

    def ours(x, *wb):
        return F.instance_norm(x, None, None, *wb, eps=1e-3)

    def theirs(x, *wb):
        return torch.nn.functional.instance_norm(x, None, None, *wb, eps=1e-3)

    compare_with_torch(ours, theirs, inputs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
def test_instance_norm2d_running_stats_train_then_eval(momentum: float | None) -> None:
    torch = torch_or_skip()
    ours = nn.InstanceNorm2d(3, momentum=momentum, affine=True, track_running_stats=True)
    theirs = torch.nn.InstanceNorm2d(3, momentum=momentum, affine=True,
                                     track_running_stats=True)
    ours.double()
    theirs.double()
    assert repr(ours) == repr(theirs)
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    for seed in (0, 1):
        x = _x(2, 3, 4, 5, seed=seed)
        compare_with_torch(ours, theirs, [x], rtol=1e-10, atol=1e-12)
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        assert_close(getattr(ours, name), getattr(theirs, name), rtol=1e-12, atol=1e-15,
                     what=name)
    ours.eval()
    theirs.eval()
    compare_with_torch(ours, theirs, [_x(2, 3, 4, 5, seed=3)], rtol=1e-10, atol=1e-12)


def test_instance_norm2d_defaults_unbatched_and_eval_without_stats() -> None:
    torch = torch_or_skip()
    ours, theirs = nn.InstanceNorm2d(3), torch.nn.InstanceNorm2d(3)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == [] and ours.weight is None
    compare_with_torch(ours, theirs, [_x(3, 4, 5)], rtol=1e-10, atol=1e-12)  # (C, H, W)
    ours.eval()
    theirs.eval()  # no running stats: eval still uses the input's statistics
    compare_with_torch(ours, theirs, [_x(2, 3, 4, 5)], rtol=1e-10, atol=1e-12)


def test_instance_norm_float32() -> None:
    torch = torch_or_skip()
    x = _x(2, 3, 4, 4).astype(np.float32)
    out = nn.InstanceNorm2d(3)(tl.tensor(x))
    assert out.dtype == np.float32
    assert_close(out, torch.nn.InstanceNorm2d(3)(torch.tensor(x)), rtol=1e-5, atol=1e-5)


def test_instance_norm_errors_and_warning() -> None:
    with pytest.raises(ValueError, match=r"InstanceNorm2d: expected 3D or 4D input \(got 2D"):
        nn.InstanceNorm2d(3)(tl.randn(3, 4))
    with pytest.raises(ValueError, match="expected input's size at dim=1 to match num_features"):
        nn.InstanceNorm2d(4, affine=True)(tl.randn(2, 3, 4, 4))
    with pytest.warns(UserWarning, match="does not match num_features"):
        nn.InstanceNorm2d(4)(tl.randn(2, 3, 4, 4))
    with pytest.raises(ValueError, match="instance_norm: Expected more than 1 spatial element"):
        F.instance_norm(tl.randn(2, 3, 1, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.InstanceNorm2d(3)(tl.randn(2, 3, 4, 4))  # no warning when the sizes match


def test_gradcheck_and_gradgradcheck() -> None:
    x = tl.tensor(_x(2, 4, 3), requires_grad=True)
    w = tl.tensor(_x(4, seed=1), requires_grad=True)
    b = tl.tensor(_x(4, seed=2), requires_grad=True)
    for fn in (lambda x, w, b: F.group_norm(x, 2, w, b),
               lambda x, w, b: F.instance_norm(x, weight=w, bias=b)):
        assert gradcheck(fn, (x, w, b))
        assert gradgradcheck(fn, (x, w, b))


def test_fused_rows_equal_the_plain_composite() -> None:
    from tinygrad_lite.nn.functional.normalization import _normalize, _normalize_rows

    x = _x(3, 4, 5, 2)
    g = np.random.default_rng(9).standard_normal(x.shape)
    grads = []
    for fused in (True, False):
        t = tl.tensor(x, requires_grad=True)
        out = _normalize_rows(t, 6, 1e-5) if fused else _normalize(
            t.reshape(3, 2, -1), (2,), 1e-5).reshape(*x.shape)
        out.backward(tl.tensor(g))
        grads.append((out.data, t.grad.data))
    np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-10, atol=1e-12)
