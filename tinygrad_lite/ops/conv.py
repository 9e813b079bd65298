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

**Adjoints.**  ``im2col`` is linear; its adjoint is ``col2im``, which adds every column entry
back onto the pixel it came from (overlapping windows accumulate).  So :class:`Im2Col` and
:class:`Col2Im` are each other's backward, and anything built from them (and matmul, reshape)
has higher-order gradients for free.

The fused :class:`Convolution` primitive does im2col + GEMM + bias in one node; ``bench/cnn.py``
measures it against the composite ``Im2Col -> matmul -> reshape -> permute -> add`` (about
10-15% faster for the benchmark's two layers, forward + backward).  Its backward uses the saved
columns for ordinary backward and recomputes them with :class:`Im2Col` under ``create_graph``,
so that the weight gradient stays connected to the input.  For stride 1 the input gradient
takes :func:`input_grad_flat`, whose slice-adds run over whole contiguous rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_lite.autograd.function import NUMPY_NS, Function

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


def im2col_array(x: np.ndarray, geom: Geometry, pad_value: float = 0.0) -> np.ndarray:
    r"""Columns of ``x`` (N, C, H, W): shape $(C k_h k_w, N H_{out} W_{out})$.

    One strided slice copy per kernel offset (a loop over $k_h k_w$, never over pixels);
    padding positions read ``pad_value`` (0 for convolution, $-\infty$ for max-pooling).
    """
    (kh, kw), _, (pt, pb, pl, pr), (dh, dw) = geom
    n, c, h, w = x.shape
    oh = out_size(h, kh, geom[1][0], pt, pb, dh)
    ow = out_size(w, kw, geom[1][1], pl, pr, dw)
    xt = x.transpose(1, 0, 2, 3)  # (C, N, H, W) view
    if pt or pb or pl or pr:
        padded = np.full((c, n, h + pt + pb, w + pl + pr), pad_value, dtype=x.dtype)
        padded[:, :, pt : pt + h, pl : pl + w] = xt
        xt = padded
    cols = np.empty((c, kh, kw, n, oh, ow), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            rows, columns = _window_slices(geom, oh, ow, i, j)
            cols[:, i, j] = xt[:, :, rows, columns]
    return cols.reshape(c * kh * kw, n * oh * ow)


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
        cols = im2col_array(x, geom)  # (C*kh*kw, L)
        if groups == 1:
            out = np.matmul(w.reshape(o, -1), cols)  # (O, L)
        else:
            cols3 = cols.reshape(groups, -1, cols.shape[1])  # (G, Cg*kh*kw, L)
            out = np.matmul(w.reshape(groups, o // groups, -1), cols3).reshape(o, -1)
        if b is not None:
            out += b[:, None]
        self.saved = (x, w, cols, geom, groups, b is not None)
        return out.reshape(o, n, oh, ow).transpose(1, 0, 2, 3)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        x, w, cols, geom, groups, has_bias = self.saved
        xp = self.xp
        need_x, need_w = self.needs_input_grad[0], self.needs_input_grad[1]
        o = w.shape[0]
        g2 = xp.reshape(xp.permute(grad, (1, 0, 2, 3)), (groups, o // groups, -1))  # (G, Og, L)
        gx = gw = gb = None
        if need_w:
            if xp is not NUMPY_NS:
                cols = im2col(xp, x, geom)  # graph-connected to x under create_graph
            cols3 = xp.reshape(cols, (groups, -1, cols.shape[1]))
            # (X Y^T)^T, not Y X^T: BLAS runs this long-K product ~1.4x faster in this order
            gw = xp.reshape(xp.swap_last(xp.matmul(cols3, xp.swap_last(g2))), w.shape)
        if need_x:
            w3 = xp.reshape(w, (groups, o // groups, -1))
            if xp is NUMPY_NS and _flat_input_grad_pays(x.shape, geom):
                gx = input_grad_flat(w3, grad, x.shape, geom)
            else:
                gcols = xp.reshape(xp.matmul(xp.swap_last(w3), g2), (-1, g2.shape[2]))
                gx = col2im(xp, gcols, x.shape, geom)
        if has_bias:
            if self.needs_input_grad[2]:
                gb = xp.reshape(xp.sum(g2, 2), (o,))
            return gx, gw, gb
        return gx, gw



def _flat_input_grad_pays(x_shape: tuple[int, ...], geom: Geometry) -> bool:
    """Stride 1, and the padded grid is at most 1.5x the output grid (3x3 pad 1: 1.15-1.3x)."""
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

    The columns are produced and added in blocks of about ``_BLOCK_BYTES`` (cache blocking: a
    loop over a few column blocks, not over images or pixels), so the $(C k_h k_w, \cdot)$
    GEMM result is added while still in cache instead of round-tripping through memory
    (~15% faster for the benchmark's 16->32 layer).
    """
    (kh, kw), _, (pt, pb, pl, pr), (dh, dw) = geom
    n, c, h, w = x_shape
    groups, og, cgk = w3.shape
    hp, wp = h + pt + pb, w + pl + pr
    oh, ow = hp - dh * (kh - 1), wp - dw * (kw - 1)
    length = n * hp * wp
    gpad = np.zeros((groups * og, n, hp, wp), dtype=grad.dtype)
    gpad[:, :, :oh, :ow] = grad.transpose(1, 0, 2, 3)
    gpad = gpad.reshape(groups, og, length)
    wt = np.ascontiguousarray(w3.transpose(0, 2, 1))  # (G, Cg*kh*kw, Og)
    offsets = [i * dh * wp + j * dw for i in range(kh) for j in range(kw)]
    buf = np.zeros((c, length + offsets[-1]), dtype=grad.dtype)
    block = max(1024, _BLOCK_BYTES // (groups * cgk * grad.dtype.itemsize))
    tmp = np.empty((groups, cgk, min(block, length)), dtype=grad.dtype)
    for start in range(0, length, block):
        stop = min(start + block, length)
        cols = tmp[:, :, : stop - start]
        np.matmul(wt, gpad[:, :, start:stop], out=cols)
        cols = cols.reshape(c, kh * kw, stop - start)
        for k, off in enumerate(offsets):
            buf[:, start + off : stop + off] += cols[:, k]
    padded = buf[:, :length].reshape(c, n, hp, wp)
    return padded[:, :, pt : pt + h, pl : pl + w].transpose(1, 0, 2, 3)


_BLOCK_BYTES = 1 << 21
"""Size of one block of GEMM columns in :func:`input_grad_flat` (about one core's L2 cache)."""
