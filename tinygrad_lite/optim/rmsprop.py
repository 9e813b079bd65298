r"""RMSprop: AdaGrad with a moving average of squared gradients instead of their sum."""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_lite.optim.optimizer import (
    Optimizer,
    ParamsT,
    add_,
    addcdiv_,
    addcmul_,
    check_non_negative,
    effective_grad,
    lerp_,
    zeros_state,
)


class RMSprop(Optimizer):
    r"""RMSprop (``torch.optim.RMSprop``).

    RMSprop keeps AdaGrad's per-coordinate scaling by the root of a second moment, but replaces
    AdaGrad's ever-growing *sum* of squared gradients with an exponential moving *average*:

    $$g_t = \nabla f(\theta_{t-1}) + \lambda\,\theta_{t-1}, \qquad
      v_t = \alpha\, v_{t-1} + (1 - \alpha)\, g_t^2, \qquad
      \theta_t = \theta_{t-1} - \gamma\,\frac{g_t}{\sqrt{v_t} + \epsilon}$$

    The average forgets old gradients with time constant about $1/(1-\alpha)$ steps, so $v_t$
    tracks the *current* gradient scale and the step stays near $\gamma$ instead of decaying
    like $\gamma/\sqrt t$.  Options (PyTorch's):

    * ``centered``: also average the gradient, $\bar g_t = \alpha\,\bar g_{t-1} +
      (1-\alpha)\,g_t$, and divide by the estimated standard deviation
      $\sqrt{v_t - \bar g_t^2} + \epsilon$ (Graves, 2013) instead of the root mean square.
    * ``momentum`` $\mu > 0$: accumulate the scaled step,
      $b_t = \mu\, b_{t-1} + g_t / (\sqrt{v_t} + \epsilon)$, $\theta_t = \theta_{t-1} -
      \gamma\, b_t$.

    $v_0 = 0$ and there is no bias correction (unlike Adam), so the very first steps are
    larger than $\gamma$: $v_1 = (1-\alpha) g_1^2$ gives a first step of $\gamma/\sqrt{1-\alpha}$.

    Reference: Hinton, Srivastava, Swersky, *Neural Networks for Machine Learning*, lecture 6e
    (2012); Graves (2013), "Generating Sequences With Recurrent Neural Networks" (centered).

    Plain reference form (``optim.reference.rmsprop_step``, default options; a test
    checks it gives the same trajectory as this class)::

        def rmsprop_step(p, g, state, ...):
            state["v"] = alpha * state.get("v", 0.0) + (1 - alpha) * g * g
            p -= lr * g / (np.sqrt(state["v"]) + eps)

    Args:
        params: an iterable of Tensors or of dicts (parameter groups).
        lr: learning rate $\gamma$ (default 1e-2).
        alpha: smoothing constant $\alpha$ (default 0.99).
        eps: added to the denominator (default 1e-8).
        weight_decay: L2 penalty $\lambda$ (default 0).
        momentum: momentum factor $\mu$ (default 0).
        centered: normalize by the estimated variance of the gradient (default False).
        maximize: maximize the objective instead of minimizing it.

    >>> import tinygrad_lite as tl
    >>> w = tl.tensor([1.0], requires_grad=True)
    >>> opt = tl.optim.RMSprop([w], lr=0.01, alpha=0.99)
    >>> (w * w).sum().backward()
    >>> opt.step()  # first step: lr / sqrt(1 - alpha) = 0.1
    >>> round(w.item(), 6)
    0.9
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        check_non_negative(lr, "Invalid learning rate")
        check_non_negative(eps, "Invalid epsilon value")
        check_non_negative(momentum, "Invalid momentum value")
        check_non_negative(weight_decay, "Invalid weight_decay value")
        check_non_negative(alpha, "Invalid alpha value")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        alpha, momentum = group["alpha"], group["momentum"]
        if not state:
            state["step"] = 0.0
            state["square_avg"] = zeros_state(param)
            if momentum > 0:
                state["momentum_buffer"] = zeros_state(param)
            if group["centered"]:
                state["grad_avg"] = zeros_state(param)
        state["step"] += 1
        g = effective_grad(param, grad, group["weight_decay"], group["maximize"])
        square_avg = state["square_avg"].data
        np.multiply(square_avg, alpha, out=square_avg)
        addcmul_(square_avg, g, g, value=1 - alpha)
        if group["centered"]:
            grad_avg = state["grad_avg"].data
            lerp_(grad_avg, g, 1 - alpha)
            avg = square_avg.copy()
            addcmul_(avg, grad_avg, grad_avg, value=-1)
            np.sqrt(avg, out=avg)  # sqrt(v_t - gbar_t^2)
        else:
            avg = np.sqrt(square_avg)
        np.add(avg, group["eps"], out=avg)
        if momentum > 0:
            buf = state["momentum_buffer"].data
            np.multiply(buf, momentum, out=buf)
            addcdiv_(buf, g, avg)
            add_(param, buf, alpha=-group["lr"])
        else:
            addcdiv_(param, g, avg, value=-group["lr"])
