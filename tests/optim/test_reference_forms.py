"""Each optimizer's plain reference form (optim/reference.py) gives the class's trajectory."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import tinygrad_lite as tl
from tinygrad_lite.optim import reference as ref

RNG = np.random.default_rng(0)
A = RNG.standard_normal((6, 4))
B = RNG.standard_normal(6)
START = RNG.standard_normal(4)


def grad_of(p: np.ndarray) -> np.ndarray:
    """Gradient of |A p - b|^2 + 0.1 |p|^4_4, by hand."""
    return 2 * A.T @ (A @ p - B) + 0.4 * p**3


CASES = [
    (tl.optim.SGD, ref.sgd_step, dict(lr=0.02)),
    (tl.optim.SGD, ref.sgd_step, dict(lr=0.02, momentum=0.9)),
    (tl.optim.Adagrad, ref.adagrad_step, dict(lr=0.1)),
    (tl.optim.RMSprop, ref.rmsprop_step, dict(lr=0.01)),
    (tl.optim.Adadelta, ref.adadelta_step, dict()),
    (tl.optim.Adam, ref.adam_step, dict(lr=0.05)),
    (tl.optim.AdamW, ref.adamw_step, dict(lr=0.05, weight_decay=0.1)),
    (tl.optim.NAdam, ref.nadam_step, dict(lr=0.05)),
]


@pytest.mark.parametrize("cls, step, kwargs", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_reference_form_gives_the_same_trajectory(cls, step, kwargs):
    w = tl.tensor(START.copy(), requires_grad=True)
    opt = cls([w], **kwargs)
    p, state = START.copy(), {}
    At, Bt = tl.tensor(A), tl.tensor(B)  # noqa: N806
    for _ in range(50):
        opt.zero_grad()
        (((At @ w - Bt) ** 2).sum() + 0.1 * (w**4).sum()).backward()
        np.testing.assert_allclose(w.grad.data, grad_of(p), rtol=1e-12, atol=1e-12)
        opt.step()
        step(p, grad_of(p), state, **kwargs)
        np.testing.assert_allclose(w.data, p, rtol=1e-10, atol=1e-12)
    assert np.abs(p - START).max() > 1e-2  # it moved


@pytest.mark.parametrize("cls, step", [(c, s) for c, s, _ in CASES], ids=lambda c: c.__name__)
def test_docstring_shows_the_reference_form(cls, step):
    body = inspect.getsource(step).split('"""')[-1].strip().splitlines()
    doc = cls.__doc__
    assert f"def {step.__name__}(p, g, state, ...):" in doc
    for line in body:
        assert line.strip() in doc, (cls.__name__, line)


def test_module_example():
    import doctest

    assert doctest.testmod(ref).failed == 0
