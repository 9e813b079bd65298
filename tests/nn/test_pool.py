"""Pooling against PyTorch (float64): max-pool ties route to the first maximum, strides that
differ from the kernel, padding, dilation, indices; avg-pool and adaptive avg-pool; modules."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tl
from tests.helpers import assert_close, compare_with_torch, data_makers, torch_or_skip
from tinygrad_lite import nn
from tinygrad_lite.nn import functional as F

_randn, _ties = data_makers(1)  # ties: few distinct values, many equal maxima per window


MAX_CASES = [
    ((2, 3, 8, 8), dict(kernel_size=2)),  # tiled fast path
    ((2, 3, 9, 7), dict(kernel_size=2)),  # tiled, odd sizes crop the last row/column
    ((2, 3, 6, 16), dict(kernel_size=2)),  # 2x2 separable path (rows of >= 16)
    ((1, 2, 7, 17), dict(kernel_size=2)),  # 2x2 separable path, odd sizes
    ((2, 2, 7, 8), dict(kernel_size=(2, 3), stride=(2, 3))),
    ((2, 3, 8, 9), dict(kernel_size=3, stride=2)),  # overlapping windows
    ((2, 3, 8, 9), dict(kernel_size=3, stride=1, padding=1)),
    ((1, 2, 9, 9), dict(kernel_size=2, stride=3)),  # stride > kernel: gaps
    ((2, 2, 9, 10), dict(kernel_size=(3, 2), stride=(1, 2), padding=(1, 1), dilation=(2, 1))),
    ((2, 2, 9, 7), dict(kernel_size=2, ceil_mode=True)),  # last window hangs over the edge
    ((2, 2, 8, 9), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ((1, 2, 6, 6), dict(kernel_size=3, stride=3, padding=1, ceil_mode=True)),  # window dropped
]


@pytest.mark.parametrize("data", [_randn, _ties])
@pytest.mark.parametrize("shape, kwargs", MAX_CASES)
def test_max_pool2d_matches_torch(shape, kwargs, data):
    torch = torch_or_skip()
    compare_with_torch(
        lambda x: F.max_pool2d(x, **kwargs),
        lambda x: torch.nn.functional.max_pool2d(x, **kwargs),
        [data(*shape)],
    )


def test_max_pool2d_tie_goes_to_first_maximum():
    x = tl.tensor([[[[1.0, 1.0], [1.0, 1.0]]]], requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    assert x.grad.tolist() == [[[[1.0, 0.0], [0.0, 0.0]]]]
    y = tl.tensor([[[[0.0, 3.0, 3.0], [3.0, 1.0, 3.0]]]], requires_grad=True)
    F.max_pool2d(y, 2, stride=1).sum().backward()  # windows overlap at the middle column
    assert y.grad.tolist() == [[[[0.0, 2.0, 0.0], [0.0, 0.0, 0.0]]]]


@pytest.mark.parametrize("shape, kwargs", MAX_CASES)
def test_max_pool2d_indices_match_torch(shape, kwargs):
    torch = torch_or_skip()
    x = _ties(*shape)
    out, idx = F.max_pool2d(tl.tensor(x), return_indices=True, **kwargs)
    out_t, idx_t = torch.nn.functional.max_pool2d(torch.tensor(x), return_indices=True, **kwargs)
    assert_close(out, out_t)
    assert idx.dtype == np.int64
    np.testing.assert_array_equal(idx.data, idx_t.numpy())


AVG_CASES = [
    ((2, 3, 8, 8), dict(kernel_size=2)),
    ((2, 3, 9, 7), dict(kernel_size=3, stride=2)),
    ((2, 2, 7, 8), dict(kernel_size=(3, 2), stride=(1, 2), padding=1)),
    ((2, 2, 7, 8), dict(kernel_size=3, padding=1, count_include_pad=False)),
    ((2, 2, 7, 8), dict(kernel_size=3, padding=1, divisor_override=4)),
    ((2, 2, 9, 7), dict(kernel_size=2, ceil_mode=True)),
    ((2, 2, 8, 9), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ((2, 2, 8, 9), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                        count_include_pad=False)),
    ((1, 2, 6, 6), dict(kernel_size=3, stride=3, padding=1, ceil_mode=True)),
]


@pytest.mark.parametrize("shape, kwargs", AVG_CASES)
def test_avg_pool2d_matches_torch(shape, kwargs):
    torch = torch_or_skip()
    compare_with_torch(
        lambda x: F.avg_pool2d(x, **kwargs),
        lambda x: torch.nn.functional.avg_pool2d(x, **kwargs),
        [_randn(*shape)],
    )


@pytest.mark.parametrize(
    "shape, size",
    [((2, 3, 8, 6), (4, 3)), ((2, 3, 8, 6), 1), ((2, 2, 7, 5), (3, 2)), ((1, 2, 5, 9), (None, 4))],
)
def test_adaptive_avg_pool2d_matches_torch(shape, size):
    torch = torch_or_skip()
    compare_with_torch(
        lambda x: F.adaptive_avg_pool2d(x, size),
        lambda x: torch.nn.functional.adaptive_avg_pool2d(x, size),
        [_randn(*shape)],
    )


def test_pool_modules_and_reprs_match_torch():
    torch = torch_or_skip()
    x = _ties(2, 3, 9, 8)
    pairs = [
        (nn.MaxPool2d(2), torch.nn.MaxPool2d(2)),
        (nn.MaxPool2d(3, stride=2, padding=1), torch.nn.MaxPool2d(3, stride=2, padding=1)),
        (nn.AvgPool2d((2, 3)), torch.nn.AvgPool2d((2, 3))),
        (nn.AdaptiveAvgPool2d((2, 3)), torch.nn.AdaptiveAvgPool2d((2, 3))),
    ]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)
        assert len(ours.state_dict()) == 0
        assert_close(ours(tl.tensor(x)), theirs(torch.tensor(x)))


def test_max_pool_float32_and_layouts():
    x = tl.randn(2, 3, 8, 8)
    y = F.max_pool2d(x, 2)
    assert y.dtype == np.float32 and y.shape == (2, 3, 4, 4)
    # a CNHW-ordered input (as conv2d produces) gives the same result as a contiguous one
    conv = nn.Conv2d(3, 4, 3, padding=1)
    h = conv(x)
    ref = F.max_pool2d(tl.tensor(np.ascontiguousarray(h.data)), 2)
    assert_close(F.max_pool2d(h, 2), ref.data)


@pytest.mark.parametrize("case", ["ties", "nan", "odd size", "create_graph"])
def test_max_pool_batch_inner_input_matches_torch(case):
    """A (C, H, W, N)-ordered input (what conv2d returns for a batch at least as long as a row)
    takes its own 2x2 path: ties go to the first maximum, NaN windows to the general path."""
    torch = torch_or_skip()
    rng = np.random.default_rng(3)
    h, w = (7, 5) if case == "odd size" else (6, 6)  # odd: the last row and column are cropped
    x = rng.integers(-2, 3, size=(3, h, w, 8)).astype(np.float64)  # many ties
    if case == "nan":
        x[1, 2, 3, 4] = np.nan
    g = rng.standard_normal((8, 3, h // 2, w // 2))
    ours = tl.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    y, ty = F.max_pool2d(ours.permute(3, 0, 1, 2), 2), torch.nn.functional.max_pool2d(
        theirs.permute(3, 0, 1, 2), 2)
    assert_close(y, ty)
    if case == "create_graph":
        (gx,) = tl.autograd.grad((y * tl.tensor(g)).sum(), ours, create_graph=True)
        (tgx,) = torch.autograd.grad((ty * torch.tensor(g)).sum(), theirs, create_graph=True)
        assert_close(gx, tgx)
        return
    (y * tl.tensor(g)).sum().backward()
    (ty * torch.tensor(g)).sum().backward()
    assert_close(ours.grad, theirs.grad)


def test_pool_errors():
    x = tl.randn(1, 1, 4, 4)
    with pytest.raises(RuntimeError, match=r"max_pool2d: expected 3-D \(C, H, W\) or 4-D "
                       r"\(N, C, H, W\) input, got shape \(4, 4\)"):
        F.max_pool2d(tl.randn(4, 4), 2)
    with pytest.raises(RuntimeError, match="max_pool2d: pad should be at most half"):
        F.max_pool2d(x, 2, padding=2)
    with pytest.raises(RuntimeError, match=r"max_pool2d: output size \(0, 0\) is too small"):
        F.max_pool2d(x, 5, stride=1, padding=0, dilation=1)
    with pytest.raises(RuntimeError, match="avg_pool2d: kernel_size must be an int or a pair"):
        F.avg_pool2d(x, (2, 2, 2))
    with pytest.raises(RuntimeError, match="adaptive_avg_pool2d: elements of output_size must "
                       "be greater than or equal to 0"):
        F.adaptive_avg_pool2d(x, -1)


@pytest.mark.parametrize(
    "pool",
    [
        lambda F_, x: F_.max_pool2d(x, 2),
        lambda F_, x: F_.max_pool2d(x, 3, stride=2, padding=1),
        lambda F_, x: F_.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False),
    ],
)
def test_pool_double_backward_matches_torch(pool):
    """Gradients of a gradient through pooling (create_graph=True), with ties in the input."""
    torch = torch_or_skip()
    x0 = np.round(_randn(2, 3, 7, 8), 1)
    x0[0, 0, :2, :2] = 0.5  # a tied window

    def second_order(lib, F_, x):
        y = pool(F_, x * x)  # x*x makes the gradient depend on x
        (gx,) = lib.autograd.grad((y * y).sum(), [x], create_graph=True)
        return (gx * gx).sum(), gx

    ours = tl.tensor(x0, requires_grad=True)
    theirs = torch.tensor(x0, requires_grad=True)
    z, gx = second_order(tl, F, ours)
    zt, gxt = second_order(torch, torch.nn.functional, theirs)
    assert_close(gx, gxt, what="first-order")
    z.backward()
    zt.backward()
    assert_close(ours.grad, theirs.grad, rtol=1e-6, what="second-order")


def test_max_pool_2x2_double_backward_matches_torch():
    """The 2x2 separable path (rows of >= 16) under create_graph, ties included."""
    torch = torch_or_skip()
    x0 = np.round(_randn(1, 2, 6, 16), 1)
    x0[0, 0, :2, :2] = 0.5  # a tied window
    x0[0, 1, 2:4, 4:6] = [[0.2, 0.7], [0.7, 0.7]]  # tie between the top-right and the bottom row

    def second_order(lib, F_, x):
        y = F_.max_pool2d(x * x, 2)
        (gx,) = lib.autograd.grad((y * y).sum(), [x], create_graph=True)
        return (gx * gx).sum(), gx

    ours = tl.tensor(x0, requires_grad=True)
    theirs = torch.tensor(x0, requires_grad=True)
    z, gx = second_order(tl, F, ours)
    zt, gxt = second_order(torch, torch.nn.functional, theirs)
    assert_close(gx, gxt, what="first-order")
    z.backward()
    zt.backward()
    assert_close(ours.grad, theirs.grad, rtol=1e-6, what="second-order")


@pytest.mark.parametrize("width", [4, 16])  # 16: the 2x2 separable path's NaN fallback
def test_max_pool_nan_propagates_like_torch(width):
    torch = torch_or_skip()
    x = _randn(1, 2, 4, width)
    x[0, 0, 1, 0] = np.nan
    compare_with_torch(
        lambda t: F.max_pool2d(t, 2), lambda t: torch.nn.functional.max_pool2d(t, 2), [x]
    )


@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=2, stride=(1, 2), padding=(1, 0), ceil_mode=True),
    dict(kernel_size=2, stride=1, padding=1, dilation=2),
])
def test_max_pool2d_all_neg_inf_window_picks_first_real_cell_as_torch(kwargs):
    # real cells all -inf tie with the -inf padding: torch keeps the window's first real cell
    torch = torch_or_skip()
    x = np.full((1, 1, 3, 4), -np.inf)
    x[0, 0, 2, 3] = 1.0
    compare_with_torch(lambda t: F.max_pool2d(t, **kwargs),
                       lambda t: torch.nn.functional.max_pool2d(t, **kwargs), [x])
    _, idx = F.max_pool2d(tl.tensor(x), return_indices=True, **kwargs)
    _, idx_t = torch.nn.functional.max_pool2d(torch.tensor(x), return_indices=True, **kwargs)
    np.testing.assert_array_equal(idx.data, idx_t.numpy())


@pytest.mark.parametrize("pool", ["max_pool2d", "avg_pool2d"])
def test_ceil_mode_window_wider_than_input_matches_torch(pool):
    # with ceil_mode the one window may hang over the end even when the kernel is wider than
    # the (padded) input: torch rounds the negative span up to one output
    torch = torch_or_skip()
    kwargs = dict(kernel_size=(2, 3), stride=2, ceil_mode=True)
    x = _randn(1, 2, 5, 2)
    compare_with_torch(lambda t: getattr(F, pool)(t, **kwargs),
                       lambda t: getattr(torch.nn.functional, pool)(t, **kwargs), [x])
    with pytest.raises(RuntimeError, match=rf"{pool}: output size \(4, 0\) is too small"):
        getattr(F, pool)(tl.tensor(x), (2, 3), stride=1, ceil_mode=True)


@pytest.mark.parametrize("width", [4, 16])  # the general path and the 2x2 fast path's fallback
def test_max_pool_window_with_several_nans_routes_to_last_nan_as_torch(width):
    # torch's scan moves on `val > max or isnan(val)`: the LAST NaN of a window wins
    torch = torch_or_skip()
    x = _ties(1, 1, 4, width)
    x[0, 0, 0, 1] = x[0, 0, 1, 0] = np.nan  # two NaN in the first 2x2 window
    x[0, 0, 2:4, 2] = np.nan  # two NaN in one column of another
    compare_with_torch(lambda t: F.max_pool2d(t, 2),
                       lambda t: torch.nn.functional.max_pool2d(t, 2), [x])
    for kwargs in [dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1)]:
        _, idx = F.max_pool2d(tl.tensor(x), return_indices=True, **kwargs)
        _, idx_t = torch.nn.functional.max_pool2d(torch.tensor(x), return_indices=True, **kwargs)
        np.testing.assert_array_equal(idx.data, idx_t.numpy())


# ----- bad arguments: PyTorch's exception type, our message names the op ------------------

_X = np.zeros((1, 2, 5, 6), dtype=np.float32)
BAD_POOL_CALLS = [
    ("max_pool2d", (0,), {}), ("max_pool2d", (-1,), {}), ("max_pool2d", (2,), {"stride": 0}),
    ("max_pool2d", (2,), {"stride": -1}), ("max_pool2d", ((2, 0),), {}),
    ("max_pool2d", (3,), {"padding": 2}), ("max_pool2d", (2,), {"padding": -1}),
    ("max_pool2d", (7,), {}), ("max_pool2d", (6,), {"stride": 1}),
    ("max_pool2d", ((2, 2, 2),), {}), ("max_pool2d", (2.0,), {}), ("max_pool2d", (None,), {}),
    ("max_pool2d", (2,), {"stride": (1, 2, 3)}), ("max_pool2d", (2,), {"padding": (1, 2, 3)}),
    ("max_pool2d", (2,), {"stride": "a"}), ("max_pool2d", (2,), {"padding": 1.5}),
    ("max_pool2d", (2,), {"dilation": 0}), ("max_pool2d", (2,), {"dilation": (1, 2, 3)}),
    ("max_pool2d", (2,), {"dilation": 1.0}), ("max_pool2d", (2,), {"dilation": 3}),
    ("max_pool2d", (True,), {}),
    ("avg_pool2d", (0,), {}), ("avg_pool2d", (2,), {"stride": 0}),
    ("avg_pool2d", (3,), {"padding": 2}), ("avg_pool2d", (2,), {"padding": -1}),
    ("avg_pool2d", (7,), {}), ("avg_pool2d", ((2, 2, 2),), {}), ("avg_pool2d", (2.5,), {}),
    ("avg_pool2d", (2,), {"divisor_override": 0}), ("avg_pool2d", (2,), {"divisor_override": 1.5}),
    ("avg_pool2d", (2,), {"divisor_override": True}),
    ("adaptive_avg_pool2d", (-1,), {}), ("adaptive_avg_pool2d", ((2, -1),), {}),
    ("adaptive_avg_pool2d", ((1, 2, 3),), {}), ("adaptive_avg_pool2d", ((2,),), {}),
    ("adaptive_avg_pool2d", (2.5,), {}), ("adaptive_avg_pool2d", ("a",), {}),
    ("adaptive_avg_pool2d", (None,), {}), ("adaptive_avg_pool2d", ((2.0, 2),), {}),
]  # fmt: skip
BAD_POOL_INPUTS = [  # (shape, dtype): wrong ranks, empty non-batch sizes, dtypes
    ((5, 6), np.float32), ((2, 1, 2, 5, 6), np.float32), ((6,), np.float32), ((), np.float32),
    ((1, 0, 5, 6), np.float32), ((1, 2, 0, 6), np.float32), ((2, 0, 6), np.float32),
    ((0, 5, 6), np.float32), ((1, 1, 4, 4), np.bool_), ((1, 1, 4, 4), np.int64),
    ((1, 1, 4, 4), np.int32), ((1, 1, 4, 4), np.uint8),
]


def _error_of(call):
    try:
        call()
    except Exception as e:  # noqa: BLE001 (the type is what is compared)
        return e
    return None


def _check_same_error(op, ours, theirs):
    mine, torch_error = _error_of(ours), _error_of(theirs)
    assert type(mine) is type(torch_error), f"ours {mine!r}, PyTorch {torch_error!r}"
    if mine is not None and not isinstance(mine, NotImplementedError):
        assert str(mine).startswith(op + ":"), mine


@pytest.mark.parametrize("op,args,kwargs", BAD_POOL_CALLS)
def test_bad_pool_arguments_raise_pytorchs_exception_type(op, args, kwargs):
    torch = torch_or_skip()
    _check_same_error(op, lambda: getattr(F, op)(tl.tensor(_X), *args, **kwargs),
                      lambda: getattr(torch.nn.functional, op)(torch.tensor(_X), *args, **kwargs))


@pytest.mark.parametrize("op", ["max_pool2d", "avg_pool2d", "adaptive_avg_pool2d"])
@pytest.mark.parametrize("shape,dtype", BAD_POOL_INPUTS)
def test_bad_pool_inputs_raise_pytorchs_exception_type(op, shape, dtype):
    torch = torch_or_skip()
    x = np.zeros(shape, dtype=dtype)
    _check_same_error(op, lambda: getattr(F, op)(tl.tensor(x), 2),
                      lambda: getattr(torch.nn.functional, op)(torch.tensor(x), 2))


@pytest.mark.parametrize("op,args,kwargs", [
    ("max_pool2d", ((2,),), {"stride": (1,), "padding": (1,), "dilation": (1,)}),
    ("avg_pool2d", ((3,),), {"stride": (2,), "padding": (1,)}),
    ("adaptive_avg_pool2d", (0,), {}), ("adaptive_avg_pool2d", ((0, 2),), {}),
    ("adaptive_avg_pool2d", ((None, 0),), {}), ("adaptive_avg_pool2d", ((2, None),), {}),
])  # fmt: skip
def test_pool_arguments_pytorch_accepts(op, args, kwargs):
    """One-int sequences for the sizes, output size 0, empty batches: as PyTorch, no error."""
    torch = torch_or_skip()
    for shape in ((1, 2, 5, 6), (0, 2, 5, 6), (2, 5, 6)):
        x = _randn(*shape)
        t = tl.tensor(x, requires_grad=True)
        y = getattr(F, op)(t, *args, **kwargs)
        yr = getattr(torch.nn.functional, op)(torch.tensor(x), *args, **kwargs)
        assert_close(y, yr)
        y.sum().backward()
        assert t.grad.shape == t.shape


@pytest.mark.parametrize("args,kwargs", [
    ((2,), {}), ((3, 1, 1), {"count_include_pad": False}), ((3, 1, 1), {}),
    ((2,), {"divisor_override": 3}), ((2,), {"divisor_override": -3}),
    ((3, 2, 1), {"ceil_mode": True}), ((3, 2, 1), {"ceil_mode": True, "count_include_pad": False}),
])  # fmt: skip
def test_avg_pool_of_int64_divides_as_pytorchs_integers(args, kwargs):
    """An int64 result, each window's sum divided by its integer divisor toward zero."""
    torch = torch_or_skip()
    x = np.arange(-20, 20).reshape(1, 2, 4, 5)
    for inp in (x, x[0]):
        got = F.avg_pool2d(tl.tensor(inp), *args, **kwargs)
        want = torch.nn.functional.avg_pool2d(torch.tensor(inp), *args, **kwargs)
        assert got.dtype == tl.int64
        np.testing.assert_array_equal(got.numpy(), want.numpy())
