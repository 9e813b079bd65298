"""The reverse-mode engine: order, accumulation, retain_graph, hooks, higher order, memory."""

from __future__ import annotations

import sys

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


def test_double_backward_through_a_full_reduction():
    # numpy returns scalars from 0-d ops; the saved output must still be recognised
    x = tl.tensor([0.5, 1.0], dtype=np.float64, requires_grad=True)
    y = x.sum().exp()
    (g,) = tl.autograd.grad(y, x, create_graph=True)
    (h,) = tl.autograd.grad(g.sum(), x)
    assert_close(h, np.full(2, 2 * np.exp(1.5)))


def test_autograd_grad_runs_only_the_part_of_the_graph_it_needs():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()  # below the requested input: must be neither run nor freed
    z = (y * y).sum()
    (gy,) = tl.autograd.grad(z, y)
    assert_close(gy, 2 * np.exp([1.0, 2.0]).astype(np.float32), rtol=1e-6)
    assert y.grad_fn.saved is not FREED
    y.sum().backward()  # still possible, as in PyTorch
    assert_close(x.grad, np.exp([1.0, 2.0]).astype(np.float32), rtol=1e-6)
