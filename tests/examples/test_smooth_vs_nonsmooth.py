"""The smooth-vs-non-smooth example runs and shows what it claims, in a short run."""

from __future__ import annotations

import importlib.util
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "smooth_vs_nonsmooth.py"


def _load():
    spec = importlib.util.spec_from_file_location("smooth_vs_nonsmooth", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_example_main_short_run(capsys) -> None:
    results = _load().main(steps=200)
    assert "Regression" in capsys.readouterr().out
    # L1 (a kink at the optimum, fixed step) never settles; the smoothed losses do
    assert results["l1"]["steps_to_tol"] is None
    assert results["huber"]["steps_to_tol"] is not None
    assert results["smooth_l1"]["steps_to_tol"] is not None
    # the robust losses land near the true line, MSE is pulled away by the outliers
    assert results["huber"]["param_error"] < 0.1 < results["mse"]["param_error"]
    # the hinge reaches an exact 0 (zero gradient, weights stop); cross-entropy never does
    hinge, ce = results["hinge"], results["cross_entropy"]
    assert hinge["exact_zero_loss_at"] is not None and hinge["norms"][-1] == hinge["norms"][-2]
    assert ce["exact_zero_loss_at"] is None and ce["norms"][-1] > ce["norms"][-2]
