r"""Assignment primitives: the out-of-place meaning of ``clone``, ``copy_``/``fill_`` and
``x[index] = v``.

An in-place op differentiates like its out-of-place twin (see ``autograd/mutation.py``), so each
write needs a ``Function`` that says what the *new* value of the tensor is:

==========  ==========================================  ======================================
primitive   forward                                     backward
==========  ==========================================  ======================================
Clone       $y = x$ (a copy, same memory order)         $\bar x = \bar y$
Assign      $y = v$ broadcast to $x$'s shape and dtype  $\bar x = 0$, $\bar v = $ unbroadcast
IndexPut    $y = x$ with $y[\text{index}] = v$          $\bar x = \bar y$ zeroed at ``index``,
                                                        $\bar v = \bar y[\text{index}]$
==========  ==========================================  ======================================

``IndexPut`` is the one primitive whose forward writes into its input (``x[index] = v`` touches
only the indexed entries; a copy of ``x`` would make a loop of single-entry writes quadratic).
Only ``Tensor.__setitem__`` calls it, after the in-place checks, and nothing it saves is ``x``.
Repeated indices keep the last value written (as numpy and PyTorch on CPU), and each copy of
$v$ receives the gradient of the entry it was written to, as PyTorch's ``index_put_``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_lite.autograd.function import NUMPY_NS, Function


class Clone(Function):
    r"""$y = x$, a new array in $x$'s memory order.  Backward: $\bar x = \bar y$."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x.copy(order="K")

    def backward(self, grad: Any) -> Any:
        return grad


class Assign(Function):
    r"""$y = \mathrm{broadcast}(v, x.\mathrm{shape})$ cast to $x$'s dtype: the value of ``x`` after
    ``x.copy_(v)`` / ``x.fill_(v)``.  Its old value is overwritten, so it gets no gradient.

    Backward: $\bar x = 0$, $\bar v = \mathrm{unbroadcast}(\bar y, v.\mathrm{shape})$.
    """

    def forward(self, x: np.ndarray, v: np.ndarray) -> np.ndarray:
        out = np.empty_like(x)
        try:
            out[...] = v
        except ValueError:
            raise RuntimeError(
                f"copy_: the source of shape {list(v.shape)} cannot be broadcast to the "
                f"destination of shape {list(x.shape)}"
            ) from None
        self.saved = (v.shape,)
        return out

    def backward(self, grad: Any) -> tuple[Any, Any]:
        xp = self.xp
        need_x, need_v = self.needs_input_grad
        g_v = xp.unbroadcast(grad, self.saved[0]) if need_v else None
        return (xp.zeros_like(grad) if need_x else None), g_v


class IndexPut(Function):
    r"""$y = x$ with $y[\text{index}] = v$ ($v$ broadcast to the indexed shape, cast to $x$'s
    dtype).  ``stages`` is the index as one or two numpy indices applied in turn (PyTorch applies
    integer indices before array indices; see ``ops/indexing.split_integer_selects``).

    Backward: $\bar x = \bar y$ with the indexed entries zeroed (they were overwritten),
    $\bar v = \mathrm{unbroadcast}(\bar y[\text{index}], v.\mathrm{shape})$.
    """

    def forward(self, x: np.ndarray, v: np.ndarray, stages: tuple[Any, ...]) -> np.ndarray:
        target = x
        for st in stages[:-1]:
            target = target[st]
        try:
            target[stages[-1]] = v  # writes into x: see the module docstring
        except ValueError:
            shape = target[stages[-1]].shape
            raise RuntimeError(
                f"setitem: shape mismatch: value tensor of shape {list(v.shape)} cannot be "
                f"broadcast to indexing result of shape {list(shape)}"
            ) from None
        self.saved = (stages, v.shape)
        return x

    def backward(self, grad: Any) -> tuple[Any, Any]:
        stages, v_shape = self.saved
        xp = self.xp
        need_x, need_v = self.needs_input_grad
        g_x = g_v = None
        if need_x:
            if xp is NUMPY_NS:
                g_x = grad.copy()
                _select(g_x, stages)[stages[-1]] = 0
            else:
                keep = np.ones(grad.shape, dtype=bool)
                _select(keep, stages)[stages[-1]] = False
                g_x = xp.where(keep, grad, xp.zeros_like(grad))
        if need_v:
            g_v = grad
            for st in stages:
                g_v = xp.getitem(g_v, st)
            g_v = _sum_to(xp, g_v, v_shape)
        return g_x, g_v


def _select(x: np.ndarray, stages: tuple[Any, ...]) -> np.ndarray:
    """``x`` indexed by every stage but the last (views: writes go through to ``x``)."""
    for st in stages[:-1]:
        x = x[st]
    return x


def _sum_to(xp: Any, g: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``g`` down to ``shape``, which may have more leading 1s than ``g`` has dimensions
    (numpy assigns a value of shape (1, 3) to a (3,) target)."""
    core = tuple(shape)
    while len(core) > len(g.shape) and core[0] == 1:
        core = core[1:]
    g = xp.unbroadcast(g, core)
    return g if core == tuple(shape) else xp.reshape(g, tuple(shape))
