"""Schedules that are a function of the epoch: lambda, step, multi-step, exponential,
cosine, linear (PyTorch's recursive forms)."""

from __future__ import annotations

import math
import types
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from tinygrad_lite.optim.lr_scheduler.base import LRScheduler, checked_state
from tinygrad_lite.optim.optimizer import Optimizer


class LambdaLR(LRScheduler):
    r"""$\gamma_t = \gamma_0 \cdot \lambda(t)$ for a user function $\lambda$ (one per group or
    one for all).  Plain functions are not saved by ``state_dict`` (callable objects' attributes
    are)."""

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        n = len(optimizer.param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != n:
                raise ValueError(f"Expected {n} lr_lambdas, but got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * n
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """``base_lr * lr_lambda(last_epoch)`` per group."""
        return [base * f(self.last_epoch) for f, base in zip(self.lr_lambdas, self.base_lrs)]

    def state_dict(self) -> dict[str, Any]:
        """As the base class, with ``lr_lambdas`` saved as their ``__dict__`` (None for
        functions and lambdas)."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [
            None if isinstance(f, types.FunctionType) else dict(f.__dict__)
            for f in self.lr_lambdas
        ]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore attributes; callable objects get their saved ``__dict__`` back."""
        state = checked_state(self, {k: v for k, v in state_dict.items() if k != "lr_lambdas"})
        lambdas = state_dict.get("lr_lambdas", [None] * len(self.lr_lambdas))
        if not isinstance(lambdas, (list, tuple)) or len(lambdas) != len(self.lr_lambdas) or any(
            saved is not None and not hasattr(saved, "items") for saved in lambdas
        ):
            raise ValueError(
                f"LambdaLR.load_state_dict: 'lr_lambdas' should be a list of "
                f"{len(self.lr_lambdas)} dicts or None, got {lambdas!r}"
            )
        self.__dict__.update(state)
        for f, saved in zip(self.lr_lambdas, lambdas):
            if saved is not None:
                f.__dict__.update(saved)


class StepLR(LRScheduler):
    r"""$\gamma_t = \gamma_0 \cdot g^{\lfloor t / s \rfloor}$: multiply by ``gamma`` every
    ``step_size`` epochs."""

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """Current lrs, times ``gamma`` at non-zero multiples of ``step_size``."""
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]


class MultiStepLR(LRScheduler):
    r"""$\gamma_t = \gamma_0 \cdot g^{\#\{m \in \text{milestones}:\, m \le t\}}$: multiply by
    ``gamma`` at each milestone (a repeated milestone multiplies repeatedly)."""

    def __init__(
        self,
        optimizer: Optimizer,
        milestones: Iterable[int],
        gamma: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """Current lrs, times ``gamma ** count`` when ``last_epoch`` is a milestone."""
        if self.last_epoch not in self.milestones:
            return self._current_lrs()
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [lr * factor for lr in self._current_lrs()]

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore attributes (``milestones`` back to a ``Counter`` after a file round trip)."""
        state = checked_state(self, state_dict)
        if "milestones" in state:
            try:
                state["milestones"] = Counter(
                    {int(k): int(v) for k, v in dict(state["milestones"]).items()}
                )
            except (TypeError, ValueError):
                raise ValueError(
                    f"MultiStepLR.load_state_dict: 'milestones' should map epochs to counts, got "
                    f"{state['milestones']!r}"
                ) from None
        self.__dict__.update(state)


class ExponentialLR(LRScheduler):
    r"""$\gamma_t = \gamma_0 \cdot g^t$: multiply by ``gamma`` every epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """Current lrs times ``gamma`` (unchanged at construction)."""
        if self._is_initial:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]


class CosineAnnealingLR(LRScheduler):
    r"""Cosine annealing from $\gamma_0$ down to $\eta_{\min}$ over ``T_max`` epochs:

    $$\gamma_t = \eta_{\min} + \tfrac12(\gamma_0 - \eta_{\min})
      \left(1 + \cos\frac{\pi t}{T_{\max}}\right)$$

    computed, like PyTorch, by the recursion
    $\gamma_t = \eta_{\min} + (\gamma_{t-1} - \eta_{\min})
    \frac{1 + \cos(\pi t / T)}{1 + \cos(\pi (t-1) / T)}$, which past ``T_max`` climbs back up
    (a period of $2T_{\max}$).  Reference: Loshchilov, Hutter (2017), "SGDR" (ICLR).
    """

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        self.T_max = T_max  # noqa: N815 (PyTorch's name)
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The recursive cosine step (PyTorch's formula, so sequences match exactly)."""
        if self._is_initial:
            return self._current_lrs()
        t, T, eta = self.last_epoch, self.T_max, self.eta_min  # noqa: N806
        if (t - 1 - T) % (2 * T) == 0:  # the bottom of a cycle: the ratio below would be 0/0
            return [
                lr + (base - eta) * (1 - math.cos(math.pi / T)) / 2
                for lr, base in zip(self._current_lrs(), self.base_lrs)
            ]
        ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        return [ratio * (lr - eta) + eta for lr in self._current_lrs()]


class LinearLR(LRScheduler):
    r"""Linear warm-up (or decay) of the factor from ``start_factor`` to ``end_factor`` over
    ``total_iters`` epochs, then constant:
    $\gamma_t = \gamma_0\,(s + (e - s)\min(t, T)/T)$, applied recursively as PyTorch does."""

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if start_factor > 1.0 or start_factor <= 0:
            raise ValueError(
                "LinearLR: start_factor expected to be greater than 0 and less or equal to 1, "
                f"got {start_factor}"
            )
        if end_factor > 1.0 or end_factor < 0:
            raise ValueError(f"LinearLR: end_factor expected to be in [0, 1], got {end_factor}")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The recursive linear step (PyTorch's formula)."""
        s, e, total = self.start_factor, self.end_factor, self.total_iters
        if self.last_epoch == 0:
            return [lr * s for lr in self._current_lrs()]
        if self._is_initial or self.last_epoch > total:
            return self._current_lrs()
        factor = 1.0 + (e - s) / (total * s + (self.last_epoch - 1) * (e - s))
        return [lr * factor for lr in self._current_lrs()]
