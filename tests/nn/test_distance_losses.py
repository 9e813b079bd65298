"""cosine_similarity, pairwise_distance and the pair/triplet/likelihood losses against PyTorch:
values and gradients (targets' too), kinks exactly at zero margins, eps handling, reductions,
modules, errors, gradcheck."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from tests.helpers import compare_with_torch, torch_or_skip
from tinygrad_lite import nn
from tinygrad_lite.autograd import gradcheck, gradgradcheck

TIGHT = {"rtol": 1e-10, "atol": 1e-12}
REDUCTIONS = ["mean", "sum", "none"]


def _randn(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


def _tf():
    return torch_or_skip().nn.functional


# ----- cosine_similarity, pairwise_distance ---------------------------------------------


@pytest.mark.parametrize("shapes,dim", [(((4, 5), (4, 5)), 1), (((4, 5), (4, 5)), 0),
                                        (((3, 1, 4), (1, 2, 4)), -1), (((5,), (5,)), 0),
                                        (((2, 3, 4), (3, 4)), 1)])
def test_cosine_similarity_matches_torch(shapes, dim: int) -> None:
    tf = _tf()
    inputs = [_randn(*s, seed=i) for i, s in enumerate(shapes)]
    compare_with_torch(lambda a, b: F.cosine_similarity(a, b, dim),
                       lambda a, b: tf.cosine_similarity(a, b, dim), inputs, **TIGHT)


@pytest.mark.parametrize("eps", [1e-8, 1e-3])
def test_cosine_similarity_eps_at_tiny_and_zero_vectors(eps: float) -> None:
    tf = _tf()
    a = np.array([[1e-9, 0.0], [3.0, 4.0], [0.0, 0.0], [1e-9, 1e-9]])
    b = np.array([[2e-9, 1e-9], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    # norms below eps are clamped; the gradient is the unclamped formula's (PyTorch's)
    compare_with_torch(lambda x, y: F.cosine_similarity(x, y, eps=eps),
                       lambda x, y: tf.cosine_similarity(x, y, eps=eps), [a, b], **TIGHT)


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 0.5, 0.0, float("inf")])
@pytest.mark.parametrize("eps", [0.0, 1e-6])
def test_pairwise_distance_matches_torch_with_zero_differences(p: float, eps: float) -> None:
    tf = _tf()
    a = np.array([[1.0, 2.0], [0.0, 0.0], [1.0, 1.0], [2.0, -2.0], [0.5, 3.0]])
    b = np.array([[1.0, 2.0], [0.0, 0.0], [-1.0, 1.0], [0.0, 0.0], [1.5, 1.0]])  # ties for inf
    compare_with_torch(lambda x, y: F.pairwise_distance(x, y, p, eps),
                       lambda x, y: tf.pairwise_distance(x, y, p, eps), [a, b], **TIGHT)


@pytest.mark.parametrize("shapes", [((4, 3), (4, 3)), ((3,), (3,)), ((2, 4, 3), (4, 3))])
@pytest.mark.parametrize("keepdim", [False, True])
def test_pairwise_distance_shapes(shapes, keepdim: bool) -> None:
    tf = _tf()
    inputs = [_randn(*s, seed=i) for i, s in enumerate(shapes)]
    compare_with_torch(lambda a, b: F.pairwise_distance(a, b, keepdim=keepdim),
                       lambda a, b: tf.pairwise_distance(a, b, keepdim=keepdim), inputs, **TIGHT)


def test_distance_modules() -> None:
    torch = torch_or_skip()
    a, b = _randn(4, 3), _randn(4, 3, seed=1)
    for ours, theirs in ((nn.PairwiseDistance(p=1.0, keepdim=True),
                          torch.nn.PairwiseDistance(p=1.0, keepdim=True)),
                         (nn.CosineSimilarity(dim=0), torch.nn.CosineSimilarity(dim=0))):
        assert repr(ours) == repr(theirs)
        compare_with_torch(ours, theirs, [a, b], **TIGHT)


def test_distance_errors() -> None:
    with pytest.raises(RuntimeError, match="cosine_similarity: the shapes"):
        F.cosine_similarity(tl.randn(2), tl.randn(3), dim=0)
    with pytest.raises(IndexError, match="cosine_similarity: Dimension out of range"):
        F.cosine_similarity(tl.randn(2), tl.randn(2))
    with pytest.raises(RuntimeError, match="pairwise_distance: the shapes"):
        F.pairwise_distance(tl.randn(1, 2), tl.randn(1, 3))
    with pytest.raises(ValueError, match="pairwise_distance: p must be non-negative"):
        F.pairwise_distance(tl.randn(1, 2), tl.randn(1, 2), p=-1.0)


# ----- ranking losses -------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.5])
def test_margin_ranking_loss_at_the_kink(reduction: str, margin: float) -> None:
    tf = _tf()
    x1 = np.array([1.0, 2.0, 0.0, 1.5, -1.0, 0.3])
    x2 = np.array([1.0, 1.0, 0.5, 1.0, 2.0, 0.1])  # x1 - x2 = margin for some rows
    y = np.array([1.0, -1.0, 1.0, 1.0, -1.0, -1.0])
    compare_with_torch(
        lambda a, b, t: F.margin_ranking_loss(a, b, t, margin, reduction=reduction),
        lambda a, b, t: tf.margin_ranking_loss(a, b, t, margin, reduction=reduction),
        [x1, x2, y], requires_grad=[True, True, True], **TIGHT)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kwargs", [{}, {"swap": True}, {"p": 1.0, "margin": 0.5},
                                    {"eps": 0.0, "margin": 2.0}])
def test_triplet_margin_loss_matches_torch(reduction: str, kwargs: dict) -> None:
    tf = _tf()
    a, p, n = _randn(5, 4), _randn(5, 4, seed=1), _randn(5, 4, seed=2)
    compare_with_torch(
        lambda *t: F.triplet_margin_loss(*t, reduction=reduction, **kwargs),
        lambda *t: tf.triplet_margin_loss(*t, reduction=reduction, **kwargs), [a, p, n], **TIGHT)


def test_triplet_margin_loss_kink_and_swap_tie() -> None:
    tf = _tf()
    # margin + d(a, p) - d(a, n) = 1 + 1 - 2 = 0 exactly (eps=0): the hinge counts
    a, p, n = np.array([[0.0, 0.0]]), np.array([[1.0, 0.0]]), np.array([[2.0, 0.0]])
    compare_with_torch(lambda *t: F.triplet_margin_loss(*t, eps=0.0),
                       lambda *t: tf.triplet_margin_loss(*t, eps=0.0), [a, p, n], **TIGHT)
    # swap with d(a, n) = d(p, n): minimum splits the tie
    a, p, n = np.array([[0.0, 0.0]]), np.array([[2.0, 0.0]]), np.array([[1.0, 0.5]])
    compare_with_torch(lambda *t: F.triplet_margin_loss(*t, eps=0.0, swap=True, margin=3.0),
                       lambda *t: tf.triplet_margin_loss(*t, eps=0.0, swap=True, margin=3.0),
                       [a, p, n], **TIGHT)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.3])
def test_cosine_embedding_loss_matches_torch(reduction: str, margin: float) -> None:
    tf = _tf()
    x1 = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0], [0.3, -2.0], [1.0, 2.0]])
    x2 = np.array([[1.0, 1.0], [0.0, 1.0], [2.0, 2.0], [1.0, 1.0], [0.5, 1.0], [1.0, 1.0]])
    y = np.array([-1.0, -1.0, 1.0, 1.0, -1.0, 0.0])  # row 1: cos = 0 = margin (the kink)
    compare_with_torch(
        lambda a, b, t: F.cosine_embedding_loss(a, b, t, margin, reduction=reduction),
        lambda a, b, t: tf.cosine_embedding_loss(a, b, t, margin, reduction=reduction),
        [x1, x2, y], requires_grad=[True, True, False], **TIGHT)
    compare_with_torch(lambda a, b: F.cosine_embedding_loss(a, b, tl.tensor(-1.0), margin),
                       lambda a, b: tf.cosine_embedding_loss(a, b, torch_or_skip().tensor(-1.0),
                                                             margin),
                       [x1[4], x2[4]], **TIGHT)  # unbatched: (D,) with a 0-d target


def test_ranking_loss_errors() -> None:
    with pytest.raises(RuntimeError, match="margin_ranking_loss: All input tensors should have"):
        F.margin_ranking_loss(tl.randn(3), tl.randn(3), tl.randn(3, 1))
    with pytest.raises(ValueError, match="triplet_margin_loss: margin must be greater than 0"):
        F.triplet_margin_loss(tl.randn(2, 3), tl.randn(2, 3), tl.randn(2, 3), margin=0.0)
    with pytest.raises(RuntimeError, match="anchor 2D, positive 2D, and negative 1D"):
        F.triplet_margin_loss(tl.randn(2, 3), tl.randn(2, 3), tl.randn(3))
    with pytest.raises(ValueError, match="TripletMarginLoss: expected margin to be greater"):
        nn.TripletMarginLoss(margin=-1.0)
    with pytest.raises(RuntimeError, match="cosine_embedding_loss: 0D or 1D target"):
        F.cosine_embedding_loss(tl.randn(2, 3), tl.randn(2, 3), tl.randn(2, 1))
    with pytest.raises(RuntimeError, match="1D target tensor expects 2D input tensors"):
        F.cosine_embedding_loss(tl.randn(3), tl.randn(3), tl.randn(1))
    with pytest.raises(ValueError, match="margin_ranking_loss: 'avg' is not a valid"):
        F.margin_ranking_loss(tl.randn(3), tl.randn(3), tl.randn(3), reduction="avg")


# ----- likelihood losses ----------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("log_input", [True, False])
@pytest.mark.parametrize("full", [False, True])
def test_poisson_nll_loss_matches_torch(reduction: str, log_input: bool, full: bool) -> None:
    tf = _tf()
    x = np.array([0.5, -1.0, 2.0, 0.1, 1.3, 3.0])
    if not log_input:
        x = np.abs(x) + 0.05
    y = np.array([0.5, 1.0, 3.0, 2.0, 7.0, 1.5])  # 1.0: the edge of the Stirling term
    compare_with_torch(
        lambda a, t: F.poisson_nll_loss(a, t, log_input, full, reduction=reduction),
        lambda a, t: tf.poisson_nll_loss(a, t, log_input, full, reduction=reduction),
        [x, y], requires_grad=[True, True], **TIGHT)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("var_shape", [(4, 3), (4,), (4, 1), (1, 3)])
def test_gaussian_nll_loss_matches_torch(reduction: str, full: bool, var_shape) -> None:
    tf = _tf()
    x, y = _randn(4, 3), _randn(4, 3, seed=1)
    var = np.abs(_randn(*var_shape, seed=2)) + 0.1
    var.flat[0] = 0.0  # below eps: floored, gradient of the unfloored formula (as PyTorch)
    if var.size > 1:
        var.flat[1] = 1e-8
    compare_with_torch(
        lambda a, t, v: F.gaussian_nll_loss(a, t, v, full=full, reduction=reduction),
        lambda a, t, v: tf.gaussian_nll_loss(a, t, v, full=full, reduction=reduction),
        [x, y, var], requires_grad=[True, True, True], rtol=1e-10, atol=1e-6)


def test_gaussian_nll_loss_scalar_var_and_errors() -> None:
    torch = torch_or_skip()
    x, y = _randn(4, 3), _randn(4, 3, seed=1)
    compare_with_torch(lambda a, t: F.gaussian_nll_loss(a, t, 0.5),
                       lambda a, t: torch.nn.functional.gaussian_nll_loss(a, t, 0.5), [x, y],
                       **TIGHT)
    with pytest.raises(ValueError, match="gaussian_nll_loss: var is of incorrect size"):
        F.gaussian_nll_loss(tl.tensor(x), tl.tensor(y), tl.randn(3, 4).abs())
    with pytest.raises(ValueError, match="gaussian_nll_loss: var has negative entry"):
        F.gaussian_nll_loss(tl.tensor(x), tl.tensor(y), tl.tensor(-np.ones((4, 3))))
    with pytest.raises(ValueError, match="gaussian_nll_loss: var has negative entry"):
        F.gaussian_nll_loss(tl.tensor(x), tl.tensor(y), -1.0)
    with pytest.raises(ValueError, match="gaussian_nll_loss: avg is not valid"):
        F.gaussian_nll_loss(tl.tensor(x), tl.tensor(y), 1.0, reduction="avg")


# ----- modules, legacy arguments, gradcheck ---------------------------------------------

LOSS_MODULES = [
    ("MarginRankingLoss", {"margin": 0.2}, 3),
    ("TripletMarginLoss", {"margin": 0.7, "p": 1.0, "swap": True}, 3),
    ("CosineEmbeddingLoss", {"margin": 0.1, "reduction": "sum"}, 3),
    ("PoissonNLLLoss", {"full": True}, 2),
    ("GaussianNLLLoss", {"full": True, "reduction": "none"}, 3),
]


@pytest.mark.parametrize("name,kwargs,n_inputs", LOSS_MODULES)
def test_loss_modules_match_torch(name: str, kwargs: dict, n_inputs: int) -> None:
    torch = torch_or_skip()
    ours, theirs = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(ours) == repr(theirs)
    for attr in kwargs:
        assert getattr(ours, attr) == getattr(theirs, attr)
    x = [_randn(4, 3), _randn(4, 3, seed=1), np.abs(_randn(4, 3, seed=2)) + 0.1]
    if name in ("MarginRankingLoss", "CosineEmbeddingLoss"):
        x = [x[0][:, 0], x[1][:, 0], np.array([1.0, -1.0, -1.0, 1.0])]
        if name == "CosineEmbeddingLoss":
            x[:2] = [_randn(4, 3), _randn(4, 3, seed=1)]
    if name == "PoissonNLLLoss":
        x[1] = np.array([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [1.5, 2.5, 0.5], [6.0, 7.0, 8.0]])
    compare_with_torch(ours, theirs, x[:n_inputs], **TIGHT)


def test_legacy_size_average_and_reduce() -> None:
    torch = torch_or_skip()
    a, b, y = _randn(5), _randn(5, seed=1), np.sign(_randn(5, seed=2))
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        ours = nn.MarginRankingLoss(size_average=False)
    theirs = torch.nn.MarginRankingLoss(size_average=False)
    assert ours.reduction == theirs.reduction == "sum"
    compare_with_torch(ours, theirs, [a, b, y], requires_grad=[True, True, False], **TIGHT)


GRADCHECK = [
    (lambda a, b: F.cosine_similarity(a, b, dim=1), 2),
    (lambda a, b: F.pairwise_distance(a, b), 2),
    (lambda a, b: F.pairwise_distance(a, b, p=3.0), 2),
    (lambda a, b: F.pairwise_distance(a, b, p=float("inf")), 2),
    (lambda a, b, c: F.triplet_margin_loss(a, b, c, margin=2.0, swap=True), 3),
    (lambda a, b: F.margin_ranking_loss(a[:, 0], b[:, 0], tl.tensor([1.0, -1.0, 1.0]), 0.1), 2),
    (lambda a, b: F.cosine_embedding_loss(a, b, tl.tensor([1.0, -1.0, -1.0]), -0.5), 2),
    (lambda a, b: F.poisson_nll_loss(a, b.abs() + 2, full=True), 2),
    (lambda a, b: F.poisson_nll_loss(a.abs() + 0.1, b, log_input=False), 2),
    (lambda a, b, c: F.gaussian_nll_loss(a, b, c.abs() + 0.1, full=True), 3),
]


@pytest.mark.parametrize("index", range(len(GRADCHECK)))
def test_gradcheck_and_gradgradcheck(index: int) -> None:
    fn, n = GRADCHECK[index]
    inputs = tuple(tl.tensor(_randn(3, 4, seed=s), requires_grad=True) for s in range(n))
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


FLOAT32 = [
    ("cosine_similarity", lambda m, a, b, c: m.cosine_similarity(a, b)),
    ("pairwise_distance", lambda m, a, b, c: m.pairwise_distance(a, b, 3.0)),
    ("triplet_margin_loss", lambda m, a, b, c: m.triplet_margin_loss(a, b, c, swap=True)),
    ("margin_ranking_loss", lambda m, a, b, c: m.margin_ranking_loss(a, b, c.sign(), 0.2)),
    ("cosine_embedding_loss",
     lambda m, a, b, c: m.cosine_embedding_loss(a, b, c[:, 0].sign(), 0.1)),
    ("poisson_nll_loss", lambda m, a, b, c: m.poisson_nll_loss(a, c.abs() * 3, full=True)),
    ("gaussian_nll_loss", lambda m, a, b, c: m.gaussian_nll_loss(a, b, c.abs(), full=True)),
]


@pytest.mark.parametrize("name,call", FLOAT32)
def test_float32_to_rounding(name: str, call) -> None:
    tf = _tf()
    inputs = [_randn(6, 5, seed=s).astype(np.float32) for s in range(3)]
    out = call(F, *[tl.tensor(a) for a in inputs])
    assert out.dtype == np.float32, name
    compare_with_torch(lambda a, b, c: call(F, a, b, c), lambda a, b, c: call(tf, a, b, c),
                       inputs, requires_grad=[True, True, False], rtol=2e-5, atol=2e-6)
