r"""Batch normalisation with batch statistics (training mode) as one primitive.

With $n$ values per channel (all dims but dim 1), the batch mean $\mu$, the *biased* variance
$\sigma^2$, $r = 1/\sqrt{\sigma^2 + \epsilon}$ and $\hat x = (x - \mu)\,r$, the output is
$y = \gamma \hat x + \beta$ (or $\hat x$ without an affine part).  Backward, per channel:

.. math::

    \bar\beta = \textstyle\sum \bar y, \qquad \bar\gamma = \sum \bar y\,\hat x, \qquad
    \bar x = \gamma r \big(\bar y - \bar\beta / n - \hat x\, \bar\gamma / n\big).

Built from ``mean``, ``-``, ``*``, ``sqrt`` and ``/`` nodes the same computation takes about
twenty full passes over the activations backward; here it takes six (two reductions, four
elementwise), and five forward on channel-major input; $\hat x$ is never stored, only
$x - \mu$.  For ``examples/train_cnn.py``'s network this took an MNIST epoch from ~2,500 to
~3,500 images/s (``python bench/epoch.py``).  Evaluation mode (running statistics) is an
affine map and stays a composite in ``nn.functional.batch_norm``.

Arrays in the channel-major memory orders that ``conv2d`` returns (CNHW, or CHWN with the
batch innermost) are handled as $(C, n)$ row blocks, so every reduction runs over contiguous
rows, and the output keeps the input's order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_lite.allocator import SCRATCH
from tinygrad_lite.autograd.fp import quiet_fp
from tinygrad_lite.autograd.function import NUMPY_NS, Function


def _channel_major_order(a: np.ndarray) -> tuple[int, ...] | None:
    """The channels-first axis order in which ``a`` (N, C, ...) is C-contiguous in memory:
    CNHW (what ``conv2d`` returns) or, for 4-D arrays, CHWN (its batch-innermost order);
    None if neither."""
    if a.ndim < 3:
        return None
    orders = [(1, 0, *range(2, a.ndim))] + ([(1, 2, 3, 0)] if a.ndim == 4 else [])
    return next((o for o in orders if a.transpose(o).flags.c_contiguous), None)


def _rows(a: np.ndarray, order: tuple[int, ...]) -> np.ndarray:
    """``a`` (N, C, ...) as (C, n) rows in the axis ``order``: a view when ``a`` has that
    memory order, else a copy."""
    return np.ascontiguousarray(a.transpose(order)).reshape(a.shape[1], -1)


_CHUNK = 2048
"""Row length of the pieces :func:`_row_dots` sums separately."""


def _row_dots(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    r"""Per-row sums of ``a * b`` for (C, n) arrays, without a temporary.

    ``einsum`` accumulates each row in one running float32 sum, whose error grows with $n$
    (1e-6 relative at $n = 5 \cdot 10^4$, 7e-5 at $10^6$); summing ``einsum`` over pieces of
    2048 and then the pieces keeps float32 results at ``np.sum``'s accuracy (~1e-7) at the
    same speed."""
    c, n = a.shape
    head = n - n % _CHUNK
    out = np.zeros(c, dtype=np.result_type(a, b))
    if head:
        pieces = (c, head // _CHUNK, _CHUNK)
        out += np.einsum("ikj,ikj->ik", a[:, :head].reshape(pieces),
                         b[:, :head].reshape(pieces)).sum(axis=1)  # fmt: skip
    if head < n:
        out += np.einsum("ij,ij->i", a[:, head:], b[:, head:])
    return out


def _from_rows(rows: np.ndarray, shape: tuple[int, ...], order: tuple[int, ...]) -> np.ndarray:
    """Inverse of :func:`_rows`: (C, n) rows as an (N, C, ...) view of that memory order."""
    return rows.reshape(tuple(shape[i] for i in order)).transpose(np.argsort(order))


class BatchNorm(Function):
    r"""$y = \gamma\,(x - \mu)/\sqrt{\sigma^2 + \epsilon} + \beta$ with the batch's per-channel
    mean and biased variance (see the module docstring for backward).

    ``running_mean``/``running_var`` (numpy arrays, or None) are updated in place during the
    forward pass, as PyTorch's ``batch_norm`` does: $r \leftarrow (1 - m) r + m s$ with the
    *unbiased* variance $\sigma^2 n / (n - 1)$.  Under ``create_graph`` the statistics are
    recomputed from the input with differentiable ops, so higher-order gradients are exact.
    """

    @quiet_fp
    def forward(
        self, x: np.ndarray, weight: np.ndarray | None = None, bias: np.ndarray | None = None,
        *, eps: float, momentum: float = 0.1, running_mean: np.ndarray | None = None,
        running_var: np.ndarray | None = None,
    ) -> np.ndarray:
        c = x.shape[1]
        n = x.size // c
        order = _channel_major_order(x)
        rows = None if order is None else _rows(x, order)
        if rows is not None:  # (C, n) contiguous rows: channel sums run along memory
            mean = rows.mean(axis=1, keepdims=True)
            centered = np.subtract(rows, mean, out=SCRATCH.empty(rows.shape, rows.dtype))
            var = _row_dots(centered, centered)[:, None] / n
        else:
            axes = (0,) + tuple(range(2, x.ndim))
            mean = x.mean(axis=axes, keepdims=True)
            centered = x - mean
            var = np.mean(np.square(centered), axis=axes, keepdims=True)
        inv_std = 1.0 / np.sqrt(var + eps)
        if running_mean is not None and running_var is not None:
            m = momentum
            running_mean[...] = (1 - m) * running_mean + m * mean.reshape(c)
            running_var[...] = (1 - m) * running_var + m * var.reshape(c) * (n / (n - 1))
        scale = inv_std if weight is None else inv_std * weight.reshape(inv_std.shape)
        # y = (x - mu) r gamma + beta: x-hat is never stored
        out = np.multiply(centered, scale,
                          out=SCRATCH.empty_like(centered, np.result_type(centered, scale)))
        if bias is not None:
            out += bias.reshape(inv_std.shape)
        # x itself is only read by the create_graph path (to reconnect the statistics to it)
        self.save_for_backward(x, weight, centered, inv_std, eps, order)
        return out if order is None else _from_rows(out, x.shape, order)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        x, weight, centered, inv_std, eps, order = self.saved
        if self.xp is not NUMPY_NS:
            return self._backward_graph(grad)
        shape = x.shape
        c, n = shape[1], x.size // shape[1]
        rows = order is not None
        g = _rows(grad, order) if rows else grad  # a copy if grad has another memory order
        axes = 1 if rows else (0,) + tuple(range(2, len(shape)))
        g_bias = g.sum(axis=axes, keepdims=True)
        if rows:  # sum(g * x-hat) = r * sum(g * (x - mu))
            g_weight = _row_dots(g, centered)[:, None] * inv_std
        else:
            g_weight = np.sum(g * centered, axis=axes, keepdims=True) * inv_std
        scale = inv_std if weight is None else inv_std * weight.reshape(inv_std.shape)
        gx = np.multiply(g, scale, out=SCRATCH.empty_like(g, np.result_type(g, scale)))
        tmp = np.multiply(centered, scale * inv_std * g_weight / n,  # x-hat * scale * g_w / n
                          out=SCRATCH.empty_like(gx))  # fmt: skip
        gx -= tmp
        del tmp  # back to the pool for the next layer
        gx -= scale * g_bias / n
        gx = _from_rows(gx, shape, order) if rows else gx
        grads: list[Any] = [gx if self.needs_input_grad[0] else None]
        if weight is not None:
            grads.append(g_weight.reshape(c) if self.needs_input_grad[1] else None)
        if len(self.needs_input_grad) > len(grads):
            grads.append(g_bias.reshape(c) if self.needs_input_grad[-1] else None)
        return tuple(grads) if len(grads) > 1 else grads[0]

    def _backward_graph(self, grad: Any) -> Any:
        """The same formulas on Tensors (``create_graph``), statistics recomputed from ``x``."""
        x, weight, _, _, eps, _ = self.saved
        xp = self.xp
        shape = tuple(grad.shape)
        c, n = shape[1], int(np.prod(shape)) // shape[1]
        axes = (0,) + tuple(range(2, len(shape)))
        kept = (1, c) + (1,) * (len(shape) - 2)
        centered = x - xp.sum(x, axes, keepdims=True) / n
        inv_std = 1.0 / xp.sqrt(xp.sum(centered * centered, axes, keepdims=True) / n + eps)
        xhat = centered * inv_std
        g_bias = xp.sum(grad, axes, keepdims=True)
        g_weight = xp.sum(grad * xhat, axes, keepdims=True)
        scale = inv_std if weight is None else inv_std * xp.reshape(weight, kept)
        gx = scale * (grad - g_bias / n - xhat * (g_weight / n))
        grads: list[Any] = [gx if self.needs_input_grad[0] else None]
        if weight is not None:
            grads.append(xp.reshape(g_weight, (c,)) if self.needs_input_grad[1] else None)
        if len(self.needs_input_grad) > len(grads):
            grads.append(xp.reshape(g_bias, (c,)) if self.needs_input_grad[-1] else None)
        return tuple(grads) if len(grads) > 1 else grads[0]
