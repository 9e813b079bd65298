"""Pictures that teach: values and gradients by default, backward frames, boxes, diagnoses."""

from __future__ import annotations

import re

import numpy as np
import pytest

import tinygrad_lite as tl
from tests.viz.test_dot import clusters, label_of, nodes
from tinygrad_lite import viz
from tinygrad_lite.nn import functional as F
from tinygrad_lite.viz.annotate import dead_units, short_title


def neuron():
    return {
        "x1": tl.tensor(2.0, requires_grad=True),
        "w1": tl.tensor(-3.0, requires_grad=True),
        "x2": tl.tensor(0.0, requires_grad=True),
        "w2": tl.tensor(1.0, requires_grad=True),
        "b": tl.tensor(6.8813735870195432, requires_grad=True),
    }


def forward(p):
    return (p["x1"] * p["w1"] + p["x2"] * p["w2"] + p["b"]).tanh()


def test_small_graph_shows_values_and_root_gradient_by_default():
    p = neuron()
    o = forward(p)
    before = viz.to_dot(o, p)
    assert "data 2.000" in nodes(before)[label_of(before, "<B>x1</B>")][0]
    assert "grad None" in before
    o.backward()
    dot = viz.to_dot(o, p)
    root = [label for label, fill in nodes(dot).values() if fill == "#d9ead3"]
    assert root == ["() float32<BR/>data 0.7071<BR/>grad 1.000"]  # the root shows its 1
    assert "grad -1.500" in nodes(dot)[label_of(dot, "<B>x1</B>")][0]
    # w2's gradient is 0 because x2 = 0: a scalar zero is no diagnosis
    w2 = nodes(dot)[label_of(dot, "<B>w2</B>")]
    assert "grad 0.000" in w2[0] and w2[1] == "#cfe2f3" and "legend" not in dot
    # big graphs stay plain unless asked
    x = tl.randn(3, requires_grad=True)
    y = x
    for _ in range(31):
        y = y * 1.0
    assert "data" not in viz.to_dot(y.sum())


def test_trace_gives_every_intermediate_value_and_gradient():
    p = neuron()
    with tl.autograd.trace_backward(p) as tr:
        o = forward(p)
        o.backward()
    dot = viz.to_dot(o, p, trace=tr)
    ops = {label.split("</B>")[0][3:]: label for k, (label, _) in nodes(dot).items() if k[0] == "f"}
    assert len(ops) == 3  # two Mul, two Add (same names), Tanh
    adds = [label for k, (label, _) in nodes(dot).items() if "AddBackward" in label]
    assert sorted(adds) == [
        "<B>AddBackward</B><BR/>data -6.000<BR/>grad 0.5000",
        "<B>AddBackward</B><BR/>data 0.8814<BR/>grad 0.5000",
    ]
    # without the trace, after backward the graph holds no intermediate value or gradient
    plain = viz.to_dot(o, p)
    assert "data 0.8814" not in plain and "data -6.000" not in plain


def test_values_still_held_by_the_graph_show_before_backward():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()  # Exp saves its output
    dot = viz.to_dot((y * 1.0).sum())
    assert "<B>ExpBackward</B><BR/>data [2.718, 7.389]" in dot


def test_frames_highlight_the_nodes_done_and_fill_in_gradients():
    p = neuron()
    with tl.autograd.trace_backward(p) as tr:
        forward(p).backward()
    n = len(tr.passes[0])
    texts = [viz.step_to_dot(tr, k) for k in range(n + 1)]
    done = [sum(fill == "#b6d7a8" and key[0] == "f" for key, (_, fill) in nodes(t).items())
            for t in texts]
    assert done == list(range(n + 1))
    assert texts[0].count('color="#cc0000"') == 0
    assert all(t.count('color="#cc0000"') == 1 for t in texts[1:])
    assert "pass 1, step 2 of 5: AddBackward" in texts[2]
    assert "pass 1: before backward" in texts[0]
    # b's gradient appears at step 2 (the Add that consumes it), x1's only at the end
    b2 = nodes(texts[2])[label_of(texts[2], "<B>b</B>")][0]
    assert "grad 0.5000" in b2
    assert "grad None" in nodes(texts[2])[label_of(texts[2], "<B>x1</B>")][0]
    assert "grad -1.500" in nodes(texts[n])[label_of(texts[n], "<B>x1</B>")][0]
    # the numbers are the table's step numbers
    assert "[1] TanhBackward" in texts[1] and "[1]   TanhBackward" in str(tr)
    with pytest.raises(IndexError, match="step 6 out of range 0..5"):
        viz.step_to_dot(tr, 6)
    with pytest.raises(IndexError, match="pass_number 2 out of range 1..1"):
        viz.step_to_dot(tr, 1, pass_number=2)
    with pytest.raises(TypeError, match="trace must be a BackwardTrace"):
        viz.step_to_dot("x", 1)
    with pytest.raises(ValueError, match="recorded no backward pass"):
        with tl.autograd.trace_backward() as empty:
            pass
        viz.step_to_dot(empty, 0)


def test_frames_of_a_second_order_pass():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    with tl.autograd.trace_backward(dict(x=x)) as tr:
        (g,) = tl.autograd.grad((x**3).sum(), x, create_graph=True)
        g.sum().backward()
    last = viz.step_to_dot(tr, len(tr.passes[1]), pass_number=2)
    assert "grad [6.000, 12.00]" in nodes(last)[label_of(last, "<B>x</B>")][0]


def test_draw_steps_renders_one_picture_per_step():
    pytest.importorskip("graphviz")
    import shutil

    if shutil.which("dot") is None:
        pytest.skip("Graphviz 'dot' not installed")
    p = neuron()
    with tl.autograd.trace_backward(p) as tr:
        forward(p).backward()
    frames = viz.draw_steps(tr)
    assert len(frames) == 5
    assert frames[1].source == viz.step_to_dot(tr, 2)
    assert b"<svg" in frames[0].pipe("svg")
    assert viz.draw_step(tr, 3).source == viz.step_to_dot(tr, 3)


def test_module_boxes_are_titled_and_hold_their_ops_with_a_trace():
    tl.manual_seed(0)
    model = tl.nn.Sequential(
        tl.nn.Conv2d(1, 2, 3), tl.nn.BatchNorm2d(2), tl.nn.ReLU(), tl.nn.Flatten(),
        tl.nn.Linear(8, 3),
    )
    x = tl.randn(4, 1, 4, 4)
    with tl.autograd.trace_backward(model) as tr:
        loss = tl.nn.functional.cross_entropy(model(x), tl.tensor([0, 1, 2, 0]))
        loss.backward()
    dot = viz.to_dot(loss, model, trace=tr)
    boxes = clusters(dot)
    assert "0: Conv2d(1, 2, 3)" in boxes and "1: BatchNorm2d(2)" in boxes
    assert "4: Linear(8, 3)" in boxes and "2: ReLU()" in boxes
    assert any("ConvolutionBackward" in s for s in boxes["0: Conv2d(1, 2, 3)"])
    assert any("ReluBackward" in s for s in boxes["2: ReLU()"])
    # every op of the model's forward is in its box; the loss's ops are outside
    assert set(tr.scope.values()) == {"0", "1", "2", "3", "4", "F.cross_entropy#1"}
    assert tr.scope[loss.grad_fn] == "F.cross_entropy#1"
    assert not model[0]._forward_hooks  # hooks removed on exit


def test_short_titles():
    assert short_title("pool", tl.nn.MaxPool2d(2)) == "pool: MaxPool2d(2)"
    assert short_title("d", tl.nn.Dropout(0.25)) == "d: Dropout(0.25)"
    assert short_title("c", tl.nn.Conv2d(3, 8, (3, 5))) == "c: Conv2d(3, 8, (3, 5))"


def test_dead_relu_units_are_a_diagnosis():
    assert dead_units(np.array([[0.0, 1.0]] * 8)) == (1, 2)
    assert dead_units(np.array([[0.0, 1.0], [0.0, 0.0]])) is None  # 2 samples prove nothing
    assert dead_units(np.array([0.0, 1.0])) is None  # no batch dimension
    maps = np.ones((2, 3, 4, 4))
    maps[:, 1] = 0.0  # channel 1 never fires, anywhere, in either image
    maps[0, 2, 0, 0] = 0.0  # a zero here and there is no diagnosis
    assert dead_units(maps) == (1, 3)
    w = tl.tensor([[1.0, -1.0], [2.0, -3.0]], requires_grad=True)
    x = tl.tensor(np.abs(np.random.default_rng(0).standard_normal((8, 2))).astype(np.float32) + 0.1)
    h = (x @ w).relu()  # second unit: always negative
    dot = viz.to_dot(h.sum(), dict(w=w))
    relu = nodes(dot)[label_of(dot, "ReluBackward")]
    assert "! 1 of 2 units never active" in relu[0] and relu[1] == "#ffb347"
    assert "ReLU units never active over the batch" in dot
    # all alive: no mark; too few samples: no mark
    assert "never active" not in viz.to_dot((x @ w.abs()).relu().sum())
    assert "never active" not in viz.to_dot((x[:2] @ w).relu().sum())


def test_zero_gradient_of_a_whole_tensor_is_still_marked():
    w = tl.tensor([1.0, 2.0], requires_grad=True)
    (w * -1.0).relu().sum().backward()
    dot = viz.to_dot(w * 1.0, dict(w=w))
    assert nodes(dot)[label_of(dot, "<B>w</B>")][1] == "#ffb347"


def test_batchnorm_ops_stay_in_their_box_without_a_trace():
    tl.manual_seed(0)
    model = tl.nn.Sequential(tl.nn.Conv2d(1, 2, 3), tl.nn.BatchNorm2d(2), tl.nn.ReLU())
    boxes = clusters(viz.to_dot(model(tl.randn(2, 1, 5, 5)).sum(), model))
    assert any("BatchNormBackward" in s for s in boxes["1: BatchNorm2d(2)"])
    assert any("ConvolutionBackward" in s for s in boxes["0: Conv2d(1, 2, 3)"])


def test_a_functional_loss_is_grouped_under_its_name():
    tl.manual_seed(0)
    model = tl.nn.Sequential(tl.nn.Linear(3, 4), tl.nn.ReLU(), tl.nn.Linear(4, 3))
    with tl.autograd.trace_backward(model) as tr:
        loss = tl.nn.functional.cross_entropy(model(tl.randn(5, 3)), tl.tensor([0, 1, 2, 0, 1]))
        loss.backward()
        alone = model[1](tl.randn(1, 4, requires_grad=True))
    boxes = clusters(viz.to_dot(loss, model, trace=tr))
    inside = " ".join(boxes["F.cross_entropy"])
    assert "LogSoftmaxBackward" in inside and loss.grad_fn.name in inside
    assert "LogSoftmaxBackward" not in " ".join(boxes["2: Linear(4, 3)"])
    # a functional inside a module's forward belongs to the module (nn.ReLU calls F.relu)
    assert tr.scope[alone.grad_fn] == "1"


def test_two_calls_of_one_functional_get_two_boxes():
    x = tl.tensor([[1.0, -2.0, 3.0]], requires_grad=True)
    with tl.autograd.trace_backward() as tr:
        y = F.relu(F.softmax(x, dim=1) - 0.3) + F.relu(x)
    dot = viz.to_dot(y.sum(), trace=tr)
    labels = sorted(re.findall(r"subgraph cluster_\d+ \{\n\t\tgraph \[label=<(.*?)>", dot))
    assert labels == ["F.relu", "F.relu", "F.softmax"]  # '#k' tells calls apart, not drawn
    assert "#" not in "".join(labels) and tr._call is None
