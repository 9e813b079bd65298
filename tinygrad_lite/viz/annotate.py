r"""What a picture knows about each node beyond the graph's structure: values, gradients, boxes.

The graph itself keeps no intermediate tensors (no cycles, prompt freeing), so the facts come
from what is still there:

* **values** of an op's output: the copy a :class:`~tinygrad_lite.autograd.BackwardTrace` took
  during forward, else the array a node saved for backward (its own output, or a consumer's
  saved input) while the graph is not freed;
* **gradients** of an op's output (the adjoint it received): from the trace's backward steps --
  up to step ``k`` in a frame of :func:`~tinygrad_lite.viz.steps.draw_steps`;
* **module boxes**: the trace's record of which submodule's forward made each op, titled like
  ``0: Conv2d(1, 8, 3)``;
* **dead ReLU units**: features (or channels) of a ReLU output that are zero for every sample
  of the batch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_lite.autograd.function import FREED, Function

__all__ = ["Facts", "module_titles", "short_title", "dead_units"]

TEACH_NODES = 30  # graphs with at most this many ops show values and gradients by default


def short_title(name: str, module: Any) -> str:
    """``'0: Conv2d(1, 8, 3)'``: the module's name, type and main sizes.

    >>> import tinygrad_lite as tl
    >>> short_title("0", tl.nn.Conv2d(1, 8, 3)), short_title("fc", tl.nn.Linear(3, 4))
    ('0: Conv2d(1, 8, 3)', 'fc: Linear(3, 4)')
    >>> short_title("bn", tl.nn.BatchNorm2d(8)), short_title("act", tl.nn.ReLU())
    ('bn: BatchNorm2d(8)', 'act: ReLU()')
    """
    keep = ("in_features", "out_features", "kernel_size", "p", "negative_slope")
    parts, depth, item = [], 0, ""
    for ch in module.extra_repr() + ",":
        depth += ch in "([" and 1 or ch in ")]" and -1 or 0
        if ch == "," and depth == 0:
            parts.append(item.strip())
            item = ""
        else:
            item += ch
    args = []
    for part in parts:
        key, eq, value = part.partition("=")
        if not eq and part:
            args.append(part)
        elif key in keep:
            square = value.startswith("(") and len(set(value.strip("()").split(", "))) == 1
            args.append(value.strip("()").split(", ")[0] if square else value)
    return f"{name}: {type(module).__name__}({', '.join(args)})"


def module_titles(params: Any) -> dict[str, str]:
    """``{submodule name: title}`` when ``params`` is a Module, else ``{}``."""
    if not hasattr(params, "named_modules"):
        return {}
    return {name: short_title(name, m) for name, m in params.named_modules() if name}


MIN_OBSERVATIONS = 8  # a unit is judged dead from at least this many zeros, not from one or two


def dead_units(value: np.ndarray) -> tuple[int, int] | None:
    """``(dead, total)`` units of a ReLU output (or its mask): a unit -- a feature of an
    ``(N, F)`` output, a channel of an ``(N, C, ...)`` one -- is dead when it is zero for every
    sample (and every position).  None without a batch dimension, or with fewer than
    :data:`MIN_OBSERVATIONS` numbers per unit (two samples prove nothing).

    >>> dead_units(np.array([[0.0, 1.0]] * 8))
    (1, 2)
    >>> dead_units(np.zeros((2, 3))) is None  # 2 samples: no diagnosis
    True
    """
    a = np.asarray(value)
    if a.ndim < 2:
        return None
    units = a.shape[1]
    if units == 0 or a.size // units < MIN_OBSERVATIONS:
        return None
    active = (np.moveaxis(a, 1, 0).reshape(units, -1) != 0).any(axis=1)
    return int(units - active.sum()), int(units)


class Facts:
    """Values, gradients and boxes for the nodes of one picture (see the module docstring).

    ``frame`` is ``(pass, k)`` to draw backward after its ``k``-th step of that pass.
    """

    def __init__(
        self, order: list[Function], trace: Any = None, frame: tuple[Any, int] | None = None
    ) -> None:
        self.values: dict[Function, np.ndarray] = {}
        self.grads: dict[Function, np.ndarray] = {}
        self.leaf_grads: dict[int, np.ndarray] | None = None  # frame: leaves reached so far
        self.done: set[Function] | None = None
        self.current: Function | None = None
        self.scope: dict[Function, str] = {} if trace is None else trace.scope
        for fn in order:  # values still held by the graph: saved outputs and saved inputs
            saved = fn.saved
            if saved is FREED:
                continue
            for s in saved:
                if isinstance(s, np.ndarray):
                    src = fn.saved_source(s)
                    if src == -1:
                        self.values[fn] = s
                    elif src is not None and isinstance(fn.parents[src], Function):
                        self.values.setdefault(fn.parents[src], s)
        if trace is not None:
            self.values.update({fn: v for fn, v in trace.values.items()})
            for bwd in trace.passes:
                for s in bwd.steps:
                    self.grads[s.node] = s.received
        if frame is not None:
            bwd, k = frame
            self.grads, self.leaf_grads = bwd.state_after(k)
            self.done = set(self.grads)
            self.current = bwd.steps[k - 1].node if k > 0 else None

    def value(self, fn: Function) -> np.ndarray | None:
        """The output value of op ``fn``, when known."""
        return self.values.get(fn)

    def grad(self, fn: Function) -> np.ndarray | None:
        """The adjoint op ``fn`` received (the gradient of its output), when known."""
        return self.grads.get(fn)

    def tensor_grad(self, t: Any, is_root: bool) -> tuple[bool, np.ndarray | None]:
        """``(known, grad)`` to show for a drawn tensor: a frame shows what backward has sent
        so far; a root shows the adjoint it started from once backward ran (1 for a scalar)."""
        fn = t.grad_fn
        if self.leaf_grads is not None:
            if fn is None:
                return True, self.leaf_grads.get(id(t))
            return True, self.grads.get(fn)
        if t.grad is not None:
            return True, t.grad.data
        if is_root and fn is not None:
            if fn in self.grads:
                return True, self.grads[fn]
            if fn.saved is FREED and t.data.size == 1:  # backward ran from this scalar
                return True, np.ones_like(t.data)
        return False, None
