"""A small least-squares + L1 problem built twice: with tinygrad_lite ops and with torch ops.

loss(x1, x2) = sum((A x1 - b)^2) + sum((M x2 - D)^2) + 0.1 * (|x1|.sum() + |x2|.sum())

``x1`` (5,) sits in param group 0, ``x2`` (2, 3) and an unused ``x3`` (its grad stays None, so
optimizers must skip it) in group 1.  Everything is float64 so trajectories can be compared at
~1e-9 relative.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import tinygrad_lite as tl

STEPS = 40


def make_data(seed: int = 0) -> dict[str, np.ndarray]:
    """Fixed random problem data and starting points."""
    rng = np.random.default_rng(seed)
    return {
        "A": rng.standard_normal((8, 5)) / np.sqrt(8),
        "b": rng.standard_normal(8),
        "M": rng.standard_normal((4, 2)) / 2,
        "D": rng.standard_normal((4, 3)),
        "x1": rng.standard_normal(5),
        "x2": rng.standard_normal((2, 3)),
        "x3": rng.standard_normal(3),
    }


def ours(data: dict[str, np.ndarray]) -> tuple[list[tl.Tensor], Any]:
    """Parameters (x1, x2, x3) as tinygrad_lite Tensors and the loss closure-maker."""
    params = [tl.tensor(data[k].copy(), requires_grad=True) for k in ("x1", "x2", "x3")]
    A, b, M, D = (tl.tensor(data[k]) for k in ("A", "b", "M", "D"))  # noqa: N806

    def loss() -> tl.Tensor:
        x1, x2, _ = params
        smooth = ((A @ x1 - b) ** 2).sum() + ((M @ x2 - D) ** 2).sum()
        return smooth + 0.1 * (x1.abs().sum() + x2.abs().sum())

    return params, loss


def theirs(torch: Any, data: dict[str, np.ndarray]) -> tuple[list[Any], Any]:
    """The same with torch tensors."""
    params = [torch.tensor(data[k].copy(), requires_grad=True) for k in ("x1", "x2", "x3")]
    A, b, M, D = (torch.tensor(data[k]) for k in ("A", "b", "M", "D"))  # noqa: N806

    def loss() -> Any:
        x1, x2, _ = params
        smooth = ((A @ x1 - b) ** 2).sum() + ((M @ x2 - D) ** 2).sum()
        return smooth + 0.1 * (x1.abs().sum() + x2.abs().sum())

    return params, loss


def groups(params: list[Any], lr: float) -> list[dict[str, Any]]:
    """Two param groups with different learning rates."""
    return [{"params": [params[0]]}, {"params": [params[1], params[2]], "lr": lr * 0.5}]


def run(opt: Any, params: list[Any], loss_fn: Any, steps: int) -> list[list[np.ndarray]]:
    """``steps`` optimizer steps (zero_grad, backward, step); the parameters after each."""
    trajectory = []
    for _ in range(steps):
        opt.zero_grad()
        loss_fn().backward()
        opt.step()
        trajectory.append([_numpy(p) for p in params])
    return trajectory


def _numpy(p: Any) -> np.ndarray:
    return p.detach().numpy().copy() if hasattr(p, "detach") else np.array(p.data)
