"""The autodiff engine: ``Function``, ``backward``/``grad``, grad mode, gradcheck, anomaly mode.

Nothing here knows about layers or losses.
"""

from tinygrad_lite.autograd.anomaly import detect_anomaly, is_anomaly_enabled
from tinygrad_lite.autograd.engine import backward, grad, topological_order
from tinygrad_lite.autograd.function import Function
from tinygrad_lite.autograd.grad_mode import (
    enable_grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from tinygrad_lite.autograd.gradcheck import gradcheck, gradgradcheck
from tinygrad_lite.autograd.trace import BackwardTrace, trace_backward

__all__ = [
    "Function",
    "backward",
    "grad",
    "topological_order",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "gradcheck",
    "gradgradcheck",
    "detect_anomaly",
    "is_anomaly_enabled",
    "trace_backward",
    "BackwardTrace",
]
