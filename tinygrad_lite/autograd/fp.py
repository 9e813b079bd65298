"""numpy's floating point warnings kept inside the library, where PyTorch is silent.

``log(0) = -inf``, ``0/0 = nan``, ``exp(1000) = inf`` are IEEE results that PyTorch returns
without a word; numpy also returns them, but emits a ``RuntimeWarning`` ("divide by zero
encountered in log") from deep inside an op.  Those warnings are turned off only where they
arise -- the ``forward`` of the primitives and the composites that can produce them
(:func:`quiet_fp`), one whole backward pass (:func:`quiet`), an optimizer step -- never
globally: the user's own numpy
code keeps numpy's settings.

Cost: turning warnings off and back on is two context-variable writes.  ``np.errstate`` does
the same but first rebuilds its settings object on every entry (about three times slower),
so the fast form pre-builds the "ignore everything" settings once and sets numpy's context
variable directly.  That variable is private to numpy; where it is missing (numpy < 2 or a
changed layout) the plain ``np.errstate(all="ignore")`` is used, and
``tests/autograd/test_fp.py`` checks that both forms silence the same warnings.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np


def _plain_silence() -> Any:
    state = np.errstate(all="ignore")
    state.__enter__()
    return state


def _plain_restore(state: Any) -> None:
    state.__exit__(None, None, None)


try:  # the fast form: numpy >= 2 keeps its error state in one context variable
    from numpy._core._ufunc_config import _extobj_contextvar, _make_extobj

    _IGNORE_ALL = _make_extobj(all="ignore")

    def silence() -> Any:
        """Turn numpy's floating point warnings off; returns the token for :func:`restore`."""
        return _extobj_contextvar.set(_IGNORE_ALL)

    def restore(token: Any) -> None:
        """Undo the :func:`silence` that returned ``token``."""
        _extobj_contextvar.reset(token)

except ImportError:  # pragma: no cover - the public form, same effect
    silence, restore = _plain_silence, _plain_restore


@contextmanager
def quiet() -> Iterator[None]:
    """A block in which numpy emits no floating point ``RuntimeWarning``s (inf/nan results
    are returned silently, as PyTorch does)."""
    token = silence()
    try:
        yield
    finally:
        restore(token)


def quiet_fp(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a function that can produce inf/nan so that it does so silently: the
    ``forward`` of a primitive such as ``log``, ``div`` or ``pow``, or a composite such as a
    loss.  Only what is decorated pays the (small) cost; ``+``, ``-``, ``*`` and ``sigmoid``
    are not: on the hot path of every model it would cost ~7% per op (``bench/ops.py``), and
    they warn only on values that are already inf/nan or overflow the dtype."""

    @functools.wraps(fn)
    def silent(*args: Any, **kwargs: Any) -> Any:
        token = silence()
        try:
            return fn(*args, **kwargs)
        finally:
            restore(token)

    return silent
