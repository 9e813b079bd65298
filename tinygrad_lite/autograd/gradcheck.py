r"""gradcheck / gradgradcheck: analytic gradients against float64 finite differences.

For every input element $x_k$ and output element $y_j$ the check compares the analytic
Jacobian entry $J_{jk}$ (one backward per output element, through :func:`engine.grad`) with
the one-sided and central differences

.. math::

    r = \frac{f(x + \epsilon e_k) - f(x)}{\epsilon}, \quad
    l = \frac{f(x) - f(x - \epsilon e_k)}{\epsilon}, \quad
    c = \frac{l + r}{2}.

An entry passes when $J_{jk}$ lies in $[\min(l, r, c), \max(l, r, c)]$ widened by
$\mathrm{atol} + \mathrm{rtol}\,|c|$.  Where $f$ is smooth, $l \approx r \approx c$ and this is
the usual tolerance around the central difference.  At a kink (ReLU or $|x|$ at 0, a clamp
bound, a tie of ``maximum``) $l \ne r$, and every value between them is a valid subgradient,
so PyTorch's choices (relu'(0) = 0, ties split 1/2-1/2, ...) pass instead of failing.
A discontinuity (``sign`` at 0) makes $l$ and $r$ both huge and still fails, as it should.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tinygrad_lite.autograd import engine

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by :func:`gradcheck` when an analytic gradient disagrees with the numbers."""


def _as_tuple(x: Any) -> tuple[Any, ...]:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _is_tensor(x: Any) -> bool:
    return hasattr(x, "grad_fn") and hasattr(x, "data")


def _flat_outputs(outs: tuple[Any, ...]) -> np.ndarray:
    """All floating outputs, flattened and concatenated, in float64."""
    parts = [
        np.asarray(o.data, dtype=np.float64).ravel()
        for o in outs
        if o is not None and o.data.dtype.kind in "fc"
    ]
    return np.concatenate(parts) if parts else np.zeros(0)


def _leaf_copies(inputs: tuple[Any, ...], which: int, index: int, delta: float) -> list[Any]:
    """Fresh leaves with the inputs' data, element ``index`` of input ``which`` moved by delta."""
    args = []
    for k, x in enumerate(inputs):
        if not _is_tensor(x):
            args.append(x)
            continue
        data = x.data
        if k == which:
            data = data.copy()
            data.flat[index] += delta
        t = x._make(data, None)
        t.requires_grad = x.requires_grad
        args.append(t)
    return args


def _numerical(
    fn: Callable[..., Any], inputs: tuple[Any, ...], i: int, n_out: int, eps: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Left, right and central differences for input ``i``: arrays of shape (n_out, numel)."""
    f0 = _flat_outputs(_as_tuple(fn(*_leaf_copies(inputs, -1, 0, 0.0))))
    n_in = inputs[i].data.size
    left, right = np.zeros((n_out, n_in)), np.zeros((n_out, n_in))
    for k in range(n_in):
        fp = _flat_outputs(_as_tuple(fn(*_leaf_copies(inputs, i, k, eps))))
        fm = _flat_outputs(_as_tuple(fn(*_leaf_copies(inputs, i, k, -eps))))
        right[:, k] = (fp - f0) / eps
        left[:, k] = (f0 - fm) / eps
    return left, right, (left + right) / 2


def _analytical(
    outs: tuple[Any, ...], checked: list[Any], n_out: int
) -> list[np.ndarray]:
    """Jacobians (n_out, numel) of every checked input: one backward per output element."""
    jac = [np.zeros((n_out, x.data.size)) for x in checked]
    row = 0
    for o in outs:
        if o is None or o.data.dtype.kind not in "fc":
            continue
        n = o.data.size
        if not o.requires_grad:  # a constant output: its Jacobian is zero
            row += n
            continue
        for j in range(n):
            onehot = np.zeros(o.data.shape, dtype=o.data.dtype)
            onehot.flat[j] = 1
            grads = engine.grad(
                o, checked, grad_outputs=o._make(onehot, None), retain_graph=True,
                allow_unused=True,
            )
            for c, (x, g) in enumerate(zip(checked, grads)):
                if g is None:
                    continue
                if g.shape != x.shape:
                    raise GradcheckError(
                        f"gradcheck: the gradient of input {c} has shape {g.shape}, "
                        f"but the input has shape {x.shape}"
                    )
                jac[c][row + j] = np.asarray(g.data, dtype=np.float64).ravel()
        row += n
    return jac


def _out_index(outs: tuple[Any, ...], row: int) -> str:
    """Name flat output row ``row`` as ``output o element (i, j)``."""
    for o_idx, o in enumerate(outs):
        if o is None or o.data.dtype.kind not in "fc":
            continue
        if row < o.data.size:
            idx = tuple(int(e) for e in np.unravel_index(row, o.data.shape))
            return f"output {o_idx} element {idx}"
        row -= o.data.size
    return f"output row {row}"


def gradcheck(
    fn: Callable[..., Any],
    inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    r"""Check ``fn``'s analytic gradients at ``inputs`` against finite differences.

    ``inputs`` is a Tensor or a tuple of Tensors (and constants); those with
    ``requires_grad=True`` are checked and must be float64.  ``fn`` returns a Tensor or a tuple
    of Tensors.  Kinks are accepted anywhere in the subdifferential (see the module docstring).
    Returns True, or raises ``GradcheckError`` naming the worst element (input, element,
    output element, analytic vs numerical) -- or returns False if ``raise_exception=False``.
    """
    inputs = _as_tuple(inputs)
    checked_idx = [i for i, x in enumerate(inputs) if _is_tensor(x) and x.requires_grad]
    if not checked_idx:
        raise ValueError("gradcheck: no input requires grad; pass Tensors with requires_grad=True")
    for i in checked_idx:
        if inputs[i].data.dtype != np.float64:
            raise ValueError(
                f"gradcheck: input {i} has dtype {inputs[i].data.dtype}; finite differences "
                f"need float64 inputs (use .double())"
            )
    outs = _as_tuple(fn(*inputs))
    n_out = _flat_outputs(outs).size
    analytic = _analytical(outs, [inputs[i] for i in checked_idx], n_out)
    for c, i in enumerate(checked_idx):
        left, right, central = _numerical(fn, inputs, i, n_out, eps)
        a = analytic[c]
        lo = np.minimum(np.minimum(left, right), central)
        hi = np.maximum(np.maximum(left, right), central)
        tol = atol + rtol * np.abs(central)
        with np.errstate(invalid="ignore"):
            excess = np.maximum(np.maximum(lo - tol - a, a - hi - tol), 0.0) / tol
        excess[a == central] = 0.0  # equal infinities
        excess[np.isnan(excess)] = np.inf
        if not np.any(excess > 0):
            continue
        row, k = np.unravel_index(int(np.argmax(excess)), excess.shape)
        elem = np.unravel_index(k, inputs[i].data.shape)
        n_bad = int(np.count_nonzero(excess > 0))
        message = (
            f"gradcheck: Jacobian mismatch for input {i} (shape {inputs[i].data.shape}) "
            f"element {tuple(int(e) for e in elem)}, {_out_index(outs, int(row))}:\n"
            f"  analytical  {float(a[row, k]):.10g}\n"
            f"  numerical   {float(central[row, k]):.10g} (central); one-sided: left "
            f"{float(left[row, k]):.10g}, right {float(right[row, k]):.10g}\n"
            f"  allowed: between the one-sided differences, +- atol + rtol*|numerical| "
            f"(eps={eps}, atol={atol}, rtol={rtol})\n"
            f"  {n_bad} of {a.size} Jacobian entries for this input are out of tolerance."
        )
        if raise_exception:
            raise GradcheckError(message)
        return False
    return True


def gradgradcheck(
    fn: Callable[..., Any],
    inputs: Any,
    grad_outputs: Sequence[Any] | Any = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    r"""Check second derivatives: :func:`gradcheck` of $(x, v) \mapsto v^\top \partial_x f$.

    The first-order gradients are built with ``create_graph=True``; ``grad_outputs`` $v$
    (random float64 with a fixed seed when omitted) are checked as inputs too.
    """
    inputs = _as_tuple(inputs)
    checked_idx = [i for i, x in enumerate(inputs) if _is_tensor(x) and x.requires_grad]
    outs = _as_tuple(fn(*inputs))
    float_outs = [o for o in outs if o is not None and o.data.dtype.kind in "fc"]
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            o._make(rng.standard_normal(o.data.shape), None).requires_grad_() for o in float_outs
        )
    grad_outputs = _as_tuple(grad_outputs)
    if len(grad_outputs) != len(float_outs):
        raise ValueError(
            f"gradgradcheck: got {len(grad_outputs)} grad_outputs for {len(float_outs)} outputs"
        )
    n_in = len(inputs)

    def first_order(*args: Any) -> tuple[Any, ...]:
        xs, vs = args[:n_in], args[n_in:]
        ys = [o for o in _as_tuple(fn(*xs)) if o is not None and o.data.dtype.kind in "fc"]
        used = [(y, v) for y, v in zip(ys, vs) if y.requires_grad]
        grads = engine.grad(
            [y for y, _ in used], [xs[i] for i in checked_idx],
            grad_outputs=[v for _, v in used], create_graph=True, allow_unused=True,
        )
        return tuple(
            g if g is not None else xs[i]._make(np.zeros_like(xs[i].data), None)
            for i, g in zip(checked_idx, grads)
        )

    return gradcheck(first_order, (*inputs, *grad_outputs), eps, atol, rtol, raise_exception)
