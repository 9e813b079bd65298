"""The floating point quiet zone: the fast form (numpy's context variable) and the plain form
(``np.errstate``) silence the same warnings and restore the caller's settings."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from tinygrad_lite.autograd import fp


def _warns(fn) -> bool:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    return any(issubclass(w.category, RuntimeWarning) for w in caught)


@pytest.mark.parametrize("form", ["fast", "plain"])
def test_both_forms_silence_and_restore(form: str) -> None:
    silence, restore = (
        (fp.silence, fp.restore) if form == "fast" else (fp._plain_silence, fp._plain_restore)
    )
    noisy = [lambda: np.log(np.zeros(2)), lambda: np.zeros(1) / 0.0,
             lambda: np.exp(np.full(1, 1e4)), lambda: np.sqrt(-np.ones(1)),
             lambda: np.float32(3e38) * np.float32(10)]
    before = np.geterr()
    for fn in noisy:
        assert _warns(fn)
        token = silence()
        try:
            assert not _warns(fn)
        finally:
            restore(token)
        assert _warns(fn)
    assert np.geterr() == before


def test_quiet_fp_keeps_the_function_and_its_result() -> None:
    @fp.quiet_fp
    def log(x: np.ndarray) -> np.ndarray:
        """log."""
        return np.log(x)

    assert log.__doc__ == "log." and log.__name__ == "log"
    assert not _warns(lambda: log(np.zeros(1)))
    assert log(np.zeros(1))[0] == -np.inf
    with fp.quiet():
        assert not _warns(lambda: np.zeros(1) / 0.0)
    assert _warns(lambda: np.zeros(1) / 0.0)
