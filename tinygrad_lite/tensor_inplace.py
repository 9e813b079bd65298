r"""In-place methods of ``Tensor`` (``add_``, ``mul_``, ``copy_``, ``x[i] = v``, ``+=``, ...)
and ``clone``.

Every method here is a one-liner of the same shape: check that the write is allowed
(``check_writable``), compute the out-of-place result with the ordinary op, then write it into the
tensor (``apply_inplace``), which bumps the version counter and, in grad mode, makes the op's node
the tensor's new ``grad_fn``.  So ``x.mul_(2)`` differentiates exactly like ``x = x * 2``; the
rules (leaf errors, views, version checks) are in ``autograd/mutation.py``.

>>> import tinygrad_lite as tl
>>> w = tl.tensor([1.0, -2.0], requires_grad=True)
>>> for _ in range(3):  # the manual gradient-descent loop
...     loss = (w * w).sum()
...     loss.backward()
...     with tl.no_grad():
...         w -= 0.1 * w.grad
...         _ = w.grad.zero_()
>>> w
tensor([ 0.5120, -1.0240], requires_grad=True)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from tinygrad_lite.autograd.mutation import (
    apply_inplace,
    check_no_overlap,
    check_writable,
    same_memory,
    writes_through_region,
)
from tinygrad_lite.ops import clamp as clamp_ops
from tinygrad_lite.ops import elementwise as ew
from tinygrad_lite.ops import indexing, unary
from tinygrad_lite.ops.assign import Assign, Clone, IndexPut, _select
from tinygrad_lite.random import get_rng

if TYPE_CHECKING:
    from tinygrad_lite.tensor import Tensor


def _scaled(other: Any, alpha: Any, like: Any) -> Any:
    """``alpha * other`` as a Tensor beside ``like`` (``other`` itself when alpha is 1)."""
    other = ew.as_tensor(other, like)
    return other if alpha == 1 else other * alpha


class InplaceMethods:
    """In-place methods as ``Tensor`` methods (mixed into :class:`Tensor`)."""

    __slots__ = ()
    data: np.ndarray

    # ----- copies -----------------------------------------------------------------------
    def clone(self) -> Tensor:
        """A copy with its own memory (same memory order), differentiable: gradient passes."""
        return Clone.apply(self)

    def copy_(self, src: Any) -> Tensor:
        """Write ``src`` (broadcast to this shape, cast to this dtype) into this tensor.

        The old values get no gradient; ``src`` gets the (summed-down) gradient.
        """
        if isinstance(src, InplaceMethods) and same_memory(src.data, self.data):
            check_writable("copy_", self, overlap=False)  # into itself: nothing moves
        else:
            check_writable("copy_", self)
            check_no_overlap("copy_", self, (src,))
        return apply_inplace("copy_", self, Assign.apply(self, ew.as_tensor(src, self)), False)

    def fill_(self, value: Any) -> Tensor:
        """Set every entry to ``value`` (a number, or a 0-d tensor that receives the summed
        gradient)."""
        if isinstance(value, InplaceMethods) and value.data.ndim != 0:
            raise RuntimeError(
                f"fill_: only supports 0-dimension value tensor but got tensor with "
                f"{value.data.ndim} dimensions"
            )
        check_writable("fill_", self, overlap=False)  # PyTorch fills an expand
        return apply_inplace("fill_", self, Assign.apply(self, ew.as_tensor(value, self)), False)

    def zero_(self) -> Tensor:
        """Set every entry to 0."""
        return self.fill_(0)

    def masked_fill_(self, mask: Any, value: Any) -> Tensor:
        """Set the entries where the bool ``mask`` (broadcast to this shape) holds to ``value``."""
        check_writable("masked_fill_", self, overlap=False)  # PyTorch fills an expand
        result = indexing.masked_fill(self, mask, value)
        where = None
        if 0 in self.data.strides:  # an expand: write only the masked entries
            where = np.broadcast_to(np.asarray(getattr(mask, "data", mask)), self.data.shape)
        return apply_inplace("masked_fill_", self, result, False, where)

    def uniform_(self, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Tensor:
        r"""Fill with draws from $\mathcal U(a, b)$ (the default generator, or ``generator``)."""
        values = get_rng(generator).uniform(a, b, self.data.shape)
        return self.copy_(values.astype(self.data.dtype, copy=False))

    def normal_(self, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Tensor:
        r"""Fill with draws from $\mathcal N(\text{mean}, \text{std}^2)$."""
        values = get_rng(generator).normal(mean, std, self.data.shape)
        return self.copy_(values.astype(self.data.dtype, copy=False))

    def __setitem__(self, index: Any, value: Any) -> None:
        """``x[index] = value`` for every index ``x[index]`` accepts; differentiable in both
        ``x`` (the overwritten entries get no gradient) and ``value``."""
        check_writable("setitem", self, overlap=False)
        stages = indexing.setitem_stages(index, self.data.ndim)
        if writes_through_region(self.data, stages):
            self[index].copy_(value)  # type: ignore[index]
            return
        if isinstance(value, InplaceMethods) and value.data.ndim > 0:  # 0-d: a fill, no check
            basic = np.may_share_memory(_select(self.data, stages)[stages[-1]], self.data)
            if basic:  # PyTorch: self[index].copy_(value)
                check_no_overlap("setitem", self[index], (value,))  # type: ignore[index]
            else:  # PyTorch's index_put_
                check_no_overlap("setitem", self, (value,), partial=False)
        v = ew.as_tensor(value, self)
        apply_inplace("setitem", self, IndexPut.apply(self, v, stages=stages), False)

    # ----- arithmetic -------------------------------------------------------------------
    def add_(self, other: Any, alpha: Any = 1) -> Tensor:
        """``self += alpha * other``."""
        check_writable("add_", self)
        check_no_overlap("add_", self, (other,))
        return apply_inplace("add_", self, self + _scaled(other, alpha, self))

    def sub_(self, other: Any, alpha: Any = 1) -> Tensor:
        """``self -= alpha * other``."""
        check_writable("sub_", self)
        check_no_overlap("sub_", self, (other,))
        return apply_inplace("sub_", self, self - _scaled(other, alpha, self))

    def mul_(self, other: Any) -> Tensor:
        """``self *= other``."""
        check_writable("mul_", self)
        check_no_overlap("mul_", self, (other,))
        return apply_inplace("mul_", self, self * other)

    def div_(self, other: Any) -> Tensor:
        """``self /= other`` (true division: an integer tensor refuses the float result)."""
        check_writable("div_", self)
        check_no_overlap("div_", self, (other,))
        return apply_inplace("div_", self, self / other)

    def pow_(self, exponent: Any) -> Tensor:
        """``self **= exponent``."""
        check_writable("pow_", self)
        check_no_overlap("pow_", self, (exponent,))
        return apply_inplace("pow_", self, ew.pow(self, exponent))

    def neg_(self) -> Tensor:
        """``self = -self``."""
        check_writable("neg_", self)
        return apply_inplace("neg_", self, unary.Neg.apply(self))

    def abs_(self) -> Tensor:
        """``self = |self|``."""
        check_writable("abs_", self)
        return apply_inplace("abs_", self, unary.Abs.apply(self))

    def exp_(self) -> Tensor:
        """``self = exp(self)``."""
        check_writable("exp_", self)
        return apply_inplace("exp_", self, unary.Exp.apply(self))

    def log_(self) -> Tensor:
        """``self = log(self)``."""
        check_writable("log_", self)
        return apply_inplace("log_", self, unary.Log.apply(self))

    def sqrt_(self) -> Tensor:
        """``self = sqrt(self)``."""
        check_writable("sqrt_", self)
        return apply_inplace("sqrt_", self, unary.Sqrt.apply(self))

    def relu_(self) -> Tensor:
        """``self = max(self, 0)``."""
        check_writable("relu_", self)
        return apply_inplace("relu_", self, unary.Relu.apply(self))

    def sigmoid_(self) -> Tensor:
        """``self = sigmoid(self)``."""
        check_writable("sigmoid_", self)
        return apply_inplace("sigmoid_", self, unary.Sigmoid.apply(self))

    def tanh_(self) -> Tensor:
        """``self = tanh(self)``."""
        check_writable("tanh_", self)
        return apply_inplace("tanh_", self, unary.Tanh.apply(self))

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:
        """Clip into ``[min, max]`` in place (the gradient rule of :meth:`clamp`)."""
        check_writable("clamp_", self)
        check_no_overlap("clamp_", self, (min, max))
        return apply_inplace("clamp_", self, clamp_ops.clamp(self, min, max))

    clip_ = clamp_

    def clamp_min_(self, min: Any) -> Tensor:
        """``self = max(self, min)`` (clamp's gradient rule)."""
        return self.clamp_(min=min)

    def clamp_max_(self, max: Any) -> Tensor:
        """``self = min(self, max)`` (clamp's gradient rule)."""
        return self.clamp_(max=max)

    def lerp(self, end: Any, weight: Any) -> Tensor:
        r"""$\text{self} + w\,(\text{end} - \text{self})$, computed as PyTorch does:
        $\text{end} - (\text{end} - \text{self})(1 - w)$ where $w \ge 0.5$ (exact at $w = 1$)."""
        end = ew.as_tensor(end, self)
        diff = end - self
        if isinstance(weight, InplaceMethods):
            small = weight.data < 0.5
            return ew.where(small, self + weight * diff, end - diff * (1 - weight))
        return self + weight * diff if weight < 0.5 else end - diff * (1 - weight)

    def lerp_(self, end: Any, weight: Any) -> Tensor:
        """In-place :meth:`lerp`."""
        check_writable("lerp_", self)
        check_no_overlap("lerp_", self, (end, weight))
        return apply_inplace("lerp_", self, self.lerp(end, weight))

    def addcmul(self, tensor1: Any, tensor2: Any, value: Any = 1) -> Tensor:
        r"""$\text{self} + \text{value}\cdot t_1 t_2$."""
        t1, t2 = ew.as_tensor(tensor1, self), ew.as_tensor(tensor2, self)
        # t1 * t2 first: that node saves t1 and t2 themselves (as PyTorch's), so changing
        # either in place before backward is caught
        return self + (t1 * t2 * value if value != 1 else t1 * t2)

    def addcmul_(self, tensor1: Any, tensor2: Any, value: Any = 1) -> Tensor:
        """In-place :meth:`addcmul`."""
        check_writable("addcmul_", self)
        check_no_overlap("addcmul_", self, (tensor1, tensor2))
        return apply_inplace("addcmul_", self, self.addcmul(tensor1, tensor2, value))

    def addcdiv(self, tensor1: Any, tensor2: Any, value: Any = 1) -> Tensor:
        r"""$\text{self} + \text{value}\cdot t_1 / t_2$."""
        t1, t2 = ew.as_tensor(tensor1, self), ew.as_tensor(tensor2, self)
        return self + (t1 / t2 * value if value != 1 else t1 / t2)  # saves t1, t2 (see addcmul)

    def addcdiv_(self, tensor1: Any, tensor2: Any, value: Any = 1) -> Tensor:
        """In-place :meth:`addcdiv`."""
        check_writable("addcdiv_", self)
        check_no_overlap("addcdiv_", self, (tensor1, tensor2))
        return apply_inplace("addcdiv_", self, self.addcdiv(tensor1, tensor2, value))

    # ----- in-place twins of the tensor ops in tensor_math.py ---------------------------
    def scatter_(self, dim: int, index: Any, src: Any = None, value: Any = None,
                 reduce: str | None = None) -> Tensor:  # fmt: skip
        """In-place :meth:`scatter`: write ``src`` (or ``value``) at ``index`` along ``dim``."""
        check_writable("scatter_", self)
        result = self.scatter(dim, index, src, value, reduce)  # type: ignore[attr-defined]
        return apply_inplace("scatter_", self, result, False)

    def scatter_add_(self, dim: int, index: Any, src: Any) -> Tensor:
        """In-place :meth:`scatter_add`."""
        check_writable("scatter_add_", self)
        result = self.scatter_add(dim, index, src)  # type: ignore[attr-defined]
        return apply_inplace("scatter_add_", self, result)

    def index_add_(self, dim: int, index: Any, source: Any, alpha: Any = 1) -> Tensor:
        """In-place :meth:`index_add`."""
        check_writable("index_add_", self)
        result = self.index_add(dim, index, source, alpha)  # type: ignore[attr-defined]
        return apply_inplace("index_add_", self, result)

    def tril_(self, diagonal: int = 0) -> Tensor:
        """In-place :meth:`tril`."""
        check_writable("tril_", self)
        return apply_inplace("tril_", self, self.tril(diagonal))  # type: ignore[attr-defined]

    def triu_(self, diagonal: int = 0) -> Tensor:
        """In-place :meth:`triu`."""
        check_writable("triu_", self)
        return apply_inplace("triu_", self, self.triu(diagonal))  # type: ignore[attr-defined]

    # augmented assignment mutates the same object, as in PyTorch (``@=`` rebinds: PyTorch
    # has no in-place matmul either)
    def __iadd__(self, other: Any) -> Tensor:
        """``self += other`` changes this tensor in place (``add_``), as in PyTorch."""
        return self.add_(other)

    def __isub__(self, other: Any) -> Tensor:
        """``self -= other`` changes this tensor in place (``sub_``), as in PyTorch."""
        return self.sub_(other)

    def __imul__(self, other: Any) -> Tensor:
        """``self *= other`` changes this tensor in place (``mul_``), as in PyTorch."""
        return self.mul_(other)

    def __itruediv__(self, other: Any) -> Tensor:
        """``self /= other`` changes this tensor in place (``div_``), as in PyTorch."""
        return self.div_(other)

    def __ipow__(self, other: Any) -> Tensor:
        """``self **= other`` changes this tensor in place (``pow_``), as in PyTorch."""
        return self.pow_(other)
