"""F.dropout2d / nn.Dropout2d: whole channels dropped and the rest scaled, PyTorch's shape
rules and warnings, eval mode, repr."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from tests.helpers import torch_or_skip
from tinygrad_lite import nn


def test_whole_channels_are_zeroed_or_scaled() -> None:
    tl.manual_seed(0)
    x = tl.tensor(np.random.default_rng(0).standard_normal((16, 32, 3, 3)) + 5,
                  requires_grad=True)
    out = F.dropout2d(x, 0.3)
    zero = (out.data == 0).reshape(16, 32, -1)
    assert np.all(zero == zero[..., :1])  # one decision per channel
    kept = ~(out.data == 0)
    np.testing.assert_allclose(out.data[kept], x.data[kept] / 0.7, rtol=1e-6)
    ratio = np.where(kept, 1 / 0.7, 0.0)
    dropped = zero[..., 0].mean()
    assert 0.2 < dropped < 0.4
    out.sum().backward()
    np.testing.assert_allclose(x.grad.data, ratio, rtol=1e-6)  # gradient = the scaled mask


def test_eval_p0_p1_and_dtype() -> None:
    x = tl.randn(2, 3, 4, 4)
    assert F.dropout2d(x, 0.5, training=False) is x
    assert F.dropout2d(x, 0.0) is x
    assert np.all(F.dropout2d(x, 1.0).data == 0)
    assert F.dropout2d(x, 0.5).dtype == np.float32
    m = nn.Dropout2d(0.5)
    m.eval()
    assert m(x) is x


def test_shapes_and_warnings_as_pytorch() -> None:
    tl.manual_seed(1)
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
        out = F.dropout2d(tl.ones(8, 16, 5), 0.5)  # read as (N, C, L): one mask per (n, c)
    assert np.all(out.data == out.data[..., :1])
    with pytest.warns(UserWarning, match="Received a 5-D input to dropout2d"):
        out = F.dropout2d(tl.ones(2, 3, 2, 2, 2), 0.5)
    assert np.all(out.data.reshape(2, 3, -1) == out.data.reshape(2, 3, -1)[..., :1])
    with pytest.warns(UserWarning, match="Received a 1-D input"), \
            pytest.raises(RuntimeError, match="dropout2d: Feature dropout requires at least 2"):
        F.dropout2d(tl.ones(4), 0.5)
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        F.dropout2d(tl.ones(2, 3, 4, 4), 1.5)


def test_module_repr_matches_torch() -> None:
    torch = torch_or_skip()
    for args in ((), (0.3,), (0.5, True)):
        assert repr(nn.Dropout2d(*args)) == repr(torch.nn.Dropout2d(*args))
    with pytest.raises(ValueError, match="dropout probability"):
        nn.Dropout2d(-0.1)


def test_gradcheck_and_gradgradcheck_with_a_fixed_mask() -> None:
    from tinygrad_lite.autograd import gradcheck, gradgradcheck

    def fn(t):
        tl.manual_seed(3)  # the same channel mask on every call
        return F.dropout2d(t, 0.4) ** 2

    x = tl.tensor(np.random.default_rng(0).standard_normal((2, 3, 2, 2)), requires_grad=True)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))
