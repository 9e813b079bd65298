"""The optimizers tour example runs (few steps, no picture) and its step counting is right."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "optimizers_tour.py"


@pytest.fixture(scope="module")
def tour():
    spec = importlib.util.spec_from_file_location("optimizers_tour", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tour_runs_every_optimizer_on_both_problems(tour, capsys) -> None:
    results = tour.main(["--steps", "40", "--no-plot"])
    out = capsys.readouterr().out
    assert set(results) == {"rosenbrock", "abs"}
    for problem, by_name in results.items():
        assert list(by_name) == list(tour.OPTIMIZERS)
        for name, r in by_name.items():
            assert r["points"].shape == (41, 2) and r["losses"].shape == (41,)
            assert np.isfinite(r["losses"]).all(), (problem, name)
            assert r["losses"][-1] < r["losses"][0], (problem, name)
            assert f"{name:<14}" in out
    assert "first <= tol" in out and "saved" not in out


def test_step_counting(tour) -> None:
    losses = np.array([5.0, 0.5, 2e-4, 5e-3, 1e-4, 1e-4, 1e-4, 1e-4, 1e-4, 1e-4, 1e-4])
    assert tour.first_below(losses, 1e-3) == 2
    assert tour.stays_below(losses, 1e-3) == 4
    bouncing = np.array([1.0] + [1e-4, 1.0] * 10)
    assert tour.first_below(bouncing, 1e-3) == 1 and tour.stays_below(bouncing, 1e-3) is None
    assert tour.stays_below(np.array([1.0] * 20 + [0.0]), 1e-3) is None  # only the last step
    assert tour.first_below(np.array([1.0, np.nan, np.inf]), 1e-3) is None


def test_tour_functions_match_their_definitions(tour) -> None:
    assert tour.rosenbrock(1.0, 1.0) == 0 and tour.rosenbrock(0.0, 0.0) == 1
    assert tour.abs_sum(-1.0, 0.5) == 2.0


def test_tour_draws_pictures(tour, tmp_path) -> None:
    pytest.importorskip("matplotlib")
    tour.main(["--steps", "5", "--out", str(tmp_path)])
    for name in ("rosenbrock.png", "rosenbrock_loss.png", "abs.png", "abs_loss.png"):
        assert (tmp_path / name).stat().st_size > 1000
