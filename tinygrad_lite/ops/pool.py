r"""Max-pooling: its own primitive, the gradient routed to the FIRST maximum of each window.

Every (image, channel) plane is treated as a one-channel image (in channel-major order when the
input has the CNHW memory order that ``conv2d`` outputs, so no copy is needed).  For each of the
$k_h k_w$ kernel offsets one strided slice of the (``-inf``-padded) planes is copied into a
contiguous block, giving an im2col-like array $(k_h k_w, B, H_o, W_o)$; the max is a reduction
over its first axis and the one-hot of the first maximum a left-to-right scan over the same
rows.  Backward multiplies the one-hot by the output gradient and writes it back through the
same strided slices (``col2im``; ``multiply(out=...)`` when windows are disjoint).  No Python
loop runs over pixels or images.

``MaxPool2d(2)``, the common case, has two faster paths that never copy the windows:
:func:`max_pool_2x2` on planes, and :func:`max_pool_2x2_batch_inner` on the batch-innermost
(CHWN) memory order that ``conv2d`` returns for its 3x3-padding-1 hot path, where each window
cell is a strided view whose rows hold the whole batch.

Average pooling needs no primitive of its own (``nn.functional.avg_pool2d`` is ``Im2Col`` +
``sum``), nor does adaptive average pooling (two matrix products).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_lite.allocator import SCRATCH
from tinygrad_lite.autograd.function import NUMPY_NS, Function
from tinygrad_lite.ops.conv import Geometry, col2im, im2col_array, out_size
from tinygrad_lite.ops.conv_kernels import is_batch_inner
from tinygrad_lite.ops.masking import BITS, masked, zero_link


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


def _padded_planes(planes: np.ndarray, geom: Geometry, value: float) -> np.ndarray:
    """(B, H, W) planes padded by ``geom``'s padding with ``value`` (no copy without padding)."""
    pt, pb, pl, pr = geom[2]
    if not (pt or pb or pl or pr):
        return planes
    b, h, w = planes.shape
    out = np.full((b, h + pt + pb, w + pl + pr), value, dtype=planes.dtype)
    out[:, pt : pt + h, pl : pl + w] = planes
    return out


def _window_slices(geom: Geometry, oh: int, ow: int) -> list[tuple[slice, slice, slice]]:
    """For each kernel offset (row-major), the strided slices of the padded planes it reads."""
    (kh, kw), (sh, sw), _, (dh, dw) = geom
    return [
        (
            slice(None),
            slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
            slice(j * dw, j * dw + sw * (ow - 1) + 1, sw),
        )
        for i in range(kh)
        for j in range(kw)
    ]


def first_max_onehot(cols: np.ndarray, needs_mask: bool = True) -> tuple[np.ndarray, Any]:
    """Max over axis 0 of ``cols`` (K, ...) and the bool one-hot (K, ...) of the FIRST maximum
    (None without ``needs_mask``).

    NaN propagates like PyTorch (a window holding NaN is routed to its LAST NaN: PyTorch's scan
    moves on ``val > max or isnan(val)``).
    """
    out = np.max(cols, axis=0)
    if not needs_mask:
        return out, None
    if np.isnan(out).any():
        idx = _last_nan_or_first_max(cols)
        return out, np.arange(cols.shape[0]).reshape(-1, *[1] * out.ndim) == idx
    onehot = cols == out  # every maximum; then keep only the first of each window
    seen = onehot[0].copy()
    for k in range(1, cols.shape[0]):
        np.greater(onehot[k], seen, out=onehot[k])  # a maximum not seen before
        seen |= onehot[k]
    return out, onehot


def _last_nan_or_first_max(cols: np.ndarray) -> np.ndarray:
    """Index along axis 0 of the last NaN of each window, or of its first maximum if none."""
    nan = np.isnan(cols)
    last_nan = cols.shape[0] - 1 - np.argmax(nan[::-1], axis=0)
    return np.where(nan.any(axis=0), last_nan, np.argmax(cols, axis=0))


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
        if _is_2x2_tiles(geom) and is_batch_inner(x) and not x.flags.c_contiguous:
            # (an odd last row or column is outside every window: cropped, a view)
            xb = x.transpose(1, 2, 3, 0)[:, : 2 * oh, : 2 * ow]
            out, onehot = max_pool_2x2_batch_inner(xb, needs_mask)
            if onehot is not None or not needs_mask:  # (a NaN window takes the general path)
                if needs_mask:
                    self.saved = (onehot, x.shape, geom, "chwn")
                return out.transpose(3, 0, 1, 2)
        planes, channel_major = _planes(x)
        planes = planes[:, 0]  # (B, H, W)
        if _is_2x2_tiles(geom) and w >= 16:  # narrower rows: per-row overhead eats the gain
            out, masks = max_pool_2x2(planes, needs_mask)
            if masks is not None or not needs_mask:  # (a NaN window takes the general path)
                if needs_mask:
                    self.saved = (masks, x.shape, geom, _layout(channel_major))
                return _unplanes(out, n, c, channel_major)
        slices = _window_slices(geom, oh, ow)
        # one contiguous copy per kernel offset, so the comparisons run on contiguous rows
        cols = np.empty((kh * kw, planes.shape[0], oh, ow), dtype=x.dtype)
        padded = _padded_planes(planes, geom, -np.inf)
        for k, sl in enumerate(slices):
            cols[k] = padded[sl]
        out, onehot = first_max_onehot(cols, needs_mask)  # (B, oh, ow), (K, B, oh, ow)
        if needs_mask and any(geom[2]) and np.isneginf(out).any():
            onehot = np.where(np.isneginf(out), _first_real_onehot(geom, h, w, oh, ow), onehot)
        if needs_mask:
            self.saved = (onehot, x.shape, geom, _layout(channel_major))
        return _unplanes(out, n, c, channel_major)

    def backward(self, grad: Any) -> Any:
        onehot, shape, geom, layout = self.saved  # layout: of the planes (or CHWN's masks)
        xp = self.xp
        n, c, h, w = shape
        b = n * c
        if layout == "chwn":
            if xp is NUMPY_NS:
                gb = np.ascontiguousarray(grad.transpose(1, 2, 3, 0))  # a view if CHWN
                return _scatter_2x2_batch_inner(onehot, gb, h, w).transpose(3, 0, 1, 2)
            if not isinstance(onehot, np.ndarray):  # create_graph hands a constant Tensor
                onehot = onehot.data
            onehot, layout = _onehot_batch_inner(onehot), "nchw"
        channel_major = layout == "cnhw"
        g = xp.permute(grad, (1, 0, 2, 3)) if channel_major else grad
        if isinstance(onehot, tuple):  # the 2x2 fast path saved its (left, top) masks
            if xp is NUMPY_NS:
                gx = _scatter_2x2(*onehot, xp.reshape(g, onehot[1].shape), (b, h, w))
                if channel_major:
                    return gx.reshape(c, n, h, w).transpose(1, 0, 2, 3)
                return gx.reshape(shape)
            onehot = _onehot_2x2(*onehot)
        g = xp.reshape(g, onehot.shape[1:])  # (B, oh, ow)
        if xp is NUMPY_NS:
            gx = _scatter_first_max(onehot, g, (b, h, w), geom)
        else:
            cols = xp.where(onehot.reshape((onehot.shape[0], -1)), xp.reshape(g, (1, -1)), 0.0)
            gx = col2im(xp, cols, (b, 1, h, w), geom)
        if channel_major:
            gx = xp.permute(xp.reshape(gx, (c, n, h, w)), (1, 0, 2, 3))
        # PyTorch's max_pool2d_with_indices_backward(grad, self): zeros for x if differentiated
        return zero_link(self, xp.reshape(gx, shape), 0)


def _first_real_onehot(geom: Geometry, h: int, w: int, oh: int, ow: int) -> np.ndarray:
    r"""(K, 1, oh, ow) one-hot of each window's first cell inside the input (not padding).

    A window whose real cells are all $-\infty$ ties them with its padding; PyTorch then keeps
    its first real cell (its scan starts there, at $-\infty$, and only a greater value moves it).
    """
    real = _padded_planes(np.ones((1, h, w), dtype=bool), geom, False)
    cols = np.stack([real[sl] for sl in _window_slices(geom, oh, ow)])  # (K, 1, oh, ow)
    return first_max_onehot(cols)[1]


def _layout(channel_major: bool) -> str:
    """The saved name of the planes' order: "cnhw" (channel-major) or "nchw"."""
    return "cnhw" if channel_major else "nchw"


def _unplanes(out: np.ndarray, n: int, c: int, channel_major: bool) -> np.ndarray:
    """(B, oh, ow) pooled planes back to the logical (N, C, oh, ow) shape (a view)."""
    oh, ow = out.shape[1], out.shape[2]
    if channel_major:
        return out.reshape(c, n, oh, ow).transpose(1, 0, 2, 3)
    return out.reshape(n, c, oh, ow)


def _is_2x2_tiles(geom: Geometry) -> bool:
    """Kernel 2x2, stride 2, no padding, no dilation: ``MaxPool2d(2)``, the common case."""
    return geom == ((2, 2), (2, 2), (0, 0, 0, 0), (1, 1))


def max_pool_2x2(planes: np.ndarray, needs_mask: bool) -> tuple[np.ndarray, Any]:
    r"""2x2 / stride 2 max-pooling of (B, H, W) planes, separably: max of each row pair of a
    window, then of the two row maxima.

    The first maximum in row-major order is in the top row iff the top row's max is $\ge$ the
    bottom row's, and within a row it is the left element iff left $\ge$ right; so two bool
    masks, ``left`` (B, 2 oh, ow) and ``top`` (B, oh, ow), locate it.  This reads the input
    once through stride-2 views and never builds the (4, B, oh, ow) window copy.  Returns
    ``(out, (left, top))``; the masks are None without ``needs_mask`` or when a window holds
    NaN (the caller then takes the general path, which routes to the last NaN).
    """
    b, h, w = planes.shape
    oh, ow = h // 2, w // 2
    p = planes[:, : 2 * oh, : 2 * ow]
    lft, rgt = p[:, :, 0::2], p[:, :, 1::2]  # (B, 2 oh, ow) stride-2 views
    row_max = np.maximum(lft, rgt)
    top, bottom = row_max[:, 0::2], row_max[:, 1::2]  # (B, oh, ow)
    out = np.maximum(top, bottom)
    if not needs_mask or np.isnan(out).any():
        return out, None
    return out, (lft >= rgt, top >= bottom)


def _scatter_2x2(left: np.ndarray, top: np.ndarray, g: np.ndarray,
                 planes_shape: tuple[int, int, int]) -> np.ndarray:
    """Route each window's gradient ``g`` (B, oh, ow) to its first maximum (numpy only).

    The gradient is *selected* (PyTorch scatters it, so an infinite ``g`` leaves $0$ at the
    other cells): the products run on the float bits read as integers
    (:func:`~tinygrad_lite.ops.masking.masked`), where ``g * mask`` is ``g`` or $+0$ exactly and
    the other half of each pair, ``g - g * mask``, is exactly ``g * ~mask``, one pass cheaper."""
    b, h, w = planes_shape
    oh, ow = g.shape[1], g.shape[2]
    bits = BITS[g.dtype.itemsize]
    row_grad = SCRATCH.empty((b, 2 * oh, ow), bits)
    upper, lower = row_grad[:, 0::2], row_grad[:, 1::2]
    gb = g.view(bits)
    np.multiply(gb, top, out=upper)
    np.subtract(gb, upper, out=lower)
    out = (np.empty if (h, w) == (2 * oh, 2 * ow) else np.zeros)((b, h, w), dtype=g.dtype)
    ob = out.view(bits)
    first, second = ob[:, : 2 * oh, 0 : 2 * ow : 2], ob[:, : 2 * oh, 1 : 2 * ow : 2]
    # contiguous: an integer multiply into a stride-2 output is slow (1.6x), a copy is not
    chosen = np.multiply(row_grad, left, out=SCRATCH.empty(row_grad.shape, bits))
    first[...] = chosen
    np.subtract(row_grad, chosen, out=second)
    return out


def max_pool_2x2_batch_inner(xb: np.ndarray, needs_mask: bool) -> tuple[np.ndarray, Any]:
    r"""2x2 / stride 2 max-pooling of ``xb`` (C, H, W, N), H and W even (the caller crops an odd
    last row or column), in that memory order.

    The window's four cells $a, b$ (top row) and $c, d$ are strided views whose rows hold the
    whole batch ($N$ values), so each numpy loop runs over $N$ values (not $W/2$).  Returns
    ``(out, onehot)``: ``out`` (C, H/2, W/2, N), and the bool one-hot of each window's FIRST
    maximum in row-major order in the input's own layout, viewed as (C, H/2, 2, W/2, 2, N)
    (None without ``needs_mask``, or when a window holds NaN: the caller's general path then
    handles it).  With the one-hot in that layout, backward is one broadcast multiply.
    """
    c, h, w, n = xb.shape
    v = xb.reshape(c, h // 2, 2, w // 2, 2, n)
    out = np.maximum(v[:, :, 0, :, 0], v[:, :, 0, :, 1],
                     out=SCRATCH.empty((c, h // 2, w // 2, n), xb.dtype))  # fmt: skip
    np.maximum(out, np.maximum(v[:, :, 1, :, 0], v[:, :, 1, :, 1]), out=out)
    if not needs_mask or np.isnan(out).any():
        return out, None
    # every maximum; keep each window's first
    onehot = np.equal(v, out[:, :, None, :, None, :], out=SCRATCH.empty(v.shape, np.bool_))
    seen = onehot[:, :, 0, :, 0].copy()
    for row, col in ((0, 1), (1, 0), (1, 1)):
        cell = onehot[:, :, row, :, col]
        np.greater(cell, seen, out=cell)  # a maximum not seen before
        if (row, col) != (1, 1):
            seen |= cell
    return out, onehot


def _scatter_2x2_batch_inner(onehot: np.ndarray, g: np.ndarray, h: int, w: int) -> np.ndarray:
    """Route ``g`` (C, H/2, W/2, N) to each window's first maximum (numpy only): the
    (C, H, W, N) input gradient, one multiply of ``g`` broadcast over the window cells by
    the one-hot of :func:`max_pool_2x2_batch_inner` (an odd last row or column gets 0)."""
    c, oh, _, ow, _, n = onehot.shape
    if (h, w) == (2 * oh, 2 * ow):  # every cell is written below
        out = SCRATCH.empty((c, h, w, n), g.dtype)
    else:
        out = np.zeros((c, h, w, n), dtype=g.dtype)
    bits = BITS[g.dtype.itemsize]  # g or +0, selected (see _scatter_2x2)
    cells = out.view(bits)[:, : 2 * oh, : 2 * ow].reshape(c, oh, 2, ow, 2, n)
    np.multiply(g.view(bits)[:, :, None, :, None, :], onehot, out=cells)
    return out


def _onehot_batch_inner(onehot: np.ndarray) -> np.ndarray:
    """The (4, N*C, H/2, W/2) one-hot of the first maximum (NCHW planes) from the one-hot of
    :func:`max_pool_2x2_batch_inner`, for the differentiable (``create_graph``) backward."""
    c, oh, _, ow, _, n = onehot.shape
    cells = [onehot[:, :, row, :, col] for row in (0, 1) for col in (0, 1)]
    return np.stack([m.transpose(3, 0, 1, 2).reshape(n * c, oh, ow) for m in cells])


def _onehot_2x2(left: np.ndarray, top: np.ndarray) -> np.ndarray:
    """The (4, B, oh, ow) one-hot of the first maximum from the 2x2 fast path's masks."""
    return np.stack([top & left[:, 0::2], top & ~left[:, 0::2],
                     ~top & left[:, 1::2], ~top & ~left[:, 1::2]])


def _scatter_first_max(
    onehot: np.ndarray, g: np.ndarray, planes_shape: tuple[int, int, int], geom: Geometry
) -> np.ndarray:
    """``col2im(where(onehot, g, 0))`` in one pass per kernel offset (numpy only): disjoint
    windows are written with a multiply of the float bits (see ``_scatter_2x2``), overlapping
    ones accumulated."""
    (kh, kw), (sh, sw), (pt, pb, pl, pr), (dh, dw) = geom
    b, h, w = planes_shape
    hp, wp = h + pt + pb, w + pl + pr
    disjoint = sh >= dh * (kh - 1) + 1 and sw >= dw * (kw - 1) + 1
    oh, ow = g.shape[1], g.shape[2]
    tiles = disjoint and (kh, kw, dh, dw) == (sh, sw, 1, 1) and (oh * sh, ow * sw) == (hp, wp)
    out = (np.empty if tiles else np.zeros)((b, hp, wp), dtype=g.dtype)  # tiles: all written
    bits = BITS[g.dtype.itemsize]
    for k, sl in enumerate(_window_slices(geom, oh, ow)):
        if disjoint:
            np.multiply(onehot[k], g.view(bits), out=out.view(bits)[sl])
        else:
            out[sl] += masked(g, onehot[k])
    return out[:, pt : pt + h, pl : pl + w]


def max_pool_indices(x: np.ndarray, geom: Geometry) -> np.ndarray:
    """PyTorch's ``return_indices``: the flat ``h * W + w`` index of each window's first max."""
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (pt, pb, pl, pr), (dh, dw) = geom
    oh, ow = out_size(h, kh, sh, pt, pb, dh), out_size(w, kw, sw, pl, pr, dw)
    cols = im2col_array(x.reshape(n * c, 1, h, w), geom, pad_value=-np.inf)
    peak = cols.max(axis=0).reshape(n, c, oh, ow)
    nan = np.isnan(peak).any()  # the NaN rule costs a pass over cols only when needed
    k = (_last_nan_or_first_max(cols) if nan else np.argmax(cols, axis=0)).reshape(peak.shape)
    if any(geom[2]) and np.isneginf(peak).any():  # all-(-inf) windows: the first real cell,
        first_real = np.argmax(_first_real_onehot(geom, h, w, oh, ow)[:, 0], axis=0)
        k = np.where(np.isneginf(peak), first_real, k)  # not the padding (as PyTorch)
    rows = np.arange(oh).reshape(-1, 1) * sh - pt + (k // kw) * dh
    columns = np.arange(ow) * sw - pl + (k % kw) * dw
    return (rows * w + columns).astype(np.int64)
