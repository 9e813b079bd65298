r"""Each optimizer's update rule in its plain form: a few lines of numpy to read next to the math.

The classes in this package are written for speed (in-place updates, fused formulas, every
PyTorch option); the functions here are the textbook forms with the default options, one step
on one parameter array ``p`` with gradient ``g`` and a ``state`` dict.  They change ``p`` in
place, like the classes.  ``tests/optim/test_reference_forms.py`` checks that each gives the
same trajectory as its class; each class's docstring shows its form.

>>> import numpy as np
>>> p, state = np.array([1.0, -2.0]), {}
>>> for _ in range(3):
...     adam_step(p, 2 * p, state, lr=0.1)  # f(p) = |p|^2
>>> p.round(4).tolist()  # about lr = 0.1 per step: Adam steps are scale-free
[0.7016, -1.7006]
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "sgd_step", "adagrad_step", "rmsprop_step", "adadelta_step", "adam_step", "adamw_step",
    "nadam_step",
]


def sgd_step(p: np.ndarray, g: np.ndarray, state: dict[str, Any], lr: float,
             momentum: float = 0.0) -> None:
    """SGD with PyTorch's momentum: $b_t = \\mu b_{t-1} + g_t$ ($b_1 = g_1$), $p \\mathrel{-}=
    \\gamma b_t$."""
    if momentum:
        state["b"] = g.copy() if "b" not in state else momentum * state["b"] + g
        g = state["b"]
    p -= lr * g


def adagrad_step(p: np.ndarray, g: np.ndarray, state: dict[str, Any], lr: float = 1e-2,
                 eps: float = 1e-10) -> None:
    """AdaGrad: the sum of squared gradients divides each coordinate's step."""
    state["s"] = state.get("s", 0.0) + g * g
    p -= lr * g / (np.sqrt(state["s"]) + eps)


def rmsprop_step(p: np.ndarray, g: np.ndarray, state: dict[str, Any], lr: float = 1e-2,
                 alpha: float = 0.99, eps: float = 1e-8) -> None:
    """RMSprop: a moving average of squared gradients instead of AdaGrad's sum."""
    state["v"] = alpha * state.get("v", 0.0) + (1 - alpha) * g * g
    p -= lr * g / (np.sqrt(state["v"]) + eps)


def adadelta_step(p: np.ndarray, g: np.ndarray, state: dict[str, Any], lr: float = 1.0,
                  rho: float = 0.9, eps: float = 1e-6) -> None:
    """Adadelta: the step's units come from a moving average of past squared steps."""
    state["v"] = rho * state.get("v", 0.0) + (1 - rho) * g * g
    delta = np.sqrt(state.get("u", 0.0) + eps) / np.sqrt(state["v"] + eps) * g
    state["u"] = rho * state.get("u", 0.0) + (1 - rho) * delta * delta
    p -= lr * delta


def adam_step(p: np.ndarray, g: np.ndarray, state: dict[str, Any], lr: float = 1e-3,
              betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
    """Adam: momentum's first moment over RMSprop's second, both bias-corrected."""
    b1, b2 = betas
    t = state["t"] = state.get("t", 0) + 1
    m = state["m"] = b1 * state.get("m", 0.0) + (1 - b1) * g
    v = state["v"] = b2 * state.get("v", 0.0) + (1 - b2) * g * g
    p -= lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)


def adamw_step(p: np.ndarray, g: np.ndarray, state: dict[str, Any], lr: float = 1e-3,
               betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
               weight_decay: float = 1e-2) -> None:
    """AdamW: shrink the weights first (decoupled decay), then an Adam step."""
    p *= 1 - lr * weight_decay
    adam_step(p, g, state, lr, betas, eps)


def nadam_step(p: np.ndarray, g: np.ndarray, state: dict[str, Any], lr: float = 2e-3,
               betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
               momentum_decay: float = 4e-3) -> None:
    """NAdam: Adam whose momentum looks one step ahead, with a warm-up schedule $\\mu_t$."""
    b1, b2 = betas
    t = state["t"] = state.get("t", 0) + 1
    mu, mu_next = (b1 * (1 - 0.5 * 0.96 ** (k * momentum_decay)) for k in (t, t + 1))
    prod = state["prod"] = state.get("prod", 1.0) * mu
    m = state["m"] = b1 * state.get("m", 0.0) + (1 - b1) * g
    v = state["v"] = b2 * state.get("v", 0.0) + (1 - b2) * g * g
    denom = np.sqrt(v / (1 - b2**t)) + eps
    p -= lr * (1 - mu) / (1 - prod) * g / denom  # the current gradient
    p -= lr * mu_next / (1 - prod * mu_next) * m / denom  # momentum, one step ahead
