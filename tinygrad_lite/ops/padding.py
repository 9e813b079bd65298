r"""Padding: the ``Pad`` primitive and ``torch.nn.functional.pad``'s four modes.

``Pad`` surrounds $x$ with a constant; its backward slices the interior back out of $\bar y$
(the border does not depend on $x$).  The other modes need no backward of their own:
``"reflect"``, ``"replicate"`` and ``"circular"`` are gathers with an index array (one
``getitem`` per padded dimension), so a border entry copied from $x_i$ sends its gradient back
to $x_i$, and an entry used twice gets both gradients.  Negative constant padding crops.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_lite.autograd.function import Function
from tinygrad_lite.ops.indexing import getitem

__all__ = ["Pad", "pad"]


class Pad(Function):
    r"""$y = x$ surrounded by ``value``: ``pad_width`` is numpy's ``((before, after), ...)``.

    Backward: $\bar x = \bar y[b_0 : b_0 + n_0, \dots]$, the interior (the constant border
    does not depend on $x$).
    """

    def forward(
        self, x: np.ndarray, pad_width: tuple[tuple[int, int], ...], value: float = 0.0
    ) -> np.ndarray:
        if len(pad_width) != x.ndim or any(b < 0 or a < 0 for b, a in pad_width):
            raise RuntimeError(
                f"pad: expected one non-negative (before, after) pair per dimension of "
                f"{x.shape}, got {pad_width}"
            )
        shape = tuple(n + b + a for n, (b, a) in zip(x.shape, pad_width))
        out = np.zeros(shape, x.dtype) if value == 0 else np.full(shape, value, x.dtype)
        interior = tuple(slice(b, b + n) for n, (b, _) in zip(x.shape, pad_width))
        out[interior] = x
        self.saved = (interior,)
        return out

    def backward(self, grad: Any) -> Any:
        return self.xp.getitem(grad, self.saved[0])


def pad(x: Any, pad: Any, mode: str = "constant", value: float = 0.0) -> Any:
    """``torch.nn.functional.pad``: ``pad`` = (left, right) pairs starting from the LAST dim.

    ``mode="constant"`` fills with ``value`` (negative amounts crop); ``"reflect"`` mirrors
    without repeating the edge, ``"replicate"`` repeats the edge, ``"circular"`` wraps around.
    """
    pad = tuple(int(p) for p in pad)
    shape = x.data.shape
    if len(pad) % 2 or len(pad) // 2 > len(shape):
        raise RuntimeError(
            f"pad: padding {pad} must have an even length of at most 2 * {len(shape)} for a "
            f"tensor of shape {shape}"
        )
    widths = [(0, 0)] * len(shape)
    for i in range(len(pad) // 2):
        widths[len(shape) - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    if mode == "constant":
        if any(b < 0 or a < 0 for b, a in widths):
            crop = []
            for n, (b, a) in zip(shape, widths):
                if n + min(b, 0) + min(a, 0) < 0:
                    raise RuntimeError(f"pad: padding {pad} crops more than the tensor {shape}")
                crop.append(slice(-min(b, 0), n + min(a, 0)))
            x = getitem(x, tuple(crop))
            widths = [(max(b, 0), max(a, 0)) for b, a in widths]
        return Pad.apply(x, pad_width=tuple(widths), value=value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(
            f"pad: unknown mode {mode!r}, expected 'constant', 'reflect', 'replicate' or "
            "'circular'"
        )
    for d, (b, a) in enumerate(widths):
        if b or a:
            x = getitem(x, (slice(None),) * d + (_pad_source(mode, shape[d], b, a, d),))
    return x


def _pad_source(mode: str, n: int, before: int, after: int, dim: int) -> np.ndarray:
    """For each output position along ``dim``, the input position it copies."""
    if before < 0 or after < 0:
        raise RuntimeError(f"pad: negative padding is only supported in constant mode ({mode})")
    i = np.arange(-before, n + after)
    if mode == "replicate":
        if n == 0:
            raise RuntimeError(f"pad: cannot replicate-pad the empty dimension {dim}")
        return np.clip(i, 0, n - 1)
    if mode == "reflect":
        if before >= n or after >= n:
            raise RuntimeError(
                f"pad: reflect padding ({before}, {after}) must be less than the size {n} "
                f"of dimension {dim}"
            )
        return (n - 1) - np.abs((n - 1) - np.abs(i))
    if before > n or after > n:
        raise RuntimeError(
            f"pad: circular padding ({before}, {after}) must be at most the size {n} of "
            f"dimension {dim}"
        )
    return i % n
