r"""The stride-1 "same size" convolution (3x3 padding 1) on large inputs, block by block.

Its column matrix $X = \mathrm{im2col}(x)$ has $C k_h k_w$ rows and $N H W$ columns: nine
times the input.  Made whole, for a 64->128 layer on 56x56 maps and a batch of 64 that is
0.46 GB written by im2col, read by the forward GEMM, kept until backward and read again by the
weight-gradient GEMM -- each pass at memory speed, and the first touch of every page a page
fault.  Here the columns are made for one *block* of output pixels at a time (whole images in
the channel-major order, whole rows of the batch in the batch-innermost order; at most
``BLOCK_BYTES``, so a block stays in the processor's last-level cache) and used at once:

* forward: for each block $b$, $X_b = \mathrm{im2col}_b(x)$ and $Y_b = [W \mid \mathbf b]\,
  [X_b; \mathbf 1]$ written straight into its slice of $Y$; the blocks are kept for backward
  (written into one pooled array) only while the whole columns stay under
  ``KEEP_COLUMN_BYTES``, else only $x$ is kept;
* backward: for each block, $X_b$ (kept, or made again: one more pass, in cache), then both
  gradient products on it: $[\bar W \mid \bar{\mathbf b}] \mathrel{+}= \bar Y_b\,[X_b;
  \mathbf 1]^\top$ and $\bar x \mathrel{+}= \mathrm{col2im}_b(W^\top \bar Y_b)$, with $\bar Y_b$
  put in the columns' order once per block and shared by both products.

The arithmetic is the plain im2col convolution's (:class:`~tinygrad_lite.ops.convolution.
Convolution` on small inputs), only summed in blocks: ``tests/nn/test_conv_blocked.py``
checks both give the same values and gradients.  ``bench/suite.py``'s conv scan measures it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_lite.allocator import SCRATCH
from tinygrad_lite.ops.conv import Geometry, _im2col_same_width
from tinygrad_lite.ops.conv_kernels import _keeps_size, col2im_same_size_block, im2col_rows

BLOCK_BYTES = 8 << 20
"""Bound on one block's column matrix (it and the block's gradient columns then stay in a
32 MiB last-level cache).  1-8 MiB blocks timed within noise of each other on one layer; 1 MiB
was slower on 64-channel layers (per-block call overhead)."""

MIN_COLUMN_BYTES = 2 << 20
"""Columns at least this large are made in blocks.  Smaller ones are made whole, once, and kept
for backward: 10-20% faster for a 16->32 layer on 7x7 maps (1.8 MB of columns), while the
blocked path took 7-46% less CPU time (one thread) from 2.4 MB up: its im2col and col2im
passes write blocks that stay in cache (~2x faster), and it puts an NCHW output gradient in the
columns' order once, block by block, instead of twice whole (cProfile of a 16->32 layer on
14x14 maps, batch 64: 13 -> 8 ms)."""


def blocked_pays(x_shape: tuple[int, ...], w_shape: tuple[int, ...], geom: Geometry,
                 groups: int, itemsize: int) -> bool:
    """Whether a convolution takes this module's path: 2-D, ``groups=1``, stride 1 with the
    output the size of the input, and whole columns of at least ``MIN_COLUMN_BYTES``."""
    if groups != 1 or not _keeps_size(geom):
        return False
    n, c, h, w = x_shape
    rows = c * w_shape[2] * w_shape[3]
    return rows * n * h * w * itemsize >= MIN_COLUMN_BYTES


class Blocks:
    """How the output pixels are cut into blocks: ``units`` units (image rows of the whole
    batch when ``batch_inner``, else images) of ``unit`` columns, ``per_block`` per block."""

    def __init__(self, x_shape: tuple[int, ...], rows: int, itemsize: int,
                 batch_inner: bool) -> None:
        n, _, h, w = x_shape
        self.batch_inner = batch_inner
        self.unit = w * n if batch_inner else h * w
        self.units = h if batch_inner else n
        self.per_block = max(1, BLOCK_BYTES // (rows * self.unit * itemsize))

    def __iter__(self) -> Any:
        """``(first, m)``: the first unit of each block and its number of units."""
        for first in range(0, self.units, self.per_block):
            yield first, min(self.per_block, self.units - first)


def block_columns(src: np.ndarray, geom: Geometry, blocks: Blocks, first: int, m: int,
                  out: np.ndarray) -> np.ndarray:
    """im2col of block ``(first, m)`` into ``out`` (rows x columns, a ones row last when ``out``
    has one more row than the kernel's); ``src`` is (C, H, W, N) batch-innermost, else the
    (N, C, H, W) input."""
    (kh, kw) = geom[0]
    if blocks.batch_inner:
        c = src.shape[0]
        cols = out[: c * kh * kw].reshape(c, kh, kw, m * blocks.unit)
        im2col_rows(src, geom, first, m, cols)
    else:
        c, h, w = src.shape[1:]
        cols = out[: c * kh * kw].reshape(c, kh, kw, m, h, w)
        _im2col_same_width(src[first : first + m].swapaxes(0, 1), geom, cols, 0.0)
    if out.shape[0] > c * kh * kw:
        out[c * kh * kw :] = 1
    return out


KEEP_COLUMN_BYTES = 32 << 20
"""Columns up to this size are kept from forward to backward (written block by block into one
pooled array), so backward need not make them again: 2-18% less CPU time than recomputing
them on every layer measured from 2.4 to 58 MB (one thread; the most on short rows, 8x8 maps).
Larger ones are made again in backward, block by block, and never exist whole."""


def forward_blocked(src: np.ndarray, w: np.ndarray, b: np.ndarray | None, geom: Geometry,
                    batch_inner: bool) -> tuple[np.ndarray, np.ndarray | None]:
    r"""$Y = [W \mid \mathbf b]\,[X; \mathbf 1]$ as an (O, L) array (columns in the order of
    ``src``: (H, W, N) when ``batch_inner``, else (N, H, W)), made block by block; and the
    whole columns when they are kept for backward (``KEEP_COLUMN_BYTES``), else None."""
    o = w.shape[0]
    wb = w.reshape(o, -1)
    if b is not None:
        wb = np.concatenate([wb, b[:, None]], axis=1)
    x_shape = _x_shape(src, batch_inner)
    blocks = Blocks(x_shape, wb.shape[1], src.dtype.itemsize, batch_inner)
    length = blocks.unit * blocks.units
    out = np.empty((o, length), dtype=src.dtype)
    rows = wb.shape[1]
    keep = rows * length * src.dtype.itemsize <= KEEP_COLUMN_BYTES
    whole = SCRATCH.empty((rows, length), src.dtype) if keep else None
    scratch = None if keep else SCRATCH.empty((rows, blocks.per_block * blocks.unit), src.dtype)
    for first, m in blocks:
        lo = first * blocks.unit
        dst = whole[:, lo : lo + m * blocks.unit] if keep else scratch[:, : m * blocks.unit]
        cols = block_columns(src, geom, blocks, first, m, dst)
        np.matmul(wb, cols, out=out[:, lo : lo + m * blocks.unit])
    return out, whole


def _x_shape(src: np.ndarray, batch_inner: bool) -> tuple[int, ...]:
    """The input's (N, C, H, W) shape from ``src`` in either order."""
    if batch_inner:
        c, h, w, n = src.shape
        return (n, c, h, w)
    return src.shape


def _grad_block(grad: np.ndarray, blocks: Blocks, first: int, m: int) -> np.ndarray:
    r"""$\bar Y_b$: the output gradient's block ``(first, m)`` as (O, columns) in the
    columns' order (a view when ``grad`` already has that memory order, else one copy)."""
    o = grad.shape[1]
    if blocks.batch_inner:
        part = grad[:, :, first : first + m].transpose(1, 2, 3, 0)  # (O, m, W, N)
    else:
        part = grad[first : first + m].swapaxes(0, 1)  # (O, m, H, W)
    return np.reshape(part, (o, m * blocks.unit))


def backward_blocked(
    src: np.ndarray, w: np.ndarray, grad: np.ndarray, geom: Geometry, batch_inner: bool,
    need_x: bool, need_w: bool, has_bias: bool, whole: np.ndarray | None = None,
) -> tuple[np.ndarray | None, np.ndarray | None]:
    r"""$\bar x$ (N, C, H, W) and $[\bar W \mid \bar{\mathbf b}]$ (O, C k_h k_w [+1]) -- each
    None when not needed -- block by block (see the module's docstring); ``whole``: the
    columns forward kept, else they are made again block by block."""
    o = w.shape[0]
    x_shape = _x_shape(src, batch_inner)
    n, c, h, wd = x_shape
    k = c * w.shape[2] * w.shape[3]
    rows = k + 1 if has_bias else k
    blocks = Blocks(x_shape, rows, src.dtype.itemsize, batch_inner)
    dtype = src.dtype
    gwb = np.zeros((rows, o), dtype=dtype) if need_w else None  # (X G^T), transposed at the end
    buf = np.zeros((c, n * h * wd), dtype=dtype) if need_x else None
    wt = np.ascontiguousarray(w.reshape(o, k).T)  # (C kh kw, O)
    width = blocks.per_block * blocks.unit
    cols_buf = SCRATCH.empty((rows, width), dtype) if need_w and whole is None else None
    gcols_buf = SCRATCH.empty((k, width), dtype) if need_x else None
    part = np.empty((rows, o), dtype=dtype) if need_w else None
    for first, m in blocks:
        g_b = _grad_block(grad, blocks, first, m)
        if need_w:
            if whole is not None:
                cols = whole[:, first * blocks.unit : (first + m) * blocks.unit]
            else:
                cols = block_columns(src, geom, blocks, first, m, cols_buf[:, : m * blocks.unit])
            # (X G^T), not G X^T: BLAS runs this long-K product faster in this order
            np.matmul(cols, g_b.T, out=part)
            gwb += part
        if need_x:
            gcols = np.matmul(wt, g_b, out=gcols_buf[:, : m * blocks.unit])
            col2im_same_size_block(buf, gcols, geom, x_shape, first, m, batch_inner)
    gx = None
    if need_x:
        gx = (buf.reshape(c, h, wd, n).transpose(3, 0, 1, 2) if batch_inner
              else buf.reshape(c, n, h, wd).swapaxes(0, 1))
    return gx, (None if gwb is None else gwb.T)
