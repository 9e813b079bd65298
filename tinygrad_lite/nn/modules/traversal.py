"""Walking a module tree: descendants, children, and named parameters or buffers.

The walks behind :meth:`Module.named_modules`, :meth:`Module.named_children`,
:meth:`Module.named_parameters` / :meth:`Module.named_buffers` and
:meth:`Module.get_submodule`.  Each follows definition order (the registries are ordered
dicts), so qualified names (``features.0.weight``) and their order match PyTorch's; a module or
tensor shared by two parents is yielded once unless ``remove_duplicate=False``.  The descent is
iterative (an explicit stack), so very deep nets never hit Python's recursion limit.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tinygrad_lite.nn.modules.module import Module
    from tinygrad_lite.tensor import Tensor


def _join(prefix: str, name: str) -> str:
    """``prefix.name``, or ``name`` at the root."""
    return prefix + ("." if prefix else "") + name


def named_modules(
    module: Module, memo: set[int] | None, prefix: str, remove_duplicate: bool
) -> Iterator[tuple[str, Module]]:
    """``(qualified_name, module)`` for ``module`` and all its descendants, in pre-order."""
    if memo is None:
        memo = set()
    stack: list[tuple[str, Module]] = [(prefix, module)]
    while stack:
        name, current = stack.pop()
        if remove_duplicate:
            if id(current) in memo:
                continue
            memo.add(id(current))
        yield name, current
        children = [
            (_join(name, child_name), child)
            for child_name, child in current._modules.items()
            if child is not None
        ]
        stack.extend(reversed(children))


def named_children(module: Module) -> Iterator[tuple[str, Module]]:
    """``(name, child)`` for the immediate children, each child once."""
    seen: set[int] = set()
    for name, child in module._modules.items():
        if child is not None and id(child) not in seen:
            seen.add(id(child))
            yield name, child


def named_members(
    module: Module, registry: str, prefix: str, recurse: bool, remove_duplicate: bool
) -> Iterator[tuple[str, Tensor]]:
    """``(qualified_name, tensor)`` for the entries of ``registry`` (``"_parameters"`` or
    ``"_buffers"``) of ``module`` and, with ``recurse``, of its descendants; ``None`` entries
    (declared but absent) are skipped."""
    seen: set[int] = set()
    modules = (
        named_modules(module, None, prefix, remove_duplicate) if recurse else [(prefix, module)]
    )
    for module_prefix, owner in modules:
        for name, value in owner.__dict__[registry].items():
            if value is None:
                continue
            if remove_duplicate:
                if id(value) in seen:
                    continue
                seen.add(id(value))
            yield _join(module_prefix, name), value


def get_submodule(module: Module, target: str) -> Module:
    """The descendant of ``module`` at the dotted path ``target``; ``""`` is ``module``."""
    current = module
    for item in target.split(".") if target else []:
        child = current._modules.get(item)
        if child is None:
            raise AttributeError(f"{current._get_name()} has no attribute `{item}`")
        current = child
    return current
