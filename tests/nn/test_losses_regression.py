"""Regression and margin losses against PyTorch: values and gradients in float64, with inputs
placed exactly on every kink (residual 0, |r| = beta/delta, margin exactly 0)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from tests.helpers import assert_close, compare_with_torch, torch_or_skip

REDUCTIONS = ["mean", "sum", "none"]


def _grid_pair(rng: np.random.Generator, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and targets on a 1/4 grid, so residuals of exactly 0, +-0.5 and +-1 occur (and
    are exact in floating point); the first row forces each kink explicitly."""
    x = rng.integers(-8, 9, size=shape) / 4.0
    y = rng.integers(-8, 9, size=shape) / 4.0
    flat_x, flat_y = x.reshape(-1), y.reshape(-1)
    for i, r in enumerate([0.0, 1.0, -1.0, 0.5, -0.5, 2.0]):
        flat_y[i] = flat_x[i] - r
    return x, y


def _torch_f():
    return torch_or_skip().nn.functional


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss"])
def test_mse_l1_match_torch_on_kinks(name: str, reduction: str) -> None:
    TF = _torch_f()
    x, y = _grid_pair(np.random.default_rng(1), (4, 5))
    compare_with_torch(lambda a, b: getattr(F, name)(a, b, reduction=reduction),
                       lambda a, b: getattr(TF, name)(a, b, reduction=reduction), [x, y])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("beta", [1.0, 0.5, 0.0])
def test_smooth_l1_matches_torch_on_kinks(beta: float, reduction: str) -> None:
    TF = _torch_f()
    x, y = _grid_pair(np.random.default_rng(2), (4, 5))
    compare_with_torch(lambda a, b: F.smooth_l1_loss(a, b, reduction=reduction, beta=beta),
                       lambda a, b: TF.smooth_l1_loss(a, b, reduction=reduction, beta=beta),
                       [x, y])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("delta", [1.0, 0.5, 2.0])
def test_huber_matches_torch_on_kinks(delta: float, reduction: str) -> None:
    TF = _torch_f()
    x, y = _grid_pair(np.random.default_rng(3), (4, 5))
    compare_with_torch(lambda a, b: F.huber_loss(a, b, reduction=reduction, delta=delta),
                       lambda a, b: TF.huber_loss(a, b, reduction=reduction, delta=delta),
                       [x, y])


def test_kink_subgradients_explicitly() -> None:
    """The table in the module docstring, spelled out: l1 at 0, smooth_l1/huber at the joint."""
    x = tl.tensor([0.0, 1.0, -1.0, 0.5], dtype=tl.float64, requires_grad=True)
    zeros = tl.zeros(4, dtype=tl.float64)
    F.l1_loss(x, zeros, reduction="sum").backward()
    assert x.grad.tolist() == [0.0, 1.0, -1.0, 1.0]
    x.grad = None
    F.smooth_l1_loss(x, zeros, reduction="sum", beta=1.0).backward()
    assert x.grad.tolist() == [0.0, 1.0, -1.0, 0.5]
    x.grad = None
    F.huber_loss(x, zeros, reduction="sum", delta=0.5).backward()
    assert x.grad.tolist() == [0.0, 0.5, -0.5, 0.5]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
def test_weighted_regression_losses(name: str, reduction: str) -> None:
    TF = _torch_f()
    rng = np.random.default_rng(4)
    x, y = _grid_pair(rng, (3, 4))
    w = rng.random((3, 4)) + 0.1
    compare_with_torch(lambda a, b, c: getattr(F, name)(a, b, reduction=reduction, weight=c),
                       lambda a, b, c: getattr(TF, name)(a, b, reduction=reduction, weight=c),
                       [x, y, w])


def test_broadcasting_target_warns_like_torch() -> None:
    TF = _torch_f()
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((3, 4)), rng.standard_normal((4,))
    with pytest.warns(UserWarning, match="target size"):
        compare_with_torch(lambda a, b: F.mse_loss(a, b), lambda a, b: TF.mse_loss(a, b), [x, y])


def test_regression_errors_name_the_loss_and_shapes() -> None:
    a, b = tl.zeros(3, 4), tl.zeros(2, 4)
    with pytest.raises(RuntimeError, match=r"mse_loss: input of shape \(3, 4\) and target of "
                                         r"shape \(2, 4\) cannot be broadcast"):
        F.mse_loss(a, b)
    with pytest.raises(ValueError, match="l1_loss: 'avg' is not a valid value for reduction"):
        F.l1_loss(a, a, reduction="avg")
    with pytest.raises(RuntimeError, match="smooth_l1_loss: beta must be non-negative"):
        F.smooth_l1_loss(a, a, beta=-1.0)
    with pytest.raises(RuntimeError, match="huber_loss: delta must be positive"):
        F.huber_loss(a, a, delta=0.0)
    with pytest.raises(RuntimeError, match=r"mse_loss: weight of shape \(4,\) must have the "
                                         r"input's shape \(3, 4\)"):
        F.mse_loss(a, a, weight=tl.ones(4))
    with pytest.raises(TypeError, match="l1_loss: expected a Tensor for 'target'"):
        F.l1_loss(a, 1.0)


def test_legacy_size_average_and_reduce() -> None:
    rng = np.random.default_rng(6)
    x, y = tl.tensor(rng.standard_normal(5)), tl.tensor(rng.standard_normal(5))
    with pytest.warns(UserWarning, match="reduction='sum'"):
        out = F.mse_loss(x, y, size_average=False)
    assert_close(out, F.mse_loss(x, y, reduction="sum"))
    with pytest.warns(UserWarning, match="reduction='none'"):
        assert F.l1_loss(x, y, reduce=False).shape == (5,)


# ----- margin losses ---------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [1.0, 0.5])
def test_hinge_embedding_matches_torch_on_kinks(margin: float, reduction: str) -> None:
    TF = _torch_f()
    # margin - x == 0 exactly for y = -1 (subgradient -1: torch's clamp_min passes at the
    # bound), x == 0 for y = 1, and a label outside {1, -1} (both terms apply)
    x = np.array([margin, margin, 0.0, 2.0, -1.0, 0.25, margin, 0.0])
    y = np.array([-1.0, 1.0, 1.0, -1.0, -1.0, -1.0, 0.0, 0.0])
    compare_with_torch(
        lambda a, b: F.hinge_embedding_loss(a, b, margin=margin, reduction=reduction),
        lambda a, b: TF.hinge_embedding_loss(a, b, margin=margin, reduction=reduction),
        [x, y], requires_grad=[True, False])


def test_hinge_embedding_zero_margin_counts() -> None:
    x = tl.tensor([1.0], dtype=tl.float64, requires_grad=True)
    F.hinge_embedding_loss(x, tl.tensor([-1.0], dtype=tl.float64)).backward()
    assert x.grad.tolist() == [-1.0]


def _margin_scores() -> tuple[np.ndarray, np.ndarray]:
    """Rows with margin - x_y + x_i exactly 0, negative, and positive."""
    x = np.array([[0.0, 1.0, 2.0], [1.0, 1.0, 1.0], [0.5, 0.25, 3.0], [2.0, 1.0, 0.0]])
    return x, np.array([1, 0, 2, 0])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("weighted", [False, True])
def test_multi_margin_matches_torch_on_kinks(p: int, weighted: bool, reduction: str) -> None:
    TF = _torch_f()
    x, t = _margin_scores()
    w = np.array([1.0, 2.0, 3.0])

    def ours(a, b, c):
        return F.multi_margin_loss(a, b, p=p, weight=c if weighted else None,
                                   reduction=reduction)

    def theirs(a, b, c):
        return TF.multi_margin_loss(a, b, p=p, weight=c if weighted else None,
                                    reduction=reduction)

    compare_with_torch(ours, theirs, [x, t, w], requires_grad=[True, False, False])


def test_multi_margin_zero_margin_gets_zero_subgradient_and_1d_input() -> None:
    TF = _torch_f()
    x = tl.tensor([0.0, 1.0, 2.0], dtype=tl.float64, requires_grad=True)
    F.multi_margin_loss(x, tl.tensor(1)).backward()
    assert x.grad.tolist() == [0.0, -1 / 3, 1 / 3]  # margin to class 0 is exactly 0
    compare_with_torch(lambda a, b: F.multi_margin_loss(a, b, margin=0.5, reduction="none"),
                       lambda a, b: TF.multi_margin_loss(a, b, margin=0.5, reduction="none"),
                       [np.array([0.5, 1.0, 0.25]), np.array(1)], requires_grad=[True, False])


def test_multi_margin_errors() -> None:
    x = tl.zeros(4, 3)
    with pytest.raises(ValueError, match="multi_margin_loss: only p == 1 and p == 2"):
        F.multi_margin_loss(x, tl.tensor([0, 1, 2, 0]), p=3)
    with pytest.raises(RuntimeError, match=r"multi_margin_loss: expected target of shape \(4,\)"):
        F.multi_margin_loss(x, tl.tensor([[0], [1], [2], [0]]))
    with pytest.raises(IndexError, match="multi_margin_loss: target class index 3 is out of "
                                         "range for 3 classes"):
        F.multi_margin_loss(x, tl.tensor([0, 1, 3, 0]))
    with pytest.raises(RuntimeError, match=r"expected weight of shape \(3,\)"):
        F.multi_margin_loss(x, tl.tensor([0, 1, 2, 0]), weight=tl.ones(4))
    with pytest.raises(TypeError, match="multi_margin_loss: expected a Tensor for 'weight'"):
        F.multi_margin_loss(x, tl.tensor([0, 1, 2, 0]), weight=np.ones(3))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_soft_margin_matches_torch(reduction: str) -> None:
    TF = _torch_f()
    x = np.array([[0.0, 1.0, -2.5, 30.0], [-30.0, 700.0, 0.5, -0.25]])
    y = np.array([[1.0, -1.0, 1.0, 1.0], [-1.0, 1.0, -1.0, 1.0]])
    compare_with_torch(lambda a, b: F.soft_margin_loss(a, b, reduction=reduction),
                       lambda a, b: TF.soft_margin_loss(a, b, reduction=reduction),
                       [x, y], requires_grad=[True, False])


def test_soft_margin_stays_finite_where_torch_overflows() -> None:
    x = tl.tensor([-1000.0, 1000.0], dtype=tl.float64, requires_grad=True)
    loss = F.soft_margin_loss(x, tl.tensor([1.0, -1.0], dtype=tl.float64), reduction="none")
    loss.sum().backward()
    assert loss.tolist() == [1000.0, 1000.0]
    assert x.grad.tolist() == [-1.0, 1.0]


def test_soft_margin_target_broadcasts_one_way_and_has_no_gradient() -> None:
    # torch broadcasts target to the input's shape only, and refuses a target requiring grad
    TF = _torch_f()
    torch = torch_or_skip()
    x, y = np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]]), np.array([1.0, -1.0, 1.0])
    compare_with_torch(F.soft_margin_loss, TF.soft_margin_loss, [x, y],
                       requires_grad=[True, False])
    with pytest.raises(RuntimeError, match=r"soft_margin_loss: target of shape \(2, 3\) cannot be "
                       r"broadcast to the input's shape \(3,\)"):
        F.soft_margin_loss(tl.tensor(y), tl.tensor(x))
    with pytest.raises(RuntimeError):
        TF.soft_margin_loss(torch.tensor(y), torch.tensor(x))
    with pytest.raises(RuntimeError, match="soft_margin_loss: not differentiable with respect to "
                       "'target'"):
        F.soft_margin_loss(tl.tensor(x), tl.tensor(x, requires_grad=True))
    with pytest.raises(RuntimeError, match="not differentiable"):
        TF.soft_margin_loss(torch.tensor(x), torch.tensor(x, requires_grad=True))


@pytest.mark.parametrize("name", ["huber_loss", "smooth_l1_loss", "soft_margin_loss"])
def test_double_backward_matches_torch(name: str) -> None:
    torch = torch_or_skip()
    rng = np.random.default_rng(7)
    x, y = rng.standard_normal((4, 3)) * 2, np.sign(rng.standard_normal((4, 3)))
    xs, xt = tl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (g,) = tl.autograd.grad(getattr(F, name)(xs, tl.tensor(y)), [xs], create_graph=True)
    (gt,) = torch.autograd.grad(getattr(torch.nn.functional, name)(xt, torch.tensor(y)), [xt],
                                create_graph=True)
    (g * g * g).sum().backward()
    (gt * gt * gt).sum().backward()
    assert_close(xs.grad, xt.grad)
