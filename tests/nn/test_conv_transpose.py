"""conv1d/conv3d and conv_transpose1d/2d/3d (+ modules) against PyTorch (float64): values and
gradients over many random geometries, double backward, the fast 2-D kernels, errors."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tl
from tests.helpers import assert_close, compare_with_torch, torch_or_skip
from tinygrad_lite import nn
from tinygrad_lite.autograd import gradcheck, gradgradcheck
from tinygrad_lite.nn import functional as F
from tinygrad_lite.ops.conv import col2im_array, im2col_array

RNG = np.random.default_rng(13)


def _randn(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape)


def _ints(low: int, high: int, n: int, rng: np.random.Generator) -> tuple[int, ...]:
    return tuple(int(v) for v in rng.integers(low, high, n))


def _random_config(nd: int, transposed: bool, seed: int) -> tuple[tuple, tuple, dict]:
    """(input shape, weight shape, kwargs) of a random valid convolution geometry."""
    rng = np.random.default_rng(seed)
    while True:
        groups = int(rng.integers(1, 3))
        c_in, c_out = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
        kernel, stride = _ints(1, 4, nd, rng), _ints(1, 4, nd, rng)
        dilation, padding = _ints(1, 3, nd, rng), _ints(0, 3, nd, rng)
        spatial = _ints(3, 8 if nd < 3 else 6, nd, rng)
        x_shape = (int(rng.integers(1, 4)), c_in, *spatial)
        kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
        if transposed:
            kw["output_padding"] = tuple(
                int(rng.integers(0, max(s, d))) for s, d in zip(stride, dilation)
            )
            w_shape = (c_in, c_out // groups, *kernel)
            outs = [(n - 1) * s - 2 * p + d * (k - 1) + q + 1 for n, k, s, p, q, d in zip(
                spatial, kernel, stride, padding, kw["output_padding"], dilation)]
        else:
            w_shape = (c_out, c_in // groups, *kernel)
            outs = [(n + 2 * p - d * (k - 1) - 1) // s + 1
                    for n, k, s, p, d in zip(spatial, kernel, stride, padding, dilation)]
        if min(outs) >= 1:
            return x_shape, w_shape, kw


def _fns(nd: int, transposed: bool):
    torch = torch_or_skip()
    name = f"conv_transpose{nd}d" if transposed else f"conv{nd}d"
    return getattr(F, name), getattr(torch.nn.functional, name)


# conv2d has its own table of cases in test_conv.py; a few random ones here too
@pytest.mark.parametrize("nd, transposed", [(1, False), (3, False), (1, True), (2, True),
                                            (3, True), (2, False)])
@pytest.mark.parametrize("seed", range(12))
def test_random_geometries_match_torch(nd, transposed, seed):
    """Random stride/padding/dilation/groups (and output_padding): values and all gradients."""
    ours, theirs = _fns(nd, transposed)
    xs, ws, kw = _random_config(nd, transposed, seed)
    c_out = ws[1] * kw["groups"] if transposed else ws[0]
    args = [_randn(*xs), _randn(*ws), _randn(c_out)]
    compare_with_torch(lambda x, w, b: ours(x, w, b, **kw),
                       lambda x, w, b: theirs(x, w, b, **kw), args)


TRANSPOSED_CASES = [
    # (x shape, weight shape, kwargs): the decoder layers people write
    ((2, 4, 5, 6), (4, 3, 3, 3), dict(stride=2, padding=1, output_padding=1)),
    ((2, 4, 4, 4), (4, 2, 4, 4), dict(stride=2, padding=1)),  # DCGAN's 4x4 stride 2
    ((2, 3, 5, 4), (3, 2, 2, 2), dict(stride=2)),  # windows tile the output
    ((8, 3, 5, 6), (3, 4, 3, 3), dict(padding=1)),  # stride 1 same size, batch innermost
    ((8, 4, 4, 5), (4, 3, 3, 3), dict(stride=2, padding=1, output_padding=1)),  # strided, too
    ((9, 4, 3, 4), (4, 2, 2, 3), dict(stride=(2, 1), dilation=(1, 2), groups=2)),
    ((2, 3, 9, 8), (3, 4, 3, 3), dict(padding=1)),  # stride 1 same size, channel-major
    ((2, 3, 12, 11), (3, 4, 3, 3), dict(padding=(0, 1))),  # stride 1, flat-shift kernel
    ((2, 4, 5, 6), (4, 1, 3, 3), dict(padding=1, groups=4)),  # depthwise
    ((1, 2, 3, 4), (2, 3, 1, 1), dict(stride=1, dilation=3, output_padding=2)),  # crop
    ((2, 2, 4, 3), (2, 2, 3, 2), dict(stride=(1, 2), padding=(0, 1), dilation=(2, 1),
                                      output_padding=(1, 1))),
]


@pytest.mark.parametrize("xs, ws, kwargs", TRANSPOSED_CASES)
def test_conv_transpose2d_matches_torch(xs, ws, kwargs):
    ours, theirs = _fns(2, True)
    c_out = ws[1] * kwargs.get("groups", 1)
    compare_with_torch(lambda x, w, b: ours(x, w, b, **kwargs),
                       lambda x, w, b: theirs(x, w, b, **kwargs),
                       [_randn(*xs), _randn(*ws), _randn(c_out)])
    for rg in ([False, True], [True, False]):  # only the weight, then only the input
        compare_with_torch(lambda x, w: ours(x, w, **kwargs),
                           lambda x, w: theirs(x, w, **kwargs),
                           [_randn(*xs), _randn(*ws)], requires_grad=rg)


def test_conv_transpose_is_the_input_gradient_of_conv():
    """<conv(x), y> == <x, conv_transpose(y)> for the same weight and geometry: the adjoint."""
    x, w = _randn(2, 3, 9, 8), _randn(4, 3, 3, 2)
    kw = dict(stride=(2, 3), padding=(1, 0), dilation=(1, 2))
    y = F.conv2d(tl.tensor(x), tl.tensor(w), **kw)
    g = _randn(*y.shape)
    back = F.conv_transpose2d(tl.tensor(g), tl.tensor(w), output_padding=(0, 2), **kw)
    assert back.shape == x.shape
    assert np.isclose(np.sum(y.data * g), np.sum(x * back.data), rtol=1e-12)


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_conv_transpose_float32_matches_torch_to_rounding(nd):
    ours, theirs = _fns(nd, True)
    torch = torch_or_skip()
    xs, ws, kw = _random_config(nd, True, 100 + nd)
    x, w = _randn(*xs).astype(np.float32), _randn(*ws).astype(np.float32)
    y = ours(tl.tensor(x), tl.tensor(w), **kw)
    assert y.dtype == np.float32
    assert_close(y, theirs(torch.tensor(x), torch.tensor(w), **kw), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("transposed", [False, True])
def test_gradcheck_and_gradgradcheck(nd, transposed):
    ours, _ = _fns(nd, transposed)
    xs, ws, kw = _random_config(nd, transposed, 7 * nd + transposed)
    xs = (1, *xs[1:])  # keep the finite differences cheap
    c_out = ws[1] * kw["groups"] if transposed else ws[0]
    args = tuple(tl.tensor(_randn(*s), requires_grad=True) for s in (xs, ws, (c_out,)))
    fn = lambda x, w, b: ours(x, w, b, **kw)  # noqa: E731
    assert gradcheck(fn, args)
    assert gradgradcheck(fn, args)


# channel-major strided; batch-innermost same size; batch-innermost strided
@pytest.mark.parametrize("batch", [2, 7, 8])
def test_conv_transpose2d_double_backward_matches_torch(batch):
    torch = torch_or_skip()
    x0, w0, b0 = _randn(batch, 4, 5, 6), _randn(4, 2, 3, 3), _randn(4 if batch == 7 else 2)
    kw = dict(padding=1, groups=2) if batch == 7 else dict(stride=2, padding=1, output_padding=1)

    def second_order(lib, f, x, w, b):
        y = f(x, w, b, **kw)
        gx, gw = lib.autograd.grad((y * y).sum(), [x, w], create_graph=True)
        return (gx * gx).sum() + (gw * gw * gw).sum(), (gx, gw)

    ours = [tl.tensor(a, requires_grad=True) for a in (x0, w0, b0)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x0, w0, b0)]
    z, (gx, gw) = second_order(tl, F.conv_transpose2d, *ours)
    zt, (gxt, gwt) = second_order(torch, torch.nn.functional.conv_transpose2d, *theirs)
    assert_close(gx, gxt, what="grad x")
    assert_close(gw, gwt, what="grad w")
    z.backward()
    zt.backward()
    for a, b, name in zip(ours, theirs, "xwb"):
        assert_close(a.grad, b.grad, rtol=1e-6, what=f"second-order grad {name}")


@pytest.mark.parametrize(
    "geom",
    [
        ((3,), (2,), (1, 0), (1,)),
        ((2, 3, 1), (1, 2, 2), (0, 1, 1, 1, 0, 0), (2, 1, 1)),
        ((1, 1), (1, 1), (1, -2, 0, 0), (3, 1)),  # a negative end pad crops the input
    ],
)
def test_nd_im2col_col2im_are_adjoint(geom):
    nd = len(geom[0])
    x = _randn(2, 3, *[7 - a for a in range(nd)])
    cols = im2col_array(x, geom)
    c = _randn(*cols.shape)
    assert np.isclose(np.sum(cols * c), np.sum(x * col2im_array(c, x.shape, geom)), rtol=1e-12)


def test_2d_fast_input_gradients_equal_the_plain_col2im_form():
    """conv_transpose2d's stride-1 fast kernels (same size; flat shift) against the plain
    col2im(W^T x) (as stride 1 with a one-pixel crop takes the generic path)."""
    for shape, kw in [((8, 3, 5, 6), dict(padding=1)), ((2, 3, 12, 11), dict(padding=(0, 1))),
                      ((2, 3, 9, 8), dict(padding=1))]:
        x, w = _randn(*shape), _randn(3, 4, 3, 3)
        y = F.conv_transpose2d(tl.tensor(x), tl.tensor(w), **kw).data
        (ph, pw) = kw["padding"] if isinstance(kw["padding"], tuple) else (1, 1)
        geom = ((3, 3), (1, 1), (ph, ph, pw, pw), (1, 1))
        x2 = x.transpose(1, 0, 2, 3).reshape(3, -1)
        plain = col2im_array(w.reshape(3, -1).T @ x2, y.shape, geom)
        assert_close(y, plain, rtol=1e-12, atol=1e-12)


# ----- modules -----------------------------------------------------------------------------

MODULE_SPECS = [
    ("Conv1d", dict(in_channels=3, out_channels=4, kernel_size=3, padding=1), (2, 3, 9)),
    ("Conv1d", dict(in_channels=4, out_channels=2, kernel_size=2, stride=2, groups=2,
                    bias=False), (2, 4, 9)),
    ("Conv1d", dict(in_channels=2, out_channels=3, kernel_size=3, padding="same", dilation=2),
     (3, 2, 8)),
    ("Conv3d", dict(in_channels=2, out_channels=3, kernel_size=(2, 3, 3), padding=(0, 1, 1)),
     (2, 2, 4, 5, 5)),
    ("Conv3d", dict(in_channels=2, out_channels=2, kernel_size=3, stride=2), (1, 2, 5, 6, 5)),
    ("ConvTranspose1d", dict(in_channels=3, out_channels=4, kernel_size=3, stride=2,
                             padding=1, output_padding=1), (2, 3, 7)),
    ("ConvTranspose2d", dict(in_channels=4, out_channels=2, kernel_size=4, stride=2,
                             padding=1, bias=False), (2, 4, 5, 5)),
    ("ConvTranspose2d", dict(in_channels=4, out_channels=6, kernel_size=(3, 2), stride=(2, 1),
                             groups=2, dilation=(1, 2)), (2, 4, 3, 4)),
    ("ConvTranspose3d", dict(in_channels=2, out_channels=3, kernel_size=3, stride=2,
                             padding=1, output_padding=1), (1, 2, 3, 4, 3)),
]


@pytest.mark.parametrize("name, spec, x_shape", MODULE_SPECS)
def test_modules_match_torch(name, spec, x_shape):
    """state_dict keys and shapes, outputs, gradients, repr; unbatched input too."""
    torch = torch_or_skip()
    ours = getattr(nn, name)(**spec).double()
    theirs = getattr(torch.nn, name)(**spec).double()
    sd = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == [
        (k, v.shape) for k, v in sd.items()
    ]
    ours.load_state_dict(sd)
    assert repr(ours) == repr(theirs)
    x = _randn(*x_shape)
    xo, xt = tl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo, yt = ours(xo), theirs(xt)
    assert_close(yo, yt)
    g = _randn(*yt.shape)
    yo.backward(tl.tensor(g))
    yt.backward(torch.tensor(g))
    assert_close(xo.grad, xt.grad)
    assert_close(ours.weight.grad, theirs.weight.grad)
    assert_close(ours(tl.tensor(x[0])), theirs(torch.tensor(x[0])))  # unbatched


def test_default_init_bounds_of_the_new_layers():
    for layer, fan_in in [(nn.Conv1d(4, 6, 3, groups=2), 2 * 3),
                          (nn.Conv3d(2, 4, (1, 2, 3)), 2 * 6),
                          (nn.ConvTranspose2d(4, 6, 3, groups=2), 3 * 9)]:  # weight dim 1
        bound = 1 / np.sqrt(fan_in)
        assert np.abs(layer.weight.data).max() <= bound
        assert np.abs(layer.bias.data).max() <= bound
        assert np.abs(layer.weight.data).max() > 0.7 * bound
    assert nn.ConvTranspose2d(4, 6, 3, groups=2).weight.shape == (4, 3, 3, 3)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("nd", [1, 3])
def test_padding_modes_of_conv1d_and_conv3d_match_torch(mode, nd):
    torch = torch_or_skip()
    name = f"Conv{nd}d"
    ours = getattr(nn, name)(2, 3, 3, padding=1 if nd == 3 else 2, padding_mode=mode).double()
    theirs = getattr(torch.nn, name)(2, 3, 3, padding=1 if nd == 3 else 2,
                                     padding_mode=mode).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = _randn(2, 2, *[5] * nd)
    compare_with_torch(lambda t: ours(t), lambda t: theirs(t), [x])
    assert repr(ours) == repr(theirs)


def test_conv_transpose2d_output_size_matches_torch():
    torch = torch_or_skip()
    ours = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1).double()
    theirs = torch.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = _randn(1, 3, 4, 4)
    for size in [(7, 7), (8, 8), (7, 8), [1, 2, 8, 7]]:
        yo = ours(tl.tensor(x), output_size=size)
        assert_close(yo, theirs(torch.tensor(x), output_size=size))
    with pytest.raises(ValueError, match=r"ConvTranspose2d: requested an output size of "
                       r"\(9, 9\), but valid sizes along axis 0 range from 7 to 8"):
        ours(tl.tensor(x), output_size=(9, 9))


# ----- errors ------------------------------------------------------------------------------


def test_errors_name_the_op_and_shapes():
    x = tl.randn(2, 3, 5, 5)
    with pytest.raises(RuntimeError, match=r"conv_transpose2d: expected input \(N, C, H, W\) "
                       r"with C=4, got \(2, 3, 5, 5\) \(weight \(4, 2, 3, 3\), groups=1\)"):
        F.conv_transpose2d(x, tl.randn(4, 2, 3, 3))
    with pytest.raises(RuntimeError, match=r"conv_transpose2d: expected bias of shape \(2,\), "
                       r"got \(3,\)"):
        F.conv_transpose2d(x, tl.randn(3, 2, 3, 3), tl.randn(3))
    with pytest.raises(RuntimeError, match=r"conv_transpose2d: groups=2 must divide the "
                       r"weight's dimension 0, got weight \(3, 2, 3, 3\)"):
        F.conv_transpose2d(x, tl.randn(3, 2, 3, 3), groups=2)
    with pytest.raises(RuntimeError, match=r"conv_transpose2d: output_padding must be smaller "
                       r"than either stride or dilation, got output_padding=\(2, 2\)"):
        F.conv_transpose2d(x, tl.randn(3, 2, 3, 3), stride=2, output_padding=2)
    with pytest.raises(RuntimeError, match=r"conv_transpose2d: output size \(-2, -2\) is too "
                       r"small for input size \(2, 2\)"):
        F.conv_transpose2d(tl.randn(3, 2, 2), tl.randn(3, 2, 3, 3), padding=3)
    with pytest.raises(TypeError, match="conv_transpose2d: padding must be an int or a tuple"):
        F.conv_transpose2d(x, tl.randn(3, 2, 3, 3), padding="same")
    with pytest.raises(RuntimeError, match=r"conv1d: expected 2-D \(C, L\) or 3-D \(N, C, L\) "
                       r"input, got shape \(2, 3, 5, 5\)"):
        F.conv1d(x, tl.randn(4, 3, 3))
    with pytest.raises(RuntimeError, match=r"conv3d: expected a 5-D weight \(C_out, "
                       r"C_in/groups, kd, kh, kw\), got \(4, 3, 3, 3\)"):
        F.conv3d(tl.randn(1, 3, 4, 4, 4), tl.randn(4, 3, 3, 3))
    with pytest.raises(RuntimeError, match=r"conv3d: stride must be an int or a tuple of 3 ints"):
        F.conv3d(tl.randn(1, 3, 4, 4, 4), tl.randn(4, 3, 3, 3, 3), stride=(1, 2))
    with pytest.raises(RuntimeError, match=r"conv_transpose1d: input dtype float64 does not "
                       r"match weight dtype float32"):
        F.conv_transpose1d(tl.randn(1, 3, 4).double(), tl.randn(3, 2, 3))
    with pytest.raises(ValueError, match='ConvTranspose2d: only "zeros" padding mode'):
        nn.ConvTranspose2d(3, 4, 3, padding_mode="reflect")
    with pytest.raises(RuntimeError, match=r"Conv1d: kernel_size must be an int >= 1, got 0"):
        nn.Conv1d(3, 4, 0)
    with pytest.raises(TypeError, match=r"ConvTranspose3d: stride must be an int or 3 ints"):
        nn.ConvTranspose3d(3, 4, 3, stride=(1, 1))
    torch = torch_or_skip()  # PyTorch raises RuntimeError for these shape mismatches too
    with pytest.raises(RuntimeError):
        torch.nn.functional.conv_transpose2d(torch.zeros(2, 3, 5, 5), torch.zeros(4, 2, 3, 3))
    with pytest.raises(RuntimeError):
        torch.nn.functional.conv1d(torch.zeros(2, 3, 5, 5), torch.zeros(4, 3, 3))


def test_strided_layers_keep_the_batch_innermost_order():
    """A strided conv and a strided transposed conv on a batch at least an output row long
    return CHWN memory, as the same-size layers do, so the next layer needs no copy."""
    x = tl.tensor(RNG.standard_normal((16, 2, 8, 8)).astype(np.float32))
    layers = [nn.Conv2d(2, 4, 3, stride=2, padding=1), nn.ReLU(),
              nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1)]
    y = x
    for layer in layers:
        y = layer(y)
        assert y.data.transpose(1, 2, 3, 0).flags.c_contiguous, type(layer).__name__
    assert y.shape == (16, 2, 8, 8)
    y.sum().backward()
    assert layers[0].weight.grad.shape == (4, 2, 3, 3)
