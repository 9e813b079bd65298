r"""Matrix multiplication: one primitive for 2-D and batched operands, PyTorch's 1-D rules on top.

``matmul(a, b)`` follows ``torch.matmul``: 1-D x 1-D is a dot product; a 1-D first operand is
treated as a row vector and a 1-D second operand as a column vector (the added dimension is
removed afterwards); leading (batch) dimensions broadcast.

Unlike the elementwise ops, which promote (``float32 + float64 -> float64``), matmul and the
GEMM-based layers built on it (``nn.functional.linear``, ``nn.functional.conv2d``) need operands
of one dtype and raise ``RuntimeError`` otherwise, as PyTorch does: a silent promotion would
copy a whole weight matrix to float64 on every call.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_lite.autograd.function import NUMPY_NS, Function


class MatMul(Function):
    r"""$C = A B$ over the last two axes, batch axes broadcast.

    Backward: $\bar A = \bar C B^\top$, $\bar B = A^\top \bar C$, each summed over the batch
    axes that broadcasting added (unbroadcast).  A 2-D $B$ stored transposed (``weight.T`` in
    ``linear``) gets $\bar B = (\bar C^\top A)^\top$, the same product made in its memory order:
    then the weight's gradient is C-contiguous like the weight, and an optimizer's elementwise
    passes over the two do not stride across each other (~0.7 ms per step of the CNN benchmark).
    """

    saved_for = ((1,), (0,))  # A is read only for B's gradient, B only for A's

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.saved = (a, b)
        return np.matmul(a, b)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        a, b = self.saved
        xp = self.xp
        need_a, need_b = self.needs_input_grad
        ga = xp.unbroadcast(xp.matmul(grad, xp.swap_last(b)), a.shape) if need_a else None
        gb = None
        if need_b and xp is NUMPY_NS and _stored_transposed(a, b):
            gb = xp.swap_last(xp.matmul(xp.swap_last(grad), a))
        elif need_b:
            gb = xp.unbroadcast(xp.matmul(xp.swap_last(a), grad), b.shape)
        return ga, gb


class Linear(Function):
    r"""$y = x W^\top + b$ (``nn.functional.linear``): one GEMM, the bias added to its result.

    ``x`` is $(*, \text{in})$, $W$ is $(\text{out}, \text{in})$, $b$ is $(\text{out},)$ or
    absent.  With $X$ and $\bar Y$ the input and the output gradient flattened to
    $(M, \text{in})$ and $(M, \text{out})$:

    Backward: $\bar x = \bar Y W$, $\bar W = \bar Y^\top X$ (C-contiguous like $W$),
    $\bar b = \sum_M \bar Y$.  Linear in each operand, no kinks.

    The plain form is ``x @ weight.T + bias``: three nodes (a Permute, a :class:`MatMul`, an
    Add) and a pass over $Y$ for the bias's broadcast; this one node does the same arithmetic
    (``tests/ops/test_linear_primitive.py`` checks both agree).  PyTorch's graph shows the same
    layer as one ``AddmmBackward0`` node (with a ``TBackward0`` for the weight).
    """

    saved_for = ((1,), (0,), ())  # x only for W's gradient, W only for x's; b is not saved

    def forward(self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
        self.saved = (x, w, b is not None)
        out = np.matmul(x, w.T)
        if b is not None:
            out += b  # a fresh array: the bias costs no extra allocation
        return out

    def backward(self, grad: Any) -> tuple[Any, ...]:
        x, w, has_bias = self.saved
        xp = self.xp
        need = self.needs_input_grad
        o, i = w.shape
        g2 = xp.reshape(grad, (-1, o))  # (M, out)
        gx = xp.reshape(xp.matmul(g2, w), x.shape) if need[0] else None
        gw = xp.matmul(xp.swap_last(g2), xp.reshape(x, (-1, i))) if need[1] else None
        if not has_bias:
            return gx, gw
        return gx, gw, (xp.sum(g2, 0) if need[2] else None)


def _stored_transposed(a: np.ndarray, b: np.ndarray) -> bool:
    """2-D operands, ``b`` a transposed view of a C-contiguous matrix (``weight.T``)."""
    return a.ndim == b.ndim == 2 and b.flags.f_contiguous and not b.flags.c_contiguous


def _check(a: Any, b: Any) -> None:
    """Raise a clear error naming both shapes when ``a @ b`` is undefined."""
    sa, sb = tuple(a.shape), tuple(b.shape)
    if not sa or not sb:
        raise RuntimeError(f"matmul: both arguments need to be at least 1D, got {sa} and {sb}")
    k_a = sa[-1]
    k_b = sb[0] if len(sb) == 1 else sb[-2]
    if k_a != k_b:
        raise RuntimeError(f"matmul: cannot multiply {sa} by {sb}")
    try:
        np.broadcast_shapes(sa[:-2], sb[:-2])
    except ValueError:
        raise RuntimeError(
            f"matmul: batch dimensions of {sa} and {sb} cannot be broadcast together"
        ) from None


# the Tensor method that converts to each dtype, for the hint in dtype errors
_CONVERT = {
    "float64": ".double()", "float32": ".float()", "int64": ".long()", "bool": ".to(tl.bool_)",
}


def check_same_dtype(op: str, name_a: str, a: Any, name_b: str, b: Any) -> None:
    """Raise ``RuntimeError`` naming ``op``, both dtypes and both shapes when they differ.

    PyTorch's rule for matmul, ``linear`` and ``conv2d`` (elementwise ops promote instead).
    """
    if a.dtype == b.dtype:
        return
    def to(dtype: np.dtype) -> str:
        return _CONVERT.get(dtype.name, f".to(tl.{dtype.name})")

    hint = f"{name_a}{to(b.dtype)} or {name_b}{to(a.dtype)}"  # either side matches the other
    raise RuntimeError(
        f"{op}: {name_a} dtype {a.dtype} does not match {name_b} dtype {b.dtype} "
        f"({name_a} {tuple(a.shape)}, {name_b} {tuple(b.shape)}); convert with {hint}"
    )


def matmul(a: Any, b: Any) -> Any:
    """``a @ b`` with ``torch.matmul``'s rules for 1-D, 2-D and batched (broadcast) operands.

    Both operands must have the same dtype (``RuntimeError`` otherwise, as in PyTorch).
    """
    _check(a, b)
    check_same_dtype("matmul", "input", a, "other", b)
    if a.dtype == np.bool_:
        raise NotImplementedError(  # a RuntimeError, as PyTorch's
            f"matmul: not implemented for bool tensors ({tuple(a.shape)} @ {tuple(b.shape)}); "
            "convert with .float() or .long()"
        )
    if a.ndim >= 2 and b.ndim >= 2:
        return MatMul.apply(a, b)
    if a.ndim == 1 and b.ndim == 1:
        return MatMul.apply(a.reshape(1, -1), b.reshape(-1, 1)).reshape(())
    if a.ndim == 1:
        return MatMul.apply(a.unsqueeze(0), b).squeeze(-2)
    return MatMul.apply(a, b.unsqueeze(-1)).squeeze(-1)
