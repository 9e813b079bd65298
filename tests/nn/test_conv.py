"""Conv2d / F.conv2d against PyTorch (float64): values, input/weight/bias gradients, double
backward, im2col/col2im adjointness, module init/state_dict/repr, and error messages."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tl
from tests.helpers import assert_close, compare_with_torch, torch_or_skip
from tinygrad_lite import nn
from tinygrad_lite.nn import functional as F
from tinygrad_lite.ops.conv import Col2Im, Im2Col, col2im_array, im2col_array
from tinygrad_lite.ops.conv_kernels import (
    _flat_input_grad_pays,
    _keeps_size,
    col2im_batch_inner,
    im2col_batch_inner,
    im2col_batch_inner_strided,
    input_grad_flat,
    input_grad_same_size,
    weight_grad_gemm,
)

RNG = np.random.default_rng(0)


def _randn(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape)


CASES = [
    # (x shape, weight shape, kwargs)
    ((2, 3, 7, 6), (4, 3, 3, 3), dict(padding=1)),
    ((2, 3, 7, 6), (4, 3, 3, 3), dict(stride=2, padding=(1, 2))),
    ((1, 2, 8, 9), (3, 2, 5, 5), dict(padding=2)),
    ((2, 4, 5, 6), (6, 4, 1, 1), dict()),
    ((2, 2, 9, 7), (3, 2, 3, 2), dict(dilation=2, padding=(2, 1))),
    ((2, 4, 6, 6), (6, 2, 3, 3), dict(groups=2, padding=1)),
    ((2, 4, 6, 5), (4, 1, 3, 3), dict(groups=4, padding=1)),  # depthwise
    ((2, 4, 6, 5), (8, 1, 3, 3), dict(groups=4, stride=(2, 1))),  # depthwise multiplier 2
    ((1, 3, 7, 8), (2, 3, 3, 3), dict(padding="same")),
    ((1, 3, 7, 8), (2, 3, 4, 2), dict(padding="same", dilation=(1, 2))),  # asymmetric 'same'
    ((2, 3, 7, 8), (2, 3, 3, 3), dict(padding="valid", stride=(1, 3))),
    ((1, 1, 5, 5), (1, 1, 5, 5), dict()),  # output 1x1
    ((2, 3, 7, 8), (4, 3, 1, 1), dict(stride=2)),  # disjoint windows with gaps
    ((2, 3, 8, 6), (4, 3, 2, 2), dict(stride=2)),  # windows tile the input
    # large enough for the flat-shift input gradient (stride 1, padded grid <= 1.5x output)
    ((2, 3, 12, 11), (4, 3, 3, 3), dict(padding=1)),
    ((2, 4, 13, 12), (6, 2, 3, 3), dict(padding=(1, 2), groups=2)),
    ((1, 2, 16, 15), (3, 2, 3, 2), dict(padding="same", dilation=(2, 1))),
    # batch at least as long as a row: the batch-innermost (CHWN) same-size path
    ((7, 3, 5, 6), (4, 3, 3, 3), dict(padding=1)),
    ((6, 4, 5, 4), (6, 2, 3, 3), dict(padding=1, groups=2)),
    ((8, 2, 4, 5), (3, 2, 4, 2), dict(padding="same", dilation=(1, 2))),
    ((9, 3, 6, 3), (2, 3, 3, 3), dict(padding=2, dilation=2)),
    # other geometries on such a batch: strided copies in the batch-innermost order
    ((8, 3, 7, 6), (4, 3, 3, 3), dict(stride=2, padding=1)),
    ((6, 4, 6, 7), (6, 2, 3, 2), dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2)),
    ((9, 2, 8, 8), (3, 2, 2, 2), dict(stride=2)),  # windows tile the input
    ((7, 3, 6, 6), (2, 3, 3, 3), dict()),  # 'valid'
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("xs, ws, kwargs", CASES)
def test_conv2d_matches_torch(xs, ws, kwargs):
    torch = torch_or_skip()
    args = [_randn(*xs), _randn(*ws), _randn(ws[0])]
    compare_with_torch(
        lambda x, w, b: F.conv2d(x, w, b, **kwargs),
        lambda x, w, b: torch.nn.functional.conv2d(x, w, b, **kwargs),
        args,
    )


def test_conv2d_no_bias_and_single_grads():
    torch = torch_or_skip()
    kwargs = dict(stride=2, padding=1)
    compare_with_torch(
        lambda x, w: F.conv2d(x, w, **kwargs),
        lambda x, w: torch.nn.functional.conv2d(x, w, **kwargs),
        [_randn(3, 2, 6, 7), _randn(4, 2, 3, 3)],
    )
    # only the weight needs a gradient (first layer of a net), then only the input
    for rg in ([False, True], [True, False]):
        compare_with_torch(
            lambda x, w: F.conv2d(x, w, **kwargs),
            lambda x, w: torch.nn.functional.conv2d(x, w, **kwargs),
            [_randn(3, 2, 6, 7), _randn(4, 2, 3, 3)],
            requires_grad=rg,
        )


def test_conv2d_float32_stays_float32():
    x = tl.randn(2, 3, 5, 5)
    conv = nn.Conv2d(3, 4, 3, padding=1)
    y = conv(x)
    assert y.dtype == np.float32 and y.shape == (2, 4, 5, 5)
    y.sum().backward()
    assert conv.weight.grad.dtype == np.float32


@pytest.mark.parametrize("groups", [1, 2])
@pytest.mark.parametrize("batch_inner", [False, True])  # stride 2, or stride 1 with N >= W
def test_conv2d_double_backward_matches_torch(groups, batch_inner):
    torch = torch_or_skip()
    n = 7 if batch_inner else 2
    x0, w0, b0 = _randn(n, 4, 5, 6), _randn(4, 4 // groups, 3, 3), _randn(4)
    kw = dict(stride=1 if batch_inner else (1, 2), padding=1, groups=groups)

    def second_order(lib, fconv, x, w, b):
        y = fconv(x, w, b, **kw)
        loss = (y * y).sum()  # non-linear in y, so second derivatives mix x and w
        gx, gw = lib.autograd.grad(loss, [x, w], create_graph=True)
        return ((gx * gx).sum() + (gw * gw * gw).sum(), (gx, gw))

    ours = [tl.tensor(a, requires_grad=True) for a in (x0, w0, b0)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x0, w0, b0)]
    z, (gx, gw) = second_order(tl, F.conv2d, *ours)
    zt, (gxt, gwt) = second_order(torch, torch.nn.functional.conv2d, *theirs)
    assert_close(gx, gxt, what="grad x")
    assert_close(gw, gwt, what="grad w")
    z.backward()
    zt.backward()
    for a, b, name in zip(ours, theirs, "xwb"):
        assert_close(a.grad, b.grad, rtol=1e-6, what=f"second-order grad {name}")


@pytest.mark.parametrize(
    "geom",
    [
        ((3, 3), (1, 1), (1, 1, 1, 1), (1, 1)),
        ((2, 3), (2, 1), (0, 1, 2, 0), (2, 1)),
        ((2, 2), (3, 2), (0, 0, 0, 0), (1, 1)),  # disjoint, with gaps
        ((2, 1), (2, 1), (0, 0, 1, 0), (1, 1)),  # tiles the padded input
    ],
)
def test_im2col_col2im_are_adjoint(geom):
    """<im2col(x), c> == <x, col2im(c)> for all x, c: the defining property of an adjoint."""
    x = _randn(2, 3, 6, 7)
    cols = im2col_array(x, geom)
    c = _randn(*cols.shape)
    lhs = float(np.sum(cols * c))
    rhs = float(np.sum(x * col2im_array(c, x.shape, geom)))
    assert abs(lhs - rhs) < 1e-9 * max(1.0, abs(lhs))
    # and the primitives' gradients are each other
    xt = tl.tensor(x, requires_grad=True)
    Im2Col.apply(xt, geom=geom).backward(tl.tensor(c))
    assert_close(xt.grad, col2im_array(c, x.shape, geom))
    ct = tl.tensor(c, requires_grad=True)
    Col2Im.apply(ct, x_shape=x.shape, geom=geom).backward(tl.tensor(x))
    assert_close(ct.grad, cols)


@pytest.mark.parametrize(
    "geom, groups",
    [
        (((3, 3), (1, 1), (1, 1, 1, 1), (1, 1)), 1),
        (((3, 2), (1, 1), (0, 2, 1, 0), (2, 1)), 2),
        (((5, 5), (1, 1), (0, 0, 0, 0), (1, 1)), 1),  # no padding: many unused grid columns
    ],
)
def test_flat_input_gradient_equals_col2im(geom, groups):
    """The stride-1 fast path of the input gradient agrees with col2im(W^T G) exactly."""
    x_shape, o = (2, 4, 9, 8), 6
    w3 = _randn(groups, o // groups, 4 // groups * geom[0][0] * geom[0][1])
    cols = im2col_array(np.zeros(x_shape), geom)
    oh = (9 + geom[2][0] + geom[2][1] - geom[3][0] * (geom[0][0] - 1) - 1) + 1
    grad = _randn(2, o, oh, cols.shape[1] // (2 * oh))
    g3 = grad.transpose(1, 0, 2, 3).reshape(groups, o // groups, -1)
    gcols = np.matmul(w3.transpose(0, 2, 1), g3).reshape(-1, g3.shape[2])
    assert_close(input_grad_flat(w3, grad, x_shape, geom), col2im_array(gcols, x_shape, geom))
    assert _flat_input_grad_pays((64, 16, 14, 14), ((3, 3), (1, 1), (1, 1, 1, 1), (1, 1)))


SAME_WIDTH_GEOMS = [
    ((3, 3), (1, 1), (1, 1, 1, 1), (1, 1)),  # the hot path: 3x3 padding 1
    ((5, 3), (1, 1), (2, 2, 1, 1), (1, 1)),
    ((2, 2), (1, 1), (0, 1, 1, 0), (1, 1)),  # padding='same' with an even kernel
    ((3, 3), (1, 1), (2, 2, 2, 2), (2, 2)),  # dilation 2
    ((3, 3), (1, 1), (0, 0, 1, 1), (1, 1)),  # same width, smaller height
    ((1, 3), (1, 1), (3, 0, 2, 0), (1, 1)),  # lopsided padding, taller output
    ((3, 5), (1, 1), (1, 1, 0, 4), (1, 1)),  # every column wraps for some offsets
]


def _im2col_reference(x: np.ndarray, geom, pad_value: float) -> np.ndarray:
    """Plain pad-and-slice im2col, for checking the flat-shift path."""
    (kh, kw), _, (pt, pb, pl, pr), (dh, dw) = geom
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)), constant_values=pad_value)
    oh, ow = xp.shape[2] - dh * (kh - 1), xp.shape[3] - dw * (kw - 1)
    rows = [xp[:, c, i * dh : i * dh + oh, j * dw : j * dw + ow].reshape(-1)
            for c in range(x.shape[1]) for i in range(kh) for j in range(kw)]
    return np.stack(rows)


@pytest.mark.parametrize("geom", SAME_WIDTH_GEOMS)
@pytest.mark.parametrize("pad_value", [0.0, -np.inf])
def test_im2col_same_width_path_matches_reference(geom, pad_value):
    """Stride 1 with the input's width takes the flat-shift path: same columns, both layouts."""
    x = _randn(2, 3, 5, 6)
    cnhw = np.ascontiguousarray(x.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)
    for arr in (x, cnhw, x[:, :, :, ::-1]):  # NCHW, CNHW, and a non-contiguous view
        np.testing.assert_array_equal(im2col_array(arr, geom, pad_value),
                                      _im2col_reference(arr, geom, pad_value))
    with_ones = im2col_array(x, geom, ones_row=True)
    assert with_ones[:-1].tolist() == im2col_array(x, geom).tolist()
    assert (with_ones[-1] == 1).all()


@pytest.mark.parametrize("geom", [g for g in SAME_WIDTH_GEOMS if _keeps_size(g)])
def test_im2col_batch_inner_is_im2col_in_hwn_order(geom):
    x = _randn(4, 3, 5, 6)
    xb = np.ascontiguousarray(x.transpose(1, 2, 3, 0))
    k = 3 * geom[0][0] * geom[0][1]
    expected = im2col_array(x, geom).reshape(k, 4, 5, 6).transpose(0, 2, 3, 1).reshape(k, -1)
    cols = im2col_batch_inner(xb, geom, ones_row=True)
    np.testing.assert_array_equal(cols[:-1], expected)
    assert (cols[-1] == 1).all()


@pytest.mark.parametrize(
    "geom",
    [
        ((3, 3), (2, 2), (1, 1, 1, 1), (1, 1)),
        ((2, 3), (1, 2), (0, 1, 2, 0), (2, 1)),
        ((2, 2), (2, 2), (0, 0, 0, 0), (1, 1)),  # disjoint windows
    ],
)
def test_strided_batch_inner_columns_and_adjoint_match_the_plain_forms(geom):
    """im2col/col2im in the batch-innermost (H, W, N) column order equal the plain
    im2col_array/col2im_array with their columns reordered."""
    x = _randn(5, 3, 6, 7)
    plain = im2col_array(x, geom)
    k = plain.shape[0]
    oh = (6 + geom[2][0] + geom[2][1] - geom[3][0] * (geom[0][0] - 1) - 1) // geom[1][0] + 1
    ow = plain.shape[1] // (5 * oh)
    hwn = plain.reshape(k, 5, oh, ow).transpose(0, 2, 3, 1).reshape(k, -1)
    xb = np.ascontiguousarray(x.transpose(1, 2, 3, 0))
    cols = im2col_batch_inner_strided(xb, geom, ones_row=True)
    np.testing.assert_array_equal(cols[:-1], hwn)
    assert (cols[-1] == 1).all()
    c = _randn(*hwn.shape)
    back = col2im_batch_inner(c, x.shape, geom)
    assert back.transpose(1, 2, 3, 0).flags.c_contiguous  # later layers keep the order
    c_nhw = c.reshape(k, oh, ow, 5).transpose(0, 3, 1, 2).reshape(k, -1)
    assert_close(back, col2im_array(c_nhw, x.shape, geom), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("geom", [g for g in SAME_WIDTH_GEOMS if _keeps_size(g)])
@pytest.mark.parametrize("groups", [1, 2])
@pytest.mark.parametrize("block_bytes", [1, 1 << 22])  # one image row per block, or all
def test_batch_inner_input_gradient_equals_col2im(geom, groups, block_bytes, monkeypatch):
    import tinygrad_lite.ops.conv_kernels as conv_ops

    monkeypatch.setattr(conv_ops, "_BLOCK_BYTES", block_bytes)
    x_shape, o = (3, 4, 5, 6), 6
    w3 = _randn(groups, o // groups, 4 // groups * geom[0][0] * geom[0][1])
    g3 = _randn(groups, o // groups, 3 * 5 * 6)  # columns in (N, H, W) order
    gcols = np.matmul(w3.transpose(0, 2, 1), g3).reshape(-1, g3.shape[2])
    hwn = g3.reshape(groups, o // groups, 3, 5, 6).transpose(0, 1, 3, 4, 2).reshape(g3.shape)
    gx = input_grad_same_size(w3, np.ascontiguousarray(hwn), x_shape, geom, batch_inner=True)
    assert gx.transpose(1, 2, 3, 0).flags.c_contiguous
    assert_close(gx, col2im_array(gcols, x_shape, geom), rtol=1e-12, atol=1e-12)


def test_batch_inner_chain_matches_torch():
    """conv -> relu -> conv -> max-pool -> conv on a batch-innermost chain (each layer's input
    already in that order), against PyTorch, forward and backward."""
    torch = torch_or_skip()
    shapes = [(8, 2, 6, 6), (4, 2, 3, 3), (4,), (5, 4, 3, 3), (3, 5, 3, 3)]
    args = [_randn(*shape) for shape in shapes]

    def net(m, x, w1, b1, w2, w3):
        y = m.nn.functional.conv2d(x, w1, b1, padding=1).relu()
        y = m.nn.functional.max_pool2d(m.nn.functional.conv2d(y, w2, padding=1), 2)
        return m.nn.functional.conv2d(y, w3, padding=1)

    compare_with_torch(lambda *a: net(tl, *a), lambda *a: net(torch, *a), args)


@pytest.mark.parametrize("kwargs", [dict(stride=2), dict(padding=1), dict(padding="same")])
@pytest.mark.parametrize("n", [2, 8])  # the second takes the batch-innermost path
def test_conv2d_gradient_of_the_bias_alone_matches_torch(kwargs, n):
    """Input and weight frozen, only the bias trains (fine-tuning a first layer's biases)."""
    torch = torch_or_skip()
    x, w, b = _randn(n, 3, 6, 6), _randn(4, 3, 3, 3), _randn(4)
    gy = _randn(*torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), **kwargs).shape)
    ours = tl.tensor(b, requires_grad=True)
    theirs = torch.tensor(b, requires_grad=True)
    y = F.conv2d(tl.tensor(x), tl.tensor(w), ours, **kwargs)
    (y * tl.tensor(gy)).sum().backward(retain_graph=True)
    ty = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), theirs, **kwargs)
    (ty * torch.tensor(gy)).sum().backward()
    assert_close(ours.grad, theirs.grad)
    (g,) = tl.autograd.grad((y * tl.tensor(gy)).sum(), ours, create_graph=True)
    assert_close(g, theirs.grad)


def test_batch_inner_order_flows_through_a_cnn():
    """The fast path depends on the order surviving each layer: a layer that silently returned
    NCHW memory would make every later one copy (slower, still correct)."""
    layers = [nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
              nn.Conv2d(4, 6, 3, padding=1, bias=False), nn.ReLU(), nn.MaxPool2d(2)]  # fmt: skip
    y = tl.tensor(RNG.standard_normal((16, 1, 8, 8)).astype(np.float32))
    for layer in layers:
        y = layer(y)
        assert y.data.transpose(1, 2, 3, 0).flags.c_contiguous, type(layer).__name__
    y.sum().backward()
    assert layers[0].weight.grad.shape == (4, 1, 3, 3)


@pytest.mark.parametrize("geom", [g for g in SAME_WIDTH_GEOMS if _keeps_size(g)])
@pytest.mark.parametrize("groups", [1, 2])
@pytest.mark.parametrize("block_bytes", [1, 1 << 22])  # one image per block, or all at once
def test_same_size_input_gradient_equals_col2im(geom, groups, block_bytes, monkeypatch):
    """The flat-shift input gradient (stride 1, output the input's size) is col2im(W^T G)."""
    import tinygrad_lite.ops.conv_kernels as conv_ops

    monkeypatch.setattr(conv_ops, "_BLOCK_BYTES", block_bytes)
    x_shape, o = (3, 4, 5, 6), 6
    w3 = _randn(groups, o // groups, 4 // groups * geom[0][0] * geom[0][1])
    g3 = _randn(groups, o // groups, 3 * 5 * 6)
    gcols = np.matmul(w3.transpose(0, 2, 1), g3).reshape(-1, g3.shape[2])
    assert_close(input_grad_same_size(w3, g3, x_shape, geom), col2im_array(gcols, x_shape, geom))


@pytest.mark.parametrize("rows", [10, 33])  # per-image products summed, or one long GEMM
@pytest.mark.parametrize("n", [1, 5])
@pytest.mark.parametrize("channel_major", [False, True])  # grad with NCHW or CNHW memory order
def test_weight_grad_gemm_is_grad_times_cols_transposed(rows, n, channel_major):
    o, h, w = 4, 3, 6
    grad = _randn(o, n, h, w).transpose(1, 0, 2, 3) if channel_major else _randn(n, o, h, w)
    cols = _randn(rows, n * h * w)
    expected = grad.transpose(1, 0, 2, 3).reshape(o, -1) @ cols.T
    assert_close(weight_grad_gemm(grad.reshape(n, o, -1), cols), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("in_ch", [1, 16])
def test_weight_gradients_are_c_contiguous_like_the_weights(in_ch):
    """Linear's weight.T and the conv GEMM's transposed result must not leave the gradient in
    the transposed memory order (the optimizer's passes would then stride across the weight)."""
    net = nn.Sequential(nn.Conv2d(in_ch, 8, 3, padding=1), nn.Flatten(), nn.Linear(8 * 25, 3))
    x = tl.tensor(RNG.standard_normal((4, in_ch, 5, 5)).astype(np.float32))
    y = net(x)
    (y * y).sum().backward()
    for name, p in net.named_parameters():
        assert p.grad.data.flags.c_contiguous, name


def test_im2col_small_example():
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    cols = im2col_array(x, ((2, 2), (1, 1), (0, 0, 0, 0), (1, 1)))
    # rows = kernel offsets (0,0) (0,1) (1,0) (1,1); columns = output pixels
    assert cols.tolist() == [[0, 1, 3, 4], [1, 2, 4, 5], [3, 4, 6, 7], [4, 5, 7, 8]]
    counts = col2im_array(np.ones_like(cols), x.shape, ((2, 2), (1, 1), (0, 0, 0, 0), (1, 1)))
    assert counts[0, 0].tolist() == [[1, 2, 1], [2, 4, 2], [1, 2, 1]]


# ----- module ------------------------------------------------------------------------------


def test_conv2d_module_state_dict_and_outputs_match_torch():
    torch = torch_or_skip()
    specs = [
        dict(in_channels=3, out_channels=6, kernel_size=3, padding=1),
        dict(in_channels=4, out_channels=8, kernel_size=(3, 5), stride=2, groups=2, bias=False),
        dict(in_channels=2, out_channels=2, kernel_size=3, padding="same", dilation=2),
    ]
    for spec in specs:
        ours = nn.Conv2d(**spec).double()
        theirs = torch.nn.Conv2d(**spec).double()
        sd_t = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
        sd_o = ours.state_dict()
        assert list(sd_o) == list(sd_t)
        assert all(tuple(sd_o[k].shape) == sd_t[k].shape for k in sd_t)
        ours.load_state_dict(sd_t)
        x = _randn(2, spec["in_channels"], 9, 8)
        assert_close(ours(tl.tensor(x)), theirs(torch.tensor(x)))
        assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_conv2d_padding_modes_match_torch(mode):
    torch = torch_or_skip()
    ours = nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode=mode).double()
    theirs = torch.nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode=mode).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = _randn(2, 2, 5, 6)
    xo, xt = tl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo, yt = ours(xo), theirs(xt)
    assert_close(yo, yt)
    g = _randn(*yt.shape)
    yo.backward(tl.tensor(g))
    yt.backward(torch.tensor(g))
    assert_close(xo.grad, xt.grad)
    assert_close(ours.weight.grad, theirs.weight.grad)
    assert repr(ours) == repr(theirs)


def test_conv2d_circular_padding_larger_than_input_raises_as_torch():
    # torch refuses a circular pad that wraps around more than once; pad == size is allowed
    torch = torch_or_skip()
    ours = nn.Conv2d(1, 1, 3, padding=2, padding_mode="circular").double()
    theirs = torch.nn.Conv2d(1, 1, 3, padding=2, padding_mode="circular").double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = _randn(1, 1, 2, 2)
    assert_close(ours(tl.tensor(x)), theirs(torch.tensor(x)))
    with pytest.raises(RuntimeError, match=r"Conv2d: padding \(2, 2, 2, 2\) must be at most the "
                       r"input size \(1, 3\) for 'circular'"):
        ours(tl.tensor(_randn(1, 1, 1, 3)))
    with pytest.raises(RuntimeError, match="wrapping around more than once"):
        theirs(torch.tensor(_randn(1, 1, 1, 3)))


def test_conv2d_default_init_bounds():
    conv = nn.Conv2d(4, 8, 3, groups=2)
    bound = 1 / np.sqrt(2 * 3 * 3)  # fan_in = in/groups * kh * kw
    assert conv.weight.shape == (8, 2, 3, 3)
    assert np.abs(conv.weight.data).max() <= bound
    assert np.abs(conv.bias.data).max() <= bound
    assert np.abs(conv.weight.data).max() > 0.8 * bound  # really spread over the range


# ----- errors ------------------------------------------------------------------------------


def test_conv2d_errors():
    """Shape mismatches raise RuntimeError (as PyTorch), bad argument values ValueError."""
    x = tl.randn(8, 1, 28, 28)
    with pytest.raises(RuntimeError, match=r"conv2d: expected input \(N, C, H, W\) with C=3, "
                       r"got \(8, 1, 28, 28\)"):
        F.conv2d(x, tl.randn(16, 3, 3, 3))
    with pytest.raises(RuntimeError, match=r"conv2d: expected 3-D \(C, H, W\) or 4-D "
                       r"\(N, C, H, W\) input, got shape \(28, 28\)"):
        F.conv2d(tl.randn(28, 28), tl.randn(16, 1, 3, 3))
    with pytest.raises(RuntimeError, match=r"conv2d: expected a 4-D weight \(C_out, C_in/groups"):
        F.conv2d(x, tl.randn(16, 9))
    with pytest.raises(RuntimeError, match=r"conv2d: groups=4 must divide the weight's "
                       r"dimension 0, got weight \(6, 1, 3, 3\)"):
        F.conv2d(tl.randn(1, 4, 5, 5), tl.randn(6, 1, 3, 3), groups=4)
    with pytest.raises(RuntimeError, match=r"conv2d: expected input \(N, C, H, W\) with C=6"):
        F.conv2d(tl.randn(1, 4, 5, 5), tl.randn(6, 2, 3, 3), groups=3)
    with pytest.raises(RuntimeError, match=r"conv2d: expected bias of shape \(16,\)"):
        F.conv2d(x, tl.randn(16, 1, 3, 3), tl.randn(8))
    with pytest.raises(RuntimeError, match=r"conv2d: output size \(-1, -1\) is too small"):
        F.conv2d(tl.randn(1, 1, 3, 3), tl.randn(1, 1, 5, 5))
    with pytest.raises(RuntimeError, match="padding='same' is not supported for strided"):
        F.conv2d(x, tl.randn(2, 1, 3, 3), stride=2, padding="same")
    with pytest.raises(RuntimeError, match="conv2d: padding must be 'valid', 'same'"):
        F.conv2d(x, tl.randn(2, 1, 3, 3), padding="full")
    with pytest.raises(RuntimeError, match="conv2d: stride and dilation must be >= 1"):
        F.conv2d(x, tl.randn(2, 1, 3, 3), stride=0)
    with pytest.raises(RuntimeError, match=r"conv2d: stride must be an int or a tuple of 2 ints"):
        F.conv2d(x, tl.randn(2, 1, 3, 3), stride=(1, 1, 1))
    with pytest.raises(ValueError, match="Conv2d: padding_mode must be"):
        nn.Conv2d(1, 2, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="Conv2d: groups=2 must divide"):
        nn.Conv2d(3, 4, 3, groups=2)
    torch = torch_or_skip()  # PyTorch raises RuntimeError for the same shape mismatches
    with pytest.raises(RuntimeError):
        torch.nn.functional.conv2d(torch.zeros(8, 1, 28, 28), torch.zeros(16, 3, 3, 3))
    with pytest.raises(RuntimeError):
        torch.nn.functional.conv2d(torch.zeros(1, 1, 3, 3), torch.zeros(1, 1, 5, 5))


@pytest.mark.parametrize(
    "kwargs,match,error",
    [
        ({"kernel_size": 0}, "kernel_size must be an int or a pair of ints >= 1, got 0",
         RuntimeError),
        ({"kernel_size": -1}, "kernel_size must be an int or a pair of ints >= 1, got -1",
         RuntimeError),
        ({"kernel_size": (3, 3, 3)}, r"kernel_size must be .* got \(3, 3, 3\)", TypeError),
        ({"kernel_size": 2.5}, r"kernel_size must be .* got 2.5", TypeError),
        ({"kernel_size": 3, "stride": 0}, "stride must be an int or a pair of ints >= 1",
         RuntimeError),
        ({"kernel_size": 3, "padding": -1}, "padding must be an int or a pair of ints >= 0",
         RuntimeError),
        ({"kernel_size": 3, "dilation": (1, 0)}, "dilation must be an int or a pair of ints",
         RuntimeError),
    ],
)
def test_conv2d_module_rejects_bad_geometry_when_built(kwargs, match, error):
    """Bad sizes fail in the constructor, naming the argument (not a numpy error or a
    5-D weight that only fails at the first forward)."""
    with pytest.raises(error, match="Conv2d: " + match):
        nn.Conv2d(3, 4, **kwargs)
    assert nn.Conv2d(3, 4, [3, 5], stride=[1, 2], padding=[1, 2]).kernel_size == (3, 5)


def test_conv2d_mixed_dtypes_raise_like_torch():
    x32, w32, b32 = tl.randn(2, 3, 5, 5), tl.randn(4, 3, 3, 3), tl.randn(4)
    x64, w64, b64 = x32.double(), w32.double(), b32.double()
    with pytest.raises(
        RuntimeError,
        match=r"conv2d: input dtype float64 does not match weight dtype float32 \(input "
        r"\(2, 3, 5, 5\), weight \(4, 3, 3, 3\)\); "
        r"convert with input\.float\(\) or weight\.double\(\)",
    ):
        F.conv2d(x64, w32)
    with pytest.raises(RuntimeError, match="conv2d: input dtype float32 does not match weight "
                       "dtype float64"):
        F.conv2d(x32, w64)
    with pytest.raises(RuntimeError, match=r"conv2d: bias dtype float64 does not match weight "
                       r"dtype float32 \(bias \(4,\), weight \(4, 3, 3, 3\)\)"):
        F.conv2d(x32, w32, b64)
    with pytest.raises(RuntimeError, match="conv2d: bias dtype float32 does not match weight "
                       "dtype float64"):
        F.conv2d(x64, w64, b32)
    with pytest.raises(RuntimeError, match="conv2d: input dtype float64 does not match weight"):
        nn.Conv2d(3, 4, 3)(x64)
    with pytest.raises(RuntimeError, match="conv2d: input dtype float64 does not match weight"):
        nn.Conv2d(3, 4, 3, padding=1, padding_mode="reflect")(x64)
    assert nn.Conv2d(3, 4, 3).double()(x64).dtype == np.float64  # the fix the message suggests
    torch = torch_or_skip()
    for args in [(x64, w32), (x32, w64), (x32, w32, b64), (x64, w64, b32)]:
        with pytest.raises(RuntimeError):
            torch.nn.functional.conv2d(*[torch.from_numpy(a.data) for a in args])


def test_training_a_small_cnn_does_not_grow_memory():
    """Traced numpy + Python memory after 10 and after 40 Adam steps is the same (no leak:
    graphs, saved columns and one-hot masks are freed every step)."""
    import tracemalloc

    from tinygrad_lite import optim

    net = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(8 * 4 * 4, 10),
    )
    opt = optim.Adam(net.parameters(), lr=1e-3)
    x, y = tl.randn(8, 1, 16, 16), tl.tensor(RNG.integers(0, 10, 8))

    def step() -> None:
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()

    tracemalloc.start()
    try:
        for _ in range(10):
            step()
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(30):
            step()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert after - before < 64 * 1024, f"memory grew by {after - before} bytes over 30 steps"

