"""Mutation against PyTorch: in-place ops, setitem, views, version counters, the leaf rules.

Each program runs on both libraries (``m`` is ``tinygrad_lite`` or ``torch``) from the same float64
leaves; values and gradients must agree, or both must raise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tl
from tests.helpers import assert_close, torch_or_skip

A = np.random.default_rng(0).standard_normal((3, 4))
B = np.random.default_rng(1).standard_normal((3, 4))
G = np.random.default_rng(2).standard_normal((3, 4))


def _run(m: Any, program: Callable[..., Any]) -> Any:
    a = m.tensor(A.copy(), requires_grad=True)
    b = m.tensor(B.copy(), requires_grad=True)
    try:
        y = program(m, a, b)
        g = np.random.default_rng(3).standard_normal(tuple(y.shape))
        y.backward(m.tensor(g))
    except RuntimeError as e:
        return e
    grads = [None if t.grad is None else np.array(t.grad.detach().numpy()) for t in (a, b)]
    return np.array(y.detach().numpy()), grads


def compare(program: Callable[..., Any]) -> None:
    """Same values and gradients as torch, or both raise RuntimeError."""
    torch = torch_or_skip()
    ours, theirs = _run(tl, program), _run(torch, program)
    if isinstance(theirs, Exception) or isinstance(ours, Exception):
        assert isinstance(ours, Exception) and isinstance(theirs, Exception), (ours, theirs)
        return
    assert_close(ours[0], theirs[0], what="value")
    for i, (g, gt) in enumerate(zip(ours[1], theirs[1])):
        assert (g is None) == (gt is None), f"input {i}: {g} vs {gt}"
        if g is not None:
            assert_close(g, gt, what=f"grad of input {i}")


def _seq(*steps: Any) -> Any:
    """The last of ``steps`` (lets a lambda run statements in order)."""
    return steps[-1]


INPLACE_PROGRAMS = {
    "add_ alpha": lambda m, a, b: (a * 1).add_(b, alpha=2) * 2,
    "sub_ alpha": lambda m, a, b: (a * 1).sub_(b, alpha=0.5) * a,
    "mul_ div_": lambda m, a, b: (a * 1).mul_(b).div_(b.abs() + 1),
    "pow_ scalar": lambda m, a, b: (a * 1).pow_(2) * b,
    "pow_ tensor": lambda m, a, b: (a.abs() + 1).pow_(b),
    "neg_ abs_": lambda m, a, b: (a * b).neg_().abs_(),
    "exp_ log_ sqrt_": lambda m, a, b: (a * b).exp_().add_(1).log_().sqrt_() * b,
    "clamp_": lambda m, a, b: (a * 1).clamp_(-0.5, 0.5) + (b * 1).clamp_min_(0.1) * (
        (a * 1).clamp_max_(0.2)
    ),
    "relu_ sigmoid_ tanh_": lambda m, a, b: (a * 1).relu_() + (a * b).sigmoid_() * 2
    + (b * 1).tanh_(),
    "lerp_ small weight": lambda m, a, b: (a * 1).lerp_(b, 0.3),
    "lerp_ large weight": lambda m, a, b: (a * 1).lerp_(b, 0.7),
    "lerp_ tensor weight": lambda m, a, b: (a * 1).lerp_(b, (b > 0).to(a.dtype) * 0.8),
    "addcmul_ addcdiv_": lambda m, a, b: (a * 1).addcmul_(a, b, value=0.5).addcdiv_(
        b, a.abs() + 1, value=2
    ),
    "fill_ number": lambda m, a, b: (a * 1).fill_(3) * b,
    "fill_ 0-d tensor": lambda m, a, b: (a * 1).fill_(b.sum()) * b,
    "zero_": lambda m, a, b: (a * 1).zero_() + b,
    "copy_ broadcast": lambda m, a, b: (a * 1).copy_(b[0]) * a,
    "masked_fill_": lambda m, a, b: (a * 1).masked_fill_(b > 0, 2.0) * b,
    "uniform_ gives zero gradient": lambda m, a, b: (a * 1).uniform_() * 0 + b,
    "augmented": lambda m, a, b: (lambda x: _seq(
        x.__iadd__(b), x.__imul__(2), x.__itruediv__(3), x.__isub__(a), x.__ipow__(2), x
    ))(a * 1),
    "in-place on a tensor not requiring grad": lambda m, a, b: m.zeros(
        3, 4, dtype=m.float64
    ).add_(a).mul_(b),
    "clone then mutate": lambda m, a, b: _seq(c := a.clone(), c.mul_(b), c + a),
    "scatter_ scatter_add_": lambda m, a, b: (a * 1).scatter_(
        1, m.tensor([[0, 2], [1, 1], [3, 0]]), b[:, :2]
    ).scatter_add_(0, m.tensor([[2, 0, 0, 1]]), b[:1]),
    "index_add_": lambda m, a, b: (a * 1).index_add_(1, m.tensor([0, 2, 0]), b[:, :3], alpha=2),
    "tril_ triu_": lambda m, a, b: (a * b).tril_(1) + (a * 1).triu_(-1),
    "input of an op that saved nothing changed": lambda m, a, b: _seq(
        x := a * 1, y := x + b, x.add_(1), y * 2
    ),
    "input of mul whose other factor needs no grad changed (not saved)": lambda m, a, b: _seq(
        x := a * 1, y := x * m.ones(3, 4, dtype=m.float64), x.mul_(2), y * b
    ),
    "leaf changed under no_grad after a * constant tensor": lambda m, a, b: _seq(
        y := a * m.full((3, 4), 2.0, dtype=m.float64), _no_grad_add_(m, a), y * b
    ),
    "divided tensor changed when the divisor needs no grad": lambda m, a, b: _seq(
        x := a * 1, y := x / m.full((3, 4), 2.0, dtype=m.float64), x.add_(1), y
    ),
    "matmul operand changed when the other needs no grad": lambda m, a, b: _seq(
        x := a * 1, y := x @ m.ones(4, 2, dtype=m.float64), x.add_(1), y
    ),
    "input of relu changed (relu saves only its output)": lambda m, a, b: _seq(
        x := a * 1, y := x.relu(), x.mul_(2), y * b
    ),
    "x[basic] = a part of x that does not overlap": lambda m, a, b: _seq(
        x := a * 1, x.__setitem__(0, x[1]), x.__setitem__((1, slice(None)), x[2, 0]), x * b
    ),
    "x[mask] = a copy of x's entries": lambda m, a, b: _seq(
        x := a * 1, x.__setitem__(x > 0, x[x > 0] * 2), x * b
    ),
    "output of pow with a number exponent changed (not saved, as PyTorch's Pow0)": lambda m, a, b: (
        _seq(x := a * 1, y := x.pow(2.0), y.add_(1), y * b)
    ),
    "operand overlapping a strided target: PyTorch's check gives up": lambda m, a, b: _seq(
        x := a * 1, x.__setitem__((slice(None), slice(0, 2)), x[:, 1:3]), x * b
    ),
    "input of a node changed after a retained backward": lambda m, a, b: _seq(
        x := a * 1, y := x * b, (y * 1).sum().backward(retain_graph=True), y
    ),
}


@pytest.mark.parametrize("name", INPLACE_PROGRAMS)
def test_inplace_ops_match_torch(name):
    compare(INPLACE_PROGRAMS[name])


SETITEM_PROGRAMS = {
    "int": lambda m, a, b: _seq(x := a.clone(), x.__setitem__(0, b[1]), x),
    "slice with step": lambda m, a, b: _seq(x := a * 1, x.__setitem__(slice(0, 3, 2), b[:2]), x),
    "ellipsis and None": lambda m, a, b: _seq(
        x := a * 1, x.__setitem__((Ellipsis, 1), b[:, 2]), x
    ),
    "scalar value": lambda m, a, b: _seq(x := a * b, x.__setitem__((1, slice(1, 3)), 7.0), x),
    "broadcast value": lambda m, a, b: _seq(x := a * 1, x.__setitem__(slice(1, 3), b[0]), x),
    "bool mask": lambda m, a, b: _seq(x := a * 1, x.__setitem__(b > 0, b[b > 0] * 2), x),
    "bool mask scalar": lambda m, a, b: _seq(x := a * b, x.__setitem__(a < 0, 0.0), x),
    "int array with repeats": lambda m, a, b: _seq(
        x := a * 1, x.__setitem__(([0, 0, 1], [1, 1, 2]), b[0, :3]), x
    ),
    "int tensor index": lambda m, a, b: _seq(
        x := a * 1, x.__setitem__(m.tensor([2, 0]), b[:2]), x
    ),
    "int then array (PyTorch order)": lambda m, a, b: _seq(
        x := (a * 1).reshape(3, 2, 2), x.__setitem__((1, slice(None), [0, 1]), b[0].reshape(2, 2)),
        x,
    ),
    "value requires grad, target does not": lambda m, a, b: _seq(
        x := m.zeros(3, 4, dtype=m.float64), x.__setitem__(slice(1, 3), b[:2]), x * a
    ),
    "setitem on a leaf that requires grad": lambda m, a, b: _seq(a.__setitem__(0, 1.0), a),
    "x[basic] += v and x[advanced] *= v": lambda m, a, b: _augmented_setitem(a * 1, b),
}


def _augmented_setitem(x: Any, b: Any) -> Any:
    x[1:, :2] += b[:2, 1:3]
    x[[0, 2]] *= b[1]
    return x


@pytest.mark.parametrize("name", SETITEM_PROGRAMS)
def test_setitem_matches_torch(name):
    compare(SETITEM_PROGRAMS[name])


VIEW_PROGRAMS = {
    "write through a slice": lambda m, a, b: _seq(x := a.clone(), x[1:3].mul_(b[1:3]), x),
    "write through a transpose": lambda m, a, b: _seq(
        x := a * 1, x.transpose(0, 1)[1].add_(b[:, 1]), x
    ),
    "write through a reshape": lambda m, a, b: _seq(
        x := a * 1, x.reshape(2, 6)[1].mul_(b.reshape(2, 6)[0]), x * b
    ),
    "view of a view": lambda m, a, b: _seq(x := a * 1, x[1:][:, 2:].mul_(3), x),
    "sibling view after a write": lambda m, a, b: _seq(
        x := a * 1, v1 := x[0], v2 := x[1], v1.mul_(2), v2 * 3 + v1.sum()
    ),
    "view after its base changed": lambda m, a, b: _seq(x := a * 1, v := x[:2], x.mul_(3), v * 1),
    "setitem through a view": lambda m, a, b: _seq(x := a * 1, v := x[1], v.__setitem__(0, 5.0), x),
    "base of zeros, view written from a grad tensor": lambda m, a, b: _seq(
        x := m.zeros(3, 4, dtype=m.float64), x[0].copy_(b[0]), x * a
    ),
    "in-place on a view of a leaf": lambda m, a, b: a[0].add_(1),
    "in-place on a 0-d view of a leaf": lambda m, a, b: a[0, 1].add_(1),
    "write through a 0-d view (all-int index)": lambda m, a, b: _seq(
        x := a * 1, x[1, 2].mul_(b[0, 0]), x[2][0].sigmoid_(), x
    ),
    "fill_, zero_ and masked_fill_ an expand (no grad: repeats allowed)": lambda m, a, b: _seq(
        x := m.zeros(3, 4, dtype=m.float64), x[1:2].expand(3, 4).fill_(2.0),
        x[0].unsqueeze(0).expand(2, 4).zero_(),
        x[2].expand(2, 4).masked_fill_(m.tensor([[True, False] * 2, [False, True] * 2]), 5.0),
        x * a,
    ),
    "fill_ an expand of a tensor with history: backward refuses": lambda m, a, b: _seq(
        x := a * 1, x[1:2].expand(3, 4).fill_(2.0), x
    ),
    "copy_ a tensor into itself": lambda m, a, b: _seq(x := a * 1, x.copy_(x), x * b),
    "add_ itself (same memory is fine)": lambda m, a, b: _seq(x := a * 1, x.add_(x), x * b),
    "in-place on an expanded tensor": lambda m, a, b: (a * 1)[0:1].expand(3, 4).add_(1),
    "write through a part of an expand without repeats": lambda m, a, b: _seq(
        x := a * 1, x.unsqueeze(0).expand(2, 3, 4)[1].mul_(b), x * b
    ),
    "fill_ a size-1 slice along the expanded dimension": lambda m, a, b: _seq(
        x := a.clone(), x.unsqueeze(0).expand(2, 3, 4)[1:2].fill_(0.5), x
    ),
    "basic setitem on an expand, no repeats in the region": lambda m, a, b: _seq(
        x := a * 1, e := x.unsqueeze(0).expand(2, 3, 4), e.__setitem__(0, b), x
    ),
    "basic setitem on an expand, repeats in the region": lambda m, a, b: _seq(
        x := a * 1, e := x.unsqueeze(0).expand(2, 3, 4), e.__setitem__((slice(None), 0), 1.0), x
    ),
}


@pytest.mark.parametrize("name", VIEW_PROGRAMS)
def test_views_match_torch(name):
    compare(VIEW_PROGRAMS[name])


ERROR_PROGRAMS = {
    "leaf in grad mode": lambda m, a, b: a.add_(1),
    "input saved by Mul changed": lambda m, a, b: _seq(x := a * 1, y := x * x, x.mul_(2), y),
    "output saved by Exp changed": lambda m, a, b: _seq(y := (a * 1).exp(), y.add_(1), y),
    "output of exp_ changed": lambda m, a, b: _seq(y := (a * 1).exp_(), y.add_(1), y),
    "broadcast would grow the tensor": lambda m, a, b: (a * 1)[0].add_(b),
    "saved input without grad changed": lambda m, a, b: _seq(
        x := m.ones(3, 4, dtype=m.float64), y := a * x, x.add_(1), y
    ),
    "saved input changed through detach()": lambda m, a, b: _seq(
        x := a * 1, y := x * b, x.detach().zero_(), y
    ),
    "saved output changed through a view made later": lambda m, a, b: _seq(
        y := (a * 1).exp(), y[0:1].mul_(2), y
    ),
    "output of relu changed (PyTorch saves it; we save a mask made from it)": lambda m, a, b: _seq(
        y := (a * 1).relu(), y.mul_(2), y
    ),
    "output of relu_ overwritten by fill_": lambda m, a, b: (a * 1).relu_().fill_(1.5),
    "x.mul_(x): the saved other operand is x, overwritten": lambda m, a, b: _seq(
        x := a * 1, x.mul_(x), x
    ),
    "x.div_(x)": lambda m, a, b: _seq(x := a * 1, x.div_(x), x),
    "x.mul_(x.detach())": lambda m, a, b: _seq(x := a * 1, x.mul_(x.detach()), x),
    "addcmul_'s tensor1 changed (saved as itself)": lambda m, a, b: _seq(
        c := m.ones(3, 4, dtype=m.float64), x := a * 1, x.addcmul_(c, x, value=0.5),
        c.add_(1), x,
    ),
    "operand partly overlaps the written tensor": lambda m, a, b: _seq(
        x := a * 1, x[1:].add_(x[:2]), x
    ),
    "lerp_ toward a row of itself": lambda m, a, b: _seq(x := a * 1, x.lerp_(x[1], 0.3), x),
    "copy_ a row of itself": lambda m, a, b: _seq(x := a * 1, x.copy_(x[0]), x),
    "x[advanced] = part of x (index_put_)": lambda m, a, b: _seq(
        x := a * 1, x.__setitem__([0], x[1]), x
    ),
    "x[basic] = an overlapping part of x": lambda m, a, b: _seq(
        x := a * 1, x.__setitem__(slice(0, 2), x[1:3]), x
    ),
    "output of pow with a tensor exponent changed (saved, as PyTorch's Pow1)": lambda m, a, b: _seq(
        y := (a * 1).pow(m.full((3, 4), 2.0, dtype=m.float64)), y.add_(1), y
    ),
    "output of pow_ with a tensor exponent changed": lambda m, a, b: _seq(
        x := a.abs() + 1, x.pow_(m.tensor(1.5, dtype=m.float64)), x[0].mul_(2), x
    ),
    "x[advanced] = x itself on a strided view": lambda m, a, b: _seq(
        x := (a * 1)[:, ::2], x.__setitem__([1, 1, 2], x), x
    ),
    "divisor changed (div reads it for the dividend's gradient)": lambda m, a, b: _seq(
        x := m.full((3, 4), 2.0, dtype=m.float64), y := a / x, x.add_(1), y
    ),
    "mul factor changed while the other factor needs grad": lambda m, a, b: _seq(
        x := m.full((3, 4), 2.0, dtype=m.float64), y := a * x, x.add_(1), y
    ),
    "input made under no_grad, saved, then changed": lambda m, a, b: _seq(
        c := _no_grad_double(m, a), y := b * c, c.add_(1), y
    ),
}


def _no_grad_add_(m: Any, a: Any) -> Any:
    with m.no_grad():
        return a.add_(1)


def _no_grad_double(m: Any, a: Any) -> Any:
    with m.no_grad():
        return a * 2


@pytest.mark.parametrize("name", ERROR_PROGRAMS)
def test_both_raise(name):
    torch_or_skip()
    ours = _run(tl, ERROR_PROGRAMS[name])
    assert isinstance(ours, RuntimeError)
    compare(ERROR_PROGRAMS[name])


def test_version_error_names_the_node():
    x = tl.tensor([1.0, 2.0], requires_grad=True) * 1
    y = x * x
    x.mul_(2)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation.*MulBackward.*"
                       r"is at version 1; expected version 0"):
        y.sum().backward()


def test_integer_tensor_refuses_a_float_result_but_copy_casts():
    torch = torch_or_skip()
    for m in (tl, torch):
        z = m.zeros(3, dtype=m.int64)
        with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
            z.add_(1.5)
        z.copy_(m.tensor([1.7, 2.0, 3.0]))
        assert z.tolist() == [1, 2, 3]
        z[0] = 9.9
        assert z.tolist() == [9, 2, 3]


def test_versions_count_like_torch():
    torch = torch_or_skip()
    counts = []
    for m in (tl, torch):
        x = m.zeros(4)
        v = x[1:3]
        seen = [x._version]
        x.add_(1)
        seen.append(x._version)
        v.mul_(2)
        seen += [x._version, v._version]
        x[0] = 3.0
        seen.append(v._version)
        d = x.detach()
        d.zero_()
        seen.append(x._version)
        x.data[0] = 1.0  # .data bypasses the counter in both libraries
        seen.append(x._version)
        counts.append(seen)
    assert counts[0] == counts[1]


def test_manual_sgd_loop_keeps_the_leaf():
    w = tl.tensor([1.0, -2.0], requires_grad=True)
    first = w
    for _ in range(3):
        loss = (w * w).sum()
        loss.backward()
        with tl.no_grad():
            w -= 0.1 * w.grad
            w.grad.zero_()
    assert w is first and w.is_leaf and w.requires_grad and w.grad_fn is None
    assert_close(w, np.array([1.0, -2.0]) * 0.8**3, rtol=1e-6)


def test_optimizer_step_between_forward_and_backward_raises():
    w = tl.nn.Parameter(tl.tensor([1.0, 2.0]))
    opt = tl.optim.SGD([w], lr=0.1)
    w.grad = tl.ones(2)
    loss = (w * w).sum()
    opt.step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_init_between_forward_and_backward_raises():
    lin = tl.nn.Linear(2, 2)
    x = tl.ones(1, 2, requires_grad=True)  # the weight is saved for x's gradient
    loss = lin(x).sum() * lin.weight.sum()
    tl.nn.init.constant_(lin.weight, 0.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()
    # as in PyTorch, an input that needs no grad means the weight is not saved: no error
    lin = tl.nn.Linear(2, 2)
    loss = lin(tl.ones(1, 2)).sum() * lin.weight.sum()
    tl.nn.init.constant_(lin.weight, 0.0)
    loss.backward()
    assert lin.weight.grad is not None


def test_load_state_dict_and_running_stats_bump_versions():
    bn = tl.nn.BatchNorm1d(3)
    before = bn.running_mean._version
    bn(tl.randn(4, 3))
    assert bn.running_mean._version > before
    lin = tl.nn.Linear(2, 2)
    v = lin.weight._version
    lin.load_state_dict(tl.nn.Linear(2, 2).state_dict())
    assert lin.weight._version == v + 1


def test_clip_grad_bumps_the_gradient_version():
    w = tl.tensor([3.0, 4.0], requires_grad=True)
    w.grad = tl.tensor([3.0, 4.0])
    v = w.grad._version
    tl.nn.utils.clip_grad_norm_([w], 1.0)
    assert w.grad._version == v + 1


def test_no_grad_inplace_on_leaf_keeps_it_a_leaf():
    w = tl.tensor([1.0, 2.0], requires_grad=True)
    with tl.no_grad():
        w.mul_(3)
        w[0] = 0.5
    assert w.is_leaf and w.requires_grad and w.grad_fn is None
    assert w.tolist() == [0.5, 6.0]


@pytest.mark.parametrize(
    "call",
    [
        lambda F, x: F.relu(x, inplace=True),
        lambda F, x: F.leaky_relu(x, 0.2, inplace=True),
        lambda F, x: F.elu(x, inplace=True),
        lambda F, x: F.silu(x, inplace=True),
    ],
)
def test_inplace_flags_act_in_place(call):
    torch = torch_or_skip()
    results = []
    for m, F in ((tl, tl.nn.functional), (torch, torch.nn.functional)):
        a = m.tensor(A.copy(), requires_grad=True)
        x = a * 1
        y = call(F, x)
        assert y is x and x._version == 1
        (y * m.tensor(G)).sum().backward()
        results.append((y.detach().numpy().copy(), a.grad.numpy().copy()))
    assert_close(results[0][0], results[1][0])
    assert_close(results[0][1], results[1][1])


def test_inplace_modules_and_dropout():
    x = tl.randn(4, 5) * 1
    assert tl.nn.ReLU(inplace=True)(x) is x
    assert (x.data >= 0).all()
    y = tl.randn(4, 5)
    assert tl.nn.functional.dropout(y, 0.5, training=True, inplace=True) is y


def test_double_backward_through_inplace_ops():
    torch = torch_or_skip()
    results = []
    for m in (tl, torch):
        a = m.tensor(A.copy(), requires_grad=True)
        x = a * 1
        x.mul_(a)  # a**2
        x.pow_(2)  # a**4
        x[0] = a[1].sin()
        x.tanh_()
        (g,) = (tl.autograd if m is tl else torch.autograd).grad(x.sum(), a, create_graph=True)
        (h,) = (tl.autograd if m is tl else torch.autograd).grad((g * g).sum(), a)
        results.append((g.detach().numpy().copy(), h.numpy().copy()))
    assert_close(results[0][0], results[1][0], rtol=1e-6)
    assert_close(results[0][1], results[1][1], rtol=1e-6)


def test_gradcheck_through_setitem_and_views():
    def f(a, b):
        x = a * 1
        x[1:, 2] = b[0, :2] * 3
        x.transpose(0, 1)[0].mul_(b[:, 1])
        return x * x

    a = tl.tensor(A.copy(), requires_grad=True)
    b = tl.tensor(B.copy(), requires_grad=True)
    assert tl.autograd.gradcheck(f, (a, b))
    assert tl.autograd.gradgradcheck(f, (a, b))


def test_clone_keeps_memory_order_and_passes_gradient():
    a = tl.tensor(A.copy(), requires_grad=True)
    c = a.T.clone()
    assert c.data.flags.f_contiguous and not np.shares_memory(c.data, a.data)
    c.sum().backward()
    assert_close(a.grad, np.ones_like(A))


def test_array_protocol():
    torch = torch_or_skip()
    t = tl.tensor([1.0, 2.0])
    assert np.asarray(t) is t.data
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    assert torch.as_tensor(t).tolist() == [1.0, 2.0]
    w = tl.tensor([1.0], requires_grad=True)
    for f in (np.asarray, torch.as_tensor):
        with pytest.raises(RuntimeError, match="Can't call numpy\\(\\) on Tensor that requires"):
            f(w)


def test_grad_setter_validates_like_torch():
    w = tl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(TypeError, match="assigned grad expected to be a Tensor or None"):
        w.grad = "x"
    with pytest.raises(RuntimeError, match="gradient of size '\\[5\\]' to a tensor of size"):
        w.grad = tl.ones(5)
    with pytest.raises(RuntimeError, match="gradient with dtype 'float64'"):
        w.grad = tl.ones(3, dtype=tl.float64)
    w.grad = tl.ones(3)
    w.grad = None
    assert w.grad is None


def test_hook_results_are_validated_like_torch():
    w = tl.tensor([1.0, 2.0], requires_grad=True)
    h = w.register_hook(lambda g: "x")
    with pytest.raises(TypeError, match="expected Tensor, but hook"):
        (w * 2).sum().backward()
    h.remove()
    y = w * 2
    y.register_hook(lambda g: tl.ones(5))
    with pytest.raises(RuntimeError, match="has changed the size of value"):
        y.sum().backward()
    w.register_hook(lambda g: g.double())
    with pytest.raises(RuntimeError, match="has changed the type of value"):
        (w * 2).sum().backward()
