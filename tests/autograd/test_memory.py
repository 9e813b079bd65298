"""No reference cycles keep activations alive: saved arrays are freed by refcounting alone."""

from __future__ import annotations

import gc
import weakref

import numpy as np

import tinygrad_lite as tl


def test_backward_frees_intermediate_arrays_without_gc():
    gc.disable()
    try:
        x = tl.tensor(np.ones(1000), requires_grad=True)
        y = x
        refs = []
        for _ in range(5):
            y = y.exp() * 0.5
            refs.append(weakref.ref(y.grad_fn.parents[0].saved[0]))  # Exp's saved output array
        loss = y.sum()
        del y
        assert all(r() is not None for r in refs)  # the graph keeps them alive for backward
        loss.backward()
        assert all(r() is None for r in refs)  # freed by refcounting alone: no cycles
        assert x.grad is not None
    finally:
        gc.enable()


def test_dropping_the_graph_without_backward_frees_everything_without_gc():
    gc.disable()
    try:
        x = tl.tensor(np.ones(1000), requires_grad=True)
        y = x.exp()
        node = weakref.ref(y.grad_fn)
        arr = weakref.ref(y.grad_fn.saved[0])
        loss = (y * y).sum()
        del y, loss
        assert node() is None and arr() is None
    finally:
        gc.enable()


def test_retain_graph_keeps_saved_arrays_until_the_graph_is_dropped():
    gc.disable()
    try:
        x = tl.tensor(np.ones(10), requires_grad=True)
        y = x.exp()
        ref = weakref.ref(y.grad_fn.saved[0])
        loss = y.sum()
        del y
        loss.backward(retain_graph=True)
        assert ref() is not None
        del loss
        assert ref() is None
    finally:
        gc.enable()


def test_backward_memory_is_released_tracemalloc():
    import tracemalloc

    x = tl.tensor(np.ones(100_000), requires_grad=True)
    tracemalloc.start()
    try:
        y = x
        for _ in range(10):
            y = (y * 1.0001).tanh()
        loss = y.sum()
        del y
        before, _ = tracemalloc.get_traced_memory()
        loss.backward()
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # 20 saved float32 arrays of 400 kB each were held before backward; after it, about x.grad
    assert before > 8_000_000
    assert after < before - 6_000_000
