"""trace_backward: the step-through record of what backward does, node by node."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tl
from tinygrad_lite.autograd.grad_mode import STATE
from tinygrad_lite.autograd.trace import brief


def neuron():
    """micrograd's neuron: tanh(x1 w1 + x2 w2 + b), in float64."""
    p = {
        "x1": tl.tensor(2.0, dtype=tl.float64, requires_grad=True),
        "w1": tl.tensor(-3.0, dtype=tl.float64, requires_grad=True),
        "x2": tl.tensor(0.0, dtype=tl.float64, requires_grad=True),
        "w2": tl.tensor(1.0, dtype=tl.float64, requires_grad=True),
        "b": tl.tensor(6.8813735870195432, dtype=tl.float64, requires_grad=True),
    }
    return p


def test_steps_follow_the_engine_order_and_record_adjoints():
    p = neuron()
    with tl.autograd.trace_backward(p) as tr:
        o = (p["x1"] * p["w1"] + p["x2"] * p["w2"] + p["b"]).tanh()
        o.backward()
    assert len(tr.passes) == 1 and len(tr) == 5
    order = [fn.name for fn in reversed(tl.autograd.topological_order([o.grad_fn]))]
    assert [s.name for s in tr] == order
    assert [s.index for s in tr] == [1, 2, 3, 4, 5]
    first = tr[0]
    assert first.name == "TanhBackward" and float(first.received) == 1.0
    # tanh'(n) = 1 - o^2 = 0.5 at n = 0.8814: micrograd's numbers
    (parent, sent), = first.sent
    assert parent is o.grad_fn.parents[0]
    np.testing.assert_allclose(sent, 0.5, rtol=1e-6)
    assert first.saved[0][0] == "output"
    np.testing.assert_allclose(first.saved[0][1], np.sqrt(0.5), rtol=1e-6)
    # the adjoint a node received is the sum of what its consumers sent it
    for s in tr:
        for q, g in s.sent:
            if isinstance(q, tl.autograd.Function):
                (later,) = [t for t in tr if t.node is q]
                np.testing.assert_allclose(later.received, g)
    # the leaves' sent adjoints are their .grad
    got = {}
    for s in tr:
        for q, g in s.sent:
            if isinstance(q, tl.Tensor):
                got[id(q)] = got.get(id(q), 0) + g
    for t in p.values():
        np.testing.assert_allclose(got[id(t)], t.grad.numpy())
    np.testing.assert_allclose(p["x1"].grad.numpy(), -1.5, rtol=1e-6)
    np.testing.assert_allclose(p["w2"].grad.numpy(), 0.0)


def test_print_is_a_table_naming_nodes_leaves_and_saved_values():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    w = tl.tensor([0.5, -1.0], requires_grad=True)
    with tl.autograd.trace_backward(dict(x=x, w=w)) as tr:
        (x * w).tanh().sum().backward()
    text = str(tr)
    lines = text.splitlines()
    assert lines[0] == "pass 1: 3 steps"
    assert lines[1].split() == ["step", "node", "received", "sent", "saved"]
    assert "[1]   SumBackward" in text and "[2] TanhBackward <- [1.000, 1.000]" in text
    assert "[3] MulBackward <- [0.7864, 0.07065]" in text
    assert "x <- [0.3932, -0.07065]" in text and "w <- [0.7864, 0.1413]" in text
    assert "input 0 [1.000, 2.000]" in text and "output [0.4621, -0.9640]" in text
    assert repr(tr) == "<BackwardTrace: 1 passes, 3 steps>"
    # an unnamed leaf is named by its shape
    with tl.autograd.trace_backward() as tr2:
        (x * 2.0).sum().backward()
    assert "leaf (2,) <- [2.000, 2.000]" in str(tr2)


def test_brief_summarises_large_arrays():
    assert brief(np.array(3)) == "3"
    assert brief(None) == "-"
    assert brief(np.ones((10, 10))) == "(10, 10) mean 1.000 |max| 1.000"
    assert brief(np.zeros(5, dtype=bool)) == "(5,) bool"


def test_same_gradients_with_and_without_trace_and_the_observer_is_restored():
    tl.manual_seed(0)
    model = tl.nn.Sequential(tl.nn.Linear(3, 4), tl.nn.ReLU(), tl.nn.Linear(4, 2))
    x = tl.randn(5, 3)
    model(x).pow(2).mean().backward()
    ref = [p.grad.numpy().copy() for p in model.parameters()]
    model.zero_grad()
    assert STATE.observer is None
    with tl.autograd.trace_backward(model) as tr:
        model(x).pow(2).mean().backward()
    assert STATE.observer is None
    for p, g in zip(model.parameters(), ref):
        np.testing.assert_array_equal(p.grad.numpy(), g)
    assert "0.weight <-" in str(tr) and "2.bias <-" in str(tr)
    # a backward outside the block is not recorded; an error inside restores the state
    model(x).sum().backward()
    assert len(tr.passes) == 1
    with pytest.raises(ZeroDivisionError), tl.autograd.trace_backward():
        raise ZeroDivisionError("inside the block")
    assert STATE.observer is None


def test_values_of_intermediates_are_recorded_during_forward():
    a = tl.tensor([1.0, -2.0], requires_grad=True)
    with tl.autograd.trace_backward() as tr:
        h = a * 3.0
        loss = h.relu().sum()
    assert tr.values[h.grad_fn].tolist() == [3.0, -6.0]
    assert tr.values[loss.grad_fn].tolist() == 3.0
    h.data[0] = 100.0  # the trace keeps a copy, as the value was
    assert tr.values[h.grad_fn].tolist() == [3.0, -6.0]
    assert len(tr.passes) == 0 and str(tr).startswith("BackwardTrace: no backward")


def test_create_graph_second_order_steps_are_a_second_pass():
    x = tl.tensor([1.0, 2.0], dtype=tl.float64, requires_grad=True)
    with tl.autograd.trace_backward(dict(x=x)) as tr:
        y = (x**3).sum()
        (g,) = tl.autograd.grad(y, x, create_graph=True)
        g.sum().backward()
    first, second = tr.passes
    assert first.create_graph and not second.create_graph
    np.testing.assert_allclose(first[-1].sent[0][1], 3 * x.data**2)
    # pass 2 runs nodes that pass 1 built (the gradient graph), marked in the table
    assert any(tr.built_by.get(s.node) == 1 for s in second)
    assert all(s.node not in tr.built_by for s in first)
    assert "a node built by pass 1" in str(tr) and "MulBackward *" in str(tr)
    leaf_total = sum(g for s in second for p, g in s.sent if p is x)
    np.testing.assert_allclose(leaf_total, 6 * x.data)
    np.testing.assert_allclose(x.grad.data, 6 * x.data)


def test_autograd_grad_records_only_the_nodes_that_run_and_state_after():
    a = tl.tensor(2.0, requires_grad=True)
    b = tl.tensor(3.0, requires_grad=True)
    with tl.autograd.trace_backward(dict(a=a, b=b)) as tr:
        u = a.exp()  # leads only to a
        v = b * b
        tl.autograd.grad(u + v, [b])
    names = [s.name for s in tr]
    assert "ExpBackward" not in names and names == ["AddBackward", "MulBackward"]
    bwd = tr.passes[0]
    done, leaves = bwd.state_after(1)
    assert list(done) == [bwd[0].node] and leaves == {}
    done, leaves = bwd.state_after(2)
    assert float(leaves[id(b)]) == 6.0  # b * b: both contributions summed
    assert bwd.index_of(bwd[1].node) == 2 and bwd.index_of(u.grad_fn) is None
    with pytest.raises(IndexError, match="state_after: step 3 out of range 0..2"):
        bwd.state_after(3)
