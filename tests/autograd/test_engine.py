"""The reverse-mode engine: order, accumulation, retain_graph, hooks, higher order, memory."""

from __future__ import annotations

import gc
import sys
import weakref

import numpy as np
import pytest

import tinygrad_lite as tl
from tests.helpers import assert_close, torch_or_skip
from tinygrad_lite.autograd import Function, topological_order
from tinygrad_lite.autograd.function import FREED


def test_deep_chain_backward_has_no_recursion_error():
    x = tl.tensor([0.5, -0.25], dtype=np.float64, requires_grad=True)
    y = x
    for _ in range(20_000):
        y = y * 1.0001 + 0.0
    assert sys.getrecursionlimit() < 40_000  # the chain is deeper than recursion could go
    y.sum().backward()
    assert_close(x.grad, np.full(2, 1.0001**20_000), rtol=1e-9)


def test_deep_chain_topological_order_and_freeing():
    x = tl.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(20_000):
        y = y.tanh()
    order = topological_order([y.grad_fn])
    assert len(order) == 20_000 and order[-1] is y.grad_fn
    y.backward()
    assert y.grad_fn.saved is FREED


def test_topological_order_puts_every_node_after_its_inputs():
    a = tl.tensor([1.0, 2.0], requires_grad=True)
    b = a * 2
    c = b.exp() + b
    d = (c * b).sum()
    order = topological_order([d.grad_fn])
    pos = {id(n): i for i, n in enumerate(order)}
    for n in order:
        for p in n.parents:
            if isinstance(p, Function):
                assert pos[id(p)] < pos[id(n)]
    assert [n.name for n in order] == [
        "MulBackward", "ExpBackward", "AddBackward", "MulBackward", "SumBackward"
    ]


def test_gradients_accumulate_across_backward_calls():
    x = tl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    assert_close(x.grad, [5.0, 7.0, 9.0])


def test_tensor_used_twice_gets_the_sum_of_both_paths():
    x = tl.tensor([2.0, -1.0], requires_grad=True)
    y = x * 3
    z = (y * y + y.sin()).sum()  # y feeds two ops, one of them twice
    z.backward()
    expected = (2 * 3 * x.data * 3 + np.cos(3 * x.data) * 3).astype(np.float32)
    assert_close(x.grad, expected, rtol=1e-6)


def test_same_tensor_as_both_inputs():
    x = tl.tensor([3.0], requires_grad=True)
    (x * x).backward()
    assert_close(x.grad, [6.0])
    x.grad = None
    (x + x).backward()
    assert_close(x.grad, [2.0])


def test_grad_is_not_aliased_with_intermediate_arrays():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    y = x + 0.0
    y.sum().backward()
    first = x.grad.data.copy()
    y2 = x + 0.0
    y2.sum().backward()
    assert_close(x.grad, 2 * first)


def test_second_backward_through_freed_graph_raises():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    g1 = x.grad.data.copy()
    y.backward()
    assert_close(x.grad, 2 * g1)


def test_non_scalar_backward_needs_gradient():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        y.backward()
    y.backward(tl.tensor([1.0, 10.0]))
    assert_close(x.grad, [2.0, 20.0])


def test_backward_gradient_shape_is_checked():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\) but the output has"):
        (x * 2).backward(tl.ones(3))


def test_backward_of_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        tl.tensor([1.0]).backward()


def test_integer_and_bool_tensors_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating point dtype.*int64"):
        tl.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point dtype.*bool"):
        tl.tensor([True]).requires_grad_()
    with pytest.raises(RuntimeError, match="floating point"):
        tl.arange(3, requires_grad=True)


def test_ops_on_constants_record_nothing():
    x = tl.tensor([1.0, 2.0])
    y = x * 2 + 1
    assert y.grad_fn is None and not y.requires_grad and y.is_leaf


def test_leaf_hook_modifies_gradient_and_can_be_removed():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    h = x.register_hook(lambda g: seen.append(g.data.copy()) or g * 10)
    (x * x).sum().backward()
    assert_close(x.grad, [20.0, 40.0])
    assert len(seen) == 1  # called once, with the total gradient of both uses, as PyTorch
    assert_close(seen[0], [2.0, 4.0])
    h.remove()
    x.grad = None
    (x * x).sum().backward()
    assert_close(x.grad, [2.0, 4.0])
    h.remove()  # removing twice is harmless


def test_non_leaf_hook_changes_what_flows_upstream():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.register_hook(lambda g: g * 0 + 1)  # replace dL/dy by ones
    (y * y).sum().backward()
    assert_close(x.grad, [3.0, 3.0])


def test_hook_returning_none_keeps_gradient():
    x = tl.tensor([1.0], requires_grad=True)
    y = x * 2
    calls = []
    y.register_hook(lambda g: calls.append(1))
    (y * 5).backward()
    assert calls == [1]
    assert_close(x.grad, [10.0])


def test_hook_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        tl.tensor([1.0]).register_hook(lambda g: g)


def test_retain_grad_keeps_non_leaf_grad():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.retain_grad()
    z = y * y
    z.sum().backward()
    assert_close(y.grad, [6.0, 12.0])
    assert z.grad is None  # not retained
    assert_close(x.grad, [18.0, 36.0])


def test_retain_grad_accumulates():
    x = tl.tensor([1.0], requires_grad=True)
    y = x * 3
    y.retain_grad()
    z = y * y
    z.backward(retain_graph=True)
    z.backward()
    assert_close(y.grad, [12.0])


def test_create_graph_grad_of_grad():
    x = tl.tensor([0.3, -1.2], dtype=np.float64, requires_grad=True)
    y = (x.sin() * x * x).sum()
    (g,) = tl.autograd.grad(y, x, create_graph=True)
    assert g.requires_grad and g.grad_fn is not None
    xd = x.data
    assert_close(g, np.cos(xd) * xd**2 + 2 * xd * np.sin(xd))
    g.sum().backward()
    second = -np.sin(xd) * xd**2 + 4 * xd * np.cos(xd) + 2 * np.sin(xd)
    assert_close(x.grad, second)


def test_third_derivative():
    x = tl.tensor([0.7], dtype=np.float64, requires_grad=True)
    y = x.exp() * x  # d3/dx3 (x e^x) = (x + 3) e^x
    (g1,) = tl.autograd.grad(y, x, create_graph=True)
    (g2,) = tl.autograd.grad(g1, x, create_graph=True)
    (g3,) = tl.autograd.grad(g2, x)
    assert_close(g3, (0.7 + 3) * np.exp([0.7]))


def test_backward_create_graph_gives_differentiable_grad():
    x = tl.tensor([2.0], dtype=np.float64, requires_grad=True)
    (x**3).backward(create_graph=True)
    g = x.grad
    assert g.requires_grad
    x.grad = None
    g.backward()
    assert_close(x.grad, [12.0])


def test_hessian_vector_product_matches_torch():
    torch = torch_or_skip()
    rng = np.random.default_rng(1)
    a, w, v = rng.standard_normal((4, 3)), rng.standard_normal(3), rng.standard_normal(3)

    def loss(lib, w):
        z = lib.tanh(lib.tensor(a) @ w) if lib is torch else (tl.tensor(a) @ w).tanh()
        return (z * z * z).sum() + (w * w).sum().sqrt()

    w_ours = tl.tensor(w, requires_grad=True)
    (g,) = tl.autograd.grad(loss(tl, w_ours), w_ours, create_graph=True)
    (hv,) = tl.autograd.grad((g * tl.tensor(v)).sum(), w_ours)
    w_t = torch.tensor(w, requires_grad=True)
    (gt,) = torch.autograd.grad(loss(torch, w_t), w_t, create_graph=True)
    (hvt,) = torch.autograd.grad((gt * torch.tensor(v)).sum(), w_t)
    assert_close(g.detach(), gt)
    assert_close(hv, hvt)


def test_autograd_grad_does_not_touch_dot_grad():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    y = tl.tensor([3.0], requires_grad=True)
    gx, gy = tl.autograd.grad((x * y).sum(), [x, y])
    assert x.grad is None and y.grad is None
    assert_close(gx, [3.0, 3.0])
    assert_close(gy, [3.0])


def test_autograd_grad_allow_unused():
    x = tl.tensor([1.0], requires_grad=True)
    unused = tl.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="not used in the graph"):
        tl.autograd.grad((x * 2).sum(), [x, unused])
    gx, gu = tl.autograd.grad((x * 2).sum(), [x, unused], allow_unused=True)
    assert_close(gx, [2.0])
    assert gu is None


def test_autograd_grad_with_respect_to_intermediate():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    (gy,) = tl.autograd.grad((y * y).sum(), y)
    assert_close(gy, [6.0, 12.0])
    assert x.grad is None


def test_autograd_grad_with_grad_outputs_and_several_outputs():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    (g,) = tl.autograd.grad([x * 2, x * x], x, grad_outputs=[tl.ones(2), tl.tensor([1.0, 0.5])])
    assert_close(g, [4.0, 4.0])


def test_autograd_grad_input_must_require_grad():
    x = tl.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="input 1 does not require grad"):
        tl.autograd.grad((x * 2).sum(), [x, tl.tensor([1.0])])


def test_backward_function_with_several_roots():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    tl.autograd.backward([(x * 2).sum(), (x * x).sum()])
    assert_close(x.grad, [4.0, 6.0])


def test_detach_cuts_the_graph():
    x = tl.tensor([2.0], requires_grad=True)
    y = x * x.detach()
    y.backward()
    assert_close(x.grad, [2.0])


def test_missing_backward_raises_not_implemented_naming_the_op():
    class Twice(Function):
        def forward(self, x):
            return 2 * x

    x = tl.tensor([1.0], requires_grad=True)
    with pytest.raises(NotImplementedError, match="Twice: backward is not implemented"):
        Twice.apply(x).backward()


def test_backward_frees_intermediate_arrays_without_gc():
    gc.disable()
    try:
        x = tl.tensor(np.ones(1000), requires_grad=True)
        y = x
        refs = []
        for _ in range(5):
            y = y.exp() * 0.5
            refs.append(weakref.ref(y.grad_fn.parents[0].saved[0]))  # Exp's saved output array
        loss = y.sum()
        del y
        assert all(r() is not None for r in refs)  # the graph keeps them alive for backward
        loss.backward()
        assert all(r() is None for r in refs)  # freed by refcounting alone: no cycles
        assert x.grad is not None
    finally:
        gc.enable()


def test_dropping_the_graph_without_backward_frees_everything_without_gc():
    gc.disable()
    try:
        x = tl.tensor(np.ones(1000), requires_grad=True)
        y = x.exp()
        node = weakref.ref(y.grad_fn)
        arr = weakref.ref(y.grad_fn.saved[0])
        loss = (y * y).sum()
        del y, loss
        assert node() is None and arr() is None
    finally:
        gc.enable()


def test_retain_graph_keeps_saved_arrays_until_the_graph_is_dropped():
    gc.disable()
    try:
        x = tl.tensor(np.ones(10), requires_grad=True)
        y = x.exp()
        ref = weakref.ref(y.grad_fn.saved[0])
        loss = y.sum()
        del y
        loss.backward(retain_graph=True)
        assert ref() is not None
        del loss
        assert ref() is None
    finally:
        gc.enable()


def test_backward_memory_is_released_tracemalloc():
    import tracemalloc

    x = tl.tensor(np.ones(100_000), requires_grad=True)
    tracemalloc.start()
    try:
        y = x
        for _ in range(10):
            y = (y * 1.0001).tanh()
        loss = y.sum()
        del y
        before, _ = tracemalloc.get_traced_memory()
        loss.backward()
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # 20 saved float32 arrays of 400 kB each were held before backward; after it, about x.grad
    assert before > 8_000_000
    assert after < before - 6_000_000


def test_hooks_run_in_autograd_grad_only_for_its_inputs():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    other = tl.tensor([3.0, 4.0], requires_grad=True)
    calls = []
    x.register_hook(lambda g: calls.append("x") or g * 2)
    other.register_hook(lambda g: calls.append("other"))
    (gx,) = tl.autograd.grad((x * other).sum(), x)
    assert calls == ["x"]
    assert_close(gx, [6.0, 8.0])
    assert x.grad is None and other.grad is None


def test_hooks_under_create_graph_receive_differentiable_tensors():
    x = tl.tensor([1.5], dtype=np.float64, requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.requires_grad))
    (x**3).backward(create_graph=True)
    assert seen == [True] and x.grad.requires_grad
    (g2,) = tl.autograd.grad(x.grad, x)
    assert_close(g2, [9.0])


def test_double_backward_through_a_full_reduction():
    # numpy returns scalars from 0-d ops; the saved output must still be recognised
    x = tl.tensor([0.5, 1.0], dtype=np.float64, requires_grad=True)
    y = x.sum().exp()
    (g,) = tl.autograd.grad(y, x, create_graph=True)
    (h,) = tl.autograd.grad(g.sum(), x)
    assert_close(h, np.full(2, 2 * np.exp(1.5)))
