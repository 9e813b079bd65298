r"""NAdam: Adam with a Nesterov-style look-ahead in its momentum term."""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_lite.optim.optimizer import (
    Optimizer,
    ParamsT,
    addcdiv_,
    addcmul_,
    check_betas,
    check_non_negative,
    effective_grad,
    lerp_,
    zeros_state,
)


class NAdam(Optimizer):
    r"""NAdam (``torch.optim.NAdam``): Nesterov momentum inside Adam.

    Nesterov momentum evaluates the step at the point the velocity is about to carry the
    parameters to.  Dozat's NAdam applies the same look-ahead to Adam's first moment: the
    step mixes the *current* gradient (weighted by this step's momentum coefficient) with the
    *next* step's momentum applied to $m_t$.  It also warms up the momentum coefficient with a
    schedule $\mu_t$ ($\psi$ = ``momentum_decay``):

    $$\mu_t = \beta_1\left(1 - \tfrac12\, 0.96^{t\psi}\right), \qquad
      \Pi_t = \prod_{k\le t}\mu_k \;(\text{state ``mu\_product''})$$
    $$m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t, \qquad
      v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2, \qquad
      \hat v_t = \frac{v_t}{1-\beta_2^t}$$
    $$\theta_t = \theta_{t-1}
      - \gamma\,\frac{1-\mu_t}{1-\Pi_t}\,\frac{g_t}{\sqrt{\hat v_t}+\epsilon}
      - \gamma\,\frac{\mu_{t+1}}{1-\Pi_t\,\mu_{t+1}}\,\frac{m_t}{\sqrt{\hat v_t}+\epsilon}$$

    where $g_t = \nabla f(\theta_{t-1}) + \lambda\theta_{t-1}$, or, with
    ``decoupled_weight_decay=True``, the plain gradient after $\theta \leftarrow
    (1-\gamma\lambda)\theta$ as in AdamW.  The factors $1/(1-\Pi)$ play the role of Adam's
    first-moment bias correction.

    Reference: Dozat (2016), "Incorporating Nesterov Momentum into Adam" (ICLR workshop).

    Plain reference form (``optim.reference.nadam_step``, default options; a test
    checks it gives the same trajectory as this class)::

        def nadam_step(p, g, state, ...):
            b1, b2 = betas
            t = state["t"] = state.get("t", 0) + 1
            mu, mu_next = (b1 * (1 - 0.5 * 0.96 ** (k * momentum_decay)) for k in (t, t + 1))
            prod = state["prod"] = state.get("prod", 1.0) * mu
            m = state["m"] = b1 * state.get("m", 0.0) + (1 - b1) * g
            v = state["v"] = b2 * state.get("v", 0.0) + (1 - b2) * g * g
            denom = np.sqrt(v / (1 - b2**t)) + eps
            p -= lr * (1 - mu) / (1 - prod) * g / denom  # the current gradient
            p -= lr * mu_next / (1 - prod * mu_next) * m / denom  # momentum, one step ahead

    Args:
        params: an iterable of Tensors or of dicts (parameter groups).
        lr: learning rate $\gamma$ (default 2e-3).
        betas: $(\beta_1, \beta_2)$, each in [0, 1) (default (0.9, 0.999)).
        eps: added to $\sqrt{\hat v_t}$ (default 1e-8).
        weight_decay: weight decay $\lambda$ (default 0).
        momentum_decay: $\psi$ in the momentum schedule (default 4e-3).
        decoupled_weight_decay: AdamW-style decay (default False).
        maximize: maximize the objective instead of minimizing it.

    >>> import tinygrad_lite as tl
    >>> w = tl.tensor([1.0], requires_grad=True)
    >>> opt = tl.optim.NAdam([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()  # lr * g/|g| plus the look-ahead on m_1: a bit more than Adam's 0.1
    >>> round(w.item(), 4)
    0.8944
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        check_non_negative(lr, "Invalid learning rate")
        check_non_negative(eps, "Invalid epsilon value")
        betas = check_betas(betas)
        check_non_negative(weight_decay, "Invalid weight_decay value")
        check_non_negative(momentum_decay, "Invalid momentum_decay value")
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        if not state:
            state["step"] = 0.0
            state["mu_product"] = 1.0
            state["exp_avg"] = zeros_state(param)
            state["exp_avg_sq"] = zeros_state(param)
        state["step"] += 1
        step = state["step"]
        lr, weight_decay, psi = group["lr"], group["weight_decay"], group["momentum_decay"]
        beta1, beta2 = group["betas"]
        bias_correction2 = 1 - beta2**step
        if weight_decay != 0 and group["decoupled_weight_decay"]:
            np.multiply(param, 1 - lr * weight_decay, out=param)
            weight_decay = 0
        g = effective_grad(param, grad, weight_decay, group["maximize"])

        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * psi)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * psi)))
        state["mu_product"] *= mu
        mu_product = state["mu_product"]

        exp_avg, exp_avg_sq = state["exp_avg"].data, state["exp_avg_sq"].data
        lerp_(exp_avg, g, 1 - beta1)
        np.multiply(exp_avg_sq, beta2, out=exp_avg_sq)
        addcmul_(exp_avg_sq, g, g, value=1 - beta2)
        denom = np.divide(exp_avg_sq, bias_correction2)
        np.sqrt(denom, out=denom)
        np.add(denom, group["eps"], out=denom)  # sqrt(v_hat) + eps
        addcdiv_(param, g, denom, value=-lr * (1.0 - mu) / (1.0 - mu_product))
        addcdiv_(param, exp_avg, denom, value=-lr * mu_next / (1.0 - mu_product * mu_next))
