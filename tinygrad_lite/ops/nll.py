r"""Negative log-likelihood at class indices: PyTorch's ``nll_loss`` as one primitive.

``F.cross_entropy`` is ``log_softmax`` followed by this: two nodes, as in PyTorch's graph
(``LogSoftmaxBackward0``, ``NllLossBackward0``).  The checks, class weights, ``ignore_index``
and the reductions' divisor are worked out by ``nn.functional.nll_loss`` into one coefficient
per target; the primitive only picks and scatters.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_lite.autograd.function import NUMPY_NS, Function


class NllLoss(Function):
    r"""$\ell_n = c_n\, x_{n, y_n}$, the entry of each target's class along the class axis
    ``dim``, times a constant coefficient $c_n$; summed over $n$ when ``reduce``.

    ``nll_loss`` passes $c_n = -w_{y_n}$ (``'none'``, ``'sum'``) or
    $-w_{y_n} / \sum_m w_{y_m}$ (``'mean'``), and $c_n = 0$ with ``valid`` false for an
    ignored target (whose entry is then not read: a $-\infty$ there gives $0$, not nan).

    Backward: $\bar x_{n, c} = \bar\ell_n\, c_n\, [c = y_n]$ -- the output gradient scattered
    onto each target's class, zero elsewhere.  Linear in $x$: no kink, second derivative zero.
    The plain form is ``(where(onehot, x, 0) * c).sum(dim)``, tested equal in
    ``tests/nn/test_nll_primitive.py``.
    """

    def forward(
        self, x: np.ndarray, index: np.ndarray, coef: np.ndarray, valid: np.ndarray | None,
        dim: int, reduce: bool,
    ) -> np.ndarray:
        # index, coef, valid: the target's shape with a size-1 axis at dim
        if x.ndim == 2 and dim == 1:  # (N, C): one fancy index, cheaper than take_along_axis
            picked = x[np.arange(x.shape[0]), index[:, 0]][:, None]
        else:
            picked = np.take_along_axis(x, index, dim)
        if valid is not None:
            picked = np.where(valid, picked, 0)
        terms = picked * coef
        self.saved = (index, coef, dim, x.shape, reduce)
        return np.sum(terms) if reduce else terms.squeeze(dim)

    def backward(self, grad: Any) -> Any:
        index, coef, dim, shape, reduce = self.saved
        xp = self.xp
        if xp is NUMPY_NS:
            g = coef * (grad if reduce else np.expand_dims(grad, dim))
            out = np.zeros(shape, dtype=g.dtype)
            if len(shape) == 2 and dim == 1:
                out[np.arange(shape[0]), index[:, 0]] = g[:, 0]
            else:
                np.put_along_axis(out, index, g, dim)
            return out
        classes = np.arange(shape[dim]).reshape([-1 if a == dim else 1 for a in range(len(shape))])
        g = (grad if reduce else xp.reshape(grad, index.shape)) * xp.const(coef, grad)
        return xp.where(index == classes, xp.broadcast_to(g, shape), 0.0)

