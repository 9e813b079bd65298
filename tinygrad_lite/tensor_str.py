"""``repr`` of a Tensor in PyTorch's format (``torch/_tensor_str.py``, default print options).

Floats: all whole numbers print as ``1.``; otherwise 4 decimals (``0.7616``); scientific
notation (``1.0000e-05``) when the nonzero magnitudes span more than 1000x, exceed 1e8 or go
below 1e-4.  Elements are right-aligned to a common width, rows wrap at 80 columns, and tensors
with more than 1000 elements are summarised with ``...`` (3 items at each edge).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

PRECISION = 4
LINEWIDTH = 80
THRESHOLD = 1000
EDGEITEMS = 3
_DEFAULT_DTYPES = (np.dtype(np.float32), np.dtype(np.int64), np.dtype(np.bool_))


class _Formatter:
    """Chooses int/fixed/scientific mode and the common width from the values shown."""

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind in "fc"
        self.int_mode, self.sci_mode, self.width = True, False, 1
        flat = values.ravel()
        if not self.floating:
            for v in flat:
                self.width = max(self.width, len(str(v.item())))
            return
        finite = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if finite.size == 0:
            return
        mag = np.abs(finite)
        lo, hi = float(mag.min()), float(mag.max())
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        if self.int_mode:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8
        else:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        for v in finite:
            self.width = max(self.width, len(self._plain(float(v))))

    def _plain(self, v: float) -> str:
        if self.sci_mode:
            return f"{v:.{PRECISION}e}"
        if self.int_mode:
            return f"{v:.0f}" + ("" if math.isinf(v) or math.isnan(v) else ".")
        return f"{v:.{PRECISION}f}"

    def format(self, value: Any) -> str:
        """One element, right-aligned to the common width."""
        text = self._plain(float(value)) if self.floating else str(value.item())
        return text.rjust(self.width)


def _summarized(data: np.ndarray) -> np.ndarray:
    """Only the elements that will be printed (edges of every dimension)."""
    if data.ndim == 0:
        return data
    if data.shape[0] > 2 * EDGEITEMS:
        data = np.concatenate([data[:EDGEITEMS], data[-EDGEITEMS:]])
    return np.stack([_summarized(x) for x in data]) if data.ndim > 1 else data


def _body(data: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if data.ndim == 0:
        return fmt.format(data)
    n = data.shape[0]
    cut = summarize and n > 2 * EDGEITEMS
    if data.ndim == 1:
        items = [fmt.format(v) for v in data]
        if cut:
            items = items[:EDGEITEMS] + [" ..."] + items[-EDGEITEMS:]
        per_line = max(1, (LINEWIDTH - indent) // (fmt.width + 2))
        lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"
    rows = [data[i] for i in range(n)]
    if cut:
        parts = [_body(r, indent + 1, summarize, fmt) for r in rows[:EDGEITEMS]]
        parts += ["..."]
        parts += [_body(r, indent + 1, summarize, fmt) for r in rows[-EDGEITEMS:]]
    else:
        parts = [_body(r, indent + 1, summarize, fmt) for r in rows]
    return "[" + ("," + "\n" * (data.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _add_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    out = [text]
    last_line = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line + len(suffix) + 2 > LINEWIDTH:
            out.append(",\n" + " " * indent + suffix)
            last_line = indent + len(suffix)
        else:
            out.append(", " + suffix)
            last_line += len(suffix) + 2
    return "".join(out) + ")"


def format_repr(t: Any) -> str:
    """``tensor([1., 2.], requires_grad=True)``, ``tensor(0.5000, grad_fn=<MulBackward>)``."""
    data = t.data
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    if data.size == 0:
        body = "[]"
        if data.shape != (0,):
            suffixes.append(f"size={tuple(data.shape)}")
        # no elements to infer an int64 or bool dtype from: shown unless float32, as PyTorch
        if data.dtype != _DEFAULT_DTYPES[0]:
            suffixes.append(f"dtype={data.dtype}")
    else:
        summarize = data.size > THRESHOLD
        fmt = _Formatter(_summarized(data) if summarize else data)
        body = _body(data, indent, summarize, fmt)
        if data.dtype not in _DEFAULT_DTYPES:
            suffixes.append(f"dtype={data.dtype}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
