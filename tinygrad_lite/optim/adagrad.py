r"""AdaGrad: a per-parameter step size from the accumulated sum of squared gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_lite.optim.optimizer import (
    Optimizer,
    ParamsT,
    addcdiv_,
    addcmul_,
    check_non_negative,
    effective_grad,
    zeros_state,
)


class Adagrad(Optimizer):
    r"""AdaGrad (``torch.optim.Adagrad``): each coordinate gets its own step size.

    Where SGD and momentum use one learning rate for every coordinate, AdaGrad divides each
    coordinate's step by the root of the *sum of all its past squared gradients*, $s_t$ (an
    uncentered second moment, summed rather than averaged):

    $$g_t = \nabla f(\theta_{t-1}) + \lambda\,\theta_{t-1}, \qquad
      \tilde\gamma_t = \frac{\gamma}{1 + (t - 1)\,\eta}$$
    $$s_t = s_{t-1} + g_t^2, \qquad
      \theta_t = \theta_{t-1} - \tilde\gamma_t\,\frac{g_t}{\sqrt{s_t} + \epsilon}$$

    with $s_0$ = ``initial_accumulator_value`` and $\eta$ = ``lr_decay``.  Coordinates with
    large or frequent gradients take small steps and rare ones take large steps, which suits
    sparse features.  The catch: $s_t$ only grows.  With gradients of typical size $G$,
    $s_t \approx t\,G^2$ and the step behaves like $\gamma / \sqrt t$, so steps shrink toward
    zero whether or not the optimum has been reached.  RMSprop fixes that by replacing the sum
    with a moving average.

    Reference: Duchi, Hazan, Singer (2011), "Adaptive Subgradient Methods for Online Learning
    and Stochastic Optimization" (JMLR).

    Plain reference form (``optim.reference.adagrad_step``, default options; a test
    checks it gives the same trajectory as this class)::

        def adagrad_step(p, g, state, ...):
            state["s"] = state.get("s", 0.0) + g * g
            p -= lr * g / (np.sqrt(state["s"]) + eps)

    Args:
        params: an iterable of Tensors or of dicts (parameter groups).
        lr: learning rate $\gamma$ (default 1e-2).
        lr_decay: $\eta$, the learning rate decays as $\gamma / (1 + (t-1)\eta)$ (default 0).
        weight_decay: L2 penalty $\lambda$ (default 0).
        initial_accumulator_value: starting value of $s$ (default 0).
        eps: added to $\sqrt{s_t}$ for numerical stability (default 1e-10).
        maximize: maximize the objective instead of minimizing it.

    >>> import tinygrad_lite as tl
    >>> w = tl.tensor([3.0, 0.001], requires_grad=True)
    >>> opt = tl.optim.Adagrad([w], lr=0.5)
    >>> (w * w).sum().backward()
    >>> opt.step()  # the first step has size lr in every coordinate: g / sqrt(g^2) = sign(g)
    >>> [round(v, 4) for v in w.tolist()]
    [2.5, -0.499]
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        check_non_negative(lr, "Invalid learning rate")
        check_non_negative(lr_decay, "Invalid lr_decay value")
        check_non_negative(weight_decay, "Invalid weight_decay value")
        check_non_negative(initial_accumulator_value, "Invalid initial_accumulator_value value")
        check_non_negative(eps, "Invalid epsilon value")
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "maximize": maximize,
        }
        super().__init__(params, defaults)
        # PyTorch creates Adagrad's state eagerly, so state_dict() lists every parameter.
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(self.state[p], p.data, group)

    @staticmethod
    def _init_state(state: dict[str, Any], param: np.ndarray, group: dict[str, Any]) -> None:
        state["step"] = 0.0
        state["sum"] = zeros_state(param, group["initial_accumulator_value"])

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        if not state:
            self._init_state(state, param, group)
        state["step"] += 1
        step = state["step"]
        g = effective_grad(param, grad, group["weight_decay"], group["maximize"])
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        state_sum = state["sum"].data
        addcmul_(state_sum, g, g)
        std = np.sqrt(state_sum)
        np.add(std, group["eps"], out=std)
        addcdiv_(param, g, std, value=-clr)
