"""Notebooks run as tests (nbmake, ``--nbmake`` in pyproject.toml): 05 needs MNIST and is
skipped, with the reason, where the IDX files are not found -- as the notebook looks for them:
``$TINYGRAD_LITE_DATA/mnist``, else ``shared/data/mnist`` beside the repository."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

NEEDS_MNIST = "05_train_cnn_mnist.ipynb"


def mnist_dir(env: str | None, repo: Path) -> Path | None:
    """Where notebook 05 will find MNIST (``env``: ``$TINYGRAD_LITE_DATA``), or None."""
    candidates = [Path(env)] if env else []
    candidates.append(repo.parent / "shared" / "data")
    return next((c / "mnist" for c in candidates if (c / "mnist").is_dir()), None)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    repo = Path(__file__).resolve().parents[1]
    if mnist_dir(os.environ.get("TINYGRAD_LITE_DATA"), repo) is not None:
        return
    skip = pytest.mark.skip(
        reason=f"{NEEDS_MNIST} needs the MNIST IDX files: set TINYGRAD_LITE_DATA to the folder "
        "holding mnist/ (or put shared/data/mnist beside the repository)"
    )
    for item in items:
        if item.path.name == NEEDS_MNIST:
            item.add_marker(skip)
