r"""Convolution and transposed convolution over 1, 2 or 3 spatial axes: im2col + one GEMM.

:class:`Convolution` is PyTorch's ``conv1d/2d/3d``: $Y = W X + b$ with $X = \mathrm{im2col}(x)$
(:mod:`tinygrad_lite.ops.conv`), the GEMM result $(O, L)$ returned as a transposed *view*
(logical shape $(N, O, \dots)$, memory order channel-major).  Keeping the channel axis outermost
in memory makes every im2col copy, the GEMM, and the col2im adds run over long contiguous rows;
numpy ufuncs keep that memory order downstream.  A 2-D convolution on a batch at least as
long as an output row uses columns in $(H, W, N)$ order instead and returns CHWN memory, batch
innermost (see :mod:`tinygrad_lite.ops.conv_kernels`; flat shifts for the stride-1 same-size
case, 3x3 padding 1).

:class:`ConvTranspose` is PyTorch's ``conv_transpose1d/2d/3d``: the adjoint of a convolution in
its input, $y = \mathrm{col2im}(W^\top x) + b$ -- exactly the convolution's input gradient, so
both call one function, :func:`input_grad` (with the stride-1 fast kernels of
:mod:`~tinygrad_lite.ops.conv_kernels`).  Its own backward is a convolution of the output
gradient ($\bar x = W\,\mathrm{im2col}(\bar y)$) and a weight GEMM on the same columns.  Under
``create_graph`` each primitive's input gradient is the other primitive applied to Tensors, and
weight gradients recompute their columns with :class:`~tinygrad_lite.ops.conv.Im2Col`, so
double backward needs no second formula.

The fused primitive does im2col + GEMM + bias in one node; ``bench/cnn.py`` measures it against
the composite ``Im2Col -> matmul -> reshape -> permute -> add`` (about 10-15% faster for the
benchmark's two layers, forward + backward).  For stride 1 the input gradient takes
``input_grad_same_size`` (output the size of the input, e.g. 3x3 padding 1, in either memory
order) or ``input_grad_flat``, whose slice-adds run over whole contiguous rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_lite.autograd.function import NUMPY_NS, Function
from tinygrad_lite.ops.conv import Geometry, Im2Col, col2im, im2col, im2col_array, out_shape
from tinygrad_lite.ops.conv_blocked import backward_blocked, blocked_pays, forward_blocked
from tinygrad_lite.ops.conv_kernels import (
    _flat_input_grad_pays,
    _keeps_size,
    col2im_batch_inner,
    im2col_batch_inner,
    im2col_batch_inner_strided,
    input_grad_flat,
    input_grad_same_size,
    is_batch_inner,
    weight_grad_gemm,
)


def _batch_inner_pays(x: np.ndarray, geom: Geometry, row: int) -> bool:
    """Use the batch-innermost (CHWN) order: a 2-D convolution (padding >= 0) whose input
    already has it, or whose batch is at least as long as an output row of ``row`` pixels
    (numpy's loops then run over rows of $N$ values, not of $W_{out}$)."""
    if len(geom[0]) != 2 or min(geom[2]) < 0:
        return False
    return is_batch_inner(x) or x.shape[0] >= row > 1


def pixel_order(ndim: int, batch_inner: bool) -> tuple[int, ...]:
    """Axes that put an (N, C, *spatial) array in the columns' order: (C, N, *spatial), or
    (C, H, W, N) when the batch is innermost."""
    spatial = tuple(range(2, ndim))
    return (1, *spatial, 0) if batch_inner else (1, 0, *spatial)


def columns(x: np.ndarray, geom: Geometry, ones_row: bool = False) -> tuple[np.ndarray, bool]:
    """im2col of ``x`` in the order the convolution uses, and whether that is batch-innermost."""
    if _batch_inner_pays(x, geom, out_shape(x.shape[2:], geom)[-1]):
        # columns (and output) in (H, W, N) order, see conv_kernels
        xb = np.ascontiguousarray(x.transpose(1, 2, 3, 0))  # (C, H, W, N); a view if CHWN
        if _keeps_size(geom):  # one flat shift per kernel offset
            return im2col_batch_inner(xb, geom, ones_row=ones_row), True
        return im2col_batch_inner_strided(xb, geom, ones_row=ones_row), True
    return im2col_array(x, geom, ones_row=ones_row), False  # (C*prod(k) [+ 1], L)


def conv_gemm(
    w: np.ndarray, b: np.ndarray | None, cols: np.ndarray, groups: int, fold_bias: bool
) -> np.ndarray:
    """$W X + b$ as an (O, L) array, one (batched over groups) GEMM."""
    o = w.shape[0]
    if fold_bias:  # [W | b] @ [X; 1]: the bias costs one GEMM row, not a pass over Y
        return np.matmul(np.concatenate([w.reshape(o, -1), b[:, None]], axis=1), cols)
    if groups == 1:
        return np.matmul(w.reshape(o, -1), cols)  # (O, L)
    cols3 = cols.reshape(groups, -1, cols.shape[1])  # (G, Cg*prod(k), L)
    out = np.matmul(w.reshape(groups, o // groups, -1), cols3).reshape(o, -1)
    if b is not None:
        out += b[:, None]
    return out


def from_gemm(out: np.ndarray, n: int, outs: tuple[int, ...], batch_inner: bool) -> np.ndarray:
    """The (O, L) GEMM result as an (N, O, *outs) view (memory order kept)."""
    o, nd = out.shape[0], len(outs)
    if batch_inner:
        return out.reshape(o, *outs, n).transpose(nd + 1, 0, *range(1, nd + 1))
    return out.reshape(o, n, *outs).swapaxes(0, 1)


def weight_grad(xp: Any, g: Any, g2: Any, cols: Any, groups: int, batch_inner: bool) -> Any:
    r"""$\bar W = \bar Y X^\top$ per group, as an (O, R) array.

    ``g`` is the (N, O, *spatial) output gradient and ``g2`` the same as (G, O_g, L) in the
    columns' pixel order (or None: then it is made here); ``cols`` the (G R, L) columns.
    ``groups=1`` in numpy takes :func:`weight_grad_gemm`, which needs no copy of ``g``.
    """
    if xp is NUMPY_NS and groups == 1:
        n, o = g.shape[:2]
        if batch_inner:  # n equal blocks of consecutive columns: a view when g is CHWN
            g3 = np.reshape(g.transpose(1, 2, 3, 0), (o, n, -1)).transpose(1, 0, 2)
        else:  # one block per image: a view for NCHW and channel-major memory orders
            g3 = g.reshape(n, o, -1)
        return weight_grad_gemm(g3, cols)  # R = cols' rows (a ones row included)
    if g2 is None:
        order = pixel_order(len(g.shape), batch_inner)
        g2 = xp.reshape(xp.permute(g, order), (groups, g.shape[1] // groups, -1))
    cols3 = xp.reshape(cols, (groups, -1, cols.shape[-1]))
    # (X Y^T)^T, not Y X^T: BLAS runs this long-K product ~1.4x faster in this order
    return xp.reshape(xp.swap_last(xp.matmul(cols3, xp.swap_last(g2))), (g.shape[1], -1))


def input_grad(
    xp: Any, w: Any, g2: Any, g: Any, x_shape: tuple[int, ...], geom: Geometry, groups: int,
    batch_inner: bool,
) -> Any:
    r"""$\bar x = \mathrm{col2im}(W^\top \bar Y)$: a convolution's input gradient, and so a
    transposed convolution's output.

    ``g`` is (N, O, *outs) and ``g2`` the same as (G, O_g, L) in the columns' pixel order;
    ``w`` is (O, C_g, *kernel); the result has shape ``x_shape``.  In numpy, stride 1 takes
    the flat-shift kernels of :mod:`~tinygrad_lite.ops.conv_kernels` (tested equal to the
    plain ``col2im`` form below).
    """
    o = w.shape[0]
    w3 = xp.reshape(w, (groups, o // groups, -1))
    if xp is NUMPY_NS and _keeps_size(geom):
        return input_grad_same_size(w3, g2, x_shape, geom, batch_inner)
    if xp is NUMPY_NS and batch_inner:
        gcols = np.matmul(w3.transpose(0, 2, 1), g2).reshape(-1, g2.shape[2])
        return col2im_batch_inner(gcols, x_shape, geom)
    if xp is NUMPY_NS and _flat_input_grad_pays(x_shape, geom):
        return input_grad_flat(w3, g, x_shape, geom)
    gcols = xp.reshape(xp.matmul(xp.swap_last(w3), g2), (-1, g2.shape[2]))
    return col2im(xp, gcols, x_shape, geom)


class Convolution(Function):
    r"""N-d cross-correlation (PyTorch's ``conv1d/2d/3d``), groups $G$, as im2col + one GEMM.

    With $X = \mathrm{im2col}(x)$ reshaped to $(G, C_g K, L)$, $K = \prod_a k_a$,
    $L = N \prod_a S^{out}_a$, and $W$ reshaped to $(G, O_g, C_g K)$:

    Forward: $Y = W X + b$, returned as (N, O, *S_out).

    Backward: $\bar W = \bar Y X^\top$, $\bar b = \sum_L \bar Y$,
    $\bar x = \mathrm{col2im}(W^\top \bar Y)$ (:func:`input_grad`; under ``create_graph``
    :class:`ConvTranspose`): one GEMM per product. Linear in $x$ and in $W$ separately, so no
    kinks.

    With a bias and ``groups=1`` the columns get a row of ones and the bias rides in the GEMMs:
    $Y = [W \mid b]\,[X; \mathbf 1]$ and $[\bar W \mid \bar b] = \bar Y\,[X; \mathbf 1]^\top$,
    which saves a pass over $Y$ each way (~0.2 ms per step of the benchmark's CNN).
    """

    def forward(
        self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, *,
        geom: Geometry, groups: int,
    ) -> np.ndarray:
        fold_bias = b is not None and groups == 1
        if x.shape[0] == 0:  # an empty batch: an empty output, zero gradients (as PyTorch)
            self.save_for_backward(x, w, None, geom, groups, b is not None, False, False,
                                   False, None)
            return np.zeros((0, w.shape[0], *out_shape(x.shape[2:], geom)), dtype=x.dtype)
        if blocked_pays(x.shape, w.shape, geom, groups, x.dtype.itemsize):
            # large columns: made block by block (ops/conv_blocked.py), in the input's own
            # memory order: a CHWN input gives batch-innermost columns, any other is read as it
            # is into channel-major ones (for NCHW inputs 3-42% less CPU time than permuting
            # to CHWN first on the scan's cells, 2026-12-06); src is then a view of x
            batch_inner = is_batch_inner(x)
            src = x.transpose(1, 2, 3, 0) if batch_inner else x
            out, whole = forward_blocked(src, w, b, geom, batch_inner)
            self.save_for_backward(x, w, src, geom, groups, b is not None, True, batch_inner,
                                   True, whole)
        else:
            cols, batch_inner = columns(x, geom, ones_row=fold_bias)
            out = conv_gemm(w, b, cols, groups, fold_bias)
            self.save_for_backward(x, w, cols, geom, groups, b is not None, fold_bias, batch_inner,
                                   False, None)
        return from_gemm(out, x.shape[0], out_shape(x.shape[2:], geom), batch_inner)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        x, w, cols, geom, groups, has_bias, folded, batch_inner, blocked, whole = self.saved
        xp = self.xp
        need_x, need_w = self.needs_input_grad[0], self.needs_input_grad[1]
        if blocked and xp is NUMPY_NS:  # cols is the input in the columns' order
            return self._backward_blocked(cols, whole, w, grad, geom, batch_inner, has_bias)
        if x.shape[0] == 0:  # an empty batch: every gradient is zero (sums over no image)
            gb = xp.sum(grad, (0, *range(2, len(grad.shape))))  # zeros of shape (O,)
            return (xp.zeros_like(x), xp.zeros_like(w), gb)[: 3 if has_bias else 2]
        o = w.shape[0]
        batch_inner = batch_inner and xp is NUMPY_NS  # create_graph recomputes NCHW columns
        fast_w = xp is NUMPY_NS and need_w and groups == 1
        g2 = None  # (G, Og, L); a copy unless grad has the columns' memory order, so only
        if (need_x and xp is NUMPY_NS) or (need_w and not fast_w) or (has_bias and not fast_w):
            order = pixel_order(len(x.shape), batch_inner)
            g2 = xp.reshape(xp.permute(grad, order), (groups, o // groups, -1))
        gx = gw = gb = None
        if fast_w:
            # with a folded bias, cols carries its row of ones: [gW | gb] = gY [X; 1]^T
            gwb = weight_grad(xp, grad, None, cols, 1, batch_inner)
            # C-contiguous like w (a 4.6k-value copy for 16->32), so optimizers run unstrided
            gw = np.ascontiguousarray(gwb[:, :-1] if folded else gwb).reshape(w.shape)
            gb = gwb[:, -1] if folded else None
        elif need_w:
            if xp is not NUMPY_NS:
                cols = im2col(xp, x, geom)  # graph-connected to x under create_graph
            gw = xp.reshape(weight_grad(xp, grad, g2, cols, groups, batch_inner), w.shape)
        if need_x and xp is NUMPY_NS:
            gx = input_grad(xp, w, g2, grad, x.shape, geom, groups, batch_inner)
        elif need_x:
            gx = ConvTranspose.apply(grad, w, geom=geom, groups=groups, out_spatial=x.shape[2:])
        if has_bias:
            if not self.needs_input_grad[2]:
                gb = None
            elif gb is None:
                gb = xp.reshape(xp.sum(g2, 2), (o,))
            return gx, gw, gb
        return gx, gw

    def _backward_blocked(
        self, src: np.ndarray, whole: np.ndarray | None, w: np.ndarray, grad: np.ndarray,
        geom: Geometry, batch_inner: bool, has_bias: bool,
    ) -> tuple[Any, ...]:
        """Backward of a convolution whose forward ran in blocks (ops/conv_blocked.py)."""
        need_x, need_w = self.needs_input_grad[:2]
        need_b = has_bias and self.needs_input_grad[2]
        gx, gwb = backward_blocked(src, w, grad, geom, batch_inner, need_x, need_w, has_bias,
                                   whole)
        gw = gb = None
        if need_w:  # C-contiguous like w, so optimizers run unstrided
            gw = np.ascontiguousarray(gwb[:, :-1] if has_bias else gwb).reshape(w.shape)
            gb = gwb[:, -1] if need_b else None
        elif need_b:
            gb = np.sum(grad, axis=(0, 2, 3))
        return (gx, gw, gb) if has_bias else (gx, gw)


class ConvTranspose(Function):
    r"""N-d transposed convolution (PyTorch's ``conv_transpose1d/2d/3d``): the adjoint in $x$
    of the convolution with geometry ``geom`` from an (N, C_out, *``out_spatial``) input to
    (N, C_in, *S_in), whose weight (C_in, C_out/G, *kernel) it shares.

    Forward: $y = \mathrm{col2im}(W^\top x) + b$ (:func:`input_grad`: the convolution's input
    gradient).

    Backward: $\bar x = W\,\mathrm{im2col}(\bar y)$ (a convolution of $\bar y$ with the same
    weight), $\bar W = x\,\mathrm{im2col}(\bar y)^\top$ per group (one GEMM on the same
    columns), $\bar b = \sum \bar y$ over all axes but the channels.  Linear in $x$ and in
    $W$ separately, so no kinks.
    """

    def forward(
        self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, *,
        geom: Geometry, groups: int, out_spatial: tuple[int, ...],
    ) -> np.ndarray:
        n, c_in = x.shape[:2]
        self.save_for_backward(x, w, geom, groups, b is not None)
        if n == 0:  # an empty batch: an empty output, zero gradients (as PyTorch)
            return np.zeros((0, w.shape[1] * groups, *out_spatial), dtype=x.dtype)
        batch_inner = _batch_inner_pays(x, geom, x.shape[-1])
        x2 = np.reshape(x.transpose(pixel_order(x.ndim, batch_inner)), (groups, c_in // groups, -1))
        y_shape = (n, w.shape[1] * groups, *out_spatial)
        y = input_grad(NUMPY_NS, w, x2, x, y_shape, geom, groups, batch_inner)  # a fresh buffer
        if b is not None:
            y += b.reshape(-1, *[1] * len(out_spatial))
        return y

    def backward(self, grad: Any) -> tuple[Any, ...]:
        x, w, geom, groups, has_bias = self.saved
        xp = self.xp
        need_x, need_w = self.needs_input_grad[0], self.needs_input_grad[1]
        if x.shape[0] == 0:  # an empty batch: every gradient is zero (sums over no image)
            gb = xp.sum(grad, (0, *range(2, len(grad.shape))))  # zeros of shape (C_out,)
            return (xp.zeros_like(x), xp.zeros_like(w), gb)[: 3 if has_bias else 2]
        gx = gw = None
        if xp is NUMPY_NS and (need_x or need_w):
            cols, batch_inner = columns(grad, geom)  # im2col of the output gradient
            if need_x:
                gx = from_gemm(conv_gemm(w, None, cols, groups, False), x.shape[0],
                               x.shape[2:], batch_inner)
            if need_w:
                gw = weight_grad(xp, x, None, cols, groups, batch_inner)
                gw = np.ascontiguousarray(gw).reshape(w.shape)  # C-contiguous like w
        else:
            if need_x:
                gx = Convolution.apply(grad, w, geom=geom, groups=groups)
            if need_w:
                cols = Im2Col.apply(grad, geom=geom)  # graph-connected to grad
                gw = xp.reshape(weight_grad(xp, x, None, cols, groups, False), w.shape)
        if not has_bias:
            return gx, gw
        gb = None
        if self.needs_input_grad[2]:
            gb = xp.sum(grad, (0, *range(2, len(grad.shape))))
        return gx, gw, gb
