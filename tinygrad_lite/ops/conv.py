r"""Sliding windows as columns: im2col, its adjoint col2im, and their two primitives.

Geometry used throughout (PyTorch's), for any number $d$ of spatial axes (1, 2 or 3): an input
``x`` of shape $(N, C, S_1, \dots, S_d)$, a kernel $k_1 \times \dots \times k_d$, strides
$s_a$, padding $(p^{lo}_a, p^{hi}_a)$ and dilation $d_a$ per axis give

.. math:: S^{out}_a = \lfloor (S_a + p^{lo}_a + p^{hi}_a - d_a (k_a - 1) - 1) / s_a \rfloor + 1.

A geometry is the tuple ``(kernel, stride, padding, dilation)``, with ``padding`` flattened as
``(lo_1, hi_1, lo_2, hi_2, ...)`` -- for 2-D ``((kh, kw), (sh, sw), (top, bottom, left,
right), (dh, dw))``.  A negative ``hi`` crops the end of the input (its last values are read by
no window; the adjoint gives them zero): that is how a transposed convolution's
``output_padding`` larger than its padding is expressed.

**Column layout.**  :func:`im2col_array` returns a 2-D array of shape
$(C \prod_a k_a,\; N \prod_a S^{out}_a)$: row $(c, i_1, \dots, i_d)$ (channel-major, then the
kernel offsets) holds pixel $x[n, c, o_a s_a - p^{lo}_a + i_a d_a]$ in column
$(n, o_1, \dots, o_d)$.  A convolution is then a single GEMM (see
:mod:`tinygrad_lite.ops.convolution`).

**Adjoints.**  ``im2col`` is linear; its adjoint is ``col2im``, which adds every column entry
back onto the pixel it came from (overlapping windows accumulate).  So :class:`Im2Col` and
:class:`Col2Im` are each other's backward, and anything built from them (and matmul, reshape)
has higher-order gradients for free.  ``F.unfold`` and ``F.fold`` are these two primitives in
PyTorch's ``(N, C k_h k_w, L)`` layout.

One copy (or slice-add) per kernel offset: a loop over $\prod_a k_a$, never over pixels.  For
2-D stride 1 with the output as wide as the input, im2col copies whole images per kernel
offset instead (:func:`_im2col_same_width`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_lite.autograd.function import NUMPY_NS, Function

Geometry = tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], tuple[int, ...]]
"""``(kernel, stride, padding, dilation)``; 2-D: ``(kh, kw), (sh, sw), (top, bottom, left,
right), (dh, dw)``."""


def out_size(size: int, k: int, s: int, p_lo: int, p_hi: int, d: int) -> int:
    r"""Output length along one axis: $\lfloor (n + p_{lo} + p_{hi} - d(k-1) - 1)/s \rfloor + 1$."""
    return (size + p_lo + p_hi - d * (k - 1) - 1) // s + 1


def out_shape(spatial: tuple[int, ...], geom: Geometry) -> tuple[int, ...]:
    """Output spatial sizes of ``geom`` on an input with spatial sizes ``spatial``."""
    kernel, stride, pads, dilation = geom
    return tuple(
        out_size(n, k, s, pads[2 * a], pads[2 * a + 1], d)
        for a, (n, k, s, d) in enumerate(zip(spatial, kernel, stride, dilation))
    )


def _window(geom: Geometry, outs: tuple[int, ...], offset: tuple[int, ...]) -> tuple[slice, ...]:
    """The strided slices of the padded input read by kernel ``offset``, one per spatial axis."""
    _, stride, _, dilation = geom
    return tuple(
        slice(i * d, i * d + s * (o - 1) + 1, s)
        for i, d, s, o in zip(offset, dilation, stride, outs)
    )


def _grid(spatial: tuple[int, ...], geom: Geometry) -> tuple[int, ...]:
    """Spatial sizes of the padded input (smaller than ``lo + size`` where ``hi`` < 0)."""
    pads = geom[2]
    return tuple(n + pads[2 * a] + pads[2 * a + 1] for a, n in enumerate(spatial))


def im2col_array(
    x: np.ndarray, geom: Geometry, pad_value: float = 0.0, ones_row: bool = False
) -> np.ndarray:
    r"""Columns of ``x`` (N, C, *spatial): shape $(C \prod k_a, N \prod S^{out}_a)$.

    One strided slice copy per kernel offset (a loop over the kernel, never over pixels);
    padding positions read ``pad_value`` (0 for convolution, $-\infty$ for max-pooling).
    ``ones_row=True`` appends a row of ones (shape $(C \prod k_a + 1, \cdot)$), so that a bias
    rides along in the convolution's GEMMs.
    """
    kernel, stride, pads, _ = geom
    n, c, *spatial = x.shape
    outs = out_shape(tuple(spatial), geom)
    length = n * math.prod(outs)
    xt = x.swapaxes(0, 1)  # (C, N, *spatial) view
    size = c * math.prod(kernel) * length
    flat = np.empty(size + (length if ones_row else 0), dtype=x.dtype)
    cols = flat[:size].reshape(c, *kernel, n, *outs)
    if len(kernel) == 2 and stride == (1, 1) and outs[1] == spatial[1] and min(pads) >= 0:
        _im2col_same_width(xt, geom, cols, pad_value)
    else:
        if any(pads):
            grid = _grid(tuple(spatial), geom)
            padded = np.full((c, n, *grid), pad_value, dtype=x.dtype)
            kept = tuple(min(s, g - pads[2 * a]) for a, (s, g) in enumerate(zip(spatial, grid)))
            inner = tuple(slice(pads[2 * a], pads[2 * a] + k) for a, k in enumerate(kept))
            padded[(slice(None), slice(None), *inner)] = xt[(..., *[slice(k) for k in kept])]
            xt = padded
        every = (slice(None), slice(None))
        for offset in np.ndindex(*kernel):
            cols[(slice(None), *offset)] = xt[every + _window(geom, outs, offset)]
    if ones_row:
        flat[size:] = 1
    return flat.reshape(c * math.prod(kernel) + (1 if ones_row else 0), length)  # (-1: 0 / 0)


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

    Returns an array of shape ``x_shape`` (N, C, *spatial) (a view of a channel-major buffer);
    pixels covered by several windows receive the sum of their entries, padding positions are
    dropped, pixels no window reads (a negative ``hi`` padding) are zero.
    """
    kernel, stride, pads, dilation = geom
    n, c, *spatial = x_shape
    outs = out_shape(tuple(spatial), geom)
    cols = cols.reshape(c, *kernel, n, *outs)
    grid = _grid(tuple(spatial), geom)
    buffer = tuple(max(g, pads[2 * a] + s) for a, (g, s) in enumerate(zip(grid, spatial)))
    # windows that never overlap (pooling, strided 1x1) let each pixel be written, not added
    disjoint = all(s >= d * (k - 1) + 1 for k, s, d in zip(kernel, stride, dilation))
    tiles = (
        disjoint and kernel == stride and all(d == 1 for d in dilation)
        and tuple(o * s for o, s in zip(outs, stride)) == buffer
    )
    out = (np.empty if tiles else np.zeros)((c, n, *buffer), dtype=cols.dtype)
    every = (slice(None), slice(None))
    for offset in np.ndindex(*kernel):
        window = every + _window(geom, outs, offset)
        if disjoint:
            out[window] = cols[(slice(None), *offset)]
        else:
            out[window] += cols[(slice(None), *offset)]
    crop = tuple(slice(pads[2 * a], pads[2 * a] + s) for a, s in enumerate(spatial))
    return out[every + crop].swapaxes(0, 1)


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
        self.save_for_backward(x.shape, geom)
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
        self.save_for_backward(geom)
        return col2im_array(cols, x_shape, geom)

    def backward(self, grad: Any) -> Any:
        (geom,) = self.saved
        return im2col(self.xp, grad, geom)
