r"""Max-pooling: its own primitive, the gradient routed to the FIRST maximum of each window.

The windows are unfolded with :func:`~tinygrad_lite.ops.conv.im2col_array` (one strided copy per
kernel offset; padding reads $-\infty$) treating every (image, channel) plane as a one-channel
image, so the columns are a $(k_h k_w, M)$ array with one contiguous row per kernel offset.
The max is then $k_h k_w - 1$ elementwise ``maximum`` calls over contiguous rows, the one-hot
of the first maximum a left-to-right scan over the same rows, and backward is ``col2im`` of the
one-hot times the output gradient.  No Python loop runs over pixels or images.

Average pooling needs no primitive of its own (``nn.functional.avg_pool2d`` is ``Im2Col`` +
``sum``), nor does adaptive average pooling (two matrix products).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_lite.autograd.function import Function
from tinygrad_lite.ops.conv import Geometry, col2im, im2col_array, out_size


def _planes(x: np.ndarray) -> tuple[np.ndarray, bool]:
    """``x`` (N, C, H, W) as (B, 1, H, W) one-channel planes without copying when possible.

    Returns the planes and whether they are in channel-major (C, N) order, which is free for
    the CNHW memory order that ``conv2d`` outputs.
    """
    n, c, h, w = x.shape
    xt = x.transpose(1, 0, 2, 3)
    if xt.flags.c_contiguous and not x.flags.c_contiguous:
        return xt.reshape(c * n, 1, h, w), True
    return x.reshape(n * c, 1, h, w), False


def first_max_onehot(cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Max over the rows of ``cols`` (K, M) and the bool one-hot (K, M) of the FIRST maximum.

    NaN propagates like PyTorch (a window holding NaN has max NaN, routed to its first NaN).
    """
    out = np.max(cols, axis=0)
    if np.isnan(out).any():
        idx = np.argmax(cols, axis=0)  # argmax stops at the first NaN
        return out, np.arange(cols.shape[0])[:, None] == idx
    onehot = np.empty(cols.shape, dtype=bool)
    seen = np.zeros(out.shape, dtype=bool)
    for k in range(cols.shape[0]):
        hit = cols[k] == out
        np.greater(hit, seen, out=onehot[k])  # hit and not seen before: the first maximum
        seen |= hit
    return out, onehot


class MaxPool(Function):
    r"""$y_{n,c,o} = \max_{p \in \mathrm{window}(o)} x_{n,c,p}$ (padding counts as $-\infty$).

    Backward: $\bar x_{n,c,p} = \sum_{o:\ p = p^*(o)} \bar y_{n,c,o}$ where $p^*(o)$ is the
    FIRST maximum of window $o$ in row-major order -- PyTorch's subgradient choice: ties inside a
    window send the whole gradient to one element, never split it.  Overlapping windows
    accumulate.  ``needs_mask=False`` (no gradient wanted) skips building the one-hot.
    """

    def forward(self, x: np.ndarray, geom: Geometry, needs_mask: bool = True) -> np.ndarray:
        n, c, h, w = x.shape
        (kh, kw), (sh, sw), (pt, pb, pl, pr), (dh, dw) = geom
        oh, ow = out_size(h, kh, sh, pt, pb, dh), out_size(w, kw, sw, pl, pr, dw)
        planes, channel_major = _planes(x)
        cols = im2col_array(planes, geom, pad_value=-np.inf)  # (kh*kw, B*oh*ow)
        if needs_mask:
            out, onehot = first_max_onehot(cols)
            self.saved = (onehot, x.shape, geom, channel_major)
        else:
            out = np.max(cols, axis=0)
        if channel_major:
            return out.reshape(c, n, oh, ow).transpose(1, 0, 2, 3)
        return out.reshape(n, c, oh, ow)

    def backward(self, grad: Any) -> Any:
        onehot, shape, geom, channel_major = self.saved
        xp = self.xp
        n, c, h, w = shape
        if channel_major:
            g = xp.reshape(xp.permute(grad, (1, 0, 2, 3)), (1, -1))
            gx = col2im(xp, onehot * g, (c * n, 1, h, w), geom)
            return xp.permute(xp.reshape(gx, (c, n, h, w)), (1, 0, 2, 3))
        g = xp.reshape(grad, (1, -1))
        return xp.reshape(col2im(xp, onehot * g, (n * c, 1, h, w), geom), shape)


def max_pool_indices(x: np.ndarray, geom: Geometry) -> np.ndarray:
    """PyTorch's ``return_indices``: the flat ``h * W + w`` index of each window's first max."""
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (pt, pb, pl, pr), (dh, dw) = geom
    oh, ow = out_size(h, kh, sh, pt, pb, dh), out_size(w, kw, sw, pl, pr, dw)
    cols = im2col_array(x.reshape(n * c, 1, h, w), geom, pad_value=-np.inf)
    k = np.argmax(cols, axis=0).reshape(n, c, oh, ow)
    rows = np.arange(oh).reshape(-1, 1) * sh - pt + (k // kw) * dh
    columns = np.arange(ow) * sw - pl + (k % kw) * dw
    return (rows * w + columns).astype(np.int64)
