"""Containers: ``Sequential``, ``ModuleList`` and ``ModuleDict`` (PyTorch's semantics).

Children are registered under their position (``"0"``, ``"1"``, ...) or given key, so
``state_dict`` keys read ``layers.0.weight`` exactly as in PyTorch.
"""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from tinygrad_lite.nn.modules.activation import ReLU
from tinygrad_lite.nn.modules.module import Module, _addindent
from tinygrad_lite.nn.modules.pooling import MaxPool2d


def _index(idx: Any, n: int, what: str) -> int:
    """Normalise a (possibly negative) integer index into ``range(n)``."""
    i = operator.index(idx)
    if not -n <= i < n:
        raise IndexError(f"{what}: index {i} is out of range for length {n}")
    return i + n if i < 0 else i


def relu_pool_commute(first: Module, second: Module) -> bool:
    """Whether ``second(first(x))`` may run as ``first(second(x))``: a plain ``ReLU`` (not
    ``inplace=True``, which promises to overwrite its input) then a ``MaxPool2d`` that returns no
    indices, neither with forward hooks (a hook would see the other order's tensors)."""
    return (
        type(first) is ReLU
        and not first.inplace
        and type(second) is MaxPool2d
        and not second.return_indices
        and not (first._forward_pre_hooks or first._forward_hooks)
        and not (second._forward_pre_hooks or second._forward_hooks)
    )


class Sequential(Module):
    """Run modules one after another: ``Sequential(m1, m2)(x) == m2(m1(x))``.

    Build it from positional modules (named ``"0"``, ``"1"``, ...) or from one
    ``OrderedDict`` of named modules.  Supports ``len``, iteration, indexing (a slice gives a
    ``Sequential``), ``append``.

    >>> import tinygrad_lite as tl
    >>> net = tl.nn.Sequential(tl.nn.Linear(4, 3), tl.nn.ReLU())
    >>> len(net), list(net.state_dict())
    (2, ['0.weight', '0.bias'])
    """

    def __init__(self, *args: Any) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for key, module in args[0].items():
                self.add_module(key, module)
        else:
            for i, module in enumerate(args):
                self.add_module(str(i), module)

    def forward(self, input: Any) -> Any:
        r"""Apply each module in order.

        A ``ReLU`` directly followed by a ``MaxPool2d`` runs as max-pool first, then ReLU on
        the pooled (a quarter as large, for 2x2) output: $\max_W \mathrm{relu}(x) =
        \mathrm{relu}(\max_W x)$ exactly, and the gradients are equal too (both route to the
        window's first maximum, and both are zero where the window holds no positive value; a
        NaN routes to the window's last NaN either way).  See :func:`relu_pool_commute`.
        """
        modules = list(self._modules.values())
        i, n = 0, len(modules)
        while i < n:
            if i + 1 < n and relu_pool_commute(modules[i], modules[i + 1]):
                input = modules[i](modules[i + 1](input))
                i += 2
            else:
                input = modules[i](input)
                i += 1
        return input

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, idx: Any) -> Any:
        if isinstance(idx, slice):
            return type(self)(OrderedDict(list(self._modules.items())[idx]))
        return list(self._modules.values())[_index(idx, len(self), "Sequential")]

    def __setitem__(self, idx: int, module: Module) -> None:
        key = list(self._modules)[_index(idx, len(self), "Sequential")]
        self.add_module(key, module)

    def __delitem__(self, idx: Any) -> None:
        keys = list(self._modules)
        if isinstance(idx, slice):
            doomed = keys[idx]
        else:
            doomed = [keys[_index(idx, len(self), "Sequential")]]
        for key in doomed:
            del self._modules[key]
        self._renumber()

    def _renumber(self) -> None:
        """Name the children "0", "1", ... again (PyTorch does so after a deletion)."""
        items = list(self._modules.values())
        self._modules.clear()
        for i, module in enumerate(items):
            self._modules[str(i)] = module

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> Sequential:
        """Append every module of an iterable."""
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> Sequential:
        """Insert ``module`` before position ``index`` (children are renumbered)."""
        if not isinstance(module, Module):
            raise TypeError(f"Sequential.insert: expected a Module, got {type(module).__name__}")
        n = len(self)
        if not -n <= index <= n:
            raise IndexError(f"Sequential.insert: index {index} is out of range for length {n}")
        items = list(self._modules.values())
        items.insert(index + n if index < 0 else index, module)
        self._modules.clear()
        for i, m in enumerate(items):
            self._modules[str(i)] = m
        return self

    def pop(self, index: int = -1) -> Module:
        """Remove and return the module at ``index``."""
        module = self[index]
        del self[index]
        return module


class ModuleList(Module):
    """A list of modules whose parameters the parent module sees (``layers.0.weight``).

    >>> import tinygrad_lite as tl
    >>> blocks = tl.nn.ModuleList([tl.nn.Linear(2, 2) for _ in range(3)])
    >>> blocks.append(tl.nn.Tanh())
    ModuleList(
      (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)
      (3): Tanh()
    )
    >>> len(blocks)
    4
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, idx: Any) -> Any:
        if isinstance(idx, slice):
            return type(self)(list(self._modules.values())[idx])
        return self._modules[str(_index(idx, len(self), "ModuleList"))]

    def __setitem__(self, idx: int, module: Module) -> None:
        self.add_module(str(_index(idx, len(self), "ModuleList")), module)

    def __delitem__(self, idx: Any) -> None:
        items = list(self._modules.values())
        if isinstance(idx, slice):
            del items[idx]
        else:
            del items[_index(idx, len(self), "ModuleList")]
        self._modules.clear()
        for i, module in enumerate(items):
            self._modules[str(i)] = module

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def append(self, module: Module) -> ModuleList:
        """Add ``module`` at the end."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Append every module of an iterable."""
        if isinstance(modules, (str, bytes)) or not isinstance(modules, Iterable):
            raise TypeError(
                f"ModuleList.extend should be called with an iterable, but got "
                f"{type(modules).__name__}"
            )
        for module in modules:
            self.append(module)
        return self

    def __repr__(self) -> str:
        # PyTorch's compact form: runs of identical reprs print once as "(i-j): n x ..."
        reprs = [repr(m) for m in self]
        if not reprs:
            return self._get_name() + "()"
        runs: list[list[Any]] = []
        for i, text in enumerate(reprs):
            if runs and runs[-1][2] == text:
                runs[-1][1] = i
            else:
                runs.append([i, i, text])
        lines = []
        for start, end, text in runs:
            head = f"({start}): " if start == end else f"({start}-{end}): {end - start + 1} x "
            lines.append(_addindent(head + text, 2))
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"

    def insert(self, index: int, module: Module) -> None:
        """Insert ``module`` before position ``index``."""
        items = list(self._modules.values())
        items.insert(index, module)
        self._modules.clear()
        for i, m in enumerate(items):
            self.add_module(str(i), m)


class ModuleDict(Module):
    """An ordered dict of modules, registered under their keys.

    >>> import tinygrad_lite as tl
    >>> heads = tl.nn.ModuleDict({"cls": tl.nn.Linear(4, 2), "reg": tl.nn.Linear(4, 1)})
    >>> list(heads.keys()), list(heads.state_dict())[:2]
    (['cls', 'reg'], ['cls.weight', 'cls.bias'])
    """

    def __init__(self, modules: Mapping[str, Module] | Iterable[Any] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def keys(self) -> Iterable[str]:
        """The keys, in insertion order."""
        return self._modules.keys()

    def items(self) -> Iterable[tuple[str, Module]]:
        """``(key, module)`` pairs, in insertion order."""
        return self._modules.items()

    def values(self) -> Iterable[Module]:
        """The modules, in insertion order."""
        return self._modules.values()

    def pop(self, key: str) -> Module:
        """Remove ``key`` and return its module."""
        module = self[key]
        del self[key]
        return module

    def clear(self) -> None:
        """Remove every module."""
        self._modules.clear()

    def update(self, modules: Mapping[str, Module] | Iterable[Any]) -> None:
        """Add modules from a mapping or from an iterable of ``(key, module)`` pairs."""
        pairs = modules.items() if isinstance(modules, Mapping) else modules
        for key, module in pairs:
            self[key] = module
