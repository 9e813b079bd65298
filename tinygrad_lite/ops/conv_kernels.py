r"""The convolution's hot-path kernels: its weight gradient, and the stride-1 "same size"
case (3x3 padding 1, ``padding='same'``) in the two memory orders ``conv2d`` uses.

:func:`input_grad_flat` works on the channel-major (CNHW) order of
:func:`~tinygrad_lite.ops.conv.im2col_array`'s columns, :func:`input_grad_same_size` on that
or on the *batch-innermost* order (CHWN: memory $(C, H, W, N)$, each pixel's values for the
whole batch side by side).  CHWN is the layout the stride-1 same-size convolution returns when
the batch is at least an image row long: every later step then runs numpy loops over rows of
$W N$ or $N$ values instead of rows of $W$ (for the benchmark's 14x14 and 7x7 maps numpy's
per-row cost dominated max-pooling), and a shift by $(\Delta h, \Delta w)$ is one flat shift
by $(\Delta h\, W + \Delta w) N$ of each channel (:func:`im2col_batch_inner` and its
adjoint).  Other 2-D geometries (strided, 'valid') on such a batch use the same order with
plain strided copies whose rows hold the batch (:func:`im2col_batch_inner_strided`,
:func:`col2im_batch_inner`).  ``bench/cnn.py`` measures the step; ``docs/performance.md``
has the figures.
"""

from __future__ import annotations

import numpy as np

from tinygrad_lite.ops.conv import Geometry, out_shape


def weight_grad_gemm(g3: np.ndarray, cols: np.ndarray) -> np.ndarray:
    r"""$\bar Y X^\top$, shape (O, R), for ``groups=1``, from the output gradient ``g3`` as
    (B, O, P) blocks of columns (column $b P + p$ of $\bar Y$ is ``g3[b, :, p]``; a view of
    the gradient in any of the convolution's memory orders) and the (R, B P) columns ``cols``.

    This is a long-K product ($B P = N H_{out} W_{out}$).  BLAS runs it ~1.4x faster as
    $(X \bar Y^\top)^\top$ than as $\bar Y X^\top$; and when the columns have few rows
    (a first layer: $C k_h k_w \le 32$) it runs it on one core at a fraction of its speed,
    so then the sum of the $B$ block products (each small enough to stay in cache) is used
    instead: ~2x faster for the benchmark's 1->16 layer (0.57 -> 0.29 ms).
    """
    r, length = cols.shape
    b, o, per_block = g3.shape
    if r > 32 or b == 1:  # one GEMM (a copy of the gradient only for the NCHW memory order)
        return np.matmul(cols, g3.transpose(1, 0, 2).reshape(o, length).T).T
    return np.matmul(g3, cols.reshape(r, b, per_block).transpose(1, 2, 0)).sum(axis=0)


def _keeps_size(geom: Geometry) -> bool:
    """2-D, stride 1 and an output the size of the input (3x3 padding 1, ``padding='same'``)."""
    if len(geom[0]) != 2 or min(geom[2]) < 0:
        return False
    (kh, kw), stride, (pt, pb, pl, pr), (dh, dw) = geom
    return stride == (1, 1) and (pt + pb, pl + pr) == (dh * (kh - 1), dw * (kw - 1))


def _flat_input_grad_pays(x_shape: tuple[int, ...], geom: Geometry) -> bool:
    """2-D, stride 1, and the padded grid is at most 1.5x the output grid (3x3 pad 1:
    1.15-1.3x)."""
    if len(geom[0]) != 2 or min(geom[2]) < 0:
        return False
    (kh, kw), stride, (pt, pb, pl, pr), (dh, dw) = geom
    hp, wp = x_shape[2] + pt + pb, x_shape[3] + pl + pr
    oh, ow = hp - dh * (kh - 1), wp - dw * (kw - 1)
    return stride == (1, 1) and hp * wp <= 1.5 * oh * ow


def input_grad_flat(
    w3: np.ndarray, grad: np.ndarray, x_shape: tuple[int, ...], geom: Geometry
) -> np.ndarray:
    r"""$\bar x = \mathrm{col2im}(W^\top \bar Y)$ for stride 1, with contiguous slice-adds.

    The output gradient is embedded in the padded grid $(O, N, H_p, W_p)$ (zeros where no
    output pixel sits), so kernel offset $(i, j)$ becomes a *flat* shift by $i d_h W_p + j d_w$
    of the whole $(N H_p W_p)$-long row of every channel: $k_h k_w$ contiguous adds instead of
    strided ones with rows of length $W$.  Costs ~30% more GEMM columns for 3x3 padding 1,
    saves ~2/3 of col2im; the zeros make the extra columns contribute nothing.
    """
    (kh, kw), _, (pt, pb, pl, pr), (dh, dw) = geom
    n, c, h, w = x_shape
    groups, og, _ = w3.shape
    hp, wp = h + pt + pb, w + pl + pr
    oh, ow = hp - dh * (kh - 1), wp - dw * (kw - 1)
    length = n * hp * wp
    gpad = np.zeros((groups * og, n, hp, wp), dtype=grad.dtype)
    gpad[:, :, :oh, :ow] = grad.transpose(1, 0, 2, 3)
    gcols = np.matmul(w3.transpose(0, 2, 1), gpad.reshape(groups, og, length))
    gcols = gcols.reshape(c, kh, kw, length)
    buf = np.zeros((c, length + dh * (kh - 1) * wp + dw * (kw - 1)), dtype=grad.dtype)
    for i in range(kh):
        for j in range(kw):
            off = i * dh * wp + j * dw
            buf[:, off : off + length] += gcols[:, i, j]
    padded = buf[:, :length].reshape(c, n, hp, wp)
    return padded[:, :, pt : pt + h, pl : pl + w].transpose(1, 0, 2, 3)


_BLOCK_BYTES = 1 << 23
"""Bound on the GEMM result that :func:`input_grad_same_size` makes at once (blocks of whole
images or batch rows), so that the temporary stays at most 8 MiB however large the batch.
Each block costs ~18 numpy calls (zeroing and adds), so small blocks pay call overhead: for
the benchmark's 16->32 layer (a 7.2 MB result) the input gradient took 1.41 ms in 2 MiB blocks
and 1.18 ms in one block (best of 200 calls each), and the training step 3-9% longer with
1-2 MiB blocks."""


# ----- batch-innermost (CHWN) memory order ---------------------------------------------------
def is_batch_inner(x: np.ndarray) -> bool:
    """Whether ``x`` (N, C, H, W) is a view of a C-contiguous (C, H, W, N) array."""
    return x.ndim == 4 and x.transpose(1, 2, 3, 0).flags.c_contiguous


def _flat_shift(i: int, j: int, geom: Geometry, w: int, n: int) -> int:
    """Kernel offset ``(i, j)``'s shift in a channel's flat (H, W, N) index."""
    (_, _), _, (pt, _, pl, _), (dh, dw) = geom
    return ((i * dh - pt) * w + (j * dw - pl)) * n


def _zero_wrapped(part: np.ndarray, c0: int) -> None:
    """Zero the entries of ``part`` (C, rows, W, N) for kernel column offset ``c0``
    ($j d_w - p_l$) whose input column lies left or right of the image: a flat shift wraps
    them around to the neighbouring row."""
    w = part.shape[2]
    if c0 < 0:
        part[:, :, : min(-c0, w)] = 0
    elif c0 > 0:
        part[:, :, max(w - c0, 0) :] = 0


def im2col_batch_inner(xb: np.ndarray, geom: Geometry, ones_row: bool = False) -> np.ndarray:
    r"""Columns $(C k_h k_w\,[+1],\; H W N)$ of ``xb`` (C, H, W, N) for a stride-1 convolution
    whose output has the input's size (column $(h W + w) N + n$ is output pixel $(n, h, w)$).

    Kernel offset $(i, j)$ copies each channel's whole $H W N$-long row shifted by one flat
    offset (:func:`im2col_rows` over all rows).  ``ones_row`` appends a row of ones for a
    folded bias, as :func:`~tinygrad_lite.ops.conv.im2col_array`.
    """
    (kh, kw) = geom[0]
    c, h, w, n = xb.shape
    length = h * w * n
    size = c * kh * kw * length
    flat = np.empty(size + (length if ones_row else 0), dtype=xb.dtype)
    im2col_rows(xb, geom, 0, h, flat[:size].reshape(c, kh, kw, length))
    if ones_row:
        flat[size:] = 1
    return flat.reshape(-1, length)


def im2col_rows(xb: np.ndarray, geom: Geometry, first: int, m: int, cols: np.ndarray) -> None:
    r"""Fill ``cols`` (C, k_h, k_w, m W N) with the columns of output rows ``first`` to
    ``first + m`` of the batch-innermost ``xb`` (C, H, W, N), stride 1, output the input's size.

    Kernel offset $(i, j)$ is one flat shift of each channel's $H W N$-long row: the block's
    columns $[a, b)$ read $[a + s, b + s)$; entries whose input pixel lies above or below the
    image fall outside that row (zero), and those wrapped around a row edge are zeroed after.
    """
    (kh, kw), _, (_, _, pl, _), (_, dw) = geom
    c, h, w, n = xb.shape
    length = h * w * n
    src = xb.reshape(c, length)
    a, b = first * w * n, (first + m) * w * n
    for i in range(kh):
        for j in range(kw):
            shift = _flat_shift(i, j, geom, w, n)
            lo = min(max(a, -shift), b)  # the block's columns whose source lies in the row
            hi = max(min(b, length - shift), lo)
            out = cols[:, i, j]
            out[:, lo - a : hi - a] = src[:, lo + shift : hi + shift]
            out[:, : lo - a] = 0
            out[:, hi - a :] = 0
            _zero_wrapped(out.reshape(c, m, w, n), j * dw - pl)


def _strided_windows(geom: Geometry, oh: int, ow: int, i: int, j: int) -> tuple[slice, slice]:
    """Rows and columns of the padded (C, H_p, W_p, N) input read by kernel offset (i, j)."""
    _, (sh, sw), _, (dh, dw) = geom
    return (slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
            slice(j * dw, j * dw + sw * (ow - 1) + 1, sw))


def im2col_batch_inner_strided(
    xb: np.ndarray, geom: Geometry, ones_row: bool = False
) -> np.ndarray:
    r"""Columns $(C k_h k_w\,[+1],\; H_{out} W_{out} N)$ of ``xb`` (C, H, W, N) for any 2-D
    geometry with non-negative padding (strided, dilated, 'valid', ...).

    The same strided slice copy per kernel offset as
    :func:`~tinygrad_lite.ops.conv.im2col_array`, but each copied row holds the whole batch
    ($N$ contiguous values) instead of one output row ($W_{out}$ values): for a stride-2 layer
    on 14x14 maps and a batch of 64, ~4x faster.
    """
    (kh, kw), _, (pt, pb, pl, pr), _ = geom
    c, h, w, n = xb.shape
    oh, ow = out_shape((h, w), geom)
    if pt or pb or pl or pr:
        padded = np.zeros((c, h + pt + pb, w + pl + pr, n), dtype=xb.dtype)
        padded[:, pt : pt + h, pl : pl + w] = xb
        xb = padded
    length = oh * ow * n
    size = c * kh * kw * length
    flat = np.empty(size + (length if ones_row else 0), dtype=xb.dtype)
    cols = flat[:size].reshape(c, kh, kw, oh, ow, n)
    for i in range(kh):
        for j in range(kw):
            cols[:, i, j] = xb[(slice(None), *_strided_windows(geom, oh, ow, i, j))]
    if ones_row:
        flat[size:] = 1
    return flat.reshape(-1, length)


def col2im_batch_inner(cols: np.ndarray, x_shape: tuple[int, ...], geom: Geometry) -> np.ndarray:
    r"""The adjoint of :func:`im2col_batch_inner_strided`: ``cols`` $(C k_h k_w, H_{out} W_{out}
    N)$ added back onto an (N, C, H, W) array with CHWN memory (a contiguous copy when the
    padding is cropped, so later layers keep the batch-innermost order)."""
    (kh, kw), (sh, sw), (pt, pb, pl, pr), (dh, dw) = geom
    n, c, h, w = x_shape
    oh, ow = out_shape((h, w), geom)
    cols6 = cols.reshape(c, kh, kw, oh, ow, n)
    disjoint = sh >= dh * (kh - 1) + 1 and sw >= dw * (kw - 1) + 1
    buf = np.zeros((c, h + pt + pb, w + pl + pr, n), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            window = (slice(None), *_strided_windows(geom, oh, ow, i, j))
            if disjoint:
                buf[window] = cols6[:, i, j]
            else:
                buf[window] += cols6[:, i, j]
    if pt or pb or pl or pr:
        buf = np.ascontiguousarray(buf[:, pt : pt + h, pl : pl + w])
    return buf.transpose(3, 0, 1, 2)


# ----- the input gradient of the same-size convolution, in either memory order ---------------
def input_grad_same_size(
    w3: np.ndarray, g2: np.ndarray, x_shape: tuple[int, ...], geom: Geometry,
    batch_inner: bool = False,
) -> np.ndarray:
    r"""$\bar x = \mathrm{col2im}(W^\top \bar Y)$ for stride 1 when the output has the input's
    size, with ``g2`` the (G, O_g, L) gradient whose columns are in (N, H, W) order, or in
    (H, W, N) order with ``batch_inner``.  Returns (N, C, H, W): a view of a contiguous CNHW
    or CHWN buffer (the adjoint of ``_im2col_same_width`` / :func:`im2col_batch_inner`).

    Kernel offset $(i, j)$ moves each column entry by one flat shift
    $s = ((i d_h - p_t) W + (j d_w - p_l)) \cdot b$ of the whole $L$-long row ($b = N$ when the
    batch is innermost, else 1), so col2im is $k_h k_w$ contiguous adds, once the entries whose
    pixel lies outside the image (above, below, or wrapped around a row edge) are zeroed.
    Unlike :func:`input_grad_flat`, the GEMM runs on the output grid itself (no padded copy of
    the gradient, ~25% fewer columns for 3x3 padding 1).  The GEMM result is made in blocks of
    at most ``_BLOCK_BYTES`` (whole images, or whole rows of the batch-innermost order: a loop
    over a few blocks, not over images or pixels), which bounds that temporary for large
    batches.
    """
    n, c, h, w = x_shape
    groups, _, cgk = w3.shape
    wt = np.ascontiguousarray(w3.transpose(0, 2, 1))  # (G, Cg*kh*kw, Og)
    unit = w * n if batch_inner else h * w  # columns per block unit: a batch row, or an image
    units = h if batch_inner else n
    length = n * h * w
    buf = np.zeros((c, length), dtype=g2.dtype)  # (C, L): the CNHW or CHWN input gradient
    per_block = max(1, _BLOCK_BYTES // (groups * cgk * unit * g2.dtype.itemsize))
    for first in range(0, units, per_block):
        m = min(per_block, units - first)
        cols = np.matmul(wt, g2[:, :, first * unit : (first + m) * unit])  # (G, Cg*k*k, m*unit)
        col2im_same_size_block(buf, cols, geom, x_shape, first, m, batch_inner)
    if batch_inner:
        return buf.reshape(c, h, w, n).transpose(3, 0, 1, 2)
    return buf.reshape(c, n, h, w).transpose(1, 0, 2, 3)


def col2im_same_size_block(
    buf: np.ndarray, cols: np.ndarray, geom: Geometry, x_shape: tuple[int, ...], first: int,
    m: int, batch_inner: bool,
) -> None:
    r"""Add the gradient columns of block ``(first, m)`` -- $W^\top \bar Y_b$, $C k_h k_w$ rows
    of $m$ images (or $m$ batch rows with ``batch_inner``) -- onto ``buf`` (C, N H W), the
    CNHW (or CHWN) input gradient: the adjoint of the block's im2col, $k_h k_w$ contiguous
    slice-adds.  Zeroes the entries of ``cols`` whose pixel lies outside the image first."""
    (kh, kw), _, (pt, _, pl, _), (dh, dw) = geom
    n, c, h, w = x_shape
    inner = n if batch_inner else 1  # values per pixel side by side in a row
    unit = w * n if batch_inner else h * w
    length = n * h * w
    images, rows = (1, m) if batch_inner else (m, h)
    cols7 = cols.reshape(c, kh, kw, images, rows, w, inner)
    for i in range(kh):
        if not batch_inner:  # (batch innermost, such entries land outside the buffer)
            r0 = min(h, max(0, pt - i * dh))  # output rows whose input row exists
            r1 = max(r0, min(h, h + pt - i * dh))
            cols7[:, i, :, :, :r0] = 0  # (else their shift would reach another image)
            cols7[:, i, :, :, r1:] = 0
        for j in range(kw):
            part = cols7[:, i, j]
            _zero_wrapped(part.reshape(c, images * rows, w, inner), j * dw - pl)
            start = first * unit + ((i * dh - pt) * w + (j * dw - pl)) * inner
            lo, hi = max(start, 0), min(start + m * unit, length)
            if hi > lo:
                buf[:, lo:hi] += part.reshape(c, m * unit)[:, lo - start : hi - start]
