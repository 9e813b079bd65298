"""The random number generator behind ``rand``, ``randn``, ``randint``, init and dropout.

``manual_seed(s)`` reseeds it, as ``torch.manual_seed`` does; functions that draw random
numbers also accept an explicit ``generator`` (a ``numpy.random.Generator``).
"""

from __future__ import annotations

import numpy as np


class _DefaultGenerator:
    """Holds the default ``numpy.random.Generator``; replaced by :func:`manual_seed`."""

    def __init__(self) -> None:
        self.rng = np.random.default_rng()


_DEFAULT = _DefaultGenerator()


def manual_seed(seed: int) -> np.random.Generator:
    """Seed the default generator; same seed, same random tensors.  Returns the generator."""
    _DEFAULT.rng = np.random.default_rng(int(seed))
    return _DEFAULT.rng


def default_generator() -> np.random.Generator:
    """The generator used when no ``generator=`` is given."""
    return _DEFAULT.rng


def get_rng(generator: np.random.Generator | None = None) -> np.random.Generator:
    """``generator`` if given, else the default generator."""
    return _DEFAULT.rng if generator is None else generator
