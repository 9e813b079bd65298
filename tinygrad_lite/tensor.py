"""Tensor: an n-d array with reverse-mode autodiff, PyTorch's API on numpy.

Every method is a one-line call of a primitive ``Function`` (``tinygrad_lite.ops.*``) or of a
composite built from primitives, so grep finds each op's forward and backward in one place.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from tinygrad_lite.autograd import engine
from tinygrad_lite.autograd.hooks import RemovableHandle
from tinygrad_lite.autograd.version import counter_of
from tinygrad_lite.ops import clamp as clamp_ops
from tinygrad_lite.ops import elementwise as ew
from tinygrad_lite.ops import linalg, movement, special, unary
from tinygrad_lite.ops.namespace import TensorNamespace
from tinygrad_lite.tensor_axes import AxisMethods
from tinygrad_lite.tensor_convert import ConversionMethods, to_array
from tinygrad_lite.tensor_inplace import InplaceMethods
from tinygrad_lite.tensor_math import MathMethods
from tinygrad_lite.tensor_str import format_repr

_FLOAT_KINDS = "fc"


class Tensor(AxisMethods, ConversionMethods, InplaceMethods, MathMethods):
    """An n-dimensional array that records the operations applied to it for ``backward``.

    ``Tensor(data, dtype=None, requires_grad=False)``: Python numbers and lists become float32
    (as ``torch.Tensor``; :func:`tinygrad_lite.tensor` infers int64/bool as ``torch.tensor``);
    numpy arrays keep their dtype.  Only floating point tensors can require gradients.
    """

    __slots__ = (
        "data", "requires_grad", "_grad", "grad_fn", "_hooks", "_vc", "_view", "__weakref__",
    )  # fmt: skip
    __array_ufunc__ = None  # make ``ndarray * Tensor`` defer to Tensor.__rmul__
    NAMESPACE = TensorNamespace

    def __init__(self, data: Any, dtype: Any = None, requires_grad: bool = False) -> None:
        """See the class docstring: ``Tensor(data, dtype=None, requires_grad=False)``."""
        if dtype is None and isinstance(data, (bool, int, float, list, tuple)):
            dtype = np.float32  # torch.Tensor(list) is float32; tl.tensor infers, as torch.tensor
        self.data = to_array(data.data if isinstance(data, Tensor) else data, dtype)
        self._grad: Tensor | None = None
        self.grad_fn = None
        self._hooks: list[Any] | None = None
        self._vc = None  # the storage's VersionCounter, made on first use (autograd/version.py)
        self._view = None  # (base, steps) when this tensor is a view of another one
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _make(data: np.ndarray, grad_fn: Any) -> Tensor:
        """Wrap an array without copying (``grad_fn`` set means it requires grad)."""
        t = object.__new__(Tensor)
        t.data = data
        t.grad_fn = grad_fn
        t.requires_grad = grad_fn is not None
        t._grad = None
        t._hooks = None
        t._vc = None
        t._view = None
        return t

    # ----- attributes -------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        """The tensor's shape as a tuple (``torch.Size`` is a tuple too)."""
        return self.data.shape

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        """The numpy dtype of the data."""
        return self.data.dtype

    @property
    def grad(self) -> Tensor | None:
        """The accumulated gradient (a Tensor of this tensor's shape and dtype), or None.

        Assigning checks what PyTorch checks: a Tensor (or None) of the same shape and dtype.
        """
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    "assigned grad expected to be a Tensor or None but got grad of type "
                    f"{type(value).__name__}"
                )
            if value.data.shape != self.data.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value.data.shape)}' to a "
                    f"tensor of size '{list(self.data.shape)}'. Please ensure that the gradient "
                    "and the tensor are the same size"
                )
            if value.data.dtype != self.data.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{value.data.dtype}' to a "
                    f"tensor with dtype '{self.data.dtype}'. The gradient must match the "
                    "tensor's dtype"
                )
        self._grad = value

    @property
    def _version(self) -> int:
        """How many in-place writes this tensor's storage has had (shared with its views)."""
        return 0 if self._vc is None else self._vc[0]

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded op (user-created, or no grad)."""
        return self.grad_fn is None

    @property
    def T(self) -> Tensor:  # noqa: N802 (PyTorch's name)
        """All dimensions reversed (the matrix transpose for 2-D)."""
        return movement.permute(self, tuple(range(self.ndim - 1, -1, -1)))

    def size(self, dim: int | None = None) -> Any:
        """The shape, or the size of dimension ``dim`` (negative counts from the end)."""
        if dim is None:
            return self.data.shape
        n = self.data.ndim
        if not -n <= dim < n:
            raise IndexError(
                f"size: dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                f"but got {dim})"
            )
        return self.data.shape[dim]

    def dim(self) -> int:
        """Number of dimensions."""
        return self.data.ndim

    def numel(self) -> int:
        """Total number of elements."""
        return self.data.size

    # ----- autograd -------------------------------------------------------------------
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place on a leaf; only floating point tensors may."""
        if self.grad_fn is not None and not requires_grad:
            raise RuntimeError(
                "requires_grad_: you can only change requires_grad of leaf variables"
            )
        if requires_grad and self.data.dtype.kind not in _FLOAT_KINDS:
            raise RuntimeError(
                f"requires_grad_: only Tensors of floating point dtype can require gradients, "
                f"got {self.data.dtype}"
            )
        self.requires_grad = bool(requires_grad)
        return self

    def detach(self) -> Tensor:
        """A new leaf sharing this tensor's data and version counter, outside the graph."""
        t = Tensor._make(self.data, None)
        t._vc = counter_of(self)  # an in-place write through either is seen by both
        return t

    def retain_grad(self) -> None:
        """Make a non-leaf tensor keep its ``.grad`` after backward."""
        if self.grad_fn is not None:
            self.grad_fn.retained = weakref.ref(self)
        elif not self.requires_grad:
            raise RuntimeError(
                "retain_grad: can't retain_grad on Tensor that has requires_grad=False"
            )

    def register_hook(self, hook: Any) -> Any:
        """Call ``hook(grad)`` when this tensor's gradient is computed; a return replaces it."""
        if not self.requires_grad:
            raise RuntimeError(
                "register_hook: cannot register a hook on a tensor that doesn't require gradient"
            )
        if self.grad_fn is not None:
            if self.grad_fn.hooks is None:
                self.grad_fn.hooks = []
            hooks = self.grad_fn.hooks
        else:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        hooks.append(hook)
        return RemovableHandle(hooks, hook)

    def backward(
        self, gradient: Any = None, retain_graph: bool | None = None, create_graph: bool = False
    ) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (see ``autograd.engine``)."""
        engine.backward(self, gradient, retain_graph, create_graph)

    # ----- arithmetic -----------------------------------------------------------------
    def __add__(self, other: Any) -> Tensor:
        """``self + other`` (broadcasting, as ``torch.add``)."""
        return ew.Add.apply(self, ew.as_tensor(other, self))

    def __radd__(self, other: Any) -> Tensor:
        """``other + self`` for a number or array on the left."""
        return ew.Add.apply(ew.as_tensor(other, self), self)

    def __sub__(self, other: Any) -> Tensor:
        """``self - other`` (broadcasting)."""
        return ew.Sub.apply(self, ew.as_tensor(other, self))

    def __rsub__(self, other: Any) -> Tensor:
        """``other - self`` for a number or array on the left."""
        return ew.Sub.apply(ew.as_tensor(other, self), self)

    def __mul__(self, other: Any) -> Tensor:
        """``self * other``, elementwise (broadcasting)."""
        return ew.Mul.apply(self, ew.as_tensor(other, self))

    def __rmul__(self, other: Any) -> Tensor:
        """``other * self`` for a number or array on the left."""
        return ew.Mul.apply(ew.as_tensor(other, self), self)

    def __truediv__(self, other: Any) -> Tensor:
        """``self / other``, true division (broadcasting)."""
        return ew.Div.apply(self, ew.as_tensor(other, self))

    def __rtruediv__(self, other: Any) -> Tensor:
        """``other / self`` for a number or array on the left."""
        return ew.Div.apply(ew.as_tensor(other, self), self)

    def __pow__(self, other: Any) -> Tensor:
        """``self ** other``; ``x ** 0.5`` and ``x ** -0.5`` are computed as (1 /) sqrt."""
        return ew.pow(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        """``other ** self`` for a number or array as the base."""
        return ew.Pow.apply(ew.as_tensor(other, self), self)

    def __matmul__(self, other: Any) -> Tensor:
        """``self @ other``: matrix product (batched and broadcast, as ``torch.matmul``)."""
        return linalg.matmul(self, ew.as_tensor(other, self))

    def __rmatmul__(self, other: Any) -> Tensor:
        """``other @ self`` for an array on the left."""
        return linalg.matmul(ew.as_tensor(other, self), self)

    def __neg__(self) -> Tensor:
        """``-self``."""
        return unary.Neg.apply(self)

    def __pos__(self) -> Tensor:
        """``+self``: the tensor itself."""
        return self

    def __abs__(self) -> Tensor:
        """``abs(self)``; the subgradient at 0 is 0, as PyTorch's."""
        return unary.Abs.apply(self)

    def __getitem__(self, index: Any) -> Tensor:
        """``self[index]``: basic and advanced indexing, differentiable (as PyTorch)."""
        return movement.getitem(self, index)

    # comparisons: no gradient, bool result
    def __lt__(self, other: Any) -> Tensor:
        """``self < other``: a bool tensor, no gradient."""
        return ew.compare(np.less, self, other)

    def __le__(self, other: Any) -> Tensor:
        """``self <= other``: a bool tensor, no gradient."""
        return ew.compare(np.less_equal, self, other)

    def __gt__(self, other: Any) -> Tensor:
        """``self > other``: a bool tensor, no gradient."""
        return ew.compare(np.greater, self, other)

    def __ge__(self, other: Any) -> Tensor:
        """``self >= other``: a bool tensor, no gradient."""
        return ew.compare(np.greater_equal, self, other)

    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        """``self == other``: an elementwise bool tensor (``t == None`` is False)."""
        if other is None:  # Python's identity fallback, as PyTorch: ``t == None`` is False
            return NotImplemented
        return ew.compare(np.equal, self, other)

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        """``self != other``: an elementwise bool tensor (``t != None`` is True)."""
        if other is None:
            return NotImplemented
        return ew.compare(np.not_equal, self, other)

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        """``tensor([...], requires_grad=True)``, as PyTorch prints it."""
        return format_repr(self)

    # method forms of the elementwise ops live in ops/elementwise.py; the Tensor methods
    # below are one-liners so that ``grep "def exp"`` finds both places.
    def add(self, other: Any) -> Tensor:
        """``self + other``."""
        return self + other

    def sub(self, other: Any) -> Tensor:
        """``self - other``."""
        return self - other

    def mul(self, other: Any) -> Tensor:
        """``self * other``."""
        return self * other

    def div(self, other: Any) -> Tensor:
        """``self / other``."""
        return self / other

    def pow(self, exponent: Any) -> Tensor:
        """``self ** exponent`` (tensor or scalar exponent)."""
        return ew.pow(self, exponent)

    def matmul(self, other: Any) -> Tensor:
        """Matrix product with PyTorch's 1-D/2-D/batched rules; operands of one dtype."""
        return linalg.matmul(self, ew.as_tensor(other, self))

    def neg(self) -> Tensor:
        """``-self``."""
        return unary.Neg.apply(self)

    def exp(self) -> Tensor:
        """Elementwise e**x."""
        return unary.Exp.apply(self)

    def log(self) -> Tensor:
        """Elementwise natural logarithm."""
        return unary.Log.apply(self)

    def log1p(self) -> Tensor:
        """Elementwise log(1 + x), accurate for small x."""
        return special.log1p(self)

    def sqrt(self) -> Tensor:
        """Elementwise square root."""
        return unary.Sqrt.apply(self)

    def square(self) -> Tensor:
        """Elementwise x**2, as ``self * self`` (gradient 2x)."""
        return self * self

    def abs(self) -> Tensor:
        """Elementwise |x|; the subgradient at 0 is 0."""
        return unary.Abs.apply(self)

    def sign(self) -> Tensor:
        """Elementwise sign (-1, 0, 1); gradient 0."""
        return unary.Sign.apply(self)

    def sin(self) -> Tensor:
        """Elementwise sine."""
        return unary.Sin.apply(self)

    def cos(self) -> Tensor:
        """Elementwise cosine."""
        return unary.Cos.apply(self)

    def tanh(self) -> Tensor:
        """Elementwise hyperbolic tangent."""
        return unary.Tanh.apply(self)

    def sigmoid(self) -> Tensor:
        """Elementwise logistic function, computed without overflow."""
        return unary.Sigmoid.apply(self)

    def relu(self) -> Tensor:
        """max(x, 0); the subgradient at 0 is 0."""
        return unary.Relu.apply(self)

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:
        """Clip into [min, max]; the gradient passes where min <= x <= max (bounds included)."""
        return clamp_ops.clamp(self, min, max)

    clip = clamp

    def maximum(self, other: Any) -> Tensor:
        """Elementwise maximum; ties split the gradient 1/2-1/2."""
        return ew.Maximum.apply(self, ew.as_tensor(other, self))

    def minimum(self, other: Any) -> Tensor:
        """Elementwise minimum; ties split the gradient 1/2-1/2."""
        return ew.Minimum.apply(self, ew.as_tensor(other, self))
