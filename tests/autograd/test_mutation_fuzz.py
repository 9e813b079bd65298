"""Differential fuzzing of mutation against PyTorch: seeded random programs of in-place ops,
setitem, views and writes through them, clone/detach, no_grad blocks, retained backward and
double backward, run on both libraries from the same float64 leaves.

A program is a list of steps (plain tuples) built by ``random.Random(seed)``, so a failure is
reproduced by its seed and shrunk by deleting steps (:func:`shrink`).  Every program ends with a
backward; the checks: same values of every tensor made, same ``requires_grad``/leafness, same
leaf gradients (after ``backward`` or ``autograd.grad(create_graph=True)`` and a second
differentiation), or both libraries raise ``RuntimeError`` at the same step.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

import tinygrad_lite as tl
from tests.helpers import torch_or_skip

SHAPE = (3, 4)
N_PROGRAMS = 300

UNARY = ["neg", "exp", "sigmoid", "tanh", "relu", "abs", "sin"]
BINARY = ["add", "sub", "mul", "div"]
INPLACE_UNARY = ["relu_", "sigmoid_", "tanh_", "exp_", "neg_", "zero_", "abs_"]
INPLACE_BINARY = ["add_", "sub_", "mul_", "div_", "copy_", "lerp_", "addcmul_", "addcdiv_", "pow_"]


# ----- the generator ---------------------------------------------------------------------


def _view_step(rng: random.Random, shape: tuple[int, ...]) -> tuple[Any, tuple[int, ...]] | None:
    """A random view of a tensor of ``shape``: the step's arguments and the view's shape."""
    kinds = ["slice", "int"] if len(shape) >= 1 else []
    if len(shape) == 2:
        kinds += ["transpose", "reshape", "unsqueeze", "expand"]
    if len(shape) == 1:
        kinds += ["unsqueeze", "expand"]
    if not kinds or 0 in shape:
        return None
    k = rng.choice(kinds)
    if k == "slice":
        d = rng.randrange(len(shape))
        n = shape[d]
        start = rng.randrange(n)
        stop = rng.randrange(start + 1, n + 1)
        step = rng.choice([1, 1, 2])
        size = len(range(start, stop, step))
        return ("slice", d, start, stop, step), shape[:d] + (size,) + shape[d + 1 :]
    if k == "int":
        return ("int", rng.randrange(shape[0])), shape[1:]
    if k == "transpose":
        return ("transpose",), (shape[1], shape[0])
    if k == "reshape":
        total = shape[0] * shape[1]
        options = [s for s in [(total,), (2, total // 2), (total // 2, 2)] if np.prod(s) == total]
        new = rng.choice(options)
        return ("reshape", new), new
    if k == "unsqueeze":
        return ("unsqueeze",), (1,) + shape
    return ("expand", 2), (2,) + shape  # expand of a new leading dimension


def _index(rng: random.Random, shape: tuple[int, ...]) -> tuple[Any, tuple[int, ...]]:
    """A random setitem index for ``shape`` and the shape it selects (None: a bool mask)."""
    k = rng.choice(["basic", "basic", "mask", "intarray"])
    if k == "basic" or len(shape) == 0:
        if len(shape) == 0:
            return ("ellipsis",), ()
        d0 = rng.randrange(shape[0])
        if rng.random() < 0.5 or len(shape) == 1:
            return ("int", d0), shape[1:]
        stop = rng.randrange(1, shape[1] + 1)
        return ("rows_cols", stop), (shape[0], stop)
    if k == "mask":
        return ("mask", rng.randrange(1 << 30)), None
    idx = [rng.randrange(shape[0]) for _ in range(rng.randrange(1, 4))]
    return ("intarray", idx), (len(idx),) + shape[1:]


def generate(seed: int) -> list[tuple[Any, ...]]:
    """A random program: a list of steps; ``env`` slots 0, 1, 2 are the leaves a, b and c
    (c needs no grad).  Each step that makes a tensor appends it to ``env``."""
    rng = random.Random(seed)
    shapes: list[tuple[int, ...]] = [SHAPE, SHAPE, SHAPE]
    steps: list[tuple[Any, ...]] = []
    # start from non-leaves most of the time, so in-place ops are allowed
    for i in range(rng.randrange(1, 3)):
        steps.append(("bin", "mul", i, 2, False) if rng.random() < 0.5 else ("clone", i))
        shapes.append(SHAPE)
    for _ in range(rng.randrange(3, 11)):
        i = rng.randrange(len(shapes))
        shape = shapes[i]
        same = [j for j, s in enumerate(shapes) if s == shape]
        if rng.random() < 0.2:  # an operand that broadcasts to ``shape`` (or a partial overlap)
            same += [j for j, s in enumerate(shapes) if 0 < len(s) < len(shape)
                     and s == shape[len(shape) - len(s):]]  # fmt: skip
        nograd = rng.random() < 0.1
        r = rng.random()
        if r < 0.12:
            steps.append(("un", rng.choice(UNARY), i, nograd))
            shapes.append(shape)
        elif r < 0.24:
            steps.append(("bin", rng.choice(BINARY), i, rng.choice(same), nograd))
            shapes.append(shape)
        elif r < 0.40:
            steps.append(("iun", rng.choice(INPLACE_UNARY), i, nograd))
        elif r < 0.58:
            op = rng.choice(INPLACE_BINARY + ["clamp_", "fill_", "masked_fill_"])
            other = rng.choice(same) if rng.random() < 0.8 else None
            steps.append(("ibin", op, i, other, round(rng.uniform(-1.5, 1.5), 2), nograd))
        elif r < 0.70:
            index, sel = _index(rng, shape)
            if sel is not None and rng.random() < 0.5:
                src = [j for j, s in enumerate(shapes) if s == sel]
                value = rng.choice(src) if src else round(rng.uniform(-2, 2), 2)
            else:
                value = round(rng.uniform(-2, 2), 2)
            steps.append(("setitem", i, index, value, nograd))
        elif r < 0.85:
            made = _view_step(rng, shape)
            if made is None:
                continue
            steps.append(("view", i, made[0]))
            shapes.append(made[1])
        elif r < 0.90:
            steps.append(("clone", i))
            shapes.append(shape)
        elif r < 0.94:
            steps.append(("detach", i))
            shapes.append(shape)
        else:
            steps.append(("retained_backward", i))
    end = rng.random()
    steps.append(("end", "double" if end < 0.25 else "backward", rng.randrange(len(shapes))))
    return steps


# ----- the interpreter -------------------------------------------------------------------


def _mask(seed: int, shape: tuple[int, ...]) -> np.ndarray:
    return np.random.default_rng(seed).random(shape) < 0.5


def _weights(shape: tuple[int, ...]) -> np.ndarray:
    return np.random.default_rng(7).standard_normal(shape)


def _apply_view(t: Any, args: tuple[Any, ...]) -> Any:
    k = args[0]
    if k == "slice":
        _, d, start, stop, step = args
        return t[(slice(None),) * d + (slice(start, stop, step),)]
    if k == "int":
        return t[args[1]]
    if k == "transpose":
        return t.transpose(0, 1)
    if k == "reshape":
        return t.reshape(*args[1])
    if k == "unsqueeze":
        return t.unsqueeze(0)
    return t.unsqueeze(0).expand(args[1], *t.shape)


def _setitem(m: Any, env: list[Any], i: int, index: tuple[Any, ...], value: Any) -> None:
    x = env[i]
    k = index[0]
    if k == "ellipsis":
        idx: Any = Ellipsis
    elif k == "int":
        idx = index[1]
    elif k == "rows_cols":
        idx = (slice(None), slice(0, index[1]))
    elif k == "mask":
        idx = m.tensor(_mask(index[1], tuple(x.shape)))
    else:
        idx = m.tensor(index[1])
    x[idx] = env[value] if isinstance(value, int) else value


def _step(m: Any, env: list[Any], s: tuple[Any, ...]) -> None:
    k = s[0]
    if k == "un":
        _, op, i, nograd = s
        with m.no_grad() if nograd else _Nothing():
            env.append(getattr(env[i], op)())
    elif k == "bin":
        _, op, i, j, nograd = s
        x, y = env[i], env[j]
        with m.no_grad() if nograd else _Nothing():
            env.append(getattr(x, op)(y.abs() + 1 if op == "div" else y))
    elif k == "iun":
        _, op, i, nograd = s
        with m.no_grad() if nograd else _Nothing():
            getattr(env[i], op)()
    elif k == "ibin":
        _, op, i, j, c, nograd = s
        x = env[i]
        y = env[j] if j is not None else c
        with m.no_grad() if nograd else _Nothing():
            if op == "add_":
                x.add_(y, alpha=c)
            elif op == "sub_":
                x.sub_(y, alpha=c)
            elif op == "mul_":
                x.mul_(y)
            elif op == "div_":
                x.div_(y.abs() + 1 if j is not None else c + 2)
            elif op == "copy_":
                x.copy_(y if j is not None else m.tensor(c, dtype=m.float64))
            elif op == "lerp_":
                x.lerp_(y if j is not None else m.full(tuple(x.shape), c, dtype=m.float64),
                        abs(c) / 1.5)  # fmt: skip
            elif op == "addcdiv_":
                x.addcdiv_(y if j is not None else x, x.abs() + 1, value=c)
            elif op == "pow_":
                x.pow_(y.abs() + 0.5 if j is not None else abs(c) + 0.5)
            elif op == "addcmul_":
                x.addcmul_(y, x, value=c) if j is not None else x.addcmul_(x, x, value=c)
            elif op == "clamp_":
                x.clamp_(min(-abs(c), 0.2), abs(c))
            elif op == "fill_":
                x.fill_(c)
            else:  # masked_fill_
                x.masked_fill_(m.tensor(_mask(int(c * 100) + 500, tuple(x.shape))), c)
    elif k == "setitem":
        _, i, index, value, nograd = s
        with m.no_grad() if nograd else _Nothing():
            _setitem(m, env, i, index, value)
    elif k == "view":
        env.append(_apply_view(env[s[1]], s[2]))
    elif k == "clone":
        env.append(env[s[1]].clone())
    elif k == "detach":
        env.append(env[s[1]].detach())
    elif k == "retained_backward":
        t = env[s[1]]
        if t.requires_grad:
            (t * m.tensor(_weights(tuple(t.shape)))).sum().backward(retain_graph=True)
    else:
        raise AssertionError(s)


class _Nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        return None


def run(m: Any, steps: list[tuple[Any, ...]]) -> Any:
    """Run ``steps`` on library ``m``: ``("raised", step)`` or the values, flags and grads."""
    rng = np.random.default_rng(0)
    env = [
        m.tensor(rng.standard_normal(SHAPE), requires_grad=True),
        m.tensor(rng.standard_normal(SHAPE), requires_grad=True),
        m.tensor(rng.standard_normal(SHAPE)),
    ]
    leaves = env[:2]
    autograd = tl.autograd if m is tl else m.autograd
    extra: list[Any] = []
    for n, s in enumerate(steps):
        try:
            if s[0] != "end":
                _step(m, env, s)
                # PyTorch re-derives a view's grad_fn after its base changed lazily, on access;
                # its in-place leaf check reads the stale one (a view of a no-grad base written
                # from a grad tensor is called "a leaf that requires grad").  We don't copy
                # that quirk: touching grad_fn here makes torch refresh it.
                for t in env:
                    t.grad_fn  # noqa: B018
                continue
            t = env[s[2]]
            if not t.requires_grad:
                continue
            out = (t * m.tensor(_weights(tuple(t.shape)))).sum()
            if s[1] == "backward":
                out.backward()
            else:
                gs = autograd.grad(out, leaves, create_graph=True, allow_unused=True)
                extra = [None if g is None else _np(g) for g in gs]
                total = sum((g * g).sum() for g in gs if g is not None and g.requires_grad)
                if not isinstance(total, int):
                    total.backward()
        except RuntimeError:
            return ("raised", n)
    values = [_np(t) for t in env]
    flags = [(bool(t.requires_grad), t.grad_fn is None) for t in env]
    grads = [None if t.grad is None else _np(t.grad) for t in leaves]
    return values, flags, grads, extra


def _np(t: Any) -> np.ndarray:
    if isinstance(t, tl.Tensor):
        return np.array(t.detach().numpy())
    return np.array(t.detach().numpy(force=True))  # torch: force reads a ZeroTensor


def mismatch(steps: list[tuple[Any, ...]]) -> str | None:
    """Why the two libraries disagree on ``steps``, or None."""
    torch = torch_or_skip()
    ours, theirs = run(tl, steps), run(torch, steps)
    if ours[0] == "raised" or theirs[0] == "raised":
        return None if ours == theirs else f"ours {ours[:2]!r:.60} vs torch {theirs[:2]!r:.60}"
    for what, a, b in zip(("value", "flags", "grad", "create_graph grad"), ours, theirs):
        if len(a) != len(b):
            return f"{what}: {len(a)} vs {len(b)} entries"
        for n, (x, y) in enumerate(zip(a, b)):
            if what == "flags":
                if x != y:
                    return f"flags of env[{n}] (requires_grad, is_leaf): {x} vs torch {y}"
                continue
            if what == "grad" and steps[-1][1] == "double":
                # second-order gradients through a piecewise-linear op (relu, abs): PyTorch
                # connects the first-order gradient to the input and gives zeros, we give None
                x = np.zeros(SHAPE) if x is None else x
                y = np.zeros(SHAPE) if y is None else y
            if (x is None) != (y is None):
                return f"{what} {n}: {x} vs torch {y}"
            if x is not None and (x.shape != y.shape or not np.allclose(
                    x, y, rtol=1e-7, atol=1e-10, equal_nan=True)):  # fmt: skip
                return f"{what} {n}: {x} vs torch {y}"
    return None


def shrink(steps: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Delete steps while the mismatch stays (indices into ``env`` are renumbered: a step whose
    result a later step uses is kept)."""
    changed = True
    while changed:
        changed = False
        for n in range(len(steps) - 1):
            cand = _without(steps, n)
            if cand is not None and mismatch(cand) is not None:
                steps, changed = cand, True
                break
    return steps


def _makes(s: tuple[Any, ...]) -> bool:
    return s[0] in ("un", "bin", "view", "clone", "detach")


def _without(steps: list[tuple[Any, ...]], n: int) -> list[tuple[Any, ...]] | None:
    """``steps`` without step ``n``, or None when a later step uses what it made."""
    if not _makes(steps[n]):
        return steps[:n] + steps[n + 1 :]
    slot = 3 + sum(_makes(s) for s in steps[:n])

    def fix(v: Any) -> Any:
        if not isinstance(v, int) or isinstance(v, bool):
            return v
        if v == slot:
            raise LookupError
        return v - 1 if v > slot else v

    out = []
    for s in steps[n + 1 :]:
        try:
            out.append(_renumber(s, fix))
        except LookupError:
            return None
    return steps[:n] + out


def _renumber(s: tuple[Any, ...], fix: Any) -> tuple[Any, ...]:
    k = s[0]
    if k in ("un", "iun"):
        return (k, s[1], fix(s[2])) + s[3:]
    if k == "bin":
        return (k, s[1], fix(s[2]), fix(s[3]), s[4])
    if k == "ibin":
        return (k, s[1], fix(s[2]), None if s[3] is None else fix(s[3])) + s[4:]
    if k == "setitem":
        return (k, fix(s[1]), s[2], fix(s[3]) if isinstance(s[3], int) else s[3], s[4])
    if k == "end":
        return (k, s[1], fix(s[2]))
    return (k, fix(s[1])) + s[2:]


@pytest.mark.filterwarnings("ignore:Use of index_put_ on expanded tensors")  # torch's
@pytest.mark.parametrize("block", range(8))
def test_random_mutation_programs_match_torch(block):
    failures = []
    for seed in range(block, N_PROGRAMS, 8):
        steps = generate(seed)
        why = mismatch(steps)
        if why is not None:
            failures.append(f"seed {seed}: {why}\n  shrunk: {shrink(steps)}")
    assert not failures, "\n".join(failures)


if __name__ == "__main__":  # python -m tests.autograd.test_mutation_fuzz: list the failing seeds
    for seed in range(N_PROGRAMS):
        steps = generate(seed)
        why = mismatch(steps)
        if why is not None:
            print(f"seed {seed}: {why}\n  shrunk: {shrink(steps)}")
