"""Checks behind ``Optimizer.load_state_dict``: every loaded value is validated and converted
here first, so that a load that fails leaves the optimizer exactly as it was (issue 12)."""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_lite.tensor import Tensor


def is_index(value: Any) -> bool:
    """An integer parameter index (a Python/numpy int, or a string of one from a JSON file)."""
    if isinstance(value, str):
        return value.lstrip("-").isdigit()
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_hyperparameter(key: str, current: Any, loaded: Any) -> None:
    """A loaded hyperparameter must be of the kind the optimizer holds: a number for a number
    (``lr``), a bool for a bool (``nesterov``), a sequence of numbers of the same length for
    a sequence (``betas``); ``ValueError`` naming it otherwise."""
    def number(v: Any) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    if isinstance(current, bool):
        ok = isinstance(loaded, bool)
    elif number(current):
        ok = number(loaded)
    elif isinstance(current, (tuple, list)):
        ok = isinstance(loaded, (tuple, list)) and len(loaded) == len(current) and all(
            number(v) for v in loaded
        )
    else:
        return
    if not ok:
        raise ValueError(
            f"load_state_dict: hyperparameter {key!r} should be like {current!r}, got {loaded!r}"
        )


def cast_state(value: Any, param: Tensor, where: str) -> Any:
    """A loaded state entry: arrays become Tensors of the parameter's dtype (and must have
    its shape), scalars floats; ``ValueError`` naming ``where`` for anything else."""
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, (np.ndarray, np.generic)):
        if value.dtype.kind not in "biuf":
            raise ValueError(f"load_state_dict: {where} has dtype {value.dtype}, not a number")
        if value.ndim == 0:
            return float(value)
        if value.shape != param.data.shape:
            raise ValueError(
                f"load_state_dict: {where} has shape {value.shape} but its parameter has shape "
                f"{param.data.shape}"
            )
        arr = np.array(value, dtype=param.data.dtype if value.dtype.kind == "f" else None)
        return Tensor._make(arr, None)
    if value is not None and not isinstance(value, (int, float)):
        raise ValueError(
            f"load_state_dict: {where} is a {type(value).__name__}, expected an array or a number"
        )
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def as_python(key: str, value: Any) -> Any:
    """A loaded hyperparameter as the plain Python value ``__init__`` would have stored."""
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, np.ndarray) and value.ndim > 0 or isinstance(value, (list, tuple)):
        items = [as_python(key, v) for v in value]
        return tuple(items) if key == "betas" else items
    if isinstance(value, (np.ndarray, np.generic)):
        return value.item()
    return value
