"""F.unfold/F.fold, F.interpolate, F.pixel_shuffle/unshuffle (+ modules) against PyTorch:
values and gradients over random configurations, adjointness, double backward, errors."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tl
from tests.helpers import assert_close, compare_with_torch, torch_or_skip
from tinygrad_lite import nn
from tinygrad_lite.autograd import gradcheck, gradgradcheck
from tinygrad_lite.nn import functional as F


def _config(seed: int) -> tuple[dict, tuple[int, ...]]:
    """Random unfold/fold arguments and an input shape with at least one block."""
    rng = np.random.default_rng(seed)
    while True:
        kw = {name: tuple(int(v) for v in rng.integers(lo, hi, 2)) for name, lo, hi in
              [("kernel_size", 1, 4), ("dilation", 1, 3), ("padding", 0, 3), ("stride", 1, 4)]}
        shape = (int(rng.integers(1, 4)), int(rng.integers(1, 4)),
                 *[int(v) for v in rng.integers(2, 9, 2)])
        blocks = [(n + 2 * p - d * (k - 1) - 1) // s + 1 for n, k, d, p, s in zip(
            shape[2:], kw["kernel_size"], kw["dilation"], kw["padding"], kw["stride"])]
        if min(blocks) >= 1:
            return kw, shape


@pytest.mark.parametrize("seed", range(16))
def test_unfold_and_fold_match_torch(seed):
    torch = torch_or_skip()
    kw, shape = _config(seed)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    compare_with_torch(lambda t: F.unfold(t, **kw),
                       lambda t: torch.nn.functional.unfold(t, **kw), [x])
    cols = torch.nn.functional.unfold(torch.tensor(x), **kw).numpy()
    c = rng.standard_normal(cols.shape)
    compare_with_torch(lambda t: F.fold(t, shape[2:], **kw),
                       lambda t: torch.nn.functional.fold(t, shape[2:], **kw), [c])
    # unbatched: (C, H, W) <-> (C*kh*kw, L)
    assert_close(F.unfold(tl.tensor(x[0]), **kw), torch.nn.functional.unfold(
        torch.tensor(x[0]), **kw))
    assert_close(F.fold(tl.tensor(c[0]), shape[2:], **kw), torch.nn.functional.fold(
        torch.tensor(c[0]), shape[2:], **kw))


@pytest.mark.parametrize("seed", range(4))
def test_fold_is_the_adjoint_of_unfold(seed):
    kw, shape = _config(100 + seed)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    cols = F.unfold(tl.tensor(x), **kw).data
    c = rng.standard_normal(cols.shape)
    lhs = np.sum(cols * c)
    rhs = np.sum(x * F.fold(tl.tensor(c), shape[2:], **kw).data)
    assert np.isclose(lhs, rhs, rtol=1e-12)


def test_conv2d_is_a_matmul_of_unfold():
    x, w = tl.randn(2, 3, 6, 5).double(), tl.randn(4, 3, 3, 3).double()
    cols = F.unfold(x, 3, padding=1, stride=2)  # (N, C*9, L)
    y = (w.reshape(4, -1) @ cols).reshape(2, 4, 3, 3)
    assert_close(y, F.conv2d(x, w, padding=1, stride=2), rtol=1e-12)


def test_unfold_fold_double_backward():
    kw = dict(kernel_size=(2, 3), dilation=(1, 2), padding=1, stride=(2, 1))
    x = tl.tensor(np.random.default_rng(0).standard_normal((1, 2, 4, 5)), requires_grad=True)
    assert gradcheck(lambda t: F.unfold(t, **kw) ** 2, (x,))
    assert gradgradcheck(lambda t: F.unfold(t, **kw) ** 2, (x,))
    c = tl.tensor(F.unfold(x, **kw).data.copy(), requires_grad=True)
    assert gradgradcheck(lambda t: F.fold(t, (4, 5), **kw) ** 2, (c,))


# ----- interpolate -------------------------------------------------------------------------

LINEAR = {1: "linear", 2: "bilinear", 3: "trilinear"}


def _interp_config(seed: int, nd: int) -> dict:
    rng = np.random.default_rng(seed)
    if seed % 2:
        return dict(size=tuple(int(v) for v in rng.integers(1, 11, nd)))
    return dict(scale_factor=tuple(float(np.round(rng.uniform(0.4, 3.2), 2))
                                   for _ in range(nd)))


@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "linear", "linear-corners"])
@pytest.mark.parametrize("seed", range(6))
def test_interpolate_matches_torch(nd, mode, seed):
    """Values and gradients in float64 for random sizes and scale factors."""
    torch = torch_or_skip()
    kw = _interp_config(seed, nd)
    if mode.startswith("linear"):
        kw.update(mode=LINEAR[nd], align_corners=mode == "linear-corners")
    else:
        kw.update(mode=mode)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, 3, *[int(v) for v in rng.integers(1, 8, nd)]))
    factors = kw.get("scale_factor", [None] * nd)
    sizes = [int(np.floor(n * f)) if f else m for n, f, m in zip(
        x.shape[2:], factors, kw.get("size", [None] * nd))]
    if min(sizes) < 1:
        return  # no output pixel: an error, tested below
    ours = lambda t: F.interpolate(t, **kw)  # noqa: E731
    theirs = lambda t: torch.nn.functional.interpolate(t, **kw)  # noqa: E731
    if mode.startswith("nearest") and nd != 2 and any(
        f and m in (n, 2 * n) and f != m / n for n, f, m in zip(x.shape[2:], factors, sizes)
    ):
        # PyTorch's 1-D/3-D nearest backward special-cases 1x and 2x sizes and its forward does
        # not, so its gradient is not the adjoint of its forward there: compare the values, and
        # check our gradient against finite differences instead
        assert_close(ours(tl.tensor(x)), theirs(torch.tensor(x)))
        assert gradcheck(lambda t: ours(t) ** 2, (tl.tensor(x, requires_grad=True),))
        return
    compare_with_torch(ours, theirs, [x])


@pytest.mark.parametrize("kw", [
    dict(scale_factor=2, mode="nearest"),
    dict(size=(5, 7), mode="bilinear"),
    dict(scale_factor=0.5, mode="bilinear", align_corners=True),
    dict(scale_factor=1.7, mode="bilinear", recompute_scale_factor=True),
    dict(size=9, mode="nearest-exact"),
])
def test_interpolate_float32_matches_torch_to_rounding(kw):
    torch = torch_or_skip()
    x = np.random.default_rng(1).standard_normal((2, 3, 6, 5)).astype(np.float32)
    xo, xt = tl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo, yt = F.interpolate(xo, **kw), torch.nn.functional.interpolate(xt, **kw)
    assert yo.dtype == np.float32
    assert_close(yo, yt, rtol=1e-5, atol=1e-6)
    g = np.random.default_rng(2).standard_normal(yt.shape).astype(np.float32)
    yo.backward(tl.tensor(g))
    yt.backward(torch.tensor(g))
    assert_close(xo.grad, xt.grad, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kw", [
    dict(scale_factor=2, mode="nearest"),
    dict(size=(4, 3), mode="bilinear"),
    dict(size=(2, 5), mode="bilinear", align_corners=True),
])
def test_interpolate_double_backward(kw):
    x = tl.tensor(np.random.default_rng(3).standard_normal((1, 2, 3, 4)), requires_grad=True)
    assert gradcheck(lambda t: F.interpolate(t, **kw) ** 2, (x,))
    assert gradgradcheck(lambda t: F.interpolate(t, **kw) ** 2, (x,))


def test_nearest_upsampling_by_two_repeats_pixels():
    x = tl.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    assert F.interpolate(x, scale_factor=2).data[0, 0].tolist() == [
        [1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]
    y = F.interpolate(x, size=(3, 3), mode="bilinear", align_corners=True)
    assert y.data[0, 0].tolist() == [[1, 1.5, 2], [2, 2.5, 3], [3, 3.5, 4]]


# ----- pixel shuffle -----------------------------------------------------------------------


@pytest.mark.parametrize("shape, r", [((2, 8, 3, 4), 2), ((18, 2, 3), 3), ((2, 1, 4, 1, 2), 1),
                                      ((3, 2, 12, 2, 3), 2)])
def test_pixel_shuffle_and_unshuffle_match_torch(shape, r):
    torch = torch_or_skip()
    x = np.random.default_rng(4).standard_normal(shape)
    compare_with_torch(lambda t: F.pixel_shuffle(t, r),
                       lambda t: torch.nn.functional.pixel_shuffle(t, r), [x])
    y = torch.nn.functional.pixel_shuffle(torch.tensor(x), r).numpy()
    compare_with_torch(lambda t: F.pixel_unshuffle(t, r),
                       lambda t: torch.nn.functional.pixel_unshuffle(t, r), [y])
    assert_close(F.pixel_unshuffle(F.pixel_shuffle(tl.tensor(x), r), r), x)


def test_pixel_shuffle_double_backward():
    x = tl.tensor(np.random.default_rng(5).standard_normal((1, 4, 2, 3)), requires_grad=True)
    assert gradgradcheck(lambda t: F.pixel_shuffle(t, 2) ** 2, (x,))


# ----- modules -----------------------------------------------------------------------------

MODULES = [
    ("Unfold", dict(kernel_size=3, padding=1), (2, 3, 5, 4)),
    ("Unfold", dict(kernel_size=(2, 3), dilation=(1, 2), stride=2), (1, 2, 6, 7)),
    ("Fold", dict(output_size=(4, 5), kernel_size=2, stride=1), (2, 12, 12)),
    ("Upsample", dict(scale_factor=2), (2, 3, 4, 5)),
    ("Upsample", dict(size=(3, 4), mode="bilinear", align_corners=True), (2, 3, 4, 5)),
    ("Upsample", dict(scale_factor=(1.5, 2.0, 0.5), mode="trilinear"), (1, 2, 3, 4, 5)),
    ("UpsamplingNearest2d", dict(scale_factor=3), (1, 2, 3, 2)),
    ("UpsamplingBilinear2d", dict(size=5), (1, 2, 3, 2)),
    ("PixelShuffle", dict(upscale_factor=2), (2, 8, 3, 3)),
    ("PixelUnshuffle", dict(downscale_factor=2), (2, 2, 4, 6)),
]


@pytest.mark.parametrize("name, kwargs, shape", MODULES)
def test_modules_match_torch(name, kwargs, shape):
    torch = torch_or_skip()
    ours, theirs = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(6).standard_normal(shape)
    compare_with_torch(lambda t: ours(t), lambda t: theirs(t), [x])


# ----- errors ------------------------------------------------------------------------------


def test_errors_name_the_op_and_shapes():
    x = tl.randn(1, 3, 5, 5)
    with pytest.raises(RuntimeError, match=r"unfold: expected 3-D \(C, H, W\) or 4-D "
                       r"\(N, C, H, W\) input, got shape \(5, 5\)"):
        F.unfold(tl.randn(5, 5), 2)
    with pytest.raises(RuntimeError, match=r"unfold: output size \(-1, -1\) is too small"):
        F.unfold(x, 7)
    with pytest.raises(RuntimeError, match=r"fold: expected the size of input's dimension 1 to "
                       r"be divisible by the product of kernel_size \(2, 2\), got input "
                       r"\(1, 10, 16\)"):
        F.fold(tl.randn(1, 10, 16), (5, 5), 2)
    with pytest.raises(RuntimeError, match=r"fold: input \(1, 12, 15\) has 15 blocks, but "
                       r"output_size=\(5, 5\) .* gives 4 \* 4 blocks"):
        F.fold(tl.randn(1, 12, 15), (5, 5), 2)
    with pytest.raises(RuntimeError, match=r"fold: expected 2-D \(C\*kh\*kw, L\) or 3-D"):
        F.fold(tl.randn(12), (5, 5), 2)
    with pytest.raises(ValueError, match="interpolate: either size or scale_factor"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="interpolate: only one of size or scale_factor"):
        F.interpolate(x, size=4, scale_factor=2)
    with pytest.raises(ValueError, match="interpolate: align_corners option can only be set"):
        F.interpolate(x, size=4, align_corners=True)
    with pytest.raises(ValueError, match=r"interpolate: input and output must have the same "
                       r"number of spatial dimensions, but got input with spatial dimensions "
                       r"of \[5, 5\] and size \(4, 4, 4\)"):
        F.interpolate(x, size=(4, 4, 4))
    with pytest.raises(NotImplementedError, match=r"interpolate: got 3-D input of shape "
                       r"\(1, 3, 5\), but bilinear mode needs 4-D input"):
        F.interpolate(tl.randn(1, 3, 5), scale_factor=2, mode="bilinear")
    with pytest.raises(NotImplementedError, match="interpolate: mode must be one of"):
        F.interpolate(x, size=4, mode="bicubic")
    with pytest.raises(RuntimeError, match=r"interpolate: input and output sizes should be "
                       r"greater than 0, but got input \(5, 5\) and output \(0, 0\)"):
        F.interpolate(x, scale_factor=0.1)
    with pytest.raises(RuntimeError, match="interpolate: bilinear mode needs a floating-point "
                       "input, got int64"):
        F.interpolate(tl.tensor(np.arange(16).reshape(1, 1, 4, 4)), size=3, mode="bilinear")
    ints = F.interpolate(tl.tensor(np.arange(4).reshape(1, 1, 2, 2)), scale_factor=2)
    assert ints.dtype == np.int64 and ints.data[0, 0, 3].tolist() == [2, 2, 3, 3]
    with pytest.raises(RuntimeError, match=r"pixel_shuffle: expected the channel dimension of "
                       r"input \(1, 5, 2, 2\) to be divisible by upscale_factor\*\*2 = 4"):
        F.pixel_shuffle(tl.randn(1, 5, 2, 2), 2)
    with pytest.raises(RuntimeError, match=r"pixel_unshuffle: expected the height and width of "
                       r"input \(1, 5, 3, 2\) to be divisible by downscale_factor = 2"):
        F.pixel_unshuffle(tl.randn(1, 5, 3, 2), 2)
    with pytest.raises(RuntimeError, match="pixel_shuffle: expected input with at least 3"):
        F.pixel_shuffle(tl.randn(5, 2), 2)
    torch = torch_or_skip()  # the same calls fail in PyTorch with the same exception types
    with pytest.raises(RuntimeError):
        torch.nn.functional.fold(torch.zeros(1, 10, 16), (5, 5), 2)
    with pytest.raises(RuntimeError):
        torch.nn.functional.pixel_shuffle(torch.zeros(1, 5, 2, 2), 2)
    with pytest.raises(NotImplementedError):
        torch.nn.functional.interpolate(torch.zeros(1, 3, 5), scale_factor=2, mode="bilinear")
