"""no_grad / enable_grad / set_grad_enabled as context managers and decorators."""

from __future__ import annotations

import pytest

import tinygrad_lite as tl


def _x():
    return tl.tensor([1.0, 2.0], requires_grad=True)


def test_no_grad_context_records_nothing_and_restores():
    x = _x()
    with tl.no_grad():
        y = x * 2
        assert not tl.is_grad_enabled()
    assert tl.is_grad_enabled()
    assert y.grad_fn is None and not y.requires_grad
    assert (x * 2).requires_grad


def test_enable_grad_inside_no_grad_nested():
    x = _x()
    with tl.no_grad():
        with tl.enable_grad():
            y = x * 2
            with tl.no_grad():
                z = x * 2
            w = x * 3
        v = x * 4
    assert y.requires_grad and w.requires_grad
    assert not z.requires_grad and not v.requires_grad
    assert tl.is_grad_enabled()


def test_context_restores_mode_after_exception():
    with pytest.raises(ValueError):
        with tl.no_grad():
            raise ValueError("boom")
    assert tl.is_grad_enabled()


def test_no_grad_decorator():
    @tl.no_grad()
    def f(x):
        return x * 2

    y = f(_x())
    assert not y.requires_grad
    assert tl.is_grad_enabled()


def test_enable_grad_decorator_inside_no_grad():
    @tl.enable_grad()
    def f(x):
        return x * 2

    with tl.no_grad():
        y = f(_x())
        assert not tl.is_grad_enabled()
    assert y.requires_grad


def test_nested_decorators_and_recursion():
    @tl.no_grad()
    def inner(x):
        assert not tl.is_grad_enabled()
        return x * 2

    @tl.enable_grad()
    def outer(x, depth):
        assert tl.is_grad_enabled()
        a = inner(x)
        assert tl.is_grad_enabled()
        return a if depth == 0 else outer(x, depth - 1) + x

    with tl.no_grad():
        out = outer(_x(), 3)
    assert out.requires_grad  # the "+ x" ran with grad enabled


def test_set_grad_enabled_as_function_context_and_decorator():
    tl.set_grad_enabled(False)
    assert not tl.is_grad_enabled()
    tl.set_grad_enabled(True)
    assert tl.is_grad_enabled()

    with tl.set_grad_enabled(False):
        assert not (_x() * 2).requires_grad
        with tl.set_grad_enabled(True):
            assert (_x() * 2).requires_grad
        assert not tl.is_grad_enabled()
    assert tl.is_grad_enabled()

    @tl.set_grad_enabled(False)
    def f(x):
        return x * 2

    assert tl.is_grad_enabled()  # decorating does not switch grad mode off
    assert not f(_x()).requires_grad
    assert tl.is_grad_enabled()


def test_backward_of_graph_built_before_no_grad_works_inside_it():
    x = _x()
    y = (x * x).sum()
    with tl.no_grad():
        y.backward()
    assert x.grad.tolist() == [2.0, 4.0]


def test_decorator_keeps_function_metadata():
    @tl.no_grad()
    def documented(x):
        """Docstring."""
        return x

    assert documented.__name__ == "documented" and documented.__doc__ == "Docstring."
