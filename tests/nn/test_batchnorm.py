"""The fused batch-norm primitive (training mode): memory layouts, affine variants, running
statistics, float32, and second derivatives; everything against PyTorch where importable."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from tests.helpers import assert_close, compare_with_torch, torch_or_skip
from tinygrad_lite import nn
from tinygrad_lite.autograd import gradcheck, gradgradcheck
from tinygrad_lite.ops.norm import BatchNorm

RNG = np.random.default_rng(11)


def _bn(lib, x, w, b, rm=None, rv=None):
    f = F if lib is tl else lib.nn.functional
    return f.batch_norm(x, rm, rv, w, b, True, 0.2, 1e-3)


@pytest.mark.parametrize("layout", ["nchw", "channel-major input", "channel-major grad", "both",
                                    "chwn input", "chwn grad", "chwn both"])
def test_batch_norm_matches_torch_in_every_memory_layout(layout):
    # conv2d returns channel-major memory, CNHW or (batch innermost) CHWN; the primitive takes
    # a row-block fast path for both
    torch = torch_or_skip()
    x = RNG.standard_normal((5, 3, 4, 6)) * 3 + 1
    w, b = RNG.standard_normal(3), RNG.standard_normal(3)
    chwn = layout.startswith("chwn")
    order, inverse = ((1, 2, 3, 0), (3, 0, 1, 2)) if chwn else ((1, 0, 2, 3), (1, 0, 2, 3))
    cm_in = layout in ("channel-major input", "both", "chwn input", "chwn both")
    cm_grad = layout in ("channel-major grad", "both", "chwn grad", "chwn both")
    if cm_in:
        x = np.ascontiguousarray(x.transpose(order))  # given as (C, N, H, W) or (C, H, W, N)

    def run(lib):
        def fn(x, w, b):
            x = x.permute(*inverse) if cm_in else x
            y = _bn(lib, x, w, b)
            return y.permute(*order) if cm_grad else y  # the gradient arrives transposed

        return fn

    compare_with_torch(run(tl), run(torch), [x, w, b])


@pytest.mark.parametrize("affine", ["weight", "bias", "none"])
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (3, 3, 4, 2)])
def test_batch_norm_partial_affine_matches_torch(affine, shape):
    torch = torch_or_skip()
    x = RNG.standard_normal(shape)
    p = RNG.standard_normal(3)

    def fn(lib):
        def f(x, p):
            w = p if affine == "weight" else None
            b = p if affine == "bias" else None
            return _bn(lib, x, w, b) * (p.sum() if affine == "none" else 1)

        return f

    compare_with_torch(fn(tl), fn(torch), [x, p])


def test_batch_norm_running_statistics_match_torch_channel_major():
    torch = torch_or_skip()
    ours, theirs = nn.BatchNorm2d(4).double(), torch.nn.BatchNorm2d(4).double()
    conv_out = np.ascontiguousarray(RNG.standard_normal((4, 8, 3, 3)))
    for step in range(3):
        x = conv_out * (step + 1) + step
        ours(tl.tensor(x).permute(1, 0, 2, 3)).sum().backward()
        theirs(torch.tensor(x).permute(1, 0, 2, 3)).sum().backward()
    for key in ("running_mean", "running_var"):
        assert_close(getattr(ours, key), getattr(theirs, key), what=key)
    assert_close(ours.weight.grad, theirs.weight.grad, what="weight grad")


def test_batch_norm_float32_stays_float32_and_normalises():
    x = tl.randn(16, 4, 5, 5) * 7 + 3
    rm, rv = tl.zeros(4), tl.ones(4)
    y = F.batch_norm(x, rm, rv, tl.ones(4), tl.zeros(4), True)
    assert y.dtype == np.float32 and rm.dtype == np.float32 and rv.dtype == np.float32
    per_channel = y.numpy().transpose(1, 0, 2, 3).reshape(4, -1)
    np.testing.assert_allclose(per_channel.mean(1), 0, atol=1e-5)
    np.testing.assert_allclose(per_channel.std(1), 1, atol=1e-3)


def test_batch_norm_is_one_graph_node():
    x = tl.randn(4, 3, 5, 5, requires_grad=True)
    y = F.batch_norm(x, None, None, tl.ones(3, requires_grad=True), tl.zeros(3), True)
    assert isinstance(y.grad_fn, BatchNorm)


@pytest.mark.parametrize("channel_major", [False, True])
def test_batch_norm_first_and_second_derivatives(channel_major):
    shape = (2, 3, 3, 2) if channel_major else (3, 2, 3, 2)  # channel-major: (C, N, H, W)
    x = tl.tensor(RNG.standard_normal(shape), requires_grad=True)
    w = tl.tensor(RNG.standard_normal(2) + 2, requires_grad=True)
    b = tl.tensor(RNG.standard_normal(2), requires_grad=True)

    def fn(x, w, b):
        x = x.permute(1, 0, 2, 3) if channel_major else x
        return F.batch_norm(x, None, None, w, b, True) ** 2  # squared: a nonzero Hessian

    assert gradcheck(fn, (x, w, b))
    assert gradgradcheck(fn, (x, w, b))


def test_batch_norm_float32_statistics_stay_accurate_for_large_channel_major_batches():
    # einsum's single running float32 sum would be off by ~1e-5 at a million values per channel
    x64 = RNG.standard_normal((4, 256, 32, 32)) * 3 + 1  # (C, N, H, W): 262,144 per channel
    x = tl.tensor(x64.astype(np.float32)).permute(1, 0, 2, 3)
    rm, rv = tl.zeros(4), tl.ones(4)
    y = F.batch_norm(x, rm, rv, None, None, True, 1.0)  # momentum 1: the batch statistics
    flat = x64.astype(np.float32).astype(np.float64).reshape(4, -1)
    np.testing.assert_allclose(rv.numpy(), flat.var(1, ddof=1), rtol=3e-7)
    np.testing.assert_allclose(rm.numpy(), flat.mean(1), rtol=1e-6, atol=1e-7)
    expect = (flat - flat.mean(1, keepdims=True)) / np.sqrt(flat.var(1, keepdims=True) + 1e-5)
    got = y.numpy().transpose(1, 0, 2, 3).reshape(4, -1)
    np.testing.assert_allclose(got, expect, rtol=0, atol=3e-6)


@pytest.mark.parametrize("arg", ["weight", "bias", "running_mean", "running_var"])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_refuses_mixed_dtypes_like_torch(arg, training):
    x = tl.randn(4, 3, 5, 5, dtype=tl.float64)
    f64 = tl.float64
    kwargs = dict(running_mean=tl.zeros(3, dtype=f64), running_var=tl.ones(3, dtype=f64))
    kwargs[arg] = tl.ones(3)  # float32
    with pytest.raises(RuntimeError, match=f"batch_norm: input dtype float64 does not match {arg}"):
        F.batch_norm(x, training=training, **kwargs)
    with pytest.raises(RuntimeError, match="layer_norm: input dtype float64 does not match"):
        F.layer_norm(x, (5,), weight=tl.ones(5))
    torch = pytest.importorskip("torch")
    kw = {k: torch.from_numpy(v.numpy()) for k, v in kwargs.items()}
    with pytest.raises(RuntimeError, match="mixed dtype|expected scalar type"):
        torch.nn.functional.batch_norm(torch.from_numpy(x.numpy()), training=training, **kw)
