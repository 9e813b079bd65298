"""Cross-entropy, NLL, BCE (probabilities and logits) and KL against PyTorch in float64:
weight x ignore_index x label_smoothing, probability targets, spatial inputs, the BCE edges
0 and 1, and finiteness at logits of +-1000."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from tests.helpers import assert_close, compare_with_torch, torch_or_skip

REDUCTIONS = ["mean", "sum", "none"]


def _torch_f():
    return torch_or_skip().nn.functional


def _index_case(rng: np.random.Generator, spatial: bool) -> tuple[np.ndarray, np.ndarray]:
    """Logits (N, C) or (N, C, H, W) and class indices with some ignored (-100)."""
    if spatial:
        x = rng.standard_normal((2, 4, 3, 2)) * 3
        t = rng.integers(0, 4, size=(2, 3, 2))
        t[0, 0, 0] = t[1, 2, 1] = -100
    else:
        x = rng.standard_normal((6, 4)) * 3
        t = rng.integers(0, 4, size=6)
        t[2] = -100
    return x, t


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
@pytest.mark.parametrize("spatial", [False, True])
def test_cross_entropy_index_targets(reduction, weighted, smoothing, spatial) -> None:
    TF = _torch_f()
    rng = np.random.default_rng(10)
    x, t = _index_case(rng, spatial)
    w = rng.random(4) + 0.2

    def call(mod, a, b, c):
        return mod.cross_entropy(a, b, weight=c if weighted else None, reduction=reduction,
                                 label_smoothing=smoothing)

    compare_with_torch(lambda a, b, c: call(F, a, b, c), lambda a, b, c: call(TF, a, b, c),
                       [x, t, w], requires_grad=[True, False, False])


@pytest.mark.parametrize("ignore_index", [-100, 1])
def test_cross_entropy_custom_ignore_index_and_1d_input(ignore_index: int) -> None:
    TF = _torch_f()
    rng = np.random.default_rng(11)
    x, t = rng.standard_normal((5, 3)), np.array([0, 1, 2, 1, 0])
    w = np.array([0.5, 2.0, 1.5])
    compare_with_torch(
        lambda a, b, c: F.cross_entropy(a, b, c, ignore_index=ignore_index, label_smoothing=0.1),
        lambda a, b, c: TF.cross_entropy(a, b, c, ignore_index=ignore_index,
                                         label_smoothing=0.1),
        [x, t, w], requires_grad=[True, False, False])
    compare_with_torch(lambda a, b: F.cross_entropy(a, b), lambda a, b: TF.cross_entropy(a, b),
                       [x[0], np.array(2)])


def test_cross_entropy_all_ignored_is_nan_like_torch() -> None:
    x = tl.tensor(np.zeros((2, 3)))
    with np.errstate(invalid="ignore"):  # 0 / 0 in the mean, as in PyTorch
        assert np.isnan(F.cross_entropy(x, tl.tensor([-100, -100])).item())
    assert F.cross_entropy(x, tl.tensor([-100, -100]), reduction="sum").item() == 0.0


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
@pytest.mark.parametrize("spatial", [False, True])
def test_cross_entropy_probability_targets(reduction, weighted, smoothing, spatial) -> None:
    TF = _torch_f()
    rng = np.random.default_rng(12)
    shape = (2, 4, 3, 2) if spatial else (5, 4)
    x = rng.standard_normal(shape) * 2
    p = rng.random(shape)
    p /= p.sum(1, keepdims=True)
    w = rng.random(4) + 0.2

    def call(mod, a, b, c):
        return mod.cross_entropy(a, b, weight=c if weighted else None, reduction=reduction,
                                 label_smoothing=smoothing)

    compare_with_torch(lambda a, b, c: call(F, a, b, c), lambda a, b, c: call(TF, a, b, c),
                       [x, p, w], requires_grad=[True, True, False])


def test_cross_entropy_finite_at_huge_logits() -> None:
    TF = _torch_f()
    x = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, 1000.0], [1000.0, 1000.0, -1000.0]])
    t = np.array([1, 2, 0])
    for smoothing in (0.0, 0.1):
        compare_with_torch(
            lambda a, b, s=smoothing: F.cross_entropy(a, b, reduction="none", label_smoothing=s),
            lambda a, b, s=smoothing: TF.cross_entropy(a, b, reduction="none",
                                                       label_smoothing=s),
            [x, t])
    ours = tl.tensor(x, requires_grad=True)
    loss = F.cross_entropy(ours, tl.tensor(t), label_smoothing=0.1)
    loss.backward()
    assert np.isfinite(loss.item()) and np.all(np.isfinite(ours.grad.data))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("spatial", [False, True])
def test_nll_loss(reduction: str, weighted: bool, spatial: bool) -> None:
    TF = _torch_f()
    rng = np.random.default_rng(13)
    x, t = _index_case(rng, spatial)
    w = rng.random(4) + 0.2

    def call(mod, a, b, c):
        return mod.nll_loss(a, b, weight=c if weighted else None, reduction=reduction)

    compare_with_torch(lambda a, b, c: call(F, a, b, c), lambda a, b, c: call(TF, a, b, c),
                       [x, t, w], requires_grad=[True, False, False])


def test_class_index_errors_name_the_loss_and_shapes() -> None:
    x = tl.zeros(8, 10)
    with pytest.raises(ValueError, match=r"cross_entropy: expected target of shape \(8,\) for "
                                         r"input of shape \(8, 10\), got \(8, 1\)"):
        F.cross_entropy(x, tl.zeros(8, 1, dtype=tl.int64))
    with pytest.raises(IndexError, match="cross_entropy: target class index 10 is out of range "
                                         "for 10 classes"):
        F.cross_entropy(x, tl.tensor([0, 1, 2, 3, 4, 5, 6, 10]))
    with pytest.raises(IndexError, match="nll_loss: target class index -1 is out of range"):
        F.nll_loss(x, tl.tensor([0, 1, 2, 3, 4, 5, 6, -1]))
    with pytest.raises(RuntimeError, match=r"cross_entropy: expected probability target of shape "
                                         r"\(8, 10\)"):
        F.cross_entropy(x, tl.zeros(8, 9))
    with pytest.raises(RuntimeError, match=r"cross_entropy: expected weight of shape \(10,\)"):
        F.cross_entropy(x, tl.zeros(8, dtype=tl.int64), weight=tl.ones(9))
    with pytest.raises(RuntimeError, match="label_smoothing must be between 0.0 and 1.0"):
        F.cross_entropy(x, tl.zeros(8, dtype=tl.int64), label_smoothing=1.5)
    with pytest.raises(TypeError, match="cross_entropy: expected integer class indices"):
        F.cross_entropy(x, tl.zeros(8, dtype=tl.bool_))


# ----- binary cross-entropy --------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_bce_matches_torch_including_edges(reduction: str, weighted: bool) -> None:
    TF = _torch_f()
    rng = np.random.default_rng(14)
    # the edges: x in {0, 1} with y equal (gradient 0) and opposite (value 100, gradient
    # -+1e12), x inside the 1e-12 floor, and soft targets at the edges
    x = np.array([0.0, 1.0, 0.0, 1.0, 1e-13, 1 - 1e-13, 0.0, 1.0, 0.5, 0.3, 0.9, 0.05])
    y = np.array([0.0, 1.0, 1.0, 0.0, 0.3, 0.6, 0.25, 0.75, 0.5, 0.0, 1.0, 0.2])
    w = rng.random(12) + 0.1

    def call(mod, a, b, c):
        return mod.binary_cross_entropy(a, b, weight=c if weighted else None,
                                        reduction=reduction)

    compare_with_torch(lambda a, b, c: call(F, a, b, c), lambda a, b, c: call(TF, a, b, c),
                       [x, y, w], requires_grad=[True, False, False])


def test_bce_target_gradient_and_double_backward() -> None:
    torch = torch_or_skip()
    TF = torch.nn.functional
    rng = np.random.default_rng(15)
    x, y = rng.random((3, 4)) * 0.9 + 0.05, rng.random((3, 4))
    compare_with_torch(lambda a, b: F.binary_cross_entropy(a, b),
                       lambda a, b: TF.binary_cross_entropy(a, b), [x, y])
    # second derivative in x through the primitive's own backward
    xs, xt = tl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (g,) = tl.autograd.grad(F.binary_cross_entropy(xs, tl.tensor(y)), [xs], create_graph=True)
    (gt,) = torch.autograd.grad(TF.binary_cross_entropy(xt, torch.tensor(y)), [xt],
                                create_graph=True)
    assert_close(g, gt)
    (g * g).sum().backward()
    (gt * gt).sum().backward()
    assert_close(xs.grad, xt.grad)


def test_bce_zero_dim_input_backward_matches_torch() -> None:
    # a 0-d x (1 - x) is a numpy scalar in backward: the edge floor must still apply
    TF = _torch_f()
    for x, y in [(0.5, 0.25), (0.0, 1.0), (1.0, 1.0)]:
        compare_with_torch(lambda a, b: F.binary_cross_entropy(a, b),
                           lambda a, b: TF.binary_cross_entropy(a, b),
                           [np.array(x), np.array(y)], requires_grad=[True, True])


@pytest.mark.parametrize("name", ["weight", "pos_weight", "bce_weight"])
def test_bce_weights_broadcast_to_the_input_shape_only(name: str) -> None:
    # torch weights in place: a weight that would grow the input's shape is an error
    torch = torch_or_skip()
    x, y, w = np.full((3,), 0.25), np.full((3,), 0.5), np.ones((2, 3))
    op = "binary_cross_entropy" if name == "bce_weight" else "binary_cross_entropy_with_logits"
    key = "weight" if name == "bce_weight" else name
    with pytest.raises(RuntimeError, match=rf"{op}: {key} of shape \(2, 3\) cannot be broadcast to "
                       r"the input's shape \(3,\)"):
        getattr(F, op)(tl.tensor(x), tl.tensor(y), **{key: tl.tensor(w)})
    with pytest.raises(RuntimeError):
        getattr(torch.nn.functional, op)(torch.tensor(x), torch.tensor(y),
                                         **{key: torch.tensor(w)})
    compare_with_torch(lambda a, b: getattr(F, op)(a, b, **{key: tl.tensor(w[0])}),
                       lambda a, b: getattr(torch.nn.functional, op)(
                           a, b, **{key: torch.tensor(w[0])}), [x, y])


def test_bce_errors() -> None:
    with pytest.raises(RuntimeError, match="binary_cross_entropy: all elements of input should be "
                                         "between 0 and 1"):
        F.binary_cross_entropy(tl.tensor([1.5]), tl.tensor([1.0]))
    with pytest.raises(ValueError, match=r"binary_cross_entropy_with_logits: target of shape "
                                         r"\(1,\) must have the input's shape \(2,\)"):
        F.binary_cross_entropy_with_logits(tl.tensor([1.5, 2.0]), tl.tensor([1.0]))


@pytest.mark.parametrize("name", ["weight", "pos_weight"])
def test_bce_weights_that_cannot_broadcast_name_the_loss(name: str) -> None:
    """A (3,) weight for a (3, 4) input: the error names the loss and both shapes, not ``mul``."""
    x, y = tl.zeros(3, 4), tl.ones(3, 4)
    match = rf"binary_cross_entropy_with_logits: {name} of shape \(3,\) cannot be broadcast"
    with pytest.raises(RuntimeError, match=match):
        F.binary_cross_entropy_with_logits(x, y, **{name: tl.ones(3)})
    if name == "weight":
        with pytest.raises(RuntimeError, match=r"binary_cross_entropy: weight of shape \(3,\) "
                                             r"cannot be broadcast to the input's shape \(3, 4\)"):
            F.binary_cross_entropy(tl.full((3, 4), 0.5), y, weight=tl.ones(3))


def test_kl_div_broadcasts_target_like_torch() -> None:
    """PyTorch broadcasts ``target`` silently; shapes that cannot broadcast name kl_div."""
    TF = _torch_f()
    torch = torch_or_skip()
    rng = np.random.default_rng(3)
    x, t = np.log(rng.random((3, 4))), rng.random(4)
    compare_with_torch(lambda a: F.kl_div(a, tl.tensor(t), reduction="batchmean"),
                       lambda a: TF.kl_div(a, torch.tensor(t), reduction="batchmean"), [x])
    with pytest.raises(RuntimeError, match=r"kl_div: target of shape \(3,\) cannot be broadcast"):
        F.kl_div(tl.tensor(x), tl.tensor(t[:3]), reduction="sum")


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("pos", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_bce_with_logits_matches_torch(reduction: str, pos: bool, weighted: bool) -> None:
    TF = _torch_f()
    rng = np.random.default_rng(16)
    x = rng.standard_normal((3, 4)) * 3
    x[0] = [1000.0, -1000.0, 0.0, 30.0]
    x[1, :2] = [-1000.0, 1000.0]
    y = rng.random((3, 4))
    y[0, :2] = [1.0, 0.0]
    y[1, :2] = [1.0, 0.0]
    pw, w = rng.random(4) * 3, rng.random((3, 4)) + 0.1

    def call(mod, a, b, c, d):
        return mod.binary_cross_entropy_with_logits(
            a, b, weight=d if weighted else None, pos_weight=c if pos else None,
            reduction=reduction)

    compare_with_torch(lambda *a: call(F, *a), lambda *a: call(TF, *a), [x, y, pw, w],
                       requires_grad=[True, True, False, False])


def test_bce_with_logits_finite_at_huge_logits() -> None:
    x = tl.tensor([1000.0, -1000.0, 1000.0, -1000.0], requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, tl.tensor([0.0, 1.0, 1.0, 0.0]),
                                              reduction="none")
    loss.sum().backward()
    assert loss.tolist() == [1000.0, 1000.0, 0.0, 0.0]
    assert x.grad.tolist() == [1.0, -1.0, 0.0, 0.0]


# ----- KL divergence ---------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_torch(reduction: str, log_target: bool) -> None:
    TF = _torch_f()
    rng = np.random.default_rng(17)
    x = np.log(rng.dirichlet(np.ones(5), size=3))
    y = rng.dirichlet(np.ones(5), size=3)
    call = {"reduction": reduction, "log_target": log_target}
    if log_target:
        y = np.log(y)
    with pytest.warns(UserWarning) if reduction == "mean" else _no_warning():
        compare_with_torch(lambda a, b: F.kl_div(a, b, **call),
                           lambda a, b: TF.kl_div(a, b, **call), [x, y])
    if not log_target:
        # zero targets contribute 0 (0 log 0 = 0); the target's own gradient there is nan in
        # PyTorch (d/dy of y log y at 0), so only the input's gradient is compared
        y[0, :2] = 0.0
        with pytest.warns(UserWarning) if reduction == "mean" else _no_warning():
            compare_with_torch(lambda a, b: F.kl_div(a, b, **call),
                               lambda a, b: TF.kl_div(a, b, **call), [x, y],
                               requires_grad=[True, False])


class _no_warning:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def test_kl_div_rejects_unknown_reduction() -> None:
    with pytest.raises(ValueError, match="kl_div: 'batch' is not a valid value for reduction"):
        F.kl_div(tl.zeros(2), tl.zeros(2), reduction="batch")


def test_cross_entropy_double_backward_matches_torch() -> None:
    torch = torch_or_skip()
    rng = np.random.default_rng(18)
    x, t, w = rng.standard_normal((4, 3)), np.array([0, 2, -100, 2]), np.array([1.0, 2.0, 0.5])
    xs, xt = tl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (g,) = tl.autograd.grad(F.cross_entropy(xs, tl.tensor(t), tl.tensor(w), label_smoothing=0.2),
                            [xs], create_graph=True)
    (gt,) = torch.autograd.grad(torch.nn.functional.cross_entropy(
        xt, torch.tensor(t), torch.tensor(w), label_smoothing=0.2), [xt], create_graph=True)
    (g * g * g).sum().backward()
    (gt * gt * gt).sum().backward()
    assert_close(xs.grad, xt.grad)


# ----- class/sample weights are constants, as in PyTorch --------------------------------------

_WEIGHTED_CALLS = {  # (functional module, logits, class targets, weight) -> loss
    "cross_entropy": lambda m, x, y, w: m.cross_entropy(x, y, weight=w[0]),
    "nll_loss": lambda m, x, y, w: m.nll_loss(x, y, weight=w[0]),
    "multi_margin_loss": lambda m, x, y, w: m.multi_margin_loss(x, y, weight=w[0]),
    "binary_cross_entropy": lambda m, x, y, w: m.binary_cross_entropy(
        x.sigmoid(), x.detach() * 0 + 0.5, weight=w),
    "binary_cross_entropy_with_logits(weight)": lambda m, x, y, w: (
        m.binary_cross_entropy_with_logits(x, x.detach() * 0 + 0.5, weight=w)),
    "binary_cross_entropy_with_logits(pos_weight)": lambda m, x, y, w: (
        m.binary_cross_entropy_with_logits(x, x.detach() * 0 + 0.5, pos_weight=w[0])),
}


@pytest.mark.parametrize("name", sorted(_WEIGHTED_CALLS))
def test_classification_loss_weights_that_require_grad_are_refused_like_torch(name):
    call = _WEIGHTED_CALLS[name]
    rng = np.random.default_rng(0)
    x_np, w_np, y = rng.standard_normal((4, 3)), rng.random((4, 3)), [0, 1, 2, 1]
    x = tl.tensor(x_np, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"not differentiable with respect to '(pos_)?weight'"):
        call(F, x, tl.tensor(y), tl.tensor(w_np, requires_grad=True))
    call(F, x, tl.tensor(y), tl.tensor(w_np)).backward()  # a constant weight is fine
    with tl.no_grad():  # without grad mode nothing is differentiated, so nothing to refuse
        call(F, x, tl.tensor(y), tl.tensor(w_np, requires_grad=True))
    torch = pytest.importorskip("torch")
    import torch.nn.functional as TF

    with pytest.raises(RuntimeError, match="not differentiable with respect to argument"):
        call(TF, torch.tensor(x_np, requires_grad=True), torch.tensor(y),
             torch.tensor(w_np, requires_grad=True))


# ----- second derivatives of the losses built on logsigmoid (one primitive, right at 0) ----

_LOGIT_X = np.array([0.0, -0.0, 1e-9, -2.5, 0.3, 4.0, -30.0, 40.0])


def _second_derivative(loss_ours, loss_theirs, target: np.ndarray) -> None:
    """Hessian-vector product of the summed loss with respect to the logits, vs PyTorch's
    double backward, at inputs that include 0 (where a composite log-sigmoid goes wrong)."""
    torch = torch_or_skip()
    v = np.linspace(-1.0, 2.0, _LOGIT_X.size)
    x = tl.tensor(_LOGIT_X, requires_grad=True)
    xr = torch.tensor(_LOGIT_X, requires_grad=True)
    (g,) = tl.autograd.grad(loss_ours(x, tl.tensor(target)), x, create_graph=True)
    (gr,) = torch.autograd.grad(loss_theirs(xr, torch.tensor(target)), xr, create_graph=True)
    assert_close(g, gr, rtol=1e-12, atol=1e-15, what="gradient")
    (h,) = tl.autograd.grad((g * tl.tensor(v)).sum(), x)
    (hr,) = torch.autograd.grad((gr * torch.tensor(v)).sum(), xr)
    # (atol: at x = -30 both are ~1e-13, and 1 - e^{y - x} there keeps ~2 digits in ours)
    assert_close(h, hr, rtol=1e-12, atol=1e-14, what="second derivative")


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_bce_with_logits_second_derivative_matches_torch_at_zero(reduction: str) -> None:
    TF = _torch_f()
    torch = torch_or_skip()
    y = np.array([0.0, 1.0, 0.5, 1.0, 0.0, 0.25, 1.0, 0.0])
    pw = np.array([2.0])
    _second_derivative(
        lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction=reduction),
        lambda a, b: TF.binary_cross_entropy_with_logits(a, b, reduction=reduction), y)
    _second_derivative(
        lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction=reduction,
                                                         pos_weight=tl.tensor(pw)),
        lambda a, b: TF.binary_cross_entropy_with_logits(a, b, reduction=reduction,
                                                         pos_weight=torch.tensor(pw)), y)


def test_soft_margin_second_derivative_matches_torch_at_zero() -> None:
    TF = _torch_f()
    y = np.array([1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0])
    _second_derivative(lambda a, b: F.soft_margin_loss(a, b, reduction="sum"),
                       lambda a, b: TF.soft_margin_loss(a, b, reduction="sum"), y)


def test_logit_losses_pass_gradgradcheck_at_zero() -> None:
    from tinygrad_lite.autograd import gradgradcheck

    x = tl.tensor(np.array([0.0, -0.7, 1.3]), requires_grad=True)
    y = tl.tensor(np.array([1.0, 0.0, 0.5]))
    s = tl.tensor(np.array([1.0, -1.0, 1.0]))
    assert gradgradcheck(lambda t: F.binary_cross_entropy_with_logits(t, y), (x,))
    assert gradgradcheck(lambda t: F.soft_margin_loss(t, s), (x,))
