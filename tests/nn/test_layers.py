"""Layers (Linear, Flatten, Identity, Dropout, BatchNorm, LayerNorm), their functional forms,
one_hot and nn.init, against PyTorch in float64."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from tests.helpers import assert_close, compare_with_torch, torch_or_skip
from tinygrad_lite import nn
from tinygrad_lite.nn import init


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


# ----- linear -------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 4), (4,)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_functional_matches_torch(shape: tuple, bias: bool) -> None:
    torch = torch_or_skip()
    rng = _rng()
    x, w, b = rng.standard_normal(shape), rng.standard_normal((3, 4)), rng.standard_normal(3)
    if bias:
        compare_with_torch(F.linear, torch.nn.functional.linear, [x, w, b])
    else:
        compare_with_torch(F.linear, torch.nn.functional.linear, [x, w])


def test_linear_module_layout_and_default_init() -> None:
    layer = nn.Linear(50, 20)
    assert layer.weight.shape == (20, 50) and layer.bias.shape == (20,)
    assert layer.weight.dtype == np.float32 and layer.weight.requires_grad
    bound = 1 / math.sqrt(50)  # kaiming_uniform_(a=sqrt(5)) == U(-1/sqrt(fan_in), ...)
    assert np.abs(layer.weight.data).max() <= bound and np.abs(layer.bias.data).max() <= bound
    assert layer.weight.data.std() == pytest.approx(bound / math.sqrt(3), rel=0.1)
    no_bias = nn.Linear(3, 2, bias=False, dtype=tl.float64)
    assert no_bias.bias is None and no_bias.weight.dtype == np.float64
    assert [n for n, _ in no_bias.named_parameters()] == ["weight"]


def test_linear_module_matches_torch() -> None:
    torch = torch_or_skip()
    ours = nn.Linear(4, 3).double()
    theirs = torch.nn.Linear(4, 3).double()
    theirs.load_state_dict({k: torch.tensor(v.data) for k, v in ours.state_dict().items()})
    x = _rng(1).standard_normal((6, 4))
    compare_with_torch(ours, theirs, [x])
    out = ours(tl.tensor(x))
    out.sum().backward()
    theirs(torch.tensor(x)).sum().backward()
    assert_close(ours.weight.grad, theirs.weight.grad)
    assert_close(ours.bias.grad, theirs.bias.grad)
    assert repr(ours) == repr(theirs)


def test_linear_shape_error_names_op_and_shapes() -> None:
    with pytest.raises(RuntimeError,
                       match=r"linear: input \(2, 5\) does not match weight \(3, 4\)"):
        nn.Linear(4, 3)(tl.randn(2, 5))


def test_linear_mixed_dtypes_raise_like_torch() -> None:
    x32, w32, b32 = tl.randn(8, 4), tl.randn(3, 4), tl.randn(3)
    x64, w64, b64 = x32.double(), w32.double(), b32.double()
    with pytest.raises(
        RuntimeError,
        match=r"linear: input dtype float64 does not match weight dtype float32 \(input \(8, 4\), "
        r"weight \(3, 4\)\); convert with input\.float\(\) or weight\.double\(\)",
    ):
        F.linear(x64, w32)
    with pytest.raises(RuntimeError, match="linear: input dtype float32 does not match weight "
                       "dtype float64"):
        F.linear(x32, w64, b64)
    with pytest.raises(RuntimeError, match=r"linear: bias dtype float64 does not match weight "
                       r"dtype float32 \(bias \(3,\), weight \(3, 4\)\)"):
        F.linear(x32, w32, b64)
    with pytest.raises(RuntimeError, match="linear: bias dtype float32 does not match weight "
                       "dtype float64"):
        F.linear(x64, w64, b32)
    with pytest.raises(RuntimeError, match=r"linear: input dtype float64 .* \(input \(2, 8, 4\)"):
        nn.Linear(4, 3)(tl.randn(2, 8, 4, dtype=tl.float64))
    assert nn.Linear(4, 3).double()(x64).dtype == np.float64  # the fix the message suggests
    torch = torch_or_skip()
    for args in [(x64, w32), (x32, w64), (x32, w32, b64), (x64, w64, b32)]:
        with pytest.raises(RuntimeError):
            torch.nn.functional.linear(*[torch.from_numpy(a.data) for a in args])


def test_flatten_and_identity() -> None:
    torch = torch_or_skip()
    x = _rng().standard_normal((2, 3, 4, 5))
    for args in [(), (0,), (1, 2), (2, -1)]:
        compare_with_torch(nn.Flatten(*args), torch.nn.Flatten(*args), [x])
        assert repr(nn.Flatten(*args)) == repr(torch.nn.Flatten(*args))
    t = tl.randn(3)
    assert nn.Identity(54, unused="x")(t) is t
    assert repr(nn.Identity()) == "Identity()"


# ----- dropout ------------------------------------------------------------------------------


def test_dropout_training_masks_and_rescales() -> None:
    x = tl.ones(200, 500, requires_grad=True)
    y = F.dropout(x, p=0.3, training=True)
    kept = y.data != 0
    assert kept.mean() == pytest.approx(0.7, abs=0.01)
    np.testing.assert_allclose(y.data[kept], 1 / 0.7, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, y.data)  # same mask, same scale
    assert y.dtype == np.float32


def test_dropout_is_repeatable_with_manual_seed() -> None:
    tl.manual_seed(7)
    a = F.dropout(tl.ones(100), 0.5)
    tl.manual_seed(7)
    b = F.dropout(tl.ones(100), 0.5)
    np.testing.assert_array_equal(a.data, b.data)


def test_dropout_eval_and_edge_probabilities() -> None:
    x = tl.randn(10, 10)
    layer = nn.Dropout(0.5)
    assert layer.eval()(x) is x
    assert F.dropout(x, 0.0, True) is x
    assert np.all(F.dropout(x, 1.0, True).data == 0)
    assert repr(layer) == "Dropout(p=0.5, inplace=False)"
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        F.dropout(x, 1.5)
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        nn.Dropout(-0.1)


# ----- batch norm ---------------------------------------------------------------------------


def _bn_pair(torch, cls_name: str, num: int, **kwargs):
    ours = getattr(nn, cls_name)(num, **kwargs).double()
    theirs = getattr(torch.nn, cls_name)(num, **kwargs).double()
    if ours.weight is not None:  # non-trivial affine parameters
        ours.weight.data[...] = _rng(5).uniform(0.5, 1.5, num)
    if ours.bias is not None:
        ours.bias.data[...] = _rng(6).standard_normal(num)
    theirs.load_state_dict({k: torch.tensor(v.data.copy()) for k, v in ours.state_dict().items()})
    return ours, theirs


def _check_same_state(ours, theirs) -> None:
    ref = theirs.state_dict()
    assert list(ours.state_dict()) == list(ref)
    for key, value in ours.state_dict().items():
        assert_close(value, ref[key], what=key)


@pytest.mark.parametrize(
    "cls_name,shape",
    [("BatchNorm1d", (8, 3)), ("BatchNorm1d", (4, 3, 5)), ("BatchNorm2d", (4, 3, 5, 2))],
)
@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
def test_batchnorm_train_then_eval_matches_torch(cls_name: str, shape: tuple, momentum) -> None:
    torch = torch_or_skip()
    ours, theirs = _bn_pair(torch, cls_name, 3, momentum=momentum)
    rng = _rng(3)
    for step in range(4):  # several steps: running stats and num_batches_tracked accumulate
        x = rng.standard_normal(shape) * (step + 1) + step
        compare_with_torch(ours, theirs, [x], seed=step)
        _check_same_state(ours, theirs)
        assert_close(ours.weight.grad, theirs.weight.grad, what="weight grad")
        assert_close(ours.bias.grad, theirs.bias.grad, what="bias grad")
        ours.zero_grad()
        theirs.zero_grad()
    assert int(ours.num_batches_tracked.item()) == 4
    ours.eval()
    theirs.eval()
    compare_with_torch(ours, theirs, [rng.standard_normal(shape)])
    _check_same_state(ours, theirs)  # eval mode leaves the running stats alone
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize(
    "kwargs",
    [{"affine": False}, {"track_running_stats": False}, {"bias": False}, {"eps": 1e-2}],
)
def test_batchnorm_options_match_torch(kwargs: dict) -> None:
    torch = torch_or_skip()
    ours, theirs = _bn_pair(torch, "BatchNorm2d", 2, **kwargs)
    x = _rng(4).standard_normal((3, 2, 4, 4))
    compare_with_torch(ours, theirs, [x])
    ours.eval()
    theirs.eval()
    compare_with_torch(ours, theirs, [x + 1])
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_batch_norm_functional_matches_torch() -> None:
    torch = torch_or_skip()
    rng = _rng(8)
    x, w, b = rng.standard_normal((6, 4, 3)), rng.standard_normal(4), rng.standard_normal(4)
    rm, rv = np.zeros(4), np.ones(4)
    ours_rm, ours_rv = tl.tensor(rm), tl.tensor(rv)
    torch_rm, torch_rv = torch.tensor(rm), torch.tensor(rv)
    compare_with_torch(
        lambda x, w, b: F.batch_norm(x, ours_rm, ours_rv, w, b, True, 0.3, 1e-3),
        lambda x, w, b: torch.nn.functional.batch_norm(
            x, torch_rm, torch_rv, w, b, True, 0.3, 1e-3
        ),
        [x, w, b],
    )
    assert_close(ours_rm, torch_rm)
    assert_close(ours_rv, torch_rv)
    compare_with_torch(
        lambda x, w, b: F.batch_norm(x, ours_rm, ours_rv, w, b, False),
        lambda x, w, b: torch.nn.functional.batch_norm(x, torch_rm, torch_rv, w, b, False),
        [x, w, b],
    )


def test_batchnorm_errors() -> None:
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected 4D input \(got 2D input"):
        nn.BatchNorm2d(3)(tl.randn(4, 3))
    with pytest.raises(RuntimeError, match="BatchNorm1d: expected input with 3 channels"):
        nn.BatchNorm1d(3)(tl.randn(4, 5))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        nn.BatchNorm1d(3)(tl.randn(1, 3))
    assert nn.BatchNorm1d(3).eval()(tl.randn(1, 3)).shape == (1, 3)


def test_batchnorm_float32_stays_float32() -> None:
    bn = nn.BatchNorm2d(3)
    y = bn(tl.randn(2, 3, 4, 4))
    assert y.dtype == np.float32 and bn.running_var.dtype == np.float32
    assert bn.num_batches_tracked.dtype == np.int64


# ----- layer norm ---------------------------------------------------------------------------


@pytest.mark.parametrize("normalized_shape", [5, (4, 5)])
@pytest.mark.parametrize("affine", [True, False])
def test_layernorm_matches_torch(normalized_shape, affine: bool) -> None:
    torch = torch_or_skip()
    ours = nn.LayerNorm(normalized_shape, elementwise_affine=affine).double()
    theirs = torch.nn.LayerNorm(normalized_shape, elementwise_affine=affine).double()
    if affine:
        ours.weight.data[...] = _rng(1).standard_normal(ours.weight.shape)
        ours.bias.data[...] = _rng(2).standard_normal(ours.bias.shape)
        theirs.load_state_dict({k: torch.tensor(v.data) for k, v in ours.state_dict().items()})
    compare_with_torch(ours, theirs, [_rng(3).standard_normal((3, 4, 5))])
    if affine:
        assert_close(ours.weight.grad, theirs.weight.grad)
    assert repr(ours) == repr(theirs)


def test_layer_norm_functional_and_error() -> None:
    torch = torch_or_skip()
    rng = _rng(9)
    x, w, b = rng.standard_normal((2, 3, 4)), rng.standard_normal(4), rng.standard_normal(4)
    compare_with_torch(
        lambda x, w, b: F.layer_norm(x, (4,), w, b, eps=1e-3),
        lambda x, w, b: torch.nn.functional.layer_norm(x, (4,), w, b, eps=1e-3),
        [x, w, b],
    )
    with pytest.raises(RuntimeError, match=r"layer_norm: given normalized_shape=\[5\]"):
        F.layer_norm(tl.randn(2, 4), 5)


# ----- one_hot ------------------------------------------------------------------------------


def test_one_hot_matches_torch() -> None:
    torch = torch_or_skip()
    labels = np.array([[0, 2], [1, 4]])
    for n in (-1, 6):
        out = F.one_hot(tl.tensor(labels), n)
        expected = torch.nn.functional.one_hot(torch.tensor(labels), n)
        assert out.dtype == np.int64
        np.testing.assert_array_equal(out.data, expected.numpy())


def test_one_hot_errors() -> None:
    with pytest.raises(TypeError, match="one_hot is only applicable to index tensor"):
        F.one_hot(tl.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="class values must be non-negative"):
        F.one_hot(tl.tensor([-1, 2]))
    with pytest.raises(RuntimeError, match="smaller than num_classes=3"):
        F.one_hot(tl.tensor([1, 3]), 3)


# ----- init ---------------------------------------------------------------------------------


def test_calculate_gain_and_fans_match_torch() -> None:
    torch = torch_or_skip()
    ti = torch.nn.init
    for args in [("linear",), ("conv2d",), ("sigmoid",), ("tanh",), ("relu",), ("selu",),
                 ("leaky_relu",), ("leaky_relu", 0.2), ("leaky_relu", math.sqrt(5))]:
        assert init.calculate_gain(*args) == ti.calculate_gain(*args)
    for shape in [(3, 4), (8, 3, 5, 5), (2, 6, 3)]:
        assert init._calculate_fan_in_and_fan_out(tl.zeros(*shape)) == (
            ti._calculate_fan_in_and_fan_out(torch.zeros(*shape))
        )
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.kaiming_uniform_(tl.zeros(5))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_normal_(tl.zeros(5, 5), mode="fan_avg")


@pytest.mark.parametrize(
    "fn,kwargs,kind,scale",
    [
        (init.kaiming_uniform_, {}, "uniform", math.sqrt(3) * math.sqrt(2) / math.sqrt(200)),
        (init.kaiming_uniform_, {"mode": "fan_out", "nonlinearity": "relu"}, "uniform",
         math.sqrt(3) * math.sqrt(2) / math.sqrt(400)),
        (init.kaiming_normal_, {"nonlinearity": "relu"}, "normal", math.sqrt(2) / math.sqrt(200)),
        (init.xavier_uniform_, {"gain": 2.0}, "uniform", 2 * math.sqrt(6 / 600)),
        (init.xavier_normal_, {}, "normal", math.sqrt(2 / 600)),
    ],
)
def test_random_inits_have_torchs_scale(fn, kwargs: dict, kind: str, scale: float) -> None:
    t = tl.zeros(400, 200, requires_grad=True)
    array = t.data
    out = fn(t, **kwargs)
    assert out is t and t.data is array and t.grad_fn is None  # in place, outside the graph
    if kind == "uniform":  # bound ``scale``: |x| <= bound, std = bound / sqrt(3)
        assert np.abs(array).max() <= scale
        assert array.std() == pytest.approx(scale / math.sqrt(3), rel=0.02)
    else:
        assert array.std() == pytest.approx(scale, rel=0.02)
    assert abs(array.mean()) < 0.05 * scale


def test_simple_inits() -> None:
    t = tl.zeros(3, 4, dtype=tl.float64)
    assert np.all(init.ones_(t).data == 1)
    assert np.all(init.zeros_(t).data == 0)
    assert np.all(init.constant_(t, 2.5).data == 2.5)
    np.testing.assert_array_equal(init.eye_(t).data, np.eye(3, 4))
    u = init.uniform_(t, -2.0, -1.0).data
    assert u.min() >= -2 and u.max() <= -1 and t.dtype == np.float64
    n = init.normal_(tl.zeros(10000), 3.0, 0.5).data
    assert n.mean() == pytest.approx(3.0, abs=0.03) and n.std() == pytest.approx(0.5, rel=0.05)
    tn = init.trunc_normal_(tl.zeros(10000), std=2.0, a=-1.0, b=1.0).data
    assert tn.min() >= -1 and tn.max() <= 1
    gen = np.random.default_rng(3)
    a = init.uniform_(tl.zeros(5), generator=gen).data.copy()
    b = init.uniform_(tl.zeros(5), generator=np.random.default_rng(3)).data
    np.testing.assert_array_equal(a, b)


def test_pad_is_reexported_from_movement() -> None:
    torch = torch_or_skip()
    x = _rng(4).standard_normal((2, 3, 4))
    compare_with_torch(
        lambda t: F.pad(t, (1, 2, 0, 1)), lambda t: torch.nn.functional.pad(t, (1, 2, 0, 1)), [x]
    )


def test_affine_parameters_of_the_wrong_shape_name_the_op() -> None:
    """A mis-shaped weight or bias raises naming the layer function, not the ``mul``/``add``
    or ``reshape`` inside it."""
    x = tl.randn(2, 4)
    with pytest.raises(RuntimeError, match=r"linear: bias of shape \(2,\) does not match weight "
                                         r"\(3, 4\) \(expected \(3,\)\)"):
        F.linear(x, tl.randn(3, 4), tl.randn(2))
    assert F.linear(x, tl.randn(3, 4), tl.randn(1)).shape == (2, 3)  # broadcasts, as torch
    with pytest.raises(RuntimeError, match=r"batch_norm: expected weight of shape \(4,\) \(one per "
                                         r"channel\), got \(3,\)"):
        F.batch_norm(x, tl.zeros(4), tl.ones(4), weight=tl.ones(3))
    with pytest.raises(RuntimeError, match=r"batch_norm: expected bias of shape \(4,\)"):
        F.batch_norm(tl.randn(2, 4, 3), None, None, bias=tl.ones(3), training=True)
    with pytest.raises(RuntimeError, match=r"layer_norm: expected weight of shape \(4,\) "
                                         r"\(normalized_shape\), got \(3,\)"):
        F.layer_norm(x, [4], weight=tl.ones(3))
    with pytest.raises(RuntimeError, match=r"layer_norm: expected bias of shape \(2, 4\)"):
        F.layer_norm(tl.randn(3, 2, 4), (2, 4), bias=tl.ones(4))
