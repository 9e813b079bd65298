"""``Module`` and ``Parameter``: PyTorch's ``torch.nn.Module`` contract on tinygrad_lite Tensors.

A ``Module`` registers what is assigned to it as an attribute: a :class:`Parameter` goes to
``_parameters``, a ``Module`` to ``_modules``, and tensors passed to :meth:`register_buffer` to
``_buffers`` -- each an insertion-ordered dict, so iteration follows definition order and
``state_dict`` keys (``conv1.weight``, ``bn.running_mean``, ``layers.0.bias``) match PyTorch's.

Reference: ``torch/nn/modules/module.py`` (same method names, orders and error messages).
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from tinygrad_lite.autograd.grad_mode import no_grad
from tinygrad_lite.tensor import Tensor


class Parameter(Tensor):
    """A Tensor that a :class:`Module` registers as a trainable parameter.

    ``Parameter(data=None, requires_grad=True)``: shares ``data``'s array when ``data`` is a
    Tensor (as ``torch.nn.Parameter`` shares storage); an array is used as is, other data is
    converted as by :func:`tinygrad_lite.tensor`.

    >>> import tinygrad_lite as tl
    >>> tl.nn.Parameter(tl.tensor([1.0, 2.0]))
    Parameter containing:
    tensor([1., 2.], requires_grad=True)
    """

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            array = np.empty((0,), dtype=np.float32)
        elif isinstance(data, Tensor):
            array = data.data
        elif isinstance(data, np.ndarray):
            array = data
        else:
            array = Tensor(data).data
        super().__init__(array, requires_grad=False)
        self.data = array  # share, never copy (Tensor.__init__ copies)
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


_IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


def _addindent(text: str, num_spaces: int) -> str:
    """Indent every line of ``text`` but the first (PyTorch's nested repr layout)."""
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    first = lines.pop(0)
    return first + "\n" + "\n".join(" " * num_spaces + line for line in lines)


def _as_array(value: Any) -> np.ndarray:
    """The numpy array behind a Tensor, a numpy array, or (duck-typed) a torch tensor."""
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, (np.ndarray, np.generic)):
        return np.asarray(value)
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # a torch.Tensor, no torch import
        return value.detach().cpu().numpy()
    raise TypeError(
        f"load_state_dict: expected a Tensor or numpy array, got {type(value).__name__}"
    )


class Module:
    """Base class of all layers and models; subclasses set attributes in ``__init__``.

    Call ``super().__init__()`` first, then assign parameters, submodules and buffers;
    ``module(x)`` runs ``forward(x)``.

    >>> import tinygrad_lite as tl
    >>> class Net(tl.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc = tl.nn.Linear(3, 2)
    ...     def forward(self, x):
    ...         return self.fc(x).relu()
    >>> net = Net()
    >>> list(net.state_dict())
    ['fc.weight', 'fc.bias']
    >>> net
    Net(
      (fc): Linear(in_features=3, out_features=2, bias=True)
    )
    """

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers_set", set())
        object.__setattr__(self, "_modules", OrderedDict())

    # ----- registration -----------------------------------------------------------------
    def _check_name(self, kind: str, name: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
        if name == "" or "." in name:
            raise KeyError(f'{kind} name can\'t be empty or contain ".", got: "{name}"')

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or ``None``, a declared but absent parameter) under ``name``."""
        self._check_name("parameter", name)
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                "(nn.Parameter or None required)"
            )
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a buffer: state that is not a parameter (BatchNorm's ``running_mean``).

        Persistent buffers are part of :meth:`state_dict`; non-persistent ones are not.
        """
        self._check_name("buffer", name)
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                "(Tensor or None required)"
            )
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module under ``name`` (same as assigning the attribute)."""
        self._check_name("module", name)
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module

    register_module = add_module

    def __setattr__(self, name: str, value: Any) -> None:
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._forget(name)
            self.register_parameter(name, value)
            return
        if params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                    "(nn.Parameter or None expected)"
                )
            params[name] = None
            return
        modules = self.__dict__.get("_modules")
        if isinstance(value, Module):
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._forget(name)
            modules[name] = value
            return
        if modules is not None and name in modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as child module '{name}' "
                    "(nn.Module or None expected)"
                )
            modules[name] = None
            return
        buffers = self.__dict__.get("_buffers")
        if buffers is not None and name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                    "(Tensor or None expected)"
                )
            buffers[name] = value
            return
        object.__setattr__(self, name, value)

    def _forget(self, name: str) -> None:
        """Remove ``name`` from every registry and the instance dict (before re-registering)."""
        self.__dict__.pop(name, None)
        for registry in ("_parameters", "_buffers", "_modules"):
            self.__dict__[registry].pop(name, None)
        self._non_persistent_buffers_set.discard(name)

    def __getattr__(self, name: str) -> Any:
        # only called when normal lookup fails: look in the three registries
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry in d and name in d[registry]:
                return d[registry][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for registry in ("_parameters", "_buffers", "_modules"):
            if name in self.__dict__.get(registry, ()):
                del self.__dict__[registry][name]
                self._non_persistent_buffers_set.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self) -> list[str]:
        keys = list(super().__dir__()) + list(self._parameters) + list(self._modules)
        return sorted(set(keys + list(self._buffers)))

    # ----- running ----------------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Compute the module's output; every subclass defines it."""
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # ----- traversal --------------------------------------------------------------------
    def named_modules(
        self, memo: set[int] | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """Yield ``(qualified_name, module)`` for this module and all descendants, pre-order."""
        if memo is None:
            memo = set()
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:  # iterative pre-order: deep nets never hit the recursion limit
            name, module = stack.pop()
            if remove_duplicate:
                if id(module) in memo:
                    continue
                memo.add(id(module))
            yield name, module
            children = [
                (name + ("." if name else "") + child_name, child)
                for child_name, child in module._modules.items()
                if child is not None
            ]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        """Yield this module and all descendants (each once)."""
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Yield ``(name, child)`` for the immediate children (each once)."""
        seen: set[int] = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        """Yield the immediate child modules."""
        for _, module in self.named_children():
            yield module

    def _named_members(
        self, registry: str, prefix: str, recurse: bool, remove_duplicate: bool
    ) -> Iterator[tuple[str, Tensor]]:
        seen: set[int] = set()
        modules = (
            self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
            if recurse
            else [(prefix, self)]
        )
        for module_prefix, module in modules:
            for name, value in module.__dict__[registry].items():
                if value is None:
                    continue
                if remove_duplicate:
                    if id(value) in seen:
                        continue
                    seen.add(id(value))
                yield module_prefix + ("." if module_prefix else "") + name, value

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """Yield ``(qualified_name, parameter)``; a shared parameter appears once."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)  # type: ignore[misc]

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Yield the parameters of this module (and, with ``recurse``, of all descendants)."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        """Yield ``(qualified_name, buffer)``."""
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Yield the buffers of this module (and of all descendants)."""
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    def get_submodule(self, target: str) -> Module:
        """The descendant named by a dotted path (``"features.0"``); ``""`` is ``self``."""
        module: Module = self
        for item in target.split(".") if target else []:
            child = module._modules.get(item)
            if child is None:
                raise AttributeError(f"{module._get_name()} has no attribute `{item}`")
            module = child
        return module

    # ----- modes and gradients ------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode (``True``) or evaluation mode on this module and all descendants."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: Dropout is the identity, BatchNorm uses its running statistics."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Set ``requires_grad`` on every parameter (freeze with ``False``)."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters: to ``None`` (default) or to zeros in place."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad = Tensor._make(p.grad.data, None)
                p.grad.data[...] = 0

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every descendant (children first) and then on ``self``."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ----- dtype ------------------------------------------------------------------------
    def to(self, *args: Any, **kwargs: Any) -> Module:
        """Cast floating point parameters and buffers in place: ``to(tl.float64)``.

        Parameter objects keep their identity (optimizers holding them stay valid); their
        gradients are cast too.  A device argument (``"cpu"``) is accepted and ignored.
        """
        dtype = kwargs.pop("dtype", None)
        kwargs.pop("device", None)
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        for arg in args:
            if isinstance(arg, str) and arg.split(":")[0] == "cpu":
                continue
            if isinstance(arg, Tensor):
                dtype = arg.dtype
                continue
            dtype = arg
        if dtype is None:
            return self
        dtype = np.dtype(dtype)
        if dtype.kind not in "fc":
            raise TypeError(
                f"nn.Module.to only accepts floating point or complex dtypes, but got "
                f"desired dtype={dtype}"
            )
        return self._cast_floats(dtype)

    def _cast_floats(self, dtype: np.dtype) -> Module:
        for module in self.modules():
            for registry in ("_parameters", "_buffers"):
                for value in module.__dict__[registry].values():
                    if value is None or value.dtype.kind not in "fc" or value.dtype == dtype:
                        continue
                    value.data = value.data.astype(dtype)
                    if value.grad is not None:
                        value.grad = Tensor._make(value.grad.data.astype(dtype), None)
        return self

    def float(self) -> Module:
        """Cast floating point parameters and buffers to float32."""
        return self._cast_floats(np.dtype(np.float32))

    def double(self) -> Module:
        """Cast floating point parameters and buffers to float64."""
        return self._cast_floats(np.dtype(np.float64))

    # ----- state dict -------------------------------------------------------------------
    def _state_items(self) -> Iterator[tuple[str, Tensor]]:
        """This module's own (not descendants') state: parameters, then persistent buffers."""
        for name, param in self._parameters.items():
            if param is not None:
                yield name, param
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                yield name, buf

    def state_dict(
        self, destination: dict[str, Any] | None = None, prefix: str = "", keep_vars: bool = False
    ) -> OrderedDict[str, Tensor]:
        """An ordered dict of every parameter and persistent buffer, keyed like PyTorch.

        Keys are dotted paths (``features.0.weight``, ``bn.num_batches_tracked``); values are
        detached Tensors sharing memory with the module (``keep_vars=True``: the objects).
        """
        if destination is None:
            destination = OrderedDict()
        for module_prefix, module in self.named_modules(prefix=prefix, remove_duplicate=False):
            dotted = module_prefix + ("." if module_prefix else "")
            for name, value in module._state_items():
                destination[dotted + name] = value if keep_vars else value.detach()
        return destination  # type: ignore[return-value]

    def load_state_dict(self, state_dict: Any, strict: bool = True) -> Any:
        """Copy parameters and buffers from ``state_dict`` (numpy arrays or Tensors) in place.

        Values are cast to each parameter's dtype; parameter objects keep their identity.
        A wrong shape always raises ``RuntimeError``; with ``strict=True`` (default) missing
        and unexpected keys raise too, all listed in one message.  Returns a named tuple
        ``(missing_keys, unexpected_keys)``.
        """
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise TypeError(
                f"Expected state_dict to be dict-like, got {type(state_dict).__name__}."
            )
        expected = self.state_dict(keep_vars=True)
        missing = [k for k in expected if k not in state_dict]
        unexpected = [k for k in state_dict.keys() if k not in expected]
        errors = []
        updates = []
        for key, target in expected.items():
            if key not in state_dict:
                continue
            array = _as_array(state_dict[key])
            if array.shape != target.shape:
                errors.append(
                    f"size mismatch for {key}: copying a param with shape {array.shape} from "
                    f"checkpoint, the shape in current model is {target.shape}."
                )
                continue
            updates.append((target, array))
        if strict:
            if unexpected:
                keys = ", ".join(f'"{k}"' for k in unexpected)
                errors.insert(0, f"Unexpected key(s) in state_dict: {keys}. ")
            if missing:
                keys = ", ".join(f'"{k}"' for k in missing)
                errors.insert(0, f"Missing key(s) in state_dict: {keys}. ")
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {self._get_name()}:\n\t"
                + "\n\t".join(errors)
            )
        with no_grad():
            for target, array in updates:  # copy only after every key checked: all or nothing
                target.data[...] = array.astype(target.dtype, copy=False)
        return _IncompatibleKeys(missing, unexpected)

    # ----- repr -------------------------------------------------------------------------
    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        """The one-line summary of this module's settings shown inside its repr."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [
            f"({key}): " + _addindent(repr(module), 2) for key, module in self._modules.items()
        ]
        lines = extra_lines + child_lines
        body = ""
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                body = extra_lines[0]
            else:
                body = "\n  " + "\n  ".join(lines) + "\n"
        return f"{self._get_name()}({body})"
