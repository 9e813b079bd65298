"""``LRScheduler``: the base class that writes ``group['lr']`` at every ``step``."""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_lite.optim.optimizer import Optimizer


class LRScheduler:
    """Base class: subclasses implement ``get_lr()`` (the lrs for epoch ``last_epoch``)."""

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(
                    f"param 'initial_lr' is not specified in param_groups[{i}] when resuming "
                    "scheduler with last_epoch >= 0 (load the optimizer's state first)"
                )
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._is_initial = True
        self.step()
        self._is_initial = False

    def get_lr(self) -> list[float]:
        """The learning rates for epoch ``last_epoch`` (called by ``step``)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement get_lr")

    def get_last_lr(self) -> list[float]:
        """The learning rate of each param group as set by the latest ``step``."""
        return self._last_lr

    def step(self) -> None:
        """Advance one epoch and write the new learning rates into the param groups."""
        self._step_count += 1
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _current_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer (PyTorch's layout)."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore attributes saved by ``state_dict`` (all checked first: a state that does not
        fit raises ``ValueError`` and changes nothing)."""
        self.__dict__.update(checked_state(self, state_dict))


def checked_state(scheduler: Any, state_dict: Any) -> dict[str, Any]:
    """``state_dict`` as a new dict, after checking it can replace ``scheduler``'s attributes:
    string keys, never ``'optimizer'``; a number where the scheduler holds a number
    (``last_epoch``, ``gamma``), a list of numbers of the same length where it holds one
    (``base_lrs``: one per param group)."""
    if not hasattr(state_dict, "items"):
        raise TypeError(
            f"{type(scheduler).__name__}.load_state_dict: expected a dict, got "
            f"{type(state_dict).__name__}"
        )
    state = dict(state_dict)
    for key, value in state.items():
        where = f"{type(scheduler).__name__}.load_state_dict: {key!r}"
        if not isinstance(key, str) or key == "optimizer":
            raise ValueError(f"{where} is not a scheduler attribute that can be loaded")
        current = scheduler.__dict__.get(key)
        if _number(current) and not _number(value):
            raise ValueError(f"{where} should be a number, got {value!r}")
        if isinstance(current, list) and all(map(_number, current)) and not (
            isinstance(value, (list, tuple))
            and len(value) == len(current)
            and all(map(_number, value))
        ):
            raise ValueError(f"{where} should be a list of {len(current)} numbers, got {value!r}")
    return state


def _number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )
