r"""Convolution as im2col + one GEMM; col2im by $k_h k_w$ strided slice-adds.

Geometry used throughout (PyTorch's): an input ``x`` of shape $(N, C, H, W)$, a kernel
$k_h \times k_w$, stride $(s_h, s_w)$, padding ``(top, bottom, left, right)`` and dilation
$(d_h, d_w)$ give

.. math:: H_{out} = \lfloor (H + p_t + p_b - d_h (k_h - 1) - 1) / s_h \rfloor + 1

and the same for $W_{out}$.

**Column layout.**  :func:`im2col_array` returns a 2-D array of shape
$(C k_h k_w,\; N H_{out} W_{out})$: row $(c, i, j)$ (channel-major, then kernel row and column)
holds pixel $x[n, c, o_h s_h - p_t + i d_h, o_w s_w - p_l + j d_w]$ in column $(n, o_h, o_w)$.
A convolution is then a single GEMM, ``W.reshape(O, C*kh*kw) @ cols``, whose result
$(O, N H_{out} W_{out})$ is returned as a transposed *view* (logical shape NCHW, memory order
CNHW).  Keeping the channel axis outermost in memory makes every im2col copy, the GEMM, and the
col2im adds run over long contiguous rows; numpy ufuncs keep that memory order downstream.
The stride-1 same-size case (3x3 padding 1) on a batch at least as long as an image row uses
columns in $(H, W, N)$ order instead and returns CHWN memory, batch innermost (see
:mod:`tinygrad_lite.ops.conv_kernels`).

**Adjoints.**  ``im2col`` is linear; its adjoint is ``col2im``, which adds every column entry
back onto the pixel it came from (overlapping windows accumulate).  So :class:`Im2Col` and
:class:`Col2Im` are each other's backward, and anything built from them (and matmul, reshape)
has higher-order gradients for free.

The fused :class:`Convolution` primitive does im2col + GEMM + bias in one node; ``bench/cnn.py``
measures it against the composite ``Im2Col -> matmul -> reshape -> permute -> add`` (about
10-15% faster for the benchmark's two layers, forward + backward).  Its backward uses the saved
columns for ordinary backward and recomputes them with :class:`Im2Col` under ``create_graph``,
so that the weight gradient stays connected to the input.  For stride 1 the input gradient
takes ``input_grad_same_size`` (output the size of the input, e.g. 3x3 padding 1, in either
memory order) or ``input_grad_flat`` (in :mod:`~tinygrad_lite.ops.conv_kernels`), whose
slice-adds run over whole contiguous rows; im2col of a stride-1 convolution that keeps the
width copies whole images per kernel offset (:func:`_im2col_same_width`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_lite.autograd.function import NUMPY_NS, Function
from tinygrad_lite.ops.conv_kernels import (
    _flat_input_grad_pays,
    _keeps_size,
    im2col_batch_inner,
    input_grad_flat,
    input_grad_same_size,
    is_batch_inner,
    weight_grad_gemm,
)

Geometry = tuple[tuple[int, int], tuple[int, int], tuple[int, int, int, int], tuple[int, int]]
"""``(kernel, stride, padding, dilation)``: ``(kh, kw), (sh, sw), (top, bottom, left, right),
(dh, dw)``."""


def out_size(size: int, k: int, s: int, p_lo: int, p_hi: int, d: int) -> int:
    r"""Output length along one axis: $\lfloor (n + p_{lo} + p_{hi} - d(k-1) - 1)/s \rfloor + 1$."""
    return (size + p_lo + p_hi - d * (k - 1) - 1) // s + 1


def _window_slices(geom: Geometry, oh: int, ow: int, i: int, j: int) -> tuple[slice, slice]:
    """The strided slices of the padded image read by kernel offset ``(i, j)``."""
    (_, _), (sh, sw), _, (dh, dw) = geom
    r0, c0 = i * dh, j * dw
    return slice(r0, r0 + sh * (oh - 1) + 1, sh), slice(c0, c0 + sw * (ow - 1) + 1, sw)


def im2col_array(
    x: np.ndarray, geom: Geometry, pad_value: float = 0.0, ones_row: bool = False
) -> np.ndarray:
    r"""Columns of ``x`` (N, C, H, W): shape $(C k_h k_w, N H_{out} W_{out})$.

    One strided slice copy per kernel offset (a loop over $k_h k_w$, never over pixels);
    padding positions read ``pad_value`` (0 for convolution, $-\infty$ for max-pooling).
    ``ones_row=True`` appends a row of ones (shape $(C k_h k_w + 1, \cdot)$), so that a bias
    rides along in the convolution's GEMMs.
    """
    (kh, kw), _, (pt, pb, pl, pr), (dh, dw) = geom
    n, c, h, w = x.shape
    oh = out_size(h, kh, geom[1][0], pt, pb, dh)
    ow = out_size(w, kw, geom[1][1], pl, pr, dw)
    xt = x.transpose(1, 0, 2, 3)  # (C, N, H, W) view
    size = c * kh * kw * n * oh * ow
    flat = np.empty(size + (n * oh * ow if ones_row else 0), dtype=x.dtype)
    cols = flat[:size].reshape(c, kh, kw, n, oh, ow)
    if geom[1] == (1, 1) and ow == w:
        _im2col_same_width(xt, geom, cols, pad_value)
    else:
        if pt or pb or pl or pr:
            padded = np.full((c, n, h + pt + pb, w + pl + pr), pad_value, dtype=x.dtype)
            padded[:, :, pt : pt + h, pl : pl + w] = xt
            xt = padded
        for i in range(kh):
            for j in range(kw):
                rows, columns = _window_slices(geom, oh, ow, i, j)
                cols[:, i, j] = xt[:, :, rows, columns]
    if ones_row:
        flat[size:] = 1
    return flat.reshape(-1, n * oh * ow)


def _im2col_same_width(
    xt: np.ndarray, geom: Geometry, cols: np.ndarray, pad_value: float
) -> None:
    r"""Fill ``cols`` (C, kh, kw, N, oh, W) from ``xt`` (C, N, H, W) for stride 1 when the
    output keeps the input's width (3x3 padding 1, ``'same'``, ...).

    Then every kernel offset is one *flat* shift $s = (i d_h - p_t) W + (j d_w - p_l)$ of each
    whole image: one copy of ~$H W$ contiguous values per (channel, image) instead of one per
    image row, and no padded copy of the input.  The few values the shift wraps around from
    the neighbouring row (or that lie above/below the image) are then set to ``pad_value``.
    """
    (kh, kw), _, (pt, _, pl, _), (dh, dw) = geom
    c, n, h, w = xt.shape
    oh = cols.shape[4]
    src = xt.reshape(c, n, h * w)  # a view when each image is contiguous (NCHW or CNHW)
    dst = cols.reshape(c, kh, kw, n, oh * w)
    for i in range(kh):
        r0 = min(oh, max(0, pt - i * dh))  # output rows whose input row exists
        r1 = max(r0, min(oh, h + pt - i * dh))
        for j in range(kw):
            shift = (i * dh - pt) * w + (j * dw - pl)
            lo, hi = max(r0 * w, -shift), min(r1 * w, h * w - shift)
            out = dst[:, i, j]
            if hi > lo:
                out[:, :, lo:hi] = src[:, :, lo + shift : hi + shift]
            out[:, :, : max(lo, 0)] = pad_value
            out[:, :, max(hi, lo, 0) :] = pad_value
            c0 = j * dw - pl  # columns [0, -c0) or [w - c0, w) wrapped around a row edge
            if c0 < 0:
                cols[:, i, j, :, r0:r1, : min(-c0, w)] = pad_value
            elif c0 > 0:
                cols[:, i, j, :, r0:r1, max(w - c0, 0) :] = pad_value


def col2im_array(cols: np.ndarray, x_shape: tuple[int, ...], geom: Geometry) -> np.ndarray:
    r"""The adjoint of :func:`im2col_array`: add each column entry back onto its pixel.

    Returns an (N, C, H, W) array (a view of a CNHW buffer); pixels covered by several windows
    receive the sum of their entries, padding positions are dropped.
    """
    (kh, kw), _, (pt, pb, pl, pr), (dh, dw) = geom
    n, c, h, w = x_shape
    oh = out_size(h, kh, geom[1][0], pt, pb, dh)
    ow = out_size(w, kw, geom[1][1], pl, pr, dw)
    cols = cols.reshape(c, kh, kw, n, oh, ow)
    (sh, sw) = geom[1]
    hp, wp = h + pt + pb, w + pl + pr
    # windows that never overlap (pooling, strided 1x1) let each pixel be written, not added
    disjoint = sh >= dh * (kh - 1) + 1 and sw >= dw * (kw - 1) + 1
    tiles = disjoint and (kh, kw, dh, dw) == (sh, sw, 1, 1) and (oh * sh, ow * sw) == (hp, wp)
    out = (np.empty if tiles else np.zeros)((c, n, hp, wp), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            rows, columns = _window_slices(geom, oh, ow, i, j)
            if disjoint:
                out[:, :, rows, columns] = cols[:, i, j]
            else:
                out[:, :, rows, columns] += cols[:, i, j]
    return out[:, :, pt : pt + h, pl : pl + w].transpose(1, 0, 2, 3)


def im2col(xp: Any, x: Any, geom: Geometry) -> Any:
    """``im2col`` in the namespace ``xp``: plain numpy, or the differentiable :class:`Im2Col`."""
    if xp is NUMPY_NS:
        return im2col_array(x, geom)
    return Im2Col.apply(x, geom=geom)


def col2im(xp: Any, cols: Any, x_shape: tuple[int, ...], geom: Geometry) -> Any:
    """``col2im`` in the namespace ``xp``: plain numpy, or the differentiable :class:`Col2Im`."""
    if xp is NUMPY_NS:
        return col2im_array(cols, x_shape, geom)
    return Col2Im.apply(cols, x_shape=tuple(x_shape), geom=geom)


class Im2Col(Function):
    r"""Unfold sliding windows into columns: $\mathrm{cols} = U x$ (zero padding).

    Forward: :func:`im2col_array`. Backward: $\bar x = U^\top \overline{\mathrm{cols}}$, i.e.
    ``col2im`` (overlapping windows accumulate). Linear, so no kinks.
    """

    def forward(self, x: np.ndarray, geom: Geometry) -> np.ndarray:
        self.saved = (x.shape, geom)
        return im2col_array(x, geom)

    def backward(self, grad: Any) -> Any:
        shape, geom = self.saved
        return col2im(self.xp, grad, shape, geom)


class Col2Im(Function):
    r"""Fold columns back onto the image, adding overlaps: $x = U^\top \mathrm{cols}$.

    Forward: :func:`col2im_array`. Backward: $\overline{\mathrm{cols}} = U \bar x$, i.e.
    ``im2col``. Linear, so no kinks.
    """

    def forward(self, cols: np.ndarray, x_shape: tuple[int, ...], geom: Geometry) -> np.ndarray:
        self.saved = (geom,)
        return col2im_array(cols, x_shape, geom)

    def backward(self, grad: Any) -> Any:
        (geom,) = self.saved
        return im2col(self.xp, grad, geom)


class Convolution(Function):
    r"""2-D cross-correlation (PyTorch's ``conv2d``), groups $G$, as im2col + one GEMM.

    With $X = \mathrm{im2col}(x)$ reshaped to $(G, C_g k_h k_w, L)$, $L = N H_{out} W_{out}$,
    and $W$ reshaped to $(G, O_g, C_g k_h k_w)$:

    Forward: $Y = W X + b$, returned as (N, O, H_out, W_out).

    Backward: $\bar W = \bar Y X^\top$, $\bar b = \sum_L \bar Y$,
    $\bar x = \mathrm{col2im}(W^\top \bar Y)$: one GEMM per product. Linear in $x$ and in $W$
    separately, so no kinks.

    With a bias and ``groups=1`` the columns get a row of ones and the bias rides in the GEMMs:
    $Y = [W \mid b]\,[X; \mathbf 1]$ and $[\bar W \mid \bar b] = \bar Y\,[X; \mathbf 1]^\top$,
    which saves a pass over $Y$ each way (~0.2 ms per step of the benchmark's CNN).
    """

    def forward(
        self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, *,
        geom: Geometry, groups: int,
    ) -> np.ndarray:
        n = x.shape[0]
        o = w.shape[0]
        (kh, kw), (sh, sw), (pt, pb, pl, pr), (dh, dw) = geom
        oh = out_size(x.shape[2], kh, sh, pt, pb, dh)
        ow = out_size(x.shape[3], kw, sw, pl, pr, dw)
        fold_bias = b is not None and groups == 1
        batch_inner = _batch_inner_pays(x, geom)
        if batch_inner:  # columns (and output) in (H, W, N) order, see conv_kernels
            xb = np.ascontiguousarray(x.transpose(1, 2, 3, 0))  # (C, H, W, N); a view if CHWN
            cols = im2col_batch_inner(xb, geom, ones_row=fold_bias)
        else:
            cols = im2col_array(x, geom, ones_row=fold_bias)  # (C*kh*kw [+ 1], L)
        if fold_bias:  # [W | b] @ [X; 1]: the bias costs one GEMM row, not a pass over Y
            out = np.matmul(np.concatenate([w.reshape(o, -1), b[:, None]], axis=1), cols)
        elif groups == 1:
            out = np.matmul(w.reshape(o, -1), cols)  # (O, L)
        else:
            cols3 = cols.reshape(groups, -1, cols.shape[1])  # (G, Cg*kh*kw, L)
            out = np.matmul(w.reshape(groups, o // groups, -1), cols3).reshape(o, -1)
            if b is not None:
                out += b[:, None]
        self.saved = (x, w, cols, geom, groups, b is not None, fold_bias, batch_inner)
        if batch_inner:
            return out.reshape(o, oh, ow, n).transpose(3, 0, 1, 2)
        return out.reshape(o, n, oh, ow).transpose(1, 0, 2, 3)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        x, w, cols, geom, groups, has_bias, folded, batch_inner = self.saved
        xp = self.xp
        need_x, need_w = self.needs_input_grad[0], self.needs_input_grad[1]
        n, o = x.shape[0], w.shape[0]
        batch_inner = batch_inner and xp is NUMPY_NS  # create_graph recomputes NCHW columns
        order = (1, 2, 3, 0) if batch_inner else (1, 0, 2, 3)  # the columns' (pixel) order
        fast_w = xp is NUMPY_NS and need_w and groups == 1
        g2 = None  # (G, Og, L); a copy unless grad has the columns' memory order, so only
        if need_x or (need_w and not fast_w) or (has_bias and not fast_w):  # when needed
            g2 = xp.reshape(xp.permute(grad, order), (groups, o // groups, -1))
        gx = gw = gb = None
        if fast_w:
            # with a folded bias, cols carries its row of ones: [gW | gb] = gY [X; 1]^T
            if batch_inner:  # n equal blocks of consecutive columns: a view when grad is CHWN
                g3 = np.reshape(grad.transpose(1, 2, 3, 0), (o, n, -1)).transpose(1, 0, 2)
            else:  # one block per image: a view for NCHW and CNHW memory orders
                g3 = grad.reshape(n, o, -1)
            gwb = weight_grad_gemm(g3, cols)  # (O, C*kh*kw [+ 1])
            # C-contiguous like w (a 4.6k-value copy for 16->32), so optimizers run unstrided
            gw = np.ascontiguousarray(gwb[:, :-1] if folded else gwb).reshape(w.shape)
            gb = gwb[:, -1] if folded else None
        elif need_w:
            if xp is not NUMPY_NS:
                cols = im2col(xp, x, geom)  # graph-connected to x under create_graph
            cols3 = xp.reshape(cols, (groups, -1, cols.shape[1]))
            # (X Y^T)^T, not Y X^T: BLAS runs this long-K product ~1.4x faster in this order
            gw = xp.reshape(xp.swap_last(xp.matmul(cols3, xp.swap_last(g2))), w.shape)
        if need_x:
            w3 = xp.reshape(w, (groups, o // groups, -1))
            if xp is NUMPY_NS and _keeps_size(geom):
                gx = input_grad_same_size(w3, g2, x.shape, geom, batch_inner)
            elif xp is NUMPY_NS and _flat_input_grad_pays(x.shape, geom):
                gx = input_grad_flat(w3, grad, x.shape, geom)
            else:
                gcols = xp.reshape(xp.matmul(xp.swap_last(w3), g2), (-1, g2.shape[2]))
                gx = col2im(xp, gcols, x.shape, geom)
        if has_bias:
            if not self.needs_input_grad[2]:
                gb = None
            elif gb is None:
                gb = xp.reshape(xp.sum(g2, 2), (o,))
            return gx, gw, gb
        return gx, gw


def _batch_inner_pays(x: np.ndarray, geom: Geometry) -> bool:
    """Use the batch-innermost (CHWN) order: a stride-1 same-size convolution whose input
    already has it, or whose batch is at least as long as an image row (numpy's loops then
    run over rows of $N$ values, not of $W$)."""
    return _keeps_size(geom) and (is_batch_inner(x) or x.shape[0] >= x.shape[3] > 1)
