r"""Stochastic gradient descent, with PyTorch's momentum, dampening and Nesterov options."""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_lite.optim.optimizer import (
    Optimizer,
    ParamsT,
    add_,
    check_non_negative,
    effective_grad,
    state_tensor,
)


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with momentum (``torch.optim.SGD``).

    Plain SGD steps against the gradient:

    $$\theta_t = \theta_{t-1} - \gamma\, g_t, \qquad
      g_t = \nabla f(\theta_{t-1}) + \lambda\,\theta_{t-1}$$

    ($\gamma$ = ``lr``, $\lambda$ = ``weight_decay``, an L2 penalty added to the gradient;
    ``maximize`` uses $-\nabla f$).

    **Momentum** keeps a running *first moment* of the gradient, a velocity $b$ that averages
    recent gradients so that steps build up along consistent directions and cancel across
    oscillating ones:

    $$b_1 = g_1, \qquad b_t = \mu\, b_{t-1} + (1 - \tau)\, g_t, \qquad
      \theta_t = \theta_{t-1} - \gamma\, b_t$$

    ($\mu$ = ``momentum``, $\tau$ = ``dampening``; the first step copies the gradient, so
    dampening is *not* applied on it).  **Nesterov** momentum looks ahead along the velocity:
    the step uses $g_t + \mu\, b_t$ instead of $b_t$.

    Note on conventions: this is PyTorch's form, which folds the learning rate *outside* the
    velocity.  Sutskever et al. (2013) and many papers write
    $v_t = \mu v_{t-1} + \gamma g_t$, $\theta_t = \theta_{t-1} - v_t$; the two agree for a
    constant learning rate and differ when $\gamma$ changes during training (a scheduler).

    References: Polyak (1964), "Some methods of speeding up the convergence of iteration
    methods"; Sutskever, Martens, Dahl, Hinton (2013), "On the importance of initialization and
    momentum in deep learning" (ICML); Nesterov (1983).

    Plain reference form (``optim.reference.sgd_step``, default options; a test
    checks it gives the same trajectory as this class)::

        def sgd_step(p, g, state, ...):
            if momentum:
                state["b"] = g.copy() if "b" not in state else momentum * state["b"] + g
                g = state["b"]
            p -= lr * g

    Args:
        params: an iterable of Tensors or of dicts (parameter groups).
        lr: learning rate $\gamma$ (default 1e-3, PyTorch's).
        momentum: momentum factor $\mu$ (default 0).
        dampening: dampening $\tau$ for momentum (default 0).
        weight_decay: L2 penalty $\lambda$ (default 0).
        nesterov: use Nesterov momentum (needs ``momentum > 0`` and ``dampening == 0``).
        maximize: maximize the objective instead of minimizing it.

    >>> import tinygrad_lite as tl
    >>> w = tl.tensor([1.0], requires_grad=True)
    >>> opt = tl.optim.SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     opt.zero_grad()
    ...     (w * w).sum().backward()
    ...     opt.step()
    >>> round(w.item(), 4)  # 1 - 0.1*2 = 0.8, then b = 0.9*2 + 1.6 = 3.4, 0.8 - 0.34
    0.46
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        check_non_negative(lr, "Invalid learning rate")
        check_non_negative(momentum, "Invalid momentum value")
        check_non_negative(weight_decay, "Invalid weight_decay value")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        g = effective_grad(param, grad, group["weight_decay"], group["maximize"])
        momentum = group["momentum"]
        if momentum != 0:
            buf_t = state.get("momentum_buffer")
            if buf_t is None:
                buf = g.copy()
                state["momentum_buffer"] = state_tensor(buf)
            else:
                buf = buf_t.data
                np.multiply(buf, momentum, out=buf)
                add_(buf, g, alpha=1 - group["dampening"])
            if group["nesterov"]:
                g = g + momentum * buf
            else:
                g = buf
        add_(param, g, alpha=-group["lr"])
