"""to_dot: the DOT text of the graph backward walks (no graphviz needed)."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

import tinygrad_lite as tl
from tests.viz.graphs import known_graph, mlp_graph
from tinygrad_lite import viz

NODE = re.compile(r"^\t+(f\d+|t\d+|legend_\w+) \[label=<(.*)> fillcolor=\"(#\w+)\"", re.M)
EDGE = re.compile(r"^\t(\w+) -> (\w+)(?: \[label=\"[^\"]*\"\])?$", re.M)


def nodes(dot: str) -> dict[str, tuple[str, str]]:
    """{dot id: (label, fill)} for every node statement."""
    return {m.group(1): (m.group(2), m.group(3)) for m in NODE.finditer(dot)}


def edges(dot: str) -> list[tuple[str, str]]:
    return EDGE.findall(dot)


def label_of(dot: str, text: str) -> str:
    """The id of the single node whose label contains ``text``."""
    found = [k for k, (label, _) in nodes(dot).items() if text in label]
    assert len(found) == 1, (text, found)
    return found[0]


PLAIN = dict(show_values=False, show_grads=False)  # structure only (small graphs show numbers)


def test_known_graph_nodes_edges_and_names():
    loss, params = known_graph()
    dot = viz.to_dot(loss, params, **PLAIN)
    ns = nodes(dot)
    # 4 ops (Mul, Add, Tanh, Sum), 3 leaves, 1 output tensor; 7 edges
    assert sorted(k for k in ns if k.startswith("f")) == ["f0", "f1", "f2", "f3"]
    assert len(ns) == 8
    ops = [ns[f"f{i}"][0] for i in range(4)]
    assert ops == [f"<B>{n}Backward</B>" for n in ("Mul", "Add", "Tanh", "Sum")]
    assert ns[label_of(dot, "<B>a</B>")][0] == "<B>a</B><BR/>(2,) float32"
    assert ns[label_of(dot, "<B>c</B>")][0] == "<B>c</B><BR/>() float32"
    a, b, c = (label_of(dot, f"<B>{n}</B>") for n in "abc")
    out = [k for k, (_, fill) in ns.items() if fill == "#d9ead3"]
    assert len(out) == 1
    assert sorted(edges(dot)) == sorted(
        [(a, "f0"), (b, "f0"), ("f0", "f1"), (c, "f1"), ("f1", "f2"), ("f2", "f3"), ("f3", out[0])]
    )


def test_exact_text_and_determinism():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    y = tl.tensor([3.0, 4.0], requires_grad=True)
    expected = (
        "digraph {\n"
        "\tgraph [rankdir=LR fontname=Helvetica fontsize=11]\n"
        "\tnode [fontname=Helvetica fontsize=11 height=0.3]\n"
        "\tedge [arrowsize=0.7 fontname=Helvetica fontsize=9]\n"
        '\tf0 [label=<<B>[2] MulBackward</B>> fillcolor="#e8e8e8" shape=box '
        'style="rounded,filled"]\n'
        '\tt0 [label=<<B>x</B><BR/>(2,) float32> fillcolor="#cfe2f3" shape=box style="filled"]\n'
        '\tt1 [label=<<B>y</B><BR/>(2,) float32> fillcolor="#cfe2f3" shape=box style="filled"]\n'
        '\tf1 [label=<<B>[1] ExpBackward</B>> fillcolor="#e8e8e8" shape=box '
        'style="rounded,filled"]\n'
        '\tt2 [label=<(2,) float32> fillcolor="#d9ead3" shape=box style="filled"]\n'
        "\tt0 -> f0\n\tt1 -> f0\n\tf0 -> f1 [label=\" (2,) float32\"]\n\tf1 -> t2\n"
        "}\n"
    )
    dot = viz.to_dot((x * y).exp(), dict(x=x, y=y), backward_order=True, rankdir="LR", **PLAIN)
    assert dot == expected
    # a fresh graph of the same structure gives the same text: ids come from the traversal
    texts = set()
    for seed in range(3):
        tl.manual_seed(seed)
        p, q = tl.randn(2, requires_grad=True), tl.randn(2, requires_grad=True)
        texts.add(
            viz.to_dot((p * q).exp(), dict(x=p, y=q), backward_order=True, rankdir="LR", **PLAIN)
        )
    assert texts == {expected}


def test_backward_numbering_is_the_order_backward_runs():
    x = tl.tensor([0.5, -1.5], requires_grad=True)
    w = tl.tensor([2.0, 3.0], requires_grad=True)
    h = x * w
    s = h.sin()
    e = h.exp()
    loss = (s / e + s).sum()
    ran = []
    for name, t in [("h", h), ("s", s), ("e", e)]:
        t.register_hook(lambda g, name=name: ran.append(name))
    dot = viz.to_dot(loss, dict(h=h, s=s, e=e), backward_order=True)
    steps = {}
    for label, _ in nodes(dot).values():
        m = re.match(r"<B>\[(\d+)\] (\w+)</B>", label)
        if m:
            steps[int(m.group(1))] = m.group(2)
    assert sorted(steps) == list(range(1, 7))
    assert steps[1] == "SumBackward"
    order = [steps[k] for k in sorted(steps)]
    assert len(set(order)) == 6
    loss.backward()
    # named intermediates h, s, e: the hooks fire when backward reaches their producing op
    producer = {"h": "MulBackward", "s": "SinBackward", "e": "ExpBackward"}
    fired = [order.index(producer[n]) for n in ran]
    assert ran and fired == sorted(fired)
    assert order[-1] == "MulBackward"  # x * w runs last
    # and the numbers are those of the engine's own order, reversed
    engine_order = tl.autograd.topological_order([loss.grad_fn])
    assert order == [fn.name for fn in reversed(engine_order)]


def test_values_grads_small_and_summary():
    loss, params = known_graph()
    loss.backward()
    dot = viz.to_dot(loss, params, show_values=True, show_grads=True)
    a_label = nodes(dot)[label_of(dot, "<B>a</B>")][0]
    assert "data [1.000, -2.000]" in a_label
    expected = 1 - np.tanh(np.array([1.0 * 3.0, -2.0 * 0.5]) + 0.25) ** 2
    g = params["a"].grad.data
    assert np.allclose(g, expected * np.array([3.0, 0.5]), rtol=1e-5)
    assert f"grad [{g[0]:#.4g}, {g[1]:#.4g}]" in a_label
    big = tl.randn(20, 30, requires_grad=True)
    (big * 2.0).sum().backward()
    label = nodes(viz.to_dot(big, dict(big=big), show_values=True, show_grads=True))["t0"][0]
    d = big.data
    assert f"data mean {d.mean():#.4g} std {d.std():#.4g}" in label
    assert f"data min {d.min():#.4g} max {d.max():#.4g}" in label
    assert "grad mean 2.000 std 0.000" in label
    fresh = tl.tensor([1.0], requires_grad=True)
    assert "grad None" in viz.to_dot(fresh * 2.0, show_grads=True)


def test_show_saved_before_and_after_backward():
    x = tl.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    y = x.tanh()
    loss = (y * x).sum()
    dot = viz.to_dot(loss, show_saved=True)
    tanh = nodes(dot)[label_of(dot, "TanhBackward")][0]
    assert "saved: output (1, 3) float32" in tanh
    mul = nodes(dot)[label_of(dot, "MulBackward")][0]
    assert "saved: input 0 (1, 3) float32" in mul and "saved: input 1 (1, 3) float32" in mul
    loss.backward(retain_graph=True)
    assert "(freed)" not in viz.to_dot(loss, show_saved=True)
    loss.backward()
    after = viz.to_dot(loss, show_saved=True)
    assert after.count("saved: (freed)") == 3


def test_problem_marks_nan_and_dead_relu():
    dead = tl.tensor([1.0, 2.0], requires_grad=True)
    ok = tl.tensor([1.0, 2.0], requires_grad=True)
    bad = tl.tensor([0.0, 4.0], requires_grad=True)
    loss = (dead * -1.0).relu().sum() + (ok * ok).sum() + bad.sqrt().sum()
    plain = viz.to_dot(loss)
    assert "legend" not in plain and "#ff8080" not in plain
    with np.errstate(divide="ignore"):  # sqrt'(0) = inf, on purpose
        loss.backward()
    dot = viz.to_dot(loss, dict(dead=dead, ok=ok, bad=bad))
    ns = nodes(dot)
    assert ns[label_of(dot, "<B>dead</B>")][1] == "#ffb347"
    assert "! grad is all zero" in ns[label_of(dot, "<B>dead</B>")][0]
    assert ns[label_of(dot, "<B>bad</B>")][1] == "#ff8080"
    assert "! grad has NaN/Inf" in ns[label_of(dot, "<B>bad</B>")][0]
    assert ns[label_of(dot, "<B>ok</B>")][1] == "#cfe2f3"
    assert "subgraph cluster_legend" in dot
    assert ns["legend_nan"][0] == "grad has NaN/Inf"
    assert ns["legend_zero"][0].startswith("grad is all zero")


def clusters(dot: str) -> dict[str, list[str]]:
    """{cluster label: [node labels inside]}."""
    found = {}
    pattern = r"subgraph cluster_\d+ \{\n\t\tgraph \[label=<(.*?)>.*?\n(.*?)\t\}"
    for m in re.finditer(pattern, dot, re.S):
        found[m.group(1)] = [label for _, label, _ in NODE.findall(m.group(2))]
    return found


def test_cluster_modules():
    loss, params = mlp_graph()
    assert "subgraph" not in viz.to_dot(loss, params)
    dot = viz.to_dot(loss, params, cluster_modules=True, **PLAIN)
    boxes = clusters(dot)
    assert sorted(boxes) == ["fc1", "fc2"]
    for m in ("fc1", "fc2"):
        inside = boxes[m]
        assert f"<B>{m}.weight</B><BR/>" in " ".join(inside)
        assert f"<B>{m}.bias</B><BR/>" in " ".join(inside)
        assert "<B>MatMulBackward</B>" in inside and "<B>AddBackward</B>" in inside
        assert all("Relu" not in s and "Mean" not in s for s in inside)
    # every node is drawn exactly once, inside or outside a box
    assert len(nodes(dot)) == len(nodes(viz.to_dot(loss, params)))


def test_cluster_modules_with_a_module():
    nn = pytest.importorskip("tinygrad_lite.nn")
    if not hasattr(nn, "Linear") or not hasattr(nn, "Sequential"):
        pytest.skip("nn.Linear not available yet")
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    loss = model(tl.randn(5, 3)).sum()
    boxes = clusters(viz.to_dot(loss, model, cluster_modules=True))
    assert sorted(boxes) == ["0: Linear(3, 4)", "2: Linear(4, 2)"]  # name, type and sizes
    assert any("<B>0.weight</B>" in s for s in boxes["0: Linear(3, 4)"])
    assert sorted(clusters(viz.to_dot(loss, model))) == sorted(boxes)  # a Module: boxes on


def test_retained_intermediate_and_repeated_input():
    x = tl.tensor(3.0, requires_grad=True)
    y = x * x
    y.retain_grad()
    z = y.exp()
    dot = viz.to_dot(z)
    # x -> Mul twice (two contributions), Mul -> y, y -> Exp, Exp -> z
    assert len(nodes(dot)) == 5 and len(edges(dot)) == 5
    mul, y_node = label_of(dot, "MulBackward"), "t1"
    assert edges(dot).count(("t0", mul)) == 2
    assert (mul, y_node) in edges(dot) and nodes(dot)[y_node][1] == "#fff2cc"


def test_several_roots_and_leaf_root():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    a, b = x.exp(), x.sin()
    dot = viz.to_dot([a, b, x])
    assert dot.count("#d9ead3") == 3  # three outputs, x among them
    assert len(edges(dot)) == 4
    assert viz.to_dot(tl.tensor([1.0])).count("[label=") == 1


def test_escaping():
    w = tl.tensor([1.0], requires_grad=True)
    dot = viz.to_dot(w * 2.0, {'<b>&"x"</b>': w})
    assert "<B>&lt;b&gt;&amp;&quot;x&quot;&lt;/b&gt;</B>" in dot
    assert '<b>&"' not in dot


def test_deep_graph_no_recursion_limit_and_guard():
    x = tl.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    dot = viz.to_dot(y, max_nodes=None, backward_order=True)
    assert len(nodes(dot)) == 10_002
    assert len(edges(dot)) == 10_001
    assert "[10000] MulBackward" in dot and "[1] MulBackward" in dot
    with pytest.raises(ValueError, match="at least 10000 nodes, more than max_nodes=2000"):
        viz.to_dot(y)
    with pytest.raises(ValueError, match="at least 10002 nodes, more than max_nodes=10001"):
        viz.to_dot(y, max_nodes=10_001)  # the ops fit, the leaf and the output do not


def test_bad_arguments():
    x = tl.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="rankdir must be one of"):
        viz.to_dot(x * 2.0, rankdir="UP")
    with pytest.raises(TypeError, match="root is a ndarray; pass a Tensor"):
        viz.to_dot(np.ones(2))
    with pytest.raises(TypeError, match="root is a NoneType"):
        viz.to_dot(None)
    with pytest.raises(TypeError, match=r"root\[1\] is a int"):
        viz.to_dot([x, 3])
    with pytest.raises(ValueError, match="empty list"):
        viz.to_dot([])
    with pytest.raises(TypeError, match="params must be a dict .* got list"):
        viz.to_dot(x, params=[x])
    with pytest.raises(TypeError, match="params must be a dict .* got int"):
        viz.to_dot(x, params=3)
    pairs = iter([("w", x)])  # e.g. model.named_parameters()
    assert "<B>w</B>" in viz.to_dot(x, params=pairs)
    with pytest.raises(TypeError, match=r"params\['w'\] is a float"):
        viz.to_dot(x, params={"w": 1.0})
    for bad in (0, -1, "10", 2.5, True):  # a clear error, not a comparison deep inside
        with pytest.raises(ValueError, match="max_nodes must be a positive int or None"):
            viz.to_dot(x, max_nodes=bad)


def test_import_is_light():
    code = (
        "import sys, tinygrad_lite, tinygrad_lite.viz as v; "
        "print('graphviz' in sys.modules, 'matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_docstring_examples_run():
    import doctest

    from tinygrad_lite.viz import dot, labels

    for module in (dot, labels):
        result = doctest.testmod(module)
        assert result.attempted >= 2 and result.failed == 0


def test_graph_of_a_gradient_create_graph():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    y = (x.tanh() * x).sum()
    (g,) = tl.autograd.grad(y, x, create_graph=True)
    dot = viz.to_dot(g.sum(), dict(x=x), backward_order=True, **PLAIN)
    ns = nodes(dot)
    ops = [fn.name for fn in tl.autograd.topological_order([g.sum().grad_fn])]
    assert sorted(label for k, (label, _) in ns.items() if k.startswith("f")) == sorted(
        f"<B>[{len(ops) - i}] {name}</B>" for i, name in enumerate(ops)
    )
    assert sum("<B>x</B>" in label for label, _ in ns.values()) == 1  # x drawn once
