"""Unbatched (C, H, W) input to 2-D convolution and pooling, against PyTorch (float64).

PyTorch treats a 3-D input as a batch of one and returns a 3-D result; values and gradients
must match, for the functions and for the modules.  Other ranks raise a clear error.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tl
from tests.helpers import assert_close, compare_with_torch, data_makers, torch_or_skip
from tinygrad_lite import nn
from tinygrad_lite.nn import functional as F

_randn, _ties = data_makers(2)  # ties: few distinct values, many equal maxima per window


CONV_CASES = [
    # (x shape, weight shape, kwargs)
    ((3, 7, 6), (4, 3, 3, 3), dict(padding=1)),
    ((3, 7, 6), (4, 3, 3, 3), dict(stride=2, padding=(1, 2))),
    ((2, 9, 7), (3, 2, 3, 2), dict(dilation=2, padding=(2, 1))),
    ((4, 6, 6), (6, 2, 3, 3), dict(groups=2, padding=1)),
    ((4, 6, 5), (8, 1, 3, 3), dict(groups=4, stride=(2, 1))),  # depthwise multiplier 2
    ((3, 7, 8), (2, 3, 4, 2), dict(padding="same", dilation=(1, 2))),
    ((3, 12, 11), (4, 3, 3, 3), dict(padding=1)),  # large enough for the flat-shift gradient
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("xs, ws, kwargs", CONV_CASES)
def test_conv2d_unbatched_matches_torch(xs, ws, kwargs):
    torch = torch_or_skip()
    compare_with_torch(
        lambda x, w, b: F.conv2d(x, w, b, **kwargs),
        lambda x, w, b: torch.nn.functional.conv2d(x, w, b, **kwargs),
        [_randn(*xs), _randn(*ws), _randn(ws[0])],
    )
    compare_with_torch(  # no bias
        lambda x, w: F.conv2d(x, w, **kwargs),
        lambda x, w: torch.nn.functional.conv2d(x, w, **kwargs),
        [_randn(*xs), _randn(*ws)],
    )


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
def test_conv2d_module_unbatched_matches_torch(mode):
    torch = torch_or_skip()
    ours = nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode=mode).double()
    theirs = torch.nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode=mode).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = _randn(2, 5, 6)
    xo, xt = tl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo, yt = ours(xo), theirs(xt)
    assert yo.shape == tuple(yt.shape) == (3, 5, 8)
    assert_close(yo, yt)
    g = _randn(*yt.shape)
    yo.backward(tl.tensor(g))
    yt.backward(torch.tensor(g))
    assert_close(xo.grad, xt.grad, what="grad x")
    assert_close(ours.weight.grad, theirs.weight.grad, what="grad weight")
    assert_close(ours.bias.grad, theirs.bias.grad, what="grad bias")


MAX_CASES = [
    ((3, 8, 8), dict(kernel_size=2)),
    ((2, 6, 16), dict(kernel_size=2)),  # 2x2 separable path
    ((3, 8, 9), dict(kernel_size=3, stride=1, padding=1)),
    ((2, 9, 10), dict(kernel_size=(3, 2), stride=(1, 2), padding=(1, 1), dilation=(2, 1))),
    ((2, 8, 9), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
]


@pytest.mark.parametrize("data", [_randn, _ties])
@pytest.mark.parametrize("shape, kwargs", MAX_CASES)
def test_max_pool2d_unbatched_matches_torch(shape, kwargs, data):
    torch = torch_or_skip()
    x = data(*shape)
    compare_with_torch(
        lambda x: F.max_pool2d(x, **kwargs),
        lambda x: torch.nn.functional.max_pool2d(x, **kwargs),
        [x],
    )
    out, idx = F.max_pool2d(tl.tensor(x), return_indices=True, **kwargs)
    out_t, idx_t = torch.nn.functional.max_pool2d(torch.tensor(x), return_indices=True, **kwargs)
    assert_close(out, out_t)
    assert idx.dtype == np.int64 and idx.shape == tuple(idx_t.shape) and idx.ndim == 3
    np.testing.assert_array_equal(idx.data, idx_t.numpy())


def test_max_pool2d_unbatched_with_indices_gradient():
    torch = torch_or_skip()
    kwargs = dict(kernel_size=3, stride=2, padding=1)
    compare_with_torch(
        lambda x: F.max_pool2d(x, return_indices=True, **kwargs)[0],
        lambda x: torch.nn.functional.max_pool2d(x, return_indices=True, **kwargs)[0],
        [_ties(3, 7, 8)],
    )


AVG_CASES = [
    ((3, 8, 8), dict(kernel_size=2)),
    ((2, 7, 8), dict(kernel_size=(3, 2), stride=(1, 2), padding=1)),
    ((2, 7, 8), dict(kernel_size=3, padding=1, count_include_pad=False)),
    ((2, 7, 8), dict(kernel_size=3, padding=1, divisor_override=4)),
    ((2, 8, 9), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ((2, 8, 9), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                     count_include_pad=False)),
]


@pytest.mark.parametrize("shape, kwargs", AVG_CASES)
def test_avg_pool2d_unbatched_matches_torch(shape, kwargs):
    torch = torch_or_skip()
    compare_with_torch(
        lambda x: F.avg_pool2d(x, **kwargs),
        lambda x: torch.nn.functional.avg_pool2d(x, **kwargs),
        [_randn(*shape)],
    )


@pytest.mark.parametrize(
    "shape, size",
    [
        ((3, 8, 6), (4, 3)),  # divides: average pooling
        ((2, 7, 5), (3, 2)),  # overlapping windows: averaging matrices
        ((2, 5, 9), (None, 4)),
        ((2, 5, 9), (5, 9)),  # same size: a copy
        ((3, 8, 6), 1),
    ],
)
def test_adaptive_avg_pool2d_unbatched_matches_torch(shape, size):
    torch = torch_or_skip()
    compare_with_torch(
        lambda x: F.adaptive_avg_pool2d(x, size),
        lambda x: torch.nn.functional.adaptive_avg_pool2d(x, size),
        [_randn(*shape)],
    )


def test_pool_modules_unbatched_match_torch():
    torch = torch_or_skip()
    x = _ties(3, 9, 8)
    pairs = [
        (nn.MaxPool2d(3, stride=2, padding=1), torch.nn.MaxPool2d(3, stride=2, padding=1)),
        (nn.AvgPool2d((2, 3)), torch.nn.AvgPool2d((2, 3))),
        (nn.AdaptiveAvgPool2d((2, 3)), torch.nn.AdaptiveAvgPool2d((2, 3))),
    ]
    for ours, theirs in pairs:
        compare_with_torch(ours, theirs, [x])
    out, idx = nn.MaxPool2d(2, return_indices=True)(tl.tensor(x))
    out_t, idx_t = torch.nn.MaxPool2d(2, return_indices=True)(torch.tensor(x))
    assert_close(out, out_t)
    np.testing.assert_array_equal(idx.data, idx_t.numpy())


def test_unbatched_is_a_batch_of_one_and_keeps_float32():
    x = tl.randn(3, 8, 8)
    conv = nn.Conv2d(3, 4, 3, padding=1)
    ops = [
        conv,
        lambda t: F.max_pool2d(t, 2),
        lambda t: F.avg_pool2d(t, 3, stride=2, padding=1, count_include_pad=False),
        lambda t: F.adaptive_avg_pool2d(t, (3, 5)),
    ]
    for op in ops:
        y = op(x)
        assert y.dtype == np.float32 and y.ndim == 3
        assert_close(y, op(x.unsqueeze(0)).data[0])


@pytest.mark.parametrize("shape", [(8, 8), (1, 1, 3, 8, 8), (8,)])
def test_other_ranks_raise(shape):
    x = tl.randn(*shape)
    calls = {
        "conv2d": lambda: F.conv2d(x, tl.randn(4, 3, 3, 3)),
        "max_pool2d": lambda: F.max_pool2d(x, 2, return_indices=True),
        "avg_pool2d": lambda: F.avg_pool2d(x, 2),
        "adaptive_avg_pool2d": lambda: F.adaptive_avg_pool2d(x, 3),
    }
    for op, call in calls.items():
        match = (rf"{op}: expected 3-D \(C, H, W\) or 4-D \(N, C, H, W\) input, "
                 rf"got shape \({', '.join(map(str, shape))},?\)")
        # PyTorch's avg_pool2d indexes dim -3 before it checks the rank: IndexError below 3-D
        error = IndexError if op == "avg_pool2d" and len(shape) < 3 else RuntimeError
        with pytest.raises(error, match=match):
            call()
    with pytest.raises(RuntimeError, match=r"conv2d: expected 3-D \(C, H, W\) or 4-D"):
        nn.Conv2d(3, 4, 3, padding=1, padding_mode="reflect")(x)


def test_unbatched_errors_name_the_3d_shape():
    with pytest.raises(RuntimeError, match=r"conv2d: expected input \(C, H, W\) with C=3, got "
                       r"\(5, 8, 8\) \(weight \(4, 3, 3, 3\), groups=1\)"):
        F.conv2d(tl.randn(5, 8, 8), tl.randn(4, 3, 3, 3))
    with pytest.raises(RuntimeError, match=r"conv2d: expected input \(C, H, W\) with C=4, got "
                       r"\(6, 8, 8\)"):
        nn.Conv2d(4, 6, 3, groups=2)(tl.randn(6, 8, 8))
    with pytest.raises(RuntimeError, match=r"conv2d: output size \(-1, -1\) is too small for "
                       r"input \(3, 2, 2\)"):
        F.conv2d(tl.randn(3, 2, 2), tl.randn(4, 3, 4, 4))
    with pytest.raises(RuntimeError, match=r"max_pool2d: output size \(-1, -1\) is too small for "
                       r"input \(3, 1, 1\)"):
        F.max_pool2d(tl.randn(3, 1, 1), 3, stride=1)
