"""Node labels of the graph picture: numbers, summaries, saved values, gradient problems.

Labels are Graphviz HTML-like labels (``<...>``), so every piece of text is escaped here.
"""

from __future__ import annotations

import numpy as np

from tinygrad_lite.autograd.function import FREED, Function
from tinygrad_lite.tensor import Tensor

__all__ = [
    "escape", "html", "describe_array", "grad_problem", "array_problem", "saved_lines",
    "shape_text",
]

SMALL = 8  # tensors with at most this many elements print every number

FILL = {
    "op": "#e8e8e8",
    "leaf": "#cfe2f3",
    "inner": "#fff2cc",
    "output": "#d9ead3",
    "nan": "#ff8080",
    "zero": "#ffb347",
    "dead": "#ffb347",
    "done": "#b6d7a8",
}
PROBLEMS = {
    "nan": "grad has NaN/Inf",
    "zero": "grad is all zero (dead unit?)",
    "dead": "ReLU units never active over the batch",
}


def escape(text: str) -> str:
    """Escape ``text`` for a Graphviz HTML-like label (``&``, ``<``, ``>``, ``"``)."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def html(lines: list[str], bold_first: bool) -> str:
    """An HTML-like label: escaped lines separated by ``<BR/>``, the first one bold if asked."""
    parts = [escape(s) for s in lines]
    if bold_first and parts:
        parts[0] = f"<B>{parts[0]}</B>"
    return "<" + "<BR/>".join(parts) + ">"


def _num(v: float) -> str:
    """One number, micrograd style: four significant digits, ``2.000``, ``-0.1235``."""
    return f"{v + 0.0:#.4g}" if np.isfinite(v) else str(v)  # + 0.0 turns -0.0 into 0.0


def describe_array(prefix: str, arr: np.ndarray) -> list[str]:
    """Lines describing ``arr``: every number when small, else mean/std/min/max.

    >>> describe_array("data", np.array([1.0, -2.5]))
    ['data [1.000, -2.500]']
    >>> describe_array("grad", np.zeros((10, 10)))
    ['grad mean 0.000 std 0.000', 'grad min 0.000 max 0.000']
    >>> describe_array("data", np.array([3, 1]))  # integers (labels) print as integers
    ['data [3, 1]']
    """
    a = np.asarray(arr)
    if a.size <= SMALL:
        num = (lambda v: str(v.item())) if a.dtype.kind in "biu" else (lambda v: _num(float(v)))
        if a.ndim == 0:
            return [f"{prefix} {num(a)}"]
        rows = a.reshape(-1, a.shape[-1]) if a.ndim > 1 else a.reshape(1, -1)
        return [f"{prefix} [" + ", ".join(num(v) for v in row) + "]" for row in rows]
    if a.dtype.kind == "b":
        a = a.astype(np.float64)
    finite = np.isfinite(a)
    lines = []
    if not finite.all():
        lines.append(f"{prefix} non-finite: {int(a.size - finite.sum())} of {a.size}")
        a = a[finite]
        if a.size == 0:
            return lines
    lines.append(f"{prefix} mean {_num(float(a.mean()))} std {_num(float(a.std()))}")
    lines.append(f"{prefix} min {_num(float(a.min()))} max {_num(float(a.max()))}")
    return lines


def grad_problem(t: Tensor) -> str | None:
    """``'nan'`` if ``t.grad`` holds NaN/Inf, ``'zero'`` if it is all zero, else None."""
    return None if t.grad is None else array_problem(t.grad.data)


def array_problem(g: np.ndarray | None) -> str | None:
    """``'nan'`` for a gradient holding NaN/Inf; ``'zero'`` for a whole gradient of several
    elements that is zero (a diagnosis: nothing reaches that tensor); else None.

    A single zero number is no diagnosis: in ``x * w`` with ``x = 0``, ``w``'s gradient is 0
    and nothing is wrong.
    """
    if g is None:
        return None
    g = np.asarray(g)
    if g.size == 0:
        return None
    if not np.isfinite(g).all():
        return "nan"
    if g.size > 1 and not g.any():
        return "zero"
    return None


def shape_text(shape: tuple[int, ...]) -> str:
    """``(2, 3)``, ``(4,)``, ``()``: a shape as PyTorch prints it."""
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def saved_lines(fn: Function) -> list[str]:
    """What ``fn`` keeps for backward: shapes of saved arrays (``input 0``, ``output``...)."""
    saved = fn.saved
    if saved is FREED:
        return ["saved: (freed)"]
    if not saved:
        return ["saved: nothing"]
    out_id = getattr(fn, "out_id", None)
    lines = []
    for s in saved:
        if isinstance(s, np.ndarray):
            role = "array "
            if id(s) == out_id:
                role = "output "
            else:
                for i, p in enumerate(fn.parents):
                    if p is None:
                        continue
                    pid = getattr(p, "out_id", None) if isinstance(p, Function) else id(p.data)
                    if pid == id(s):
                        role = f"input {i} "
                        break
            lines.append(f"saved: {role}{shape_text(s.shape)} {s.dtype}")
        else:
            text = repr(s)
            lines.append("saved: const " + (text if len(text) <= 40 else text[:37] + "..."))
    return lines
