"""Forward + backward time of issue 13's activations and layers, side by side with PyTorch.

Each op runs on one float32 input of a CNN-like size -- activations on ``(64, 32, 16, 16)``
(a conv block's output), norms on the same, embedding on 64 x 32 indices into a 10000 x 64
table, distances and losses on ``(4096, 64)`` embeddings -- forward then ``backward`` with a
fixed gradient.  Both run on one thread (``torch.set_num_threads(1)``; these ops do no BLAS)
and are timed in *thread CPU time*, so other processes on a busy machine barely move the
figures; the ratio ours/torch (best of ``--repeats``) is the comparable number.  Freed memory
is kept for reuse (``tl.keep_freed_memory()``), so page faults do not swamp the kernels.

Run: ``python bench/layers13.py [--repeats 7] [--only NAME ...]`` (about a minute).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F

ACT_SHAPE = (64, 32, 16, 16)
EMB_SHAPE = (4096, 64)


def cases(torch_f: Any) -> dict[str, tuple[Callable[..., Any], Any, list[np.ndarray]]]:
    """name -> (our function, torch's function or None, input arrays)."""
    rng = np.random.default_rng(0)
    act = [rng.standard_normal(ACT_SHAPE, dtype=np.float32) * 3]
    emb = [rng.standard_normal(EMB_SHAPE, dtype=np.float32) for _ in range(3)]
    idx = rng.integers(0, 10000, size=(64, 32))
    table = rng.standard_normal((10000, 64), dtype=np.float32)
    w = rng.standard_normal(32, dtype=np.float32)
    out: dict[str, tuple[Any, Any, list[np.ndarray]]] = {}
    for name in ("relu6", "hardtanh", "hardsigmoid", "hardswish", "mish", "celu", "selu",
                 "softsign", "tanhshrink", "softshrink", "hardshrink", "logsigmoid"):
        out[name] = (getattr(F, name), getattr(torch_f, name, None), act)
    out["glu"] = (lambda x: F.glu(x, 1), torch_f and (lambda x: torch_f.glu(x, 1)), act)
    out["group_norm"] = (lambda x, w, b: F.group_norm(x, 8, w, b),
                         torch_f and (lambda x, w, b: torch_f.group_norm(x, 8, w, b)),
                         act + [w, w.copy()])
    out["instance_norm"] = (F.instance_norm, torch_f and torch_f.instance_norm, act)
    out["embedding"] = (lambda i, t: F.embedding(i, t), torch_f and torch_f.embedding,
                        [idx, table])
    out["cosine_similarity"] = (F.cosine_similarity, torch_f and torch_f.cosine_similarity,
                                emb[:2])
    out["pairwise_distance"] = (F.pairwise_distance, torch_f and torch_f.pairwise_distance,
                                emb[:2])
    out["triplet_margin_loss"] = (F.triplet_margin_loss,
                                  torch_f and torch_f.triplet_margin_loss, emb)
    return out


def time_once(fn: Callable[..., Any], make: Callable[[], list[Any]], grad: Callable[..., Any]):
    """Thread CPU seconds for one forward + backward."""
    inputs = make()
    t0 = time.thread_time()
    out = fn(*inputs)
    out.backward(grad(out))
    return time.thread_time() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args()
    # reuse freed blocks instead of fresh mmaps: time the kernels, not first-touch page faults
    # (which both libraries pay alike; bench/cnn.py measures them)
    tl.keep_freed_memory()
    try:
        import torch

        torch.set_num_threads(1)
        torch_f = torch.nn.functional
    except ImportError:
        torch, torch_f = None, None
    for name, (ours, theirs, arrays) in cases(torch_f).items():
        if args.only and name not in args.only:
            continue

        def make_ours(arrays=arrays) -> list[Any]:
            return [tl.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]

        def ours_grad(out: Any) -> Any:
            return tl.ones(*out.shape) if out.ndim else None

        time_once(ours, make_ours, ours_grad)  # warm-up: first-touch page faults, caches
        t_ours = min(time_once(ours, make_ours, ours_grad) for _ in range(args.repeats))
        line = f"{name:>20}: ours {t_ours * 1e3:8.2f} ms"
        if theirs is not None:
            def make_theirs(arrays=arrays) -> list[Any]:
                return [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]

            def theirs_grad(out: Any) -> Any:
                return torch.ones(out.shape) if out.ndim else None

            time_once(theirs, make_theirs, theirs_grad)
            t_torch = min(time_once(theirs, make_theirs, theirs_grad)
                          for _ in range(args.repeats))
            line += f"   torch {t_torch * 1e3:8.2f} ms   ratio ours/torch: {t_ours / t_torch:.2f}"
        print(line)


if __name__ == "__main__":
    main()
