"""ONNX export, checked by running the exported file in onnxruntime against our forward."""

from __future__ import annotations

import importlib.util
import io
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from tinygrad_lite import nn
from tinygrad_lite.autograd.grad_mode import STATE
from tinygrad_lite.ops.special import expm1

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def train_cnn():
    spec = importlib.util.spec_from_file_location("train_cnn", ROOT / "examples" / "train_cnn.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_onnx(path, *inputs):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feed = {i.name: np.asarray(x) for i, x in zip(session.get_inputs(), inputs)}
    return session.run(None, feed)


def ours(model, *inputs):
    model.eval()
    with tl.no_grad():
        out = model(*[tl.tensor(x) for x in inputs])
    return [o.numpy() for o in (out if isinstance(out, tuple) else (out,))]


def check_export(model, shape, tmp_path, batches=(2, 5), atol=2e-5, **kwargs):
    """Export with a batch of 2, then compare onnxruntime with ours at every batch size."""
    path = tmp_path / "model.onnx"
    tl.onnx.export(model, tl.randn(2, *shape), path, **kwargs)
    rng = np.random.default_rng(0)
    for n in batches:
        x = rng.standard_normal((n, *shape)).astype(np.float32)
        for got, want in zip(run_onnx(path, x), ours(model, x), strict=True):
            assert got.shape == want.shape
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=atol)
    return onnx.load(str(path))


def randomize_batch_norm(model):
    """Non-trivial running statistics and affine parameters, so BatchNorm's export is tested."""
    rng = np.random.default_rng(1)
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            c = m.num_features
            m.running_mean.data[...] = rng.standard_normal(c)
            m.running_var.data[...] = rng.uniform(0.5, 2.0, c)
            m.weight.data[...] = rng.uniform(0.5, 1.5, c)
            m.bias.data[...] = rng.standard_normal(c)
    return model


@pytest.mark.parametrize("preset", ["shapes", "mnist"])
def test_training_example_network(train_cnn, preset, tmp_path):
    p = train_cnn.PRESETS[preset]
    model = randomize_batch_norm(train_cnn.build_model(1, 10, p["width"], p["hidden"]))
    proto = check_export(model, (1, 28, 28), tmp_path, batches=(1, 2, 7))
    ops = [n.op_type for n in proto.graph.node]
    assert ops[:4] == ["Conv", "BatchNormalization", "Relu", "MaxPool"]
    assert "Flatten" in ops and "Gemm" in ops
    assert proto.opset_import[0].version >= 17


def test_names_initializers_and_free_batch(train_cnn, tmp_path):
    model = train_cnn.build_model(1, 10, 4, 8)
    proto = check_export(model, (1, 28, 28), tmp_path, input_names=["image"],
                         output_names=["logits"])  # fmt: skip
    graph = proto.graph
    assert [i.name for i in graph.input] == ["image"]
    assert [o.name for o in graph.output] == ["logits"]
    for value in (graph.input[0], graph.output[0]):
        assert value.type.tensor_type.shape.dim[0].dim_param == "batch"
    assert [d.dim_value for d in graph.input[0].type.tensor_type.shape.dim[1:]] == [1, 28, 28]
    state = model.state_dict()
    inits = {t.name: onnx.numpy_helper.to_array(t) for t in graph.initializer}
    # every parameter and running statistic, under its state_dict name, in state_dict order
    assert list(inits) == [k for k in state if not k.endswith("num_batches_tracked")]
    for k, v in inits.items():
        np.testing.assert_array_equal(v, state[k].numpy())


def test_fixed_batch_when_asked(tmp_path):
    model = nn.Sequential(nn.Linear(3, 2))
    path = tmp_path / "m.onnx"
    proto = tl.onnx.export(model, tl.randn(4, 3), path, dynamic_batch=False)
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_value == 4


LAYERS = [
    (lambda: nn.Sequential(nn.Conv2d(3, 6, 3, stride=2, padding=2, dilation=2), nn.Tanh()),
     (3, 11, 9)),
    (lambda: nn.Sequential(nn.Conv2d(4, 6, (3, 1), groups=2, bias=False), nn.Sigmoid()),
     (4, 7, 7)),
    (lambda: nn.Conv2d(2, 3, 3, padding="same"), (2, 6, 5)),
    (lambda: nn.MaxPool2d(3, 2, padding=1, ceil_mode=True), (2, 8, 7)),
    (lambda: nn.AvgPool2d(3, 2, padding=1), (2, 9, 8)),
    (lambda: nn.AvgPool2d(2, count_include_pad=False, padding=1), (2, 6, 6)),
    (lambda: nn.AdaptiveAvgPool2d(1), (3, 5, 6)),
    (lambda: nn.AdaptiveAvgPool2d((2, 3)), (3, 4, 6)),
    (lambda: nn.Sequential(nn.LeakyReLU(0.2), nn.ELU(0.7), nn.Softplus(beta=2.0), nn.GELU(),
                           nn.SiLU(), nn.Softplus(), nn.GELU("tanh")), (4, 5)),
    (lambda: nn.Sequential(nn.Linear(5, 7), nn.Dropout(0.5), nn.ReLU(), nn.Identity(),
                           nn.Linear(7, 3), nn.Softmax(dim=1)), (5,)),
    (lambda: nn.Sequential(nn.Linear(5, 7), nn.BatchNorm1d(7), nn.LogSoftmax(dim=-1)), (5,)),
    (lambda: nn.Sequential(nn.Linear(6, 4), nn.LayerNorm(4)), (3, 6)),  # Linear on 3-D input
    (lambda: nn.Sequential(nn.Flatten(2), nn.Linear(12, 2)), (2, 3, 4)),
    (lambda: nn.Sequential(nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.ReLU(),
                           nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1)),
     (1, 8, 8)),
    (lambda: nn.ConvTranspose2d(2, 2, (3, 2), stride=(2, 1), padding=(1, 0), groups=2,
                                dilation=2), (2, 6, 5)),
    (lambda: nn.ConvTranspose2d(2, 4, 3, stride=3, padding=1, output_padding=2), (2, 4, 4)),
    (lambda: nn.Sequential(nn.Conv1d(2, 3, 3, padding=1), nn.ConvTranspose1d(3, 2, 4, 2)),
     (2, 9)),
    (lambda: nn.Conv3d(1, 2, 3, padding=(1, 0, 1)), (1, 5, 6, 7)),
]  # fmt: skip


@pytest.mark.parametrize("make, shape", LAYERS)
def test_layers_match_onnxruntime(make, shape, tmp_path):
    check_export(randomize_batch_norm(make()), shape, tmp_path)


class Functional(nn.Module):
    """Tensor methods and functional ops in a custom forward, two inputs, two outputs."""

    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(4, 4)
        self.scale = nn.Parameter(tl.tensor([0.5, 1.0, 1.5, 2.0]))

    def forward(self, x, y):
        h = self.proj(x).permute(0, 2, 1)  # (B, 4, 3)
        h = (h * self.scale.reshape(4, 1) + 1.0).abs().sqrt().log1p()
        h = h.clamp(0.1, 2.0).maximum(h.exp().tanh()).minimum(h.pow(2.0) + 0.5)
        h = tl.cat([h, (-h).sigmoid(), F.gelu(h)], dim=2)  # (B, 4, 9)
        z = F.pad(h, (1, 2)).unsqueeze(1).squeeze(1) @ y  # (B, 4, 12) @ (B, 12, 2)
        a = F.softmax(z, dim=1).sum(dim=2) + z.mean(2) - z.amax(2)  # (B, 4)
        a = a + z.amin(dim=(1, 2), keepdim=True).squeeze(2)  # + (B, 1)
        b = F.log_softmax(z.flatten(1), dim=1) + tl.logsumexp(z.reshape(-1, 8), 1, keepdim=True)
        c = expm1(z.prod(2)).expand(3, -1, -1).sum(0) / 3.0  # (B, 4)
        c = c + z.sin().cos().sign().sum(2) - z.double().mean(2).float()
        return a * (z.sum(dim=-1) ** 2).mean(), b - c.relu().sum(1, keepdim=True)


def test_functional_forward_two_inputs_two_outputs(tmp_path):
    model = Functional()
    path = tmp_path / "f.onnx"
    x, y = tl.randn(2, 3, 4), tl.randn(2, 12, 2)
    proto = tl.onnx.export(model, (x, y), path)
    assert [i.name for i in proto.graph.input] == ["input_0", "input_1"]
    assert [o.name for o in proto.graph.output] == ["output_0", "output_1"]
    for n in (2, 6):
        xs = np.random.default_rng(n).standard_normal((n, 3, 4)).astype(np.float32)
        ys = np.random.default_rng(n + 1).standard_normal((n, 12, 2)).astype(np.float32)
        for got, want in zip(run_onnx(path, xs, ys), ours(model, xs, ys), strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


class InPlace(nn.Module):
    """In-place ops (on main since the mutation work): the exporter follows the new values."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 5), nn.ReLU(inplace=True), nn.Linear(5, 3))

    def forward(self, x):
        h = x * 1.0
        h.add_(0.5).mul_(2.0)
        y = self.body(h)
        return y.sigmoid_() + h.sum(1, keepdim=True)


def test_in_place_ops_follow_the_new_value(tmp_path):
    proto = check_export(InPlace(), (4,), tmp_path)
    assert [n.op_type for n in proto.graph.node].count("Relu") == 1


class WritesThroughView(nn.Module):
    def forward(self, x):
        h = x * 1.0
        h.reshape(-1).mul_(2.0)  # changes h too
        return h


def test_in_place_write_through_a_view_names_it(tmp_path):
    with pytest.raises(tl.onnx.UnsupportedOperatorError, match=r"WriteThroughView \(an in-pl"):
        tl.onnx.export(WritesThroughView(), tl.randn(2, 3), tmp_path / "x.onnx")


def test_model_output_that_is_its_input(tmp_path):
    check_export(nn.Sequential(nn.Dropout(), nn.Identity()), (3,), tmp_path)


class Indexing(nn.Module):
    def forward(self, x):
        return x[:, :2] * 2


@pytest.mark.parametrize("model, match", [
    (Indexing(), r"cannot export the op GetItem \(indexing"),
    (nn.Sequential(nn.Linear(3, 3), nn.Sequential(Indexing())), r"GetItem.*in module '1.0'"),
    (nn.MaxPool2d(2, return_indices=True), "return_indices"),
])  # fmt: skip
def test_unsupported_op_names_it(model, match, tmp_path):
    shape = (1, 4, 4) if isinstance(model, nn.MaxPool2d) else (3,)
    with pytest.raises(tl.onnx.UnsupportedOperatorError, match=match):
        tl.onnx.export(model, tl.randn(2, *shape), tmp_path / "x.onnx")
    assert STATE.tracer is None
    assert not (tmp_path / "x.onnx").exists()


class ArgMax(nn.Module):
    def forward(self, x):
        return x.argmax()  # 0-d: no batch dimension to spot


class NumpyMask(nn.Module):
    def forward(self, x):
        return x * tl.tensor((x.numpy() > 0).astype(np.float32))


@pytest.mark.parametrize("model, match", [
    (ArgMax(), r"output\(s\) \['output'\] do not depend on the input"),
    (NumpyMask(), r"shape \(2, 3\) that no recorded op produced.*outside the recorded ops"),
])  # fmt: skip
def test_values_computed_outside_the_recorded_ops_are_refused(model, match, tmp_path):
    """Not frozen silently into a constant: argmax and a numpy round trip are not recorded."""
    with pytest.raises(tl.onnx.UnsupportedOperatorError, match=match):
        tl.onnx.export(model, tl.randn(2, 3), tmp_path / "x.onnx")


def test_functional_where_names_the_op(tmp_path):
    class Elu(nn.Module):
        def forward(self, x):
            return F.elu(x, 0.5)

    with pytest.raises(tl.onnx.UnsupportedOperatorError, match=r"Where .*nn\.ELU"):
        tl.onnx.export(Elu(), tl.randn(2, 3), tmp_path / "x.onnx")


def test_functional_leaky_relu_and_shrinks_export_as_their_onnx_ops(tmp_path):
    class Piecewise(nn.Module):
        def forward(self, x):
            return F.leaky_relu(x, 0.1) + F.softshrink(x, 0.3) + F.hardshrink(x * 2.0, 0.7)

    graph = check_export(Piecewise(), (4, 5), tmp_path)
    assert {"LeakyRelu", "Shrink"} <= {n.op_type for n in graph.graph.node}


def test_modes_and_state_untouched(train_cnn, tmp_path):
    model = train_cnn.build_model(1, 10, 4, 8)
    model.train()
    model[1].eval()  # a mixed state comes back as it was
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    tl.onnx.export(model, tl.randn(3, 1, 28, 28), tmp_path / "m.onnx")
    assert [m.training for m in model.modules()] == [True, True, False] + [True] * (
        len(list(model.modules())) - 3
    )
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])
    assert all(not hook for m in model.modules() for hook in (m._forward_hooks,
                                                             m._forward_pre_hooks))  # fmt: skip


def test_file_object_and_float64(tmp_path):
    model = nn.Sequential(nn.Linear(3, 2), nn.Tanh()).double()
    buffer = io.BytesIO()
    tl.onnx.export(model, tl.randn(2, 3, dtype=tl.float64), buffer)
    path = tmp_path / "m.onnx"
    path.write_bytes(buffer.getvalue())
    x = np.random.default_rng(0).standard_normal((4, 3))
    np.testing.assert_allclose(run_onnx(path, x)[0], ours(model, x)[0], rtol=1e-12)


def test_bad_arguments(tmp_path):
    model = nn.Linear(3, 2)
    with pytest.raises(TypeError, match="example inputs must be Tensors"):
        tl.onnx.export(model, np.zeros((2, 3)), tmp_path / "m.onnx")
    with pytest.raises(ValueError, match="expected 1 distinct output names"):
        tl.onnx.export(model, tl.randn(2, 3), tmp_path / "m.onnx", output_names=["a", "b"])


def test_without_onnx_package_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r"pip install 'tinygrad_lite\[onnx\]'"):
        tl.onnx.export(nn.Linear(2, 2), tl.randn(2, 2), tmp_path / "m.onnx")
