"""What smoothing a loss does to optimisation: L1 vs Huber/SmoothL1 vs MSE, hinge vs CE.

Part 1 fits a line to data with 10% gross outliers by plain full-batch gradient descent
(``tl.optim.SGD``, fixed step size), once per loss:

* **MSE** is smooth, so its gradient shrinks near the optimum and GD settles quickly -- but
  on the wrong line: squared residuals let the outliers pull the fit away.
* **L1** is robust to the outliers but has a kink at every zero residual: its gradient keeps
  magnitude about 1 right up to the optimum, so fixed-step GD ends up hopping around the
  optimum instead of settling (the step never shrinks).
* **Huber / SmoothL1** are quadratic near zero and linear beyond: robust like L1, and their
  gradient vanishes at the optimum like MSE's, so GD converges -- close to the true line.

Part 2 trains a linear classifier on separable points with the multi-class hinge
(``multi_margin_loss``) and with cross-entropy.  Once every margin is met, the hinge loss and
its gradient are exactly 0 and training stops moving the weights; cross-entropy is smooth
and never exactly 0, so it keeps growing the weights (the loss only decays toward 0).

Run: ``python examples/smooth_vs_nonsmooth.py`` (a few seconds).
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F

TRUE_W, TRUE_B = 2.0, -1.0


def regression_data(n: int = 200, outlier_fraction: float = 0.1,
                    seed: int = 0) -> tuple[tl.Tensor, tl.Tensor]:
    """``y = 2 x - 1 + noise`` on ``x`` in [-2, 2], with some targets shifted up by 15."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, size=(n, 1))
    y = TRUE_W * x + TRUE_B + 0.1 * rng.standard_normal((n, 1))
    outliers = rng.random(n) < outlier_fraction
    y[outliers] += 15.0
    return tl.tensor(x, dtype=tl.float64), tl.tensor(y, dtype=tl.float64)


REGRESSION_LOSSES = {
    "mse": lambda p, y: F.mse_loss(p, y),
    "l1": lambda p, y: F.l1_loss(p, y),
    "smooth_l1": lambda p, y: F.smooth_l1_loss(p, y, beta=0.1),
    "huber": lambda p, y: F.huber_loss(p, y, delta=1.0),
}


def fit_line(loss_name: str, x: tl.Tensor, y: tl.Tensor, steps: int, lr: float,
             tol: float) -> dict[str, Any]:
    """Full-batch gradient descent on ``(w, b)`` from 0; returns the loss per step, the final
    parameter error to the true line, and the first step after which every update is
    smaller than ``tol`` (None if the iterates never settle)."""
    w = tl.zeros(1, 1, dtype=tl.float64, requires_grad=True)
    b = tl.zeros(1, dtype=tl.float64, requires_grad=True)
    opt = tl.optim.SGD([w, b], lr=lr)
    loss_fn = REGRESSION_LOSSES[loss_name]
    losses, step_sizes = [], []
    for _ in range(steps):
        before = np.array([w.data.item(), b.data.item()])
        opt.zero_grad()
        loss = loss_fn(x @ w + b, y)  # (N, 1) predictions
        loss.backward()
        opt.step()
        losses.append(loss.item())
        step_sizes.append(float(np.hypot(*(np.array([w.data.item(), b.data.item()]) - before))))
    settled = None
    if step_sizes[-1] < tol:
        settled = len(step_sizes)
        while settled > 0 and step_sizes[settled - 1] < tol:
            settled -= 1
    error = float(np.hypot(w.data.item() - TRUE_W, b.data.item() - TRUE_B))
    return {"losses": losses, "param_error": error, "steps_to_tol": settled,
            "last_step": step_sizes[-1], "w": w.data.item(), "b": b.data.item()}


def classification_data(n: int = 120, seed: int = 0) -> tuple[tl.Tensor, tl.Tensor]:
    """Three linearly separable Gaussian blobs in 2-D (with a bias feature appended)."""
    rng = np.random.default_rng(seed)
    centers = np.array([[2.0, 0.0], [-1.0, 1.8], [-1.0, -1.8]])
    labels = rng.integers(0, 3, size=n)
    points = centers[labels] + 0.4 * rng.standard_normal((n, 2))
    features = np.concatenate([points, np.ones((n, 1))], axis=1)
    return tl.tensor(features, dtype=tl.float64), tl.tensor(labels)


def fit_classifier(loss_name: str, x: tl.Tensor, t: tl.Tensor, steps: int,
                   lr: float) -> dict[str, Any]:
    """Full-batch GD of a linear classifier; loss, accuracy and weight norm per step."""
    w = tl.zeros(3, 3, dtype=tl.float64, requires_grad=True)
    opt = tl.optim.SGD([w], lr=lr)
    losses, norms, first_perfect = [], [], None
    for step in range(steps):
        opt.zero_grad()
        scores = x @ w  # (N, 3)
        if loss_name == "hinge":
            loss = F.multi_margin_loss(scores, t)
        else:
            loss = F.cross_entropy(scores, t)
        loss.backward()
        accuracy = float(np.mean(scores.data.argmax(1) == t.data))
        if accuracy == 1.0 and first_perfect is None:
            first_perfect = step
        opt.step()
        losses.append(loss.item())
        norms.append(float(np.linalg.norm(w.data)))
    zero_from = next((i for i, v in enumerate(losses) if v == 0.0), None)
    return {"losses": losses, "norms": norms, "steps_to_100pct": first_perfect,
            "exact_zero_loss_at": zero_from}


def _curve(values: list[float], points: int = 7) -> str:
    """The loss at log-spaced steps (1, 3, 10, ...): early progress and the tail."""
    idx = np.unique(np.geomspace(1, len(values), points).round().astype(int) - 1)
    return "  ".join(f"{i + 1}:{values[i]:.4g}" for i in idx)


def main(steps: int = 400, lr: float = 0.1, tol: float = 1e-4, seed: int = 0,
         classifier_lr: float = 0.5, verbose: bool = True) -> dict[str, dict[str, Any]]:
    """Run both comparisons; return the per-loss results (and print them if ``verbose``)."""
    tl.manual_seed(seed)
    x, y = regression_data(seed=seed)
    results: dict[str, dict[str, Any]] = {}
    for name in REGRESSION_LOSSES:
        results[name] = fit_line(name, x, y, steps, lr, tol)
    xc, tc = classification_data(seed=seed)
    for name in ("hinge", "cross_entropy"):
        results[name] = fit_classifier(name, xc, tc, steps, classifier_lr)
    if verbose:
        print(f"Regression y = {TRUE_W} x + {TRUE_B} with 10% outliers (+15), "
              f"full-batch GD, lr={lr}, {steps} steps")
        print(f"{'loss':<10} {'w':>7} {'b':>7} {'|theta-true|':>12} {'last step':>10} "
              f"{'steps to tol':>12}")
        for name in REGRESSION_LOSSES:
            r = results[name]
            settled = "never" if r["steps_to_tol"] is None else str(r["steps_to_tol"])
            print(f"{name:<10} {r['w']:7.3f} {r['b']:7.3f} {r['param_error']:12.4f} "
                  f"{r['last_step']:10.2e} {settled:>12}")
        print(f"(steps to tol: first step after which every update is < {tol})")
        for name in REGRESSION_LOSSES:
            print(f"  {name:<10} loss by step  {_curve(results[name]['losses'])}")
        print("\nLinear 3-class classifier on separable blobs")
        for name in ("hinge", "cross_entropy"):
            r = results[name]
            zero = r["exact_zero_loss_at"]
            zero_text = "never" if zero is None else f"after {zero} updates"
            print(f"  {name:<13} 100% accuracy after {r['steps_to_100pct']} update(s); loss "
                  f"exactly 0: {zero_text}; |W| at steps {len(r['norms']) // 2} and "
                  f"{len(r['norms'])}: {r['norms'][len(r['norms']) // 2 - 1]:.3f}, "
                  f"{r['norms'][-1]:.3f}")
            print(f"  {'':<13} loss by step  {_curve(r['losses'])}")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--lr", type=float, default=0.1)
    args = parser.parse_args()
    main(steps=args.steps, lr=args.lr)
