"""Loss modules: same results as their functional twins and PyTorch's modules, buffers in
``state_dict``, PyTorch's constructor argument order and repr."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tl
from tests.helpers import compare_with_torch, torch_or_skip
from tinygrad_lite import nn


def _cases(rng: np.random.Generator) -> list[tuple[str, dict, list[np.ndarray], list[bool]]]:
    """(module name, constructor kwargs as arrays or values, inputs, requires_grad)."""
    x, y = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    y[0, 0] = x[0, 0]  # a zero residual (kink of L1)
    idx = np.array([0, 2, 1, 2])
    probs = rng.random((4, 3))
    sign = np.where(rng.random((4, 3)) < 0.5, -1.0, 1.0)
    logp = np.log(rng.dirichlet(np.ones(3), size=4))
    w3 = np.array([0.5, 1.0, 2.0])
    return [
        ("MSELoss", {}, [x, y], [True, True]),
        ("L1Loss", {"reduction": "sum"}, [x, y], [True, True]),
        ("SmoothL1Loss", {"beta": 0.5}, [x, y], [True, True]),
        ("HuberLoss", {"delta": 0.5, "reduction": "none"}, [x, y], [True, True]),
        ("CrossEntropyLoss", {"weight": w3, "ignore_index": 1, "label_smoothing": 0.2},
         [x, idx], [True, False]),
        ("NLLLoss", {"weight": w3}, [logp, idx], [True, False]),
        ("BCELoss", {"weight": w3}, [1 / (1 + np.exp(-x)), probs], [True, False]),
        ("BCEWithLogitsLoss", {"pos_weight": w3}, [x * 100, probs], [True, True]),
        ("KLDivLoss", {"reduction": "batchmean"}, [logp, np.exp(logp[::-1].copy())],
         [True, True]),
        ("HingeEmbeddingLoss", {"margin": 0.5}, [x, sign], [True, False]),
        ("MultiMarginLoss", {"p": 2, "weight": w3}, [x, idx], [True, False]),
        ("SoftMarginLoss", {}, [x, sign], [True, False]),
    ]


@pytest.mark.parametrize("case", range(12))
def test_modules_match_torch(case: int) -> None:
    torch = torch_or_skip()
    name, kwargs, inputs, grads = _cases(np.random.default_rng(20))[case]

    def build(lib, tensor):
        return getattr(lib, name)(**{k: tensor(v) if isinstance(v, np.ndarray) else v
                                     for k, v in kwargs.items()})

    ours, theirs = build(nn, tl.tensor), build(torch.nn, torch.tensor)
    compare_with_torch(ours, theirs, inputs, requires_grad=grads)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)


def test_weight_buffers_follow_state_dict_and_double() -> None:
    loss = nn.BCEWithLogitsLoss(weight=tl.ones(3), pos_weight=tl.full((3,), 2.0))
    assert list(loss.state_dict()) == ["weight", "pos_weight"]
    loss.double()
    assert loss.pos_weight.dtype == np.float64
    assert list(nn.CrossEntropyLoss().state_dict()) == []


def test_legacy_positional_arguments() -> None:
    # PyTorch's order: (weight, size_average, ignore_index, reduce, reduction, label_smoothing)
    with pytest.warns(UserWarning, match="reduction='sum'"):
        loss = nn.CrossEntropyLoss(None, False, -1)
    assert loss.reduction == "sum" and loss.ignore_index == -1
    with pytest.raises(ValueError, match="MultiMarginLoss: only p == 1 and p == 2"):
        nn.MultiMarginLoss(p=3)
    with pytest.raises(ValueError, match="MSELoss: 'avg' is not a valid value for reduction"):
        nn.MSELoss(reduction="avg")
