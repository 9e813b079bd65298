r"""AdaDelta: moving averages of squared gradients *and* squared updates, no hand-set scale."""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_lite.optim.optimizer import (
    Optimizer,
    ParamsT,
    add_,
    addcmul_,
    check_non_negative,
    effective_grad,
    zeros_state,
)


class Adadelta(Optimizer):
    r"""AdaDelta (``torch.optim.Adadelta``).

    AdaDelta descends from AdaGrad and fixes its vanishing steps the same way RMSprop does:
    the ever-growing sum of squared gradients becomes an exponential moving average $v_t$.
    It also tracks a moving average $u_t$ of the squared *updates*, and scales each step by
    $\sqrt{u_{t-1}+\epsilon}$, so the update carries the units of $\theta$ and needs no
    hand-tuned global scale (hence ``lr=1.0`` by default):

    $$g_t = \nabla f(\theta_{t-1}) + \lambda\,\theta_{t-1}, \qquad
      v_t = \rho\, v_{t-1} + (1-\rho)\, g_t^2$$
    $$\Delta_t = \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\; g_t, \qquad
      u_t = \rho\, u_{t-1} + (1-\rho)\, \Delta_t^2, \qquad
      \theta_t = \theta_{t-1} - \gamma\, \Delta_t$$

    with $v_0 = u_0 = 0$, $\rho$ = ``rho`` and $\epsilon$ = ``eps`` inside both roots (as in
    the paper and PyTorch).  Because $u_0 = 0$, the first steps have size about
    $\sqrt{\epsilon}$, so AdaDelta starts slowly.

    Reference: Zeiler (2012), "ADADELTA: An Adaptive Learning Rate Method", arXiv:1212.5701.

    Plain reference form (``optim.reference.adadelta_step``, default options; a test
    checks it gives the same trajectory as this class)::

        def adadelta_step(p, g, state, ...):
            state["v"] = rho * state.get("v", 0.0) + (1 - rho) * g * g
            delta = np.sqrt(state.get("u", 0.0) + eps) / np.sqrt(state["v"] + eps) * g
            state["u"] = rho * state.get("u", 0.0) + (1 - rho) * delta * delta
            p -= lr * delta

    Args:
        params: an iterable of Tensors or of dicts (parameter groups).
        lr: coefficient $\gamma$ that scales $\Delta_t$ (default 1.0).
        rho: decay $\rho$ of both moving averages, in [0, 1] (default 0.9).
        eps: added inside the square roots (default 1e-6).
        weight_decay: L2 penalty $\lambda$ (default 0).
        maximize: maximize the objective instead of minimizing it.

    >>> import tinygrad_lite as tl
    >>> w = tl.tensor([1.0], requires_grad=True)
    >>> opt = tl.optim.Adadelta([w])
    >>> (w * w).sum().backward()
    >>> opt.step()  # sqrt(1e-6) / sqrt(0.1 * 4 + 1e-6) * 2 ~= 0.00316
    >>> round(1 - w.item(), 5)
    0.00316
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        *,
        maximize: bool = False,
    ) -> None:
        check_non_negative(lr, "Invalid learning rate")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_non_negative(eps, "Invalid epsilon value")
        check_non_negative(weight_decay, "Invalid weight_decay value")
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        if not state:
            state["step"] = 0.0
            state["square_avg"] = zeros_state(param)
            state["acc_delta"] = zeros_state(param)
        state["step"] += 1
        rho, eps = group["rho"], group["eps"]
        g = effective_grad(param, grad, group["weight_decay"], group["maximize"])
        square_avg, acc_delta = state["square_avg"].data, state["acc_delta"].data
        np.multiply(square_avg, rho, out=square_avg)
        addcmul_(square_avg, g, g, value=1 - rho)
        std = np.add(square_avg, eps)
        np.sqrt(std, out=std)  # sqrt(v_t + eps)
        delta = np.add(acc_delta, eps)
        np.sqrt(delta, out=delta)
        np.divide(delta, std, out=delta)
        np.multiply(delta, g, out=delta)  # Delta_t
        np.multiply(acc_delta, rho, out=acc_delta)
        addcmul_(acc_delta, delta, delta, value=1 - rho)
        add_(param, delta, alpha=-group["lr"])
