"""Intra-op threads (tinygrad_lite/parallel.py): the thread-count API, and threaded kernels that
give bitwise the values of one thread in every memory order, quietly, with errors raised."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_lite as tl
from tinygrad_lite import parallel


@pytest.fixture
def threads():
    """Restore the thread count after the test."""
    before = parallel._state["threads"]
    yield
    parallel._state["threads"] = before
    parallel._state["pool"] = None


def _big(shape=(3, 250, 300), seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32) * 5


def test_thread_count_api(threads):
    assert tl.get_num_threads() >= 1
    tl.set_num_threads(3)
    assert tl.get_num_threads() == 3
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="set_num_threads"):
            tl.set_num_threads(bad)


def test_default_is_capped_by_omp_num_threads(threads, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    parallel._state["threads"] = None
    assert tl.get_num_threads() == 1


@pytest.mark.parametrize("layout", ["c", "f", "chwn", "sliced", "reversed"])
@pytest.mark.parametrize("op", ["tanh", "sigmoid", "exp", "log"])
def test_threaded_kernels_equal_one_thread_bitwise(threads, layout, op):
    x = _big()
    if op == "log":
        x = np.abs(x) + 0.1
    x = {"c": x, "f": np.asfortranarray(x),
         "chwn": np.ascontiguousarray(x.transpose(1, 2, 0)).transpose(2, 0, 1),
         "sliced": x[:, ::2], "reversed": x[:, ::-1]}[layout]
    results = []
    for n in (1, 2, 3):
        tl.set_num_threads(n)
        y = getattr(tl.tensor(x), op)().numpy()
        results.append(y)
    for y in results[1:]:
        assert y.strides == results[0].strides or layout in ("sliced", "reversed")
        np.testing.assert_array_equal(y, results[0])
    direct = {"tanh": np.tanh, "exp": np.exp, "log": np.log,
              "sigmoid": lambda v: 1 / (1 + np.exp(-v))}[op](x.astype(np.float64))
    np.testing.assert_allclose(results[-1], direct, rtol=1e-6)


def test_large_contiguous_inputs_do_take_the_threads(threads, monkeypatch):
    calls = []
    real = parallel._quietly
    monkeypatch.setattr(parallel, "_quietly", lambda *a: (calls.append(1), real(*a)))
    tl.set_num_threads(3)
    tl.tensor(_big()).tanh()
    assert len(calls) == 3
    calls.clear()
    tl.tensor(_big()[:, ::2]).tanh()  # not contiguous: one thread, numpy's own call
    tl.tensor(_big((10, 10))).tanh()  # small: one thread
    assert calls == []


def test_worker_threads_are_quiet_and_exact_at_overflow(threads):
    tl.set_num_threads(2)
    x = np.full(parallel.MIN_ELEMENTS * 2, 1000.0, np.float32)
    x[: x.size // 2] = -1000.0  # exp overflows in one half, sigmoid's exp(-x) in the other
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        e = tl.tensor(x).exp().numpy()
        s = tl.tensor(x).sigmoid().numpy()
    assert np.isinf(e[-1]) and e[0] == 0.0
    assert s[0] == 0.0 and s[-1] == 1.0


def test_an_error_in_a_worker_is_raised(threads):
    tl.set_num_threads(2)

    def kernel(x, out):
        if x[0] > 0:
            raise RuntimeError("boom")
        out[...] = x

    x = np.concatenate([-np.ones(parallel.MIN_ELEMENTS), np.ones(parallel.MIN_ELEMENTS)])
    with pytest.raises(RuntimeError, match="boom"):
        parallel.elementwise(kernel, x)


def test_gradients_through_threaded_ops_match_one_thread(threads):
    x0 = _big((2, 200, 400))
    grads = []
    for n in (1, 2):
        tl.set_num_threads(n)
        x = tl.tensor(x0, requires_grad=True)
        (x.tanh() * x.sigmoid() + (x * 0.1).exp() + x.abs().add(1).log()).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_array_equal(grads[0], grads[1])


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_threads_work_in_a_forked_child(threads):
    import multiprocessing

    tl.set_num_threads(2)
    x = _big()
    expected = tl.tensor(x).tanh().numpy()  # the parent's pool exists now
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as pool:
        got = pool.apply_async(_tanh_in_child, (x,)).get(timeout=60)
    np.testing.assert_array_equal(got, expected)


def _tanh_in_child(x):
    return tl.tensor(x).tanh().numpy()
