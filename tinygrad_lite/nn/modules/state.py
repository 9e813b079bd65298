"""A module's state: ``state_dict`` collection and loading, and dtype casts (PyTorch's rules).

``collect`` walks the module tree in definition order and yields, per module, its parameters
then its persistent buffers under dotted keys (``features.0.weight``,
``bn.num_batches_tracked``), exactly PyTorch's keys and order.  ``load`` checks every key and
shape first and copies only when all is well, so a failed load never half-updates a model.
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from typing import TYPE_CHECKING, Any

import numpy as np

from tinygrad_lite.argcheck import NUMERIC_KINDS, to_argument
from tinygrad_lite.autograd.grad_mode import no_grad
from tinygrad_lite.autograd.version import mark_dirty
from tinygrad_lite.tensor import Tensor

if TYPE_CHECKING:
    from tinygrad_lite.nn.modules.module import Module

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


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


def collect(
    module: Module, destination: dict[str, Any] | None, prefix: str, keep_vars: bool
) -> OrderedDict[str, Tensor]:
    """``module.state_dict(destination, prefix, keep_vars)``."""
    if destination is None:
        destination = OrderedDict()
    for path, sub in module.named_modules(remove_duplicate=False):
        dotted = prefix + (path + "." if path else "")
        for name, param in sub._parameters.items():
            if param is not None:
                destination[dotted + name] = param if keep_vars else param.detach()
        for name, buf in sub._buffers.items():
            if buf is not None and name not in sub._non_persistent_buffers_set:
                destination[dotted + name] = buf if keep_vars else buf.detach()
    return destination  # type: ignore[return-value]


def load(module: Module, state_dict: Any, strict: bool, assign: bool = False) -> IncompatibleKeys:
    """``module.load_state_dict(state_dict, strict, assign)``: check and convert every value
    first, then write them all (``assign``: take the arrays themselves), so a failed load --
    a missing key, a wrong shape, a value that cannot be cast -- changes nothing."""
    if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
        raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict).__name__}.")
    expected = collect(module, None, "", keep_vars=True)
    missing = [k for k in expected if k not in state_dict]
    unexpected = [k for k in state_dict.keys() if k not in expected]
    errors = []
    updates = []
    for key, target in expected.items():
        if key not in state_dict:
            continue
        try:
            array = _as_array(state_dict[key])
        except TypeError as e:
            errors.append(f'While copying the parameter named "{key}": {e}.')
            continue
        if array.shape != target.shape:
            errors.append(
                f"size mismatch for {key}: copying a param with shape {array.shape} from "
                f"checkpoint, the shape in current model is {target.shape}."
            )
            continue
        if array.dtype.kind not in NUMERIC_KINDS:
            errors.append(f'While copying the parameter named "{key}": expected numbers, got '
                          f"an array of dtype {array.dtype}.")  # fmt: skip
            continue
        if assign and target.requires_grad and array.dtype.kind not in "fc":
            errors.append(f"{key}: assign=True needs a floating point array for a parameter "
                          f"that requires grad, got {array.dtype}.")  # fmt: skip
            continue
        if not assign:  # convert now: a cast that fails must fail before anything is written
            try:
                with np.errstate(all="ignore"):
                    array = array.astype(target.dtype, copy=False)
            except (TypeError, ValueError) as e:
                errors.append(f'While copying the parameter named "{key}": cannot convert '
                              f"{array.dtype} to {target.dtype}: {e}.")  # fmt: skip
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
            f"Error(s) in loading state_dict for {type(module).__name__}:\n\t"
            + "\n\t".join(errors)
        )
    write_state(updates, assign)
    return IncompatibleKeys(missing, unexpected)


def write_state(updates: list[tuple[Tensor, np.ndarray]], assign: bool) -> None:
    """The one place a state load writes into a module: each ``(tensor, array)`` pair, already
    checked and converted to the tensor's shape and dtype, is copied into the tensor's array in
    place (``assign``: the tensor takes the array itself).  Runs only after every value has
    been checked, so a load is all or nothing."""
    with no_grad():
        for target, array in updates:
            if assign:
                target.data = array
            else:
                target.data[...] = array
            mark_dirty(target)  # versioned: a graph that saved the old values refuses backward


def parse_to_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> np.dtype | None:
    """The dtype asked for by ``Module.to(...)`` (``None``: none); devices must be the CPU."""
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    dtype = None if dtype is None else to_argument("Module.to", dtype)
    if device is not None and to_argument("Module.to", device) is not None:
        raise TypeError(f"Module.to: device must be a device, got {device!r}")
    for arg in args:
        asked = to_argument("Module.to", arg)
        dtype = asked if asked is not None else dtype
    if dtype is None:
        return None
    if dtype.kind not in "fc":
        raise TypeError(
            f"nn.Module.to only accepts floating point or complex dtypes, but got "
            f"desired dtype={dtype}"
        )
    return dtype


def cast_floats(module: Module, dtype: np.dtype) -> Module:
    """Cast every floating point parameter, buffer and gradient in place to ``dtype``.

    The Tensor objects stay the same (only their arrays change), so optimizers keep working.
    """
    for sub in module.modules():
        for registry in (sub._parameters, sub._buffers):
            for value in registry.values():
                if value is None or value.dtype.kind not in "fc" or value.dtype == dtype:
                    continue
                value.data = value.data.astype(dtype)
                if value.grad is not None:
                    value.grad = Tensor._make(value.grad.data.astype(dtype), None)
    return module
