"""Fixtures shared by all tests."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import settings

import tinygrad_lite as tl

# Property tests draw the same examples on every run (CI must not fail by luck of the draw);
# HYPOTHESIS_PROFILE=explore draws fresh ones, for hunting new counterexamples.
settings.register_profile("deterministic", derandomize=True, database=None)
settings.register_profile("explore", max_examples=2000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))


@pytest.fixture(autouse=True)
def _seed_and_grad_mode():
    """Every test starts seeded, in grad mode, with anomaly mode off."""
    tl.manual_seed(0)
    yield
    from tinygrad_lite.autograd.grad_mode import STATE

    STATE.enabled = True
    STATE.anomaly = False
    STATE.observer = None


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The folder holding mnist/ and fashion-mnist/ IDX files (``../shared/data`` by default).

    Override with ``TINYGRAD_LITE_TEST_DATA``; tests that need it skip when it is absent.
    """
    root = os.environ.get("TINYGRAD_LITE_TEST_DATA")
    path = Path(root) if root else Path(__file__).resolve().parents[2] / "shared" / "data"
    if not (path / "mnist").is_dir():
        pytest.skip(
            f"MNIST IDX files not found in {path}/mnist (set TINYGRAD_LITE_TEST_DATA to a "
            "folder holding mnist/ and fashion-mnist/)"
        )
    return path


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """End the run with why tests skipped, one line per reason with its count, so a skip is
    never a mystery (a fresh clone skips only what needs files or programs from elsewhere)."""
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped:
        return
    reasons: Counter[str] = Counter()
    for report in skipped:
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reason = reason.removeprefix("Skipped: ")
        if reason.startswith("could not import"):
            reason += " (pip install -e '.[test]' installs the test references)"
        reasons[reason] += 1
    terminalreporter.write_sep("-", f"{len(skipped)} skipped, why")
    for reason, n in reasons.most_common():
        terminalreporter.write_line(f"{n:3d} skipped: {reason}")
