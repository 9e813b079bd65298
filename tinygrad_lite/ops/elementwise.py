r"""Elementwise binary primitives (with unbroadcast), where, comparisons and casts.

Binary ops broadcast like numpy/PyTorch; their backward sums each gradient back to its input's
shape with ``xp.unbroadcast``.  Result dtypes follow PyTorch, not numpy (:func:`result_dtype`).
The unary ops (exp, tanh, relu, clamp, ...) live in ``ops/unary.py``.  Subgradients at kinks
follow PyTorch (see docs/subgradients.md):

=============  ==========================================================
op             choice at the kink
=============  ==========================================================
maximum/min    ties split the gradient $\tfrac12$-$\tfrac12$
pow            $\partial_x x^0 = 0$ even at $x = 0$; $\partial_p x^p = 0$ at $x = 0, p \ge 0$
where          the selected input gets the gradient, the other 0
=============  ==========================================================
"""

from __future__ import annotations

from typing import Any

import numpy as np

import tinygrad_lite.tensor as _tm
from tinygrad_lite.autograd.fp import quiet_fp
from tinygrad_lite.autograd.function import NUMPY_NS, Function, raw
from tinygrad_lite.autograd.version import FROZEN
from tinygrad_lite.ops.masking import select

_FLOAT32 = np.dtype(np.float32)


def as_tensor(x: Any, like: Any) -> Any:
    """Return ``x`` as a Tensor to combine with ``like``: scalars take ``like``'s float dtype.

    Follows PyTorch's promotion for Python scalars: ``float32_tensor * 2.0`` stays float32,
    ``int_tensor * 2.5`` becomes float32.  (On every binary op's path: Tensor and float first.)
    """
    T = _tm.Tensor
    if isinstance(x, T):
        return x
    dt = like.data.dtype
    if isinstance(x, float):  # also np.float64, a float subclass
        t = like._make(np.array(x, dt if dt.kind in "fc" else _FLOAT32), None)
        t._vc = FROZEN  # a constant no user code can reach: never version-recorded
        return t
    if isinstance(x, np.ndarray):
        return T._make(x, None)
    if isinstance(x, (bool, np.bool_)):
        dtype = dt
    elif isinstance(x, (int, np.integer)):
        dtype = dt if dt.kind in "fciu" else np.int64
    elif isinstance(x, np.floating):
        dtype = dt if dt.kind in "fc" else _FLOAT32
    else:
        return T(x)
    return T._make(np.array(x, dtype=dtype), None)


def saved_array(x: Any) -> np.ndarray:
    """A saved input as a numpy array: a Tensor's data (under ``create_graph``), or the array
    itself (a 0-d input may have been a numpy scalar, whose ``.data`` is a buffer)."""
    return np.asarray(x.data if isinstance(x, _tm.Tensor) else x)


def constant_like(value: Any, like: Any) -> Any:
    """A constant (no-grad) Tensor filled with ``value``, shaped and typed like ``like``."""
    return _tm.Tensor._make(np.full(like.data.shape, value, dtype=like.data.dtype), None)


def compare(op: Any, a: Any, b: Any) -> Any:
    """A comparison (``np.less`` etc.): a bool Tensor, never part of the graph."""
    b = as_tensor(b, a)
    try:
        return _tm.Tensor._make(op(a.data, b.data), None)
    except ValueError as e:
        raise RuntimeError(f"{op.__name__}: cannot compare shapes {a.shape} and {b.shape}") from e


# ----- binary ---------------------------------------------------------------------------

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def result_dtype(a: np.ndarray, b: np.ndarray) -> np.dtype:
    """PyTorch's result dtype of a binary op on arrays ``a`` and ``b`` (numpy's differs).

    A higher category (bool < int < float < complex) wins outright (``int64 * float32`` is
    float32, not numpy's float64); within a category a dimensioned operand beats a 0-d one
    (``float32[n] + float64 0-d`` stays float32); otherwise the wider type wins.
    """
    ka, kb = _CATEGORY[a.dtype.kind], _CATEGORY[b.dtype.kind]
    if ka != kb:
        return a.dtype if ka > kb else b.dtype
    if (a.ndim == 0) != (b.ndim == 0):
        return b.dtype if a.ndim == 0 else a.dtype
    return np.promote_types(a.dtype, b.dtype)


def result_dtype_n(*arrays: np.ndarray) -> np.dtype:
    """:func:`result_dtype` of any number of operands (``clamp`` with Tensor bounds)."""
    top = max([_CATEGORY[a.dtype.kind] for a in arrays])
    same = [a for a in arrays if _CATEGORY[a.dtype.kind] == top]
    dimensioned = [a for a in same if a.ndim] or same
    return np.result_type(*[a.dtype for a in dimensioned])


def _promote(out: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cast numpy's result of a mixed-dtype op to :func:`result_dtype` (called only on mixes)."""
    dtype = result_dtype(a, b)
    return out if out.dtype == dtype else out.astype(dtype)


class Add(Function):
    r"""$z = a + b$. Backward: $\bar a = \bar z$, $\bar b = \bar z$ (unbroadcast)."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.saved = (a.shape, b.shape)
        out = a + b
        return out if a.dtype == b.dtype else _promote(out, a, b)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        sa, sb = self.saved
        need_a, need_b = self.needs_input_grad
        return (
            self.xp.unbroadcast(grad, sa) if need_a else None,
            self.xp.unbroadcast(grad, sb) if need_b else None,
        )


class Sub(Function):
    r"""$z = a - b$. Backward: $\bar a = \bar z$, $\bar b = -\bar z$."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.saved = (a.shape, b.shape)
        out = a - b
        return out if a.dtype == b.dtype else _promote(out, a, b)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        sa, sb = self.saved
        need_a, need_b = self.needs_input_grad
        return (
            self.xp.unbroadcast(grad, sa) if need_a else None,
            self.xp.unbroadcast(-grad, sb) if need_b else None,
        )


class Mul(Function):
    r"""$z = a b$. Backward: $\bar a = \bar z\, b$, $\bar b = \bar z\, a$.

    ``y * y`` (one tensor on both sides) returns $2 \bar z y$ once, for the first side: the
    same bits as the two products summed by the engine (tests/ops/test_fast_paths.py).
    """

    saved_for = ((1,), (0,))  # a is read only for b's gradient, b only for a's
    drops_unread = True  # x * 2 keeps nothing of x (Function.drop_unread)

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.saved = (a, b)
        out = a * b
        return out if a.dtype == b.dtype else _promote(out, a, b)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        a, b = self.saved
        need_a, need_b = self.needs_input_grad
        if a is b and need_a and need_b and self.xp is NUMPY_NS and self.parents[0] is \
                self.parents[1]:  # y * y: one product, doubled -- bitwise the engine's sum
            g = grad * a  # of the two equal products (doubling is exact), two arrays fewer
            return (np.multiply(g, 2, out=g) if g.__class__ is np.ndarray and g.ndim
                    else g * 2), None
        ga = self.xp.unbroadcast(grad * b, a.shape) if need_a else None
        gb = self.xp.unbroadcast(grad * a, b.shape) if need_b else None
        return ga, gb


class Div(Function):
    r"""$z = a / b$. Backward: $\bar a = \bar z / b$, $\bar b = -\bar z\, a / b^2$."""

    saved_for = ((1,), (0, 1))  # a is read only for b's gradient
    drops_unread = True  # x / 2 keeps nothing of x (Function.drop_unread)

    @quiet_fp
    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.saved = (a, b)
        out = a / b
        if a.dtype.kind not in "fc" and b.dtype.kind not in "fc":
            return out.astype(np.float32)  # PyTorch: int / int -> default float dtype
        return out if a.dtype == b.dtype else _promote(out, a, b)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        a, b = self.saved
        need_a, need_b = self.needs_input_grad
        ga = self.xp.unbroadcast(grad / b, a.shape) if need_a else None
        gb = self.xp.unbroadcast(-grad * (a / b) / b, b.shape) if need_b else None
        return ga, gb


def _power(a: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``a ** p`` with PyTorch's special cases for a scalar exponent of 1/2 and -1/2 (``sqrt``
    and ``1 / sqrt``): at -0.0 they give -0.0 and -inf, at -inf nan (``np.power``: +inf and
    0)."""
    if p.ndim == 0 and a.dtype.kind == "f" and p in (0.5, -0.5):
        root = np.sqrt(a)
        return root if p > 0 else np.divide(1, root, out=root)
    return np.power(a, p)


def _int_power_negative(a: np.ndarray, p: np.ndarray) -> np.ndarray:
    r"""PyTorch's integer ``a ** p`` where some ``p < 0``: there the result truncates to 0,
    except $1^p = 1$ and $(-1)^p = \pm 1$."""
    neg = p < 0
    unit = np.where(np.abs(p) % 2 == 1, a, 1)  # |a| = 1: a ** |p|
    return np.where(neg, np.where(np.abs(a) == 1, unit, 0), np.power(a, np.where(neg, 0, p)))


class Pow(Function):
    r"""$z = a^p$. Backward: $\bar a = \bar z\, p\, a^{p-1}$, $\bar p = \bar z\, z \ln a$.

    Kinks, as PyTorch: $\bar a = 0$ where $p = 0$ (even at $a = 0$); $\bar p = 0$ where
    $a = 0$ and $p \ge 0$.  A scalar exponent of $\pm 1/2$ is computed as PyTorch does, as
    ``sqrt`` / ``1 / sqrt`` (:func:`_power`), which fixes the signs at $-0$ and $-\infty$.
    """

    @quiet_fp
    def forward(self, a: np.ndarray, p: np.ndarray, scalar: bool = False) -> np.ndarray:
        if p.dtype.kind in "iu" and a.dtype.kind in "iu" and np.any(p < 0):
            out = _int_power_negative(a, p)  # numpy raises; PyTorch gives 0, 1 or -1
        else:
            out = _power(a, p)
        if a.dtype != p.dtype:
            out = _promote(out, a, p)
        self.saved = (a, p, out)
        if scalar:  # as PyTorch's Pow0, a Python-number exponent does not save the output
            self.saved_for = ((0, 1), (0, 1), ())  # (a write to it is no version error)
        return out

    def backward(self, grad: Any) -> tuple[Any, Any]:
        a, p, out = self.saved
        xp = self.xp
        need_a, need_p = self.needs_input_grad
        ga = gp = None
        if need_a:
            pd = raw(p)
            if np.any(pd == 0):  # the gradient is +0 there, even at a = 0: avoid 0 * inf
                zero = pd == 0
                ga = xp.where(zero, 0.0, grad * p * a ** xp.where(zero, 1.0, p - 1))
            else:
                ga = grad * p * (_power(a, p - 1) if xp is NUMPY_NS else a ** (p - 1))
            ga = xp.unbroadcast(ga, a.shape)
        if need_p:
            ad, pd = raw(a), raw(p)
            zero = (ad == 0) & (pd >= 0)
            safe_a = xp.where(zero, 1.0, a)
            gp = grad * out * xp.log(safe_a)
            gp = xp.unbroadcast(xp.where(np.broadcast_to(zero, gp.shape), 0.0, gp), p.shape)
        return ga, gp


class Maximum(Function):
    r"""$z = \max(a, b)$. Backward: $\bar z$ to the larger input; ties split it 1/2-1/2;
    where either is NaN, both get $\bar z$ (as PyTorch).  The weights are computed in
    backward from the saved inputs, so forward is one ``np.maximum``."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.save_for_backward(a, b)
        out = np.maximum(a, b)
        return out if a.dtype == b.dtype else _promote(out, a, b)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        return _extremum_backward(grad, *self.saved, self.xp, largest=True)


class Minimum(Function):
    r"""$z = \min(a, b)$. Backward: $\bar z$ to the smaller input; ties split it 1/2-1/2;
    where either is NaN, both get $\bar z$ (as PyTorch)."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.save_for_backward(a, b)
        out = np.minimum(a, b)
        return out if a.dtype == b.dtype else _promote(out, a, b)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        return _extremum_backward(grad, *self.saved, self.xp, largest=False)


def _extremum_backward(grad: Any, a: Any, b: Any, xp: Any, largest: bool) -> Any:
    """PyTorch's maximum/minimum backward, ``where(a == b, grad / 2, grad)`` with the loser's
    share *selected* away (an infinite ``grad`` gives it 0); where either is NaN (neither wins
    nor ties) both get the whole gradient.  Then summed back to the input shapes."""
    a, b = saved_array(a), saved_array(b)
    tie = a == b
    half = xp.where(tie, grad * 0.5, grad) if tie.any() else grad
    a_keeps, b_keeps = (~(a < b), ~(a > b)) if largest else (~(a > b), ~(a < b))
    return (xp.unbroadcast(select(xp, a_keeps, half), a.shape),
            xp.unbroadcast(select(xp, b_keeps, half), b.shape))  # fmt: skip


class Where(Function):
    r"""$z = a$ where ``cond`` else $b$.

    Backward: $\bar a = \bar z\,[c]$, $\bar b = \bar z\,[\lnot c]$ (unbroadcast).
    """

    def forward(self, a: np.ndarray, b: np.ndarray, cond: np.ndarray) -> np.ndarray:
        self.saved = (a.shape, b.shape, cond)
        out = np.where(cond, a, b)
        return out if a.dtype == b.dtype else _promote(out, a, b)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        sa, sb, cond = self.saved
        xp = self.xp
        zero = xp.zeros_like(grad)
        cond = np.broadcast_to(raw(cond), grad.shape)
        return (
            xp.unbroadcast(xp.where(cond, grad, zero), sa),
            xp.unbroadcast(xp.where(cond, zero, grad), sb),
        )


def where(cond: Any, a: Any, b: Any) -> Any:
    """``a`` where ``cond`` is true, else ``b`` (``torch.where``); broadcasts all three."""
    T = _tm.Tensor
    c = cond.data if isinstance(cond, T) else np.asarray(cond)
    if c.dtype != np.bool_:  # PyTorch refuses rather than casting (2.0 is not "true")
        raise RuntimeError(
            f"where: expected condition to be a boolean tensor, but got a tensor with dtype "
            f"{c.dtype}"
        )
    if not isinstance(a, T) and not isinstance(b, T):
        a = T(a)
    a = as_tensor(a, b) if isinstance(b, T) else a
    b = as_tensor(b, a)
    try:
        return Where.apply(a, b, cond=c)
    except RuntimeError as e:  # Function.apply names a and b only; the condition counts too
        if "broadcast" not in str(e):
            raise
        raise RuntimeError(
            f"where: cannot broadcast condition {c.shape}, input {a.shape} and other {b.shape}"
        ) from None


def pow(x: Any, exponent: Any) -> Any:
    """``x ** exponent`` for a tensor or scalar exponent."""
    if isinstance(exponent, (int, np.integer)) and exponent < 0 and x.dtype.kind in "biu":
        raise RuntimeError(
            f"pow: integers to negative integer powers are not allowed (input {x.dtype} of "
            f"shape {x.shape}, exponent {exponent})"
        )
    return Pow.apply(x, as_tensor(exponent, x), scalar=not isinstance(exponent, _tm.Tensor))


# ----- casts ----------------------------------------------------------------------------


class Cast(Function):
    r"""$y = x$ in another dtype. Backward: $\bar x = \bar y$ cast back."""

    def forward(self, x: np.ndarray, dtype: np.dtype) -> np.ndarray:
        self.saved = (x.dtype,)
        return x.astype(dtype)

    def backward(self, grad: Any) -> Any:
        (dtype,) = self.saved
        return grad.astype(dtype) if isinstance(grad, np.ndarray) else grad.to(dtype)


def cast(x: Any, dtype: np.dtype) -> Any:
    """``x`` converted to ``dtype``; returns ``x`` itself when the dtype already matches."""
    if x.data.dtype == dtype:
        return x
    if dtype.kind not in "fc":
        return _tm.Tensor._make(x.data.astype(dtype), None)
    return Cast.apply(x, dtype=dtype)
