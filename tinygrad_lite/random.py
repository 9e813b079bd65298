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
    """Seed the default generator; same seed, same random tensors.  Returns the generator.

    Like ``torch.manual_seed``, any integer in $[-2^{63}, 2^{64})$ is accepted; a negative seed
    is taken modulo $2^{64}$ (so ``-1`` and ``2**64 - 1`` give the same numbers).
    """
    try:
        value = int(seed)
    except (TypeError, ValueError):
        raise ValueError(f"manual_seed: expected an integer seed, got {seed!r}") from None
    if not -(2**63) <= value < 2**64:
        raise ValueError(f"manual_seed: seed must be in [-2**63, 2**64), got {value}")
    _DEFAULT.rng = np.random.default_rng(value % 2**64)
    return _DEFAULT.rng


def default_generator() -> np.random.Generator:
    """The generator used when no ``generator=`` is given."""
    return _DEFAULT.rng


def get_rng(generator: np.random.Generator | None = None) -> np.random.Generator:
    """``generator`` if given, else the default generator."""
    return _DEFAULT.rng if generator is None else generator
