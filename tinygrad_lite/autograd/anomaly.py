"""Anomaly mode: find the op whose backward first produced NaN or Inf, and where it was created.

Inside ``with detect_anomaly():`` every recorded op keeps the Python stack of its forward call,
and the engine checks every gradient a backward returns.  The first non-finite one raises a
``RuntimeError`` that names the backward op (``SqrtBackward``) and shows the forward call in the
user's code that created it -- usually the line to fix (``sqrt`` of 0, ``log`` of 0, ...).
Like PyTorch's, it slows everything down; use it to debug, not to train.
"""

from __future__ import annotations

import os
import traceback
from typing import Any

import numpy as np

from tinygrad_lite.autograd.grad_mode import STATE

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class detect_anomaly:  # noqa: N801 (PyTorch's name)
    """Context manager (and decorator) turning anomaly detection on, like PyTorch's.

    ``check_nan=False`` records creation stacks but does not check gradients.
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan

    def __enter__(self) -> detect_anomaly:
        self._prev = STATE.anomaly
        STATE.anomaly = self.check_nan
        return self

    def __exit__(self, *exc: object) -> None:
        STATE.anomaly = self._prev

    def __call__(self, fn: Any) -> Any:
        import functools

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)

        return wrapper


def is_anomaly_enabled() -> bool:
    """True inside :class:`detect_anomaly`."""
    return STATE.anomaly


def creation_site(trace: traceback.StackSummary | None) -> str:
    """Format the forward stack of a node: the user's frames, innermost last.

    Frames inside the ``tinygrad_lite`` package are dropped after the last user frame, so the
    message ends at the line that called the op.
    """
    if not trace:
        return "  (the forward ran outside detect_anomaly(): no creation site recorded)\n"
    frames = list(trace)
    while frames and frames[-1].filename.startswith(_PACKAGE_DIR):
        frames.pop()
    return "".join(traceback.format_list((frames or list(trace))[-6:]))


def check_finite(node: Any, grads: tuple[Any, ...]) -> None:
    """Raise if any gradient that ``node``'s backward returned contains NaN or Inf."""
    for i, g in enumerate(grads):
        if g is None:
            continue
        arr = g if isinstance(g, np.ndarray) else g.data
        if not np.all(np.isfinite(arr)):
            kind = "nan" if np.any(np.isnan(arr)) else "inf"
            raise RuntimeError(
                f"Function '{node.name}' returned {kind} values in its {i}th output "
                f"(the gradient of input {i}).\n"
                f"The forward call that created it (most recent call last):\n"
                f"{creation_site(node.trace)}"
            )
