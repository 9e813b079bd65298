"""Fixtures shared by all tests."""

from __future__ import annotations

import os
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
        pytest.skip(f"dataset folder not found: {path}")
    return path
