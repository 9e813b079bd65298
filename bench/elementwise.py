"""Every elementwise/unary op on 1e6 floats: ours, PyTorch, and the cheapest numpy expression.

For each op the script times, on the same float32 input of 1,000,000 values (a (1000, 1000)
matrix for the softmaxes, along ``dim=-1``):

* ``numpy``: the cheapest numpy expression that gives the same values (for ``erf`` and
  ``gelu``, numpy has no ``erf``: the expression uses ours, ``special.erf_array``);
* ``ours``: the tinygrad_lite op without grad (forward only), and ``ours/np``, its ratio to
  ``numpy`` (the target is at most ~1.5);
* ``torch``: the same op in PyTorch, forward only;
* forward + backward of ours and of PyTorch (the input requires grad; ``backward`` with a
  gradient of ones-like values), and their ratio.

Timing: alternating blocks of calls with a pause between blocks, medians over rounds
(``bench/harness.py``); both libraries use ``--threads`` threads (numpy's ufuncs use one).
docs/performance.md shows this script's latest output.

Run: ``python bench/elementwise.py [--rounds 5] [--size 1000000] [--ops sigmoid,tanh]``.
"""

from __future__ import annotations

import argparse
import math

if __name__ == "__main__":  # thread counts must be set before numpy loads its BLAS
    import blas_threads

    blas_threads.set_from_argv()

from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
from harness import describe_machine, median_ms, median_ratio, time_blocks  # noqa: E402

import tinygrad_lite as tl  # noqa: E402
from tinygrad_lite.nn import functional as F  # noqa: E402
from tinygrad_lite.ops import special  # noqa: E402
from tinygrad_lite.ops.special import erf_array  # noqa: E402

_SQRT_HALF = 1.0 / math.sqrt(2.0)
_GELU_TANH = math.sqrt(2.0 / math.pi)


def np_sigmoid(x: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-x))`` (``exp`` overflows to ``inf`` for very negative x: 1/inf = 0)."""
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-x))


def np_softplus(x: np.ndarray) -> np.ndarray:
    """PyTorch's softplus (beta 1, threshold 20): ``x`` above 20, else ``log1p(exp(x))``."""
    return np.where(x > 20, x, np.log1p(np.exp(np.minimum(x, 20))))


def np_log_softmax(x: np.ndarray) -> np.ndarray:
    """Stable log-softmax along the last axis."""
    s = x - x.max(-1, keepdims=True)
    return s - np.log(np.exp(s).sum(-1, keepdims=True))


def np_softmax(x: np.ndarray) -> np.ndarray:
    """Stable softmax along the last axis."""
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


# name: (input kind, ours(tensor), torch(tensor, torch module), numpy(array))
# kinds: "x" standard normal * 3, "pos" positive, "xy" two inputs, "mat" (1000, 1000)
OPS: dict[str, tuple[str, Callable, Callable, Callable]] = {
    "neg": ("x", lambda t: -t, lambda t, T: -t, np.negative),
    "exp": ("x", lambda t: t.exp(), lambda t, T: t.exp(), np.exp),
    "log": ("pos", lambda t: t.log(), lambda t, T: t.log(), np.log),
    "sqrt": ("pos", lambda t: t.sqrt(), lambda t, T: t.sqrt(), np.sqrt),
    "abs": ("x", lambda t: t.abs(), lambda t, T: t.abs(), np.abs),
    "sign": ("x", lambda t: t.sign(), lambda t, T: t.sign(), np.sign),
    "sin": ("x", lambda t: t.sin(), lambda t, T: t.sin(), np.sin),
    "cos": ("x", lambda t: t.cos(), lambda t, T: t.cos(), np.cos),
    "tanh": ("x", lambda t: t.tanh(), lambda t, T: t.tanh(), np.tanh),
    "sigmoid": ("x", lambda t: t.sigmoid(), lambda t, T: t.sigmoid(), np_sigmoid),
    "relu": ("x", lambda t: t.relu(), lambda t, T: t.relu(), lambda a: np.maximum(a, 0)),
    "clamp": ("x", lambda t: t.clamp(-1, 1), lambda t, T: t.clamp(-1, 1),
              lambda a: np.clip(a, -1, 1)),
    "square": ("x", lambda t: t * t, lambda t, T: t * t, np.square),
    "log1p": ("pos", lambda t: tl.log1p(t), lambda t, T: t.log1p(), np.log1p),
    "expm1": ("x", special.expm1, lambda t, T: t.expm1(), np.expm1),
    "erf": ("x", special.erf, lambda t, T: t.erf(), erf_array),
    "gelu": ("x", F.gelu, lambda t, T: T.nn.functional.gelu(t),
             lambda a: a * 0.5 * (erf_array(a * _SQRT_HALF) + 1)),
    "gelu_tanh": ("x", lambda t: F.gelu(t, approximate="tanh"),
                  lambda t, T: T.nn.functional.gelu(t, approximate="tanh"),
                  lambda a: a * 0.5 * (np.tanh((a + a * a * a * 0.044715) * _GELU_TANH) + 1)),
    "silu": ("x", F.silu, lambda t, T: T.nn.functional.silu(t), lambda a: a * np_sigmoid(a)),
    "softplus": ("x", F.softplus, lambda t, T: T.nn.functional.softplus(t), np_softplus),
    "leaky_relu": ("x", F.leaky_relu, lambda t, T: T.nn.functional.leaky_relu(t),
                   lambda a: np.where(a > 0, a, a * np.float32(0.01))),
    "elu": ("x", F.elu, lambda t, T: T.nn.functional.elu(t),
            lambda a: np.where(a > 0, a, np.expm1(np.minimum(a, 0)))),
    "softmax": ("mat", lambda t: F.softmax(t, -1), lambda t, T: t.softmax(-1), np_softmax),
    "log_softmax": ("mat", lambda t: F.log_softmax(t, -1), lambda t, T: t.log_softmax(-1),
                    np_log_softmax),
    "add": ("xy", lambda t, u: t + u, lambda t, u, T: t + u, np.add),
    "mul": ("xy", lambda t, u: t * u, lambda t, u, T: t * u, np.multiply),
    "div": ("xy", lambda t, u: t / u, lambda t, u, T: t / u, np.divide),
    "maximum": ("xy", lambda t, u: tl.maximum(t, u), lambda t, u, T: T.maximum(t, u),
                np.maximum),
}


def inputs(kind: str, size: int) -> list[np.ndarray]:
    """The float32 input arrays of an op of this kind (seeded)."""
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(size) * 3).astype(np.float32)
    if kind == "pos":
        return [np.abs(x) + np.float32(0.1)]
    if kind == "mat":
        side = int(math.isqrt(size))
        return [x[: side * side].reshape(side, side)]
    if kind == "xy":
        return [x, (rng.standard_normal(size) + 4).astype(np.float32)]
    return [x]


def time_op(name: str, size: int, rounds: int, torch: Any) -> dict[str, float]:
    """Median ms of numpy / ours / torch forward and of ours / torch forward + backward."""
    kind, ours, theirs, numpy_fn = OPS[name]
    arrays = inputs(kind, size)
    plain = [tl.tensor(a) for a in arrays]
    leaves = [tl.tensor(a, requires_grad=True) for a in arrays]
    grad = tl.tensor(np.ones_like(ours(*plain).data))

    def ours_both() -> None:
        for t in leaves:
            t.grad = None
        ours(*leaves).backward(grad)

    fns: dict[str, Callable[[], Any]] = {
        "numpy": lambda: numpy_fn(*arrays),
        "ours": lambda: ours(*plain),
        "ours_fb": ours_both,
    }
    if torch is not None:
        t_plain = [torch.from_numpy(a) for a in arrays]
        t_leaves = [torch.tensor(a, requires_grad=True) for a in arrays]
        t_grad = torch.from_numpy(grad.data)

        def torch_both() -> None:
            for t in t_leaves:
                t.grad = None
            theirs(*t_leaves, torch).backward(t_grad)

        fns["torch"] = lambda: theirs(*t_plain, torch)
        fns["torch_fb"] = torch_both
    times = time_blocks(fns, rounds=rounds, block=3, pause=0.02)
    res = {k: median_ms(v) for k, v in times.items()}
    res["ours/np"] = median_ratio(times["ours"], times["numpy"])
    if torch is not None:
        res["fwd ours/torch"] = median_ratio(times["ours"], times["torch"])
        res["fb ours/torch"] = median_ratio(times["ours_fb"], times["torch_fb"])
    return res


def main() -> None:
    """Print the per-op table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--ops", default=",".join(OPS), help="comma-separated op names")
    args = parser.parse_args()
    try:
        import torch

        torch.set_num_threads(args.threads)
    except ImportError:
        torch = None
    print("\n".join(describe_machine(args.threads, torch)))
    print(f"elementwise ops on {args.size:,} float32 values, ms (medians of {args.rounds} "
          "alternating blocks); fwd = forward without grad, f+b = forward + backward")
    head = f"{'op':12s} {'numpy':>7s} {'ours':>7s} {'ours/np':>7s}"
    if torch is not None:
        head += f" {'torch':>7s} {'ours f+b':>9s} {'torch f+b':>9s} {'f+b ours/torch':>14s}"
    print(head)
    for name in args.ops.split(","):
        r = time_op(name, args.size, args.rounds, torch)
        line = f"{name:12s} {r['numpy']:7.2f} {r['ours']:7.2f} {r['ours/np']:7.2f}"
        if torch is not None:
            line += (f" {r['torch']:7.2f} {r['ours_fb']:9.2f} {r['torch_fb']:9.2f}"
                     f" {r['fb ours/torch']:14.2f}")  # fmt: skip
        print(line, flush=True)


if __name__ == "__main__":
    main()
