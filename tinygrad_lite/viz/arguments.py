"""What the picture functions accept: the roots to draw from and the names of parameters.

Shared by ``to_dot``/``draw_graph`` and the step-through pictures, so that every viz call reads
``root`` and ``params`` the same way and refuses anything else with the same message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tinygrad_lite.tensor import Tensor


def parameter_names(params: Any, op: str = "to_dot") -> dict[int, tuple[str, Tensor]]:
    """``{id(tensor): (name, tensor)}`` from a dict of tensors, a Module (``named_parameters``),
    or an iterable of ``(name, tensor)`` pairs (``model.named_parameters()`` itself)."""
    if params is None:
        return {}
    bad = TypeError(
        f"{op}: params must be a dict of name -> Tensor, a Module, or (name, Tensor) pairs, "
        f"got {type(params).__name__}"
    )
    if hasattr(params, "named_parameters"):
        items = list(params.named_parameters())
    elif isinstance(params, Mapping):
        items = list(params.items())
    elif isinstance(params, (str, bytes, Tensor)) or not hasattr(params, "__iter__"):
        raise bad
    else:
        items = list(params)
        if not all(isinstance(it, tuple) and len(it) == 2 for it in items):
            raise bad
    names: dict[int, tuple[str, Tensor]] = {}
    for name, t in items:
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: params[{name!r}] is a {type(t).__name__}, not a Tensor")
        names.setdefault(id(t), (str(name), t))
    return names


def as_roots(root: Any, op: str = "to_dot") -> list[Tensor]:
    """``root`` as a list of Tensors (a Tensor, or a list/tuple of them)."""
    if not isinstance(root, (list, tuple)):
        if not isinstance(root, Tensor):
            raise TypeError(
                f"{op}: root is a {type(root).__name__}; pass a Tensor or a list of Tensors"
            )
        return [root]
    roots = list(root)
    if not roots:
        raise ValueError(f"{op}: root is an empty list; pass a Tensor or a list of Tensors")
    for i, r in enumerate(roots):
        if not isinstance(r, Tensor):
            raise TypeError(f"{op}: root[{i}] is a {type(r).__name__}, not a Tensor")
    return roots
