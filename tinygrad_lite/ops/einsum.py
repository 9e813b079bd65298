r"""``einsum``: one primitive for every subscript string numpy accepts.

The equation is first made explicit (:func:`explicit_equation`): ``...`` becomes fresh letters
(right-aligned, broadcast as numpy does), and an implicit output becomes the ellipsis letters
followed by the letters used exactly once, in alphabetical order (uppercase first).  The sublist
form ``einsum(a, [0, 1], b, [1, 2], [0, 2])`` is translated to letters.  Size-1 dimensions
broadcast against a letter's size, as in PyTorch.

Backward of operand $k$ with subscripts $s_k$: the output gradient contracted with the other
operands onto the distinct letters of $s_k$ -- itself an einsum, so double backward needs no
new formula -- then

* letters of $s_k$ that appear nowhere else were summed over only in $x_k$: broadcast back;
* a letter repeated in $s_k$ (``'ii->i'``) reads a diagonal: the gradient goes back onto that
  diagonal, zeros elsewhere (an ``IndexAdd``);
* a size-1 dimension of $x_k$ broadcast to the letter's size: sum back to size 1.
"""

from __future__ import annotations

import string
from typing import Any

import numpy as np

from tinygrad_lite.autograd.function import NUMPY_NS, Function, raw
from tinygrad_lite.ops import elementwise as ew
from tinygrad_lite.tensor import Tensor

__all__ = ["Einsum", "einsum", "explicit_equation"]

_LETTERS = string.ascii_uppercase + string.ascii_lowercase


def _error(msg: str) -> RuntimeError:
    return RuntimeError(f"einsum(): {msg}")


def _from_sublists(args: tuple[Any, ...]) -> tuple[str, list[Any]]:
    """``(op0, sub0, op1, sub1, ..., [out])`` -> an equation string and the operands."""
    def letters(sub: Any) -> str:
        out = ""
        for s in sub:
            if s is Ellipsis:
                out += "..."
            elif isinstance(s, (int, np.integer)) and 0 <= s < 52:
                out += _LETTERS[s]
            else:
                raise _error(f"subscript in a sublist must be in [0, 52) or Ellipsis, got {s!r}")
        return out

    operands = list(args[0::2])
    subs = [letters(s) for s in args[1::2]]
    if len(args) % 2:  # a trailing output sublist
        operands = operands[:-1] if len(operands) > len(subs) else operands
        return ",".join(subs[: len(operands)]) + "->" + letters(args[-1]), operands
    return ",".join(subs), operands


def explicit_equation(equation: str, shapes: list[tuple[int, ...]]) -> str:
    """``equation`` with ellipses replaced by letters and the output made explicit."""
    eq = equation.replace(" ", "")
    if eq.count("->") > 1:
        raise _error(f"more than one '->' in the equation {equation!r}")
    lhs, arrow, out = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise _error(
            f"the equation {equation!r} has {len(terms)} operand(s) but {len(shapes)} "
            f"tensor(s) were given"
        )
    used = set()
    for t in terms + ([out] if arrow else []):
        rest = t.replace("...", "", 1)
        if "." in rest:
            raise _error(f"invalid ellipsis in the subscripts {t!r} (one '...' per term)")
        for c in rest:
            if c not in _LETTERS:
                raise _error(f"invalid subscript {c!r} given in the equation {equation!r}")
        used.update(rest)
    free = [c for c in _LETTERS if c not in used]
    n_ell = 0
    for t, shape in zip(terms, shapes):
        named = len(t.replace("...", ""))
        if "..." not in t and named != len(shape) or "..." in t and named > len(shape):
            raise _error(
                f"the number of subscripts in the equation ({named}) does not match the number "
                f"of dimensions ({len(shape)}) for operand {terms.index(t)}"
                + ("" if "..." in t else " and no ellipsis was given")
            )
        if "..." in t:
            n_ell = max(n_ell, len(shape) - named)
    ell = "".join(free[:n_ell])
    terms = [
        t.replace("...", ell[n_ell - (len(s) - len(t.replace("...", ""))) :])
        for t, s in zip(terms, shapes)
    ]
    if arrow:
        out = out.replace("...", ell)
    else:
        counts = {c: "".join(terms).count(c) for c in set("".join(terms)) - set(ell)}
        out = ell + "".join(sorted(c for c, k in counts.items() if k == 1))
    for c in out:
        if out.count(c) > 1:
            raise _error(f"output subscript {c} appears more than once in the output")
        if not any(c in t for t in terms):
            raise _error(f"output subscript {c} does not appear in the equation for any input")
    return ",".join(terms) + "->" + out


def _letter_sizes(terms: list[str], shapes: list[tuple[int, ...]]) -> dict[str, int]:
    """Each letter's size; size-1 dimensions broadcast, repeats in one operand must agree."""
    sizes: dict[str, int] = {}
    for k, (t, shape) in enumerate(zip(terms, shapes)):
        own: dict[str, int] = {}
        for c, n in zip(t, shape):
            if c in own and own[c] != n:
                raise _error(
                    f"subscript {c} is repeated for operand {k} but the sizes don't match, "
                    f"{own[c]} != {n}"
                )
            own[c] = n
            if sizes.get(c, 1) != 1 and n not in (1, sizes[c]):
                raise _error(
                    f"operands do not broadcast: subscript {c} has size {n} for operand {k} "
                    f"which does not broadcast with previously seen size {sizes[c]}"
                )
            if n != 1 or c not in sizes:
                sizes[c] = n
    return sizes


def _einsum(xp: Any, equation: str, *operands: Any) -> Any:
    """An explicit einsum in namespace ``xp``: numpy, or the :class:`Einsum` node."""
    if xp is NUMPY_NS:
        return np.einsum(equation, *operands, optimize=len(operands) > 1)
    return Einsum.apply(*operands, equation=equation)


class Einsum(Function):
    r"""$y = \mathrm{einsum}(\text{equation}, x_1, \dots, x_m)$ (an explicit equation).

    Backward: $\bar x_k$ = the einsum of $\bar y$ with the other operands onto $x_k$'s letters,
    broadcast over letters only $x_k$ has, put back on repeated-letter diagonals and summed over
    broadcast size-1 dimensions (module docstring).
    """

    def forward(self, *operands: np.ndarray, equation: str) -> np.ndarray:
        lhs, out = equation.split("->")
        terms = lhs.split(",")
        sizes = _letter_sizes(terms, [a.shape for a in operands])
        full = [np.broadcast_to(a, tuple(sizes[c] for c in t)) for a, t in zip(operands, terms)]
        y = np.asarray(np.einsum(equation, *full, optimize=len(full) > 1))
        if any(np.may_share_memory(y, a) for a in operands):  # 'ij->ji' returns a view
            y = y.copy()
        self.save_for_backward(*operands, terms, out, sizes)
        # operand i is read only by the other operands' gradients (its own needs its shape):
        # writing it in place refuses backward only if one of those is needed, as PyTorch's
        m = len(operands)
        self.saved_for = tuple(tuple(j for j in range(m) if j != i) for i in range(m))
        return y

    def backward(self, grad: Any) -> tuple[Any, ...]:
        *operands, terms, out, sizes = self.saved
        xp = self.xp
        full = [
            xp.broadcast_to(a, tuple(sizes[c] for c in t)) if raw(a).shape != tuple(
                sizes[c] for c in t) else a
            for a, t in zip(operands, terms)
        ]  # fmt: skip
        grads = []
        for k, need in enumerate(self.needs_input_grad):
            if not need:
                grads.append(None)
                continue
            grads.append(_operand_grad(xp, grad, full, terms, out, sizes, k, raw(operands[k])))
        return tuple(grads)


def _operand_grad(
    xp: Any, grad: Any, full: list[Any], terms: list[str], out: str, sizes: dict[str, int],
    k: int, x: np.ndarray,
) -> Any:
    """The gradient of operand ``k`` (see the module docstring)."""
    term = terms[k]
    uniq = "".join(dict.fromkeys(term))
    others = [t for j, t in enumerate(terms) if j != k]
    seen = set(out).union(*others)
    present = "".join(c for c in uniq if c in seen)
    g = _einsum(xp, ",".join([out, *others]) + "->" + present,
                grad, *[a for j, a in enumerate(full) if j != k])  # fmt: skip
    if len(present) < len(uniq):  # letters only this operand has: broadcast over them
        g = xp.reshape(g, tuple(sizes[c] if c in present else 1 for c in uniq))
        g = xp.broadcast_to(g, tuple(sizes[c] for c in uniq))
    shape = tuple(sizes[c] for c in term)
    if len(uniq) < len(term):  # repeated letters: back onto the diagonal
        grids = np.indices([sizes[c] for c in uniq], sparse=True)
        index = tuple(grids[uniq.index(c)] for c in term)
        g = xp.index_add(shape, index, g)
    if shape != x.shape:  # size-1 dimensions that broadcast
        axes = tuple(i for i, (n, s) in enumerate(zip(x.shape, shape)) if n != s)
        g = xp.sum(g, axes, keepdims=True)
    return g


def einsum(equation: Any, *operands: Any) -> Any:
    """Sum of products over the indices of ``equation`` (``torch.einsum``): every subscript form
    numpy accepts -- explicit or implicit output, ``...``, repeated letters (``'ii->i'``), the
    sublist form -- with operands as arguments or one list.  Dtypes promote as in PyTorch."""
    if not isinstance(equation, str):  # the sublist form
        equation, operands = _from_sublists((equation, *operands))
    elif len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    operands = list(operands)
    for i, t in enumerate(operands):
        if not isinstance(t, Tensor):
            raise TypeError(f"einsum(): operand {i} must be a Tensor, not {type(t).__name__}")
    if not operands:
        raise _error("must provide at least one operand")
    eq = explicit_equation(equation, [t.shape for t in operands])
    dtype = ew.result_dtype_n(*[t.data for t in operands])
    operands = [ew.cast(t, dtype) if t.dtype != dtype else t for t in operands]
    return Einsum.apply(*operands, equation=eq)
