r"""Adam (Adaptive + Momentum, with bias correction) and AdamW (decoupled weight decay)."""

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


class Adam(Optimizer):
    r"""Adam (``torch.optim.Adam``): momentum's first moment over RMSprop's second moment.

    Adam combines the two previous ideas.  From momentum SGD it takes an exponential moving
    average of the gradient, the *first moment* $m_t$ (a smoothed direction); from RMSprop an
    exponential moving average of the squared gradient, the uncentered *second moment* $v_t$
    (a per-coordinate scale); and it corrects both for starting at zero:

    $$g_t = \nabla f(\theta_{t-1}) + \lambda\,\theta_{t-1}$$
    $$m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t, \qquad
      v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2$$
    $$\hat m_t = \frac{m_t}{1-\beta_1^t}, \qquad \hat v_t = \frac{v_t}{1-\beta_2^t}, \qquad
      \theta_t = \theta_{t-1} - \gamma\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}$$

    **Bias correction.** With $m_0 = 0$, $m_t = (1-\beta_1)\sum_{k\le t}\beta_1^{t-k} g_k$,
    whose weights sum to $1-\beta_1^t$, not 1: for a constant gradient $g$,
    $m_t = (1-\beta_1^t)\,g$.  Early on (for $\beta_2 = 0.999$, the first thousand steps or so)
    the raw averages are far too small; dividing by $1-\beta^t$ makes them unbiased, so the
    first step already has size about $\gamma$.

    ``amsgrad=True`` normalizes by the running maximum $v^{\max}_t = \max(v^{\max}_{t-1}, v_t)$
    instead of $v_t$ (Reddi et al., 2018), so the effective step size never grows back.

    ``weight_decay`` here is an L2 penalty added to the gradient, which then passes through the
    adaptive scaling; for decay that does not, use :class:`AdamW` (or
    ``decoupled_weight_decay=True``).

    Reference: Kingma, Ba (2015), "Adam: A Method for Stochastic Optimization" (ICLR);
    Reddi, Kale, Kumar (2018), "On the Convergence of Adam and Beyond" (ICLR).

    Plain reference form (``optim.reference.adam_step``, default options; a test
    checks it gives the same trajectory as this class)::

        def adam_step(p, g, state, ...):
            b1, b2 = betas
            t = state["t"] = state.get("t", 0) + 1
            m = state["m"] = b1 * state.get("m", 0.0) + (1 - b1) * g
            v = state["v"] = b2 * state.get("v", 0.0) + (1 - b2) * g * g
            p -= lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)

    Args:
        params: an iterable of Tensors or of dicts (parameter groups).
        lr: learning rate $\gamma$ (default 1e-3).
        betas: $(\beta_1, \beta_2)$, each in [0, 1) (default (0.9, 0.999)).
        eps: added to $\sqrt{\hat v_t}$ (default 1e-8).
        weight_decay: L2 penalty $\lambda$ (default 0).
        amsgrad: use the AMSGrad variant (default False).
        maximize: maximize the objective instead of minimizing it.
        decoupled_weight_decay: apply AdamW's decay $\theta \leftarrow (1-\gamma\lambda)\theta$
            instead of the L2 gradient term (default False).

    >>> import tinygrad_lite as tl
    >>> w = tl.tensor([1.0, -1.0], requires_grad=True)
    >>> opt = tl.optim.Adam([w], lr=0.1)
    >>> (100 * w * w).sum().backward()
    >>> opt.step()  # thanks to bias correction the first step is lr * sign(g), however big g is
    >>> [round(v, 6) for v in w.tolist()]
    [0.9, -0.9]
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        check_non_negative(lr, "Invalid learning rate")
        check_non_negative(eps, "Invalid epsilon value")
        betas = check_betas(betas)
        check_non_negative(weight_decay, "Invalid weight_decay value")
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        if not state:
            state["step"] = 0.0
            state["exp_avg"] = zeros_state(param)  # m: first moment
            state["exp_avg_sq"] = zeros_state(param)  # v: second moment
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = zeros_state(param)
        state["step"] += 1
        step = state["step"]
        lr, weight_decay = group["lr"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        if weight_decay != 0 and group["decoupled_weight_decay"]:
            np.multiply(param, 1 - lr * weight_decay, out=param)
            weight_decay = 0
        g = effective_grad(param, grad, weight_decay, group["maximize"])
        exp_avg, exp_avg_sq = state["exp_avg"].data, state["exp_avg_sq"].data
        tmp = np.empty_like(exp_avg)  # one scratch array serves every step below
        lerp_(exp_avg, g, 1 - beta1, tmp=tmp)
        np.multiply(exp_avg_sq, beta2, out=exp_avg_sq)
        addcmul_(exp_avg_sq, g, g, value=1 - beta2, tmp=tmp)

        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        step_size = lr / bias_correction1
        if group["amsgrad"]:
            max_sq = state["max_exp_avg_sq"].data
            np.maximum(max_sq, exp_avg_sq, out=max_sq)
            denom = np.sqrt(max_sq, out=tmp)
        else:
            denom = np.sqrt(exp_avg_sq, out=tmp)
        np.divide(denom, bias_correction2**0.5, out=denom)
        np.add(denom, group["eps"], out=denom)  # sqrt(v_hat) + eps
        addcdiv_(param, exp_avg, denom, value=-step_size, tmp=denom)


class AdamW(Adam):
    r"""AdamW (``torch.optim.AdamW``): Adam with *decoupled* weight decay.

    In :class:`Adam`, an L2 penalty $\lambda\theta$ is added to the gradient and then divided by
    $\sqrt{\hat v_t}$, so weights with large gradient history are barely regularized.  AdamW
    decays the weights directly, outside the adaptive step, before the Adam update:

    $$\theta_{t-1}' = (1 - \gamma\lambda)\,\theta_{t-1}, \qquad
      \theta_t = \theta_{t-1}' - \gamma\,\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}$$

    with $m_t, v_t, \hat m_t, \hat v_t$ as in Adam computed from the plain gradient
    $g_t = \nabla f(\theta_{t-1})$.  Every weight shrinks by the same factor each step.  The
    default ``weight_decay`` is 1e-2 (PyTorch's).  Note PyTorch multiplies by ``lr``, so the
    decay per step is $\gamma\lambda$ and follows a learning-rate schedule.

    Reference: Loshchilov, Hutter (2019), "Decoupled Weight Decay Regularization" (ICLR).

    Plain reference form (``optim.reference.adamw_step``, default options; a test
    checks it gives the same trajectory as this class)::

        def adamw_step(p, g, state, ...):
            p *= 1 - lr * weight_decay
            adam_step(p, g, state, lr, betas, eps)

    >>> import tinygrad_lite as tl
    >>> w = tl.tensor([2.0], requires_grad=True)
    >>> opt = tl.optim.AdamW([w], lr=0.1, weight_decay=0.5)
    >>> w.grad = tl.zeros(1)  # no gradient at all: only the decay acts, 2 * (1 - 0.1 * 0.5)
    >>> opt.step()
    >>> round(w.item(), 6)
    1.9
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )
