r"""``Optimizer``: the base class of every optimizer, PyTorch's structure without its dispatch.

An optimizer holds ``param_groups`` (a list of dicts: the ``'params'`` list plus that group's
hyperparameters, defaults filled in from ``defaults``) and ``state`` (a dict from parameter to
its per-parameter state: step count, moment buffers).  ``step`` walks the groups and calls the
subclass's ``_update`` once per parameter that has a gradient; ``_update`` does a handful of
vectorised in-place numpy operations on the parameter's array and its state arrays, so a step
allocates nothing that lives beyond the call.

``state_dict()`` has PyTorch's layout: parameters are referred to by their integer position
(counted across groups in order), ``'state'`` is keyed by that index, ``'param_groups'`` holds
each group's hyperparameters with ``'params'`` a list of indices.  A state dict saved by PyTorch
(converted to numpy) loads here and the other way round.

The small helpers at the bottom (``add_``, ``addcmul_``, ``addcdiv_``, ``lerp_``) are PyTorch's
in-place arithmetic spelled in numpy, so each optimizer's ``_update`` reads line by line like
``torch.optim``'s single-tensor code and rounds the same way.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from tinygrad_lite.autograd.fp import quiet
from tinygrad_lite.autograd.grad_mode import enable_grad, no_grad
from tinygrad_lite.autograd.version import mark_dirty
from tinygrad_lite.optim.state_checks import as_python, cast_state, check_hyperparameter, is_index
from tinygrad_lite.tensor import Tensor

_SET_ERROR = (
    "optimizer parameters need to be organized in ordered collections, but the ordering of "
    "tensors in sets will change between runs. Please use a list instead."
)
ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]] | Iterable[tuple[str, Tensor]]


class Optimizer:
    r"""Base class for all optimizers (``torch.optim.Optimizer``).

    Subclasses pass their hyperparameter ``defaults`` and implement
    ``_update(param, grad, state, group)``, where ``param`` and ``grad`` are the numpy arrays of
    one parameter and its gradient and ``state`` is that parameter's state dict (empty on the
    first step).  ``_update`` must change ``param`` in place and never write into ``grad``.

    >>> import tinygrad_lite as tl
    >>> w = tl.tensor([1.0, -2.0], dtype=tl.float64, requires_grad=True)
    >>> opt = tl.optim.SGD([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()  # w - 0.1 * 2w
    >>> w.tolist()
    [0.8, -1.6]
    """

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got {type(params).__name__}"
            )
        if isinstance(params, set):
            raise TypeError(_SET_ERROR)
        self.defaults = defaults
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key not in ("params", "param_names"):
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)

    # ----- parameter groups -------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyperparameters (missing ones take defaults).

        ``param_group['params']`` is a Tensor, a list of Tensors, or a list of
        ``(name, Tensor)`` pairs (as from ``named_parameters()``).
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(_SET_ERROR)
        tensors, names = [], []
        for item in params:
            if isinstance(item, tuple):
                names.append(item[0])
                item = item[1]
            tensors.append(item)
        if names and len(names) != len(tensors):
            raise ValueError(
                "all optimizer params should be with/without names. Some param names are missing"
            )
        for p in tensors:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but one of the params is "
                    f"{type(p).__name__}"
                )
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        group = dict(param_group)
        group["params"] = tensors
        if names:
            group["param_names"] = names
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in tensors):
            raise ValueError("some parameters appear in more than one parameter group")
        if len({id(p) for p in tensors}) != len(tensors):
            raise ValueError("optimizer contains a parameter group with duplicate parameters")
        self.param_groups.append(group)

    # ----- the step ---------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients: to ``None`` (default) or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad = p.grad.detach()
                    p.grad.zero_()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; parameters whose ``grad`` is None are
        skipped (their state is not touched).

        ``closure`` (optional) re-evaluates the model and returns the loss; it is run with
        gradients enabled before the update, and its loss is returned.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad(), quiet():  # an inf/nan gradient gives inf/nan silently, as PyTorch
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    self._update(p.data, p.grad.data, self.state[p], group)
                    mark_dirty(p)  # a versioned in-place write: graphs that saved p refuse
        return loss

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not implement _update")

    # ----- checkpoints ------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state in PyTorch's layout (state tensors are shared, not copied).

        ``{'state': {index: {name: Tensor | float}}, 'param_groups': [{..., 'params': [index]}]}``
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: s for p, s in self.state.items() if id(p) in index and s}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state dict from ``state_dict()`` (ours or PyTorch's, as numpy/Tensors).

        State arrays are copied and cast to their parameter's dtype; ``'step'`` and other
        scalars become Python floats; a saved group's hyperparameters replace the current ones.
        Everything is checked and converted before anything is replaced: a state dict that
        does not fit (a moment buffer of the wrong shape, a string learning rate, a parameter
        index that does not exist) raises ``ValueError`` and leaves the optimizer unchanged.
        """
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise TypeError(
                f"load_state_dict: expected a dict, got {type(state_dict).__name__}"
            )
        for key in ("state", "param_groups"):
            if key not in state_dict:
                raise ValueError(f"load_state_dict: the state dict has no {key!r} entry")
        saved_groups = state_dict["param_groups"]
        if not isinstance(saved_groups, (list, tuple)):
            raise ValueError("load_state_dict: 'param_groups' must be a list of dicts")
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        saved_groups = copy.deepcopy(list(saved_groups))  # the caller's lists stay theirs
        id_map: dict[int, Tensor] = {}
        for group, saved in zip(self.param_groups, saved_groups):
            ids = saved.get("params") if isinstance(saved, dict) else None
            if not isinstance(ids, (list, tuple)) or not all(is_index(i) for i in ids):
                raise ValueError(
                    "load_state_dict: each saved param group must be a dict whose 'params' is "
                    "a list of integer indices"
                )
            if len(group["params"]) != len(ids):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match the size "
                    "of optimizer's group"
                )
            id_map.update((int(i), p) for i, p in zip(ids, group["params"]))
        saved_state = state_dict["state"]
        if not hasattr(saved_state, "items"):
            raise ValueError("load_state_dict: 'state' must be a dict keyed by parameter index")
        new_state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for key, value in saved_state.items():
            param = id_map.get(int(key)) if is_index(key) else None
            if param is None:
                raise ValueError(f"load_state_dict: state for unknown parameter index {key!r}")
            if not hasattr(value, "items"):
                raise ValueError(f"load_state_dict: state[{key!r}] must be a dict")
            new_state[param] = {
                k: cast_state(v, param, f"state[{key!r}][{k!r}]") for k, v in value.items()
            }
        new_groups = []
        for group, saved in zip(self.param_groups, saved_groups):
            new = {}
            for k, v in saved.items():
                new[k] = as_python(k, v)
                if k in group and k != "params":
                    check_hyperparameter(k, group[k], new[k])
            new["params"] = group["params"]
            if "param_names" in group and "param_names" not in new:
                new["param_names"] = group["param_names"]
            new_groups.append(new)
        self.state = new_state  # every check passed: replace both at once
        self.param_groups = new_groups


def check_non_negative(value: float, message: str) -> None:
    """Raise ``ValueError(f"{message}: {value}")`` unless ``value >= 0`` (NaN fails too), and
    ``TypeError`` naming it for a value that is not a real number (a string, None)."""
    _check_real(value, message)
    if not value >= 0.0:
        raise ValueError(f"{message}: {value}")


def check_betas(betas: tuple[float, float]) -> tuple[float, float]:
    """Validate Adam-style ``betas``: two numbers, each in [0, 1)."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"Invalid betas: expected two values, got {betas}")
    for i, beta in enumerate(betas):
        _check_real(beta, f"Invalid beta parameter at index {i}")
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta}")
    return (float(betas[0]), float(betas[1]))


def _check_real(value: Any, message: str) -> None:
    """``TypeError`` unless ``value`` is a real number (a 0-d Tensor counts, as in PyTorch)."""
    if isinstance(value, Tensor) and value.data.size == 1:
        return
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"{message}: expected a number, got {type(value).__name__} {value!r}")


def state_tensor(array: np.ndarray) -> Tensor:
    """Wrap a state array (moment buffer) as a Tensor without copying, as PyTorch stores it."""
    return Tensor._make(array, None)


def zeros_state(param: np.ndarray, fill: float = 0.0) -> Tensor:
    """A new state Tensor shaped and typed like ``param``, filled with ``fill``."""
    return Tensor._make(np.full_like(param, fill), None)


# ----- PyTorch's in-place arithmetic in numpy (each at most one temporary) --------------------
def effective_grad(
    param: np.ndarray, grad: np.ndarray, weight_decay: float, maximize: bool
) -> np.ndarray:
    r"""$g \leftarrow \pm\nabla f + \lambda\theta$: the gradient, negated for ``maximize``, with
    L2 weight decay added (PyTorch's order).  Returns ``grad`` itself when nothing changes, so
    the caller must treat the result as read-only."""
    if weight_decay != 0:
        out = np.multiply(param, weight_decay)
        return np.subtract(out, grad, out=out) if maximize else np.add(grad, out, out=out)
    return np.negative(grad) if maximize else grad


def add_(y: np.ndarray, x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    r"""$y \leftarrow y + \alpha x$ in place (``Tensor.add_(x, alpha=alpha)``)."""
    if alpha == 1:
        return np.add(y, x, out=y)
    return np.add(y, np.multiply(x, alpha), out=y)


def addcmul_(
    y: np.ndarray, a: np.ndarray, b: np.ndarray, value: float = 1.0, tmp: np.ndarray | None = None
) -> np.ndarray:
    r"""$y \leftarrow y + v\,a b$ in place (``Tensor.addcmul_``); ``tmp``: optional scratch
    array shaped like ``y`` (spares an allocation)."""
    tmp = np.multiply(a, b, out=tmp)
    if value != 1:
        np.multiply(tmp, value, out=tmp)
    return np.add(y, tmp, out=y)


def addcdiv_(
    y: np.ndarray, a: np.ndarray, b: np.ndarray, value: float = 1.0, tmp: np.ndarray | None = None
) -> np.ndarray:
    r"""$y \leftarrow y + v\,a / b$ in place (``Tensor.addcdiv_``); ``tmp``: optional scratch
    array shaped like ``y`` (may be ``b`` itself)."""
    tmp = np.divide(a, b, out=tmp)
    if value != 1:
        np.multiply(tmp, value, out=tmp)
    return np.add(y, tmp, out=y)


def lerp_(
    y: np.ndarray, end: np.ndarray, weight: float, tmp: np.ndarray | None = None
) -> np.ndarray:
    r"""$y \leftarrow y + w\,(e - y)$ in place, with PyTorch's two-sided formula
    ($e - (e - y)(1 - w)$ when $w \ge 1/2$) so results round as ``Tensor.lerp_`` does.
    ``tmp``: optional scratch array shaped like ``y``."""
    diff = np.subtract(end, y, out=tmp)
    if weight < 0.5:
        return np.add(y, np.multiply(diff, weight, out=diff), out=y)
    np.multiply(diff, 1.0 - weight, out=diff)
    return np.subtract(end, diff, out=y)
