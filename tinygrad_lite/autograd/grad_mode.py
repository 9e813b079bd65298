"""Grad mode: the framework's only global switch, behind context managers.

``no_grad()``, ``enable_grad()`` and ``set_grad_enabled(mode)`` work both as context managers
and as decorators, like ``torch.no_grad``.  While grad mode is off, ops record no graph.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any


class _State:
    """Holds the flags read on every op; one instance, module-private."""

    __slots__ = ("enabled", "anomaly", "tracer", "observer")

    def __init__(self) -> None:
        self.enabled = True
        self.anomaly = False
        self.tracer = None  # set only inside ``tinygrad_lite.onnx.trace``: records every op
        self.observer = None  # a BackwardTrace inside ``trace_backward()`` (autograd/trace.py)


STATE = _State()


def is_grad_enabled() -> bool:
    """Return True when ops currently record the graph for backward."""
    return STATE.enabled


class _GradModeContext:
    """Base for grad-mode switches: context manager and decorator in one."""

    _mode: bool = True

    def __enter__(self) -> None:
        self._prev = STATE.enabled
        STATE.enabled = self._mode

    def __exit__(self, *exc: object) -> None:
        STATE.enabled = self._prev

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with _clone(self):
                return fn(*args, **kwargs)

        return wrapper


def _clone(ctx: _GradModeContext) -> _GradModeContext:
    new = ctx.__class__.__new__(ctx.__class__)
    new._mode = ctx._mode
    return new


class _NoArgGradModeContext(_GradModeContext):
    """A switch that also works as a bare decorator, ``@no_grad`` without parentheses
    (``no_grad(fn)`` returns the wrapped function, as in PyTorch)."""

    def __new__(cls, orig_func: Callable[..., Any] | None = None) -> Any:
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoArgGradModeContext):  # noqa: N801 (PyTorch's name)
    """Disable graph recording: ``with no_grad(): ...``, ``@no_grad()`` or ``@no_grad``."""

    _mode = False


class enable_grad(_NoArgGradModeContext):  # noqa: N801
    """Enable graph recording inside a ``no_grad`` block (also ``@enable_grad``)."""

    _mode = True


class set_grad_enabled(_GradModeContext):  # noqa: N801
    """Set grad mode to ``mode``; as a call it takes effect at once, as in PyTorch."""

    def __init__(self, mode: bool) -> None:
        self._prev = STATE.enabled
        self._mode = bool(mode)
        STATE.enabled = self._mode

    def __enter__(self) -> None:
        if not hasattr(self, "_prev"):
            self._prev = STATE.enabled
        STATE.enabled = self._mode

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """As a decorator, undo the switch made at construction (as PyTorch does)."""
        STATE.enabled = self._prev
        return super().__call__(fn)
