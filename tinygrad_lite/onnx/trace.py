"""Record what a model's forward runs: every primitive ``Function`` with its constants, grouped
by the module that called it.

While :func:`trace` runs the model (without grad), ``Function.apply`` reports each op to
:meth:`Tracer.record` (the one hook, ``STATE.tracer``, is set only inside :func:`trace` and read
only on the no-grad path, so training pays nothing for it), which keeps a :class:`Step`: the
op's class, its input tensors, its keyword constants (shapes, axes, convolution geometry) and
its output tensor.  An in-place op (``apply_inplace``) reports itself too, so later reads of the
tensor it overwrote see the new value.  Forward hooks on every submodule wrap the steps a module
ran into one module step, so the exporter can emit a layer as its standard ONNX node (``Gemm``,
``BatchNormalization``) and fall back to the primitives inside when it cannot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tinygrad_lite.autograd.grad_mode import STATE, no_grad
from tinygrad_lite.tensor import Tensor


@dataclass
class Step:
    """One recorded call: a primitive (``op`` a ``Function`` subclass) or a module (``op`` a
    ``Module``, ``inner`` the steps its forward ran).  ``where`` names the innermost module."""

    op: Any
    inputs: tuple[Any, ...]
    output: Any
    constants: dict[str, Any] = field(default_factory=dict)
    where: str = ""
    inner: list[Step] = field(default_factory=list)


class Rebind:
    """Step kind: an in-place op gave tensor ``output`` the value of ``inputs[0]``."""


class WriteThroughView:
    """Step kind: an in-place op wrote through a view, changing its base too (not exported)."""


class Tracer:
    """Collects :class:`Step` s; installed as ``STATE.tracer`` by :func:`trace`."""

    def __init__(self, names: dict[int, str]) -> None:
        self.steps: list[Step] = []
        self.names = names  # id(module) -> qualified name, for steps and error messages
        self.stack: list[tuple[Any, int]] = []  # (module, len(steps) at its start)

    def record(
        self, cls: type, tensors: tuple[Any, ...], constants: dict[str, Any], out: Any
    ) -> None:
        """Called by ``Function.apply`` (without grad) after running ``cls`` on ``tensors``."""
        where = self.names.get(id(self.stack[-1][0]), "") if self.stack else ""
        self.steps.append(Step(cls, tuple(tensors), out, dict(constants), where))

    def rebind(self, op: str, t: Any, result: Any) -> None:
        """Called by ``apply_inplace`` after writing ``result`` into ``t`` (``x.add_(1)``,
        ``ReLU(inplace=True)``): later steps that read ``t`` read ``result``'s value."""
        where = self.names.get(id(self.stack[-1][0]), "") if self.stack else ""
        kind = Rebind if t._view is None else WriteThroughView
        self.steps.append(Step(kind, (result,), t, {"op": op}, where))

    def enter(self, module: Any, args: tuple[Any, ...]) -> None:
        """Forward pre-hook: remember where ``module``'s steps begin."""
        self.stack.append((module, len(self.steps)))

    def leave(self, module: Any, args: tuple[Any, ...], output: Any) -> None:
        """Forward hook: fold the steps ``module`` ran into one module step."""
        top, start = self.stack.pop()
        assert top is module, "forward hooks out of order"
        inner = self.steps[start:]
        del self.steps[start:]
        name = self.names.get(id(module), "")
        self.steps.append(Step(module, tuple(args), output, where=name, inner=inner))


def trace(model: Any, inputs: tuple[Tensor, ...]) -> tuple[list[Step], Any]:
    """Run ``model(*inputs)`` in eval mode without grad, recording it; returns the steps and
    the output.  The model's train/eval modes are restored afterwards."""
    modules = dict(model.named_modules())
    names = {id(m): name for name, m in modules.items()}
    modes = {name: m.training for name, m in modules.items()}
    tracer = Tracer(names)
    handles = []
    for m in modules.values():  # the model too: a lone nn.AvgPool2d exports as AveragePool
        handles.append(m.register_forward_pre_hook(tracer.enter))
        handles.append(m.register_forward_hook(tracer.leave))
    model.eval()
    try:
        with no_grad():
            STATE.tracer = tracer
            try:
                output = model(*inputs)
            finally:
                STATE.tracer = None
    finally:
        for h in handles:
            h.remove()
        for name, m in modules.items():
            object.__setattr__(m, "training", modes[name])  # as Module.train sets it
    return tracer.steps, output
