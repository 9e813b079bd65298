"""detect_anomaly(): the first NaN/Inf in backward names the op and its forward call site."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tl
from tinygrad_lite.autograd import detect_anomaly, is_anomaly_enabled

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy's divide by zero


def test_sqrt_of_zero_names_sqrt_backward_and_the_user_line():
    x = tl.tensor([0.0, 4.0], requires_grad=True)
    with detect_anomaly():
        y = x.sqrt()  # the culprit: d sqrt(x)/dx is infinite at 0
        loss = (y * 2).sum()
        with pytest.raises(RuntimeError) as info:
            loss.backward()
    message = str(info.value)
    assert "SqrtBackward" in message and "inf" in message
    assert "test_anomaly.py" in message and "y = x.sqrt()" in message
    # the creation site ends at the user's line, not inside the framework
    last_line = message.strip().splitlines()[-1].strip()
    assert last_line.startswith("y = x.sqrt()  # the culprit")


def test_log_of_zero_names_log_backward():
    x = tl.tensor([0.0, 1.0], requires_grad=True)
    with detect_anomaly():
        z = x.log()
        with pytest.raises(RuntimeError, match=r"Function 'LogBackward' returned inf values"):
            z.sum().backward()


def test_nan_from_backward_is_reported_as_nan():
    x = tl.tensor([0.0], requires_grad=True)
    with detect_anomaly():
        y = x.sqrt() * 0  # 0 * inf in backward of sqrt: grad 0 / (2 * 0) = nan
        with pytest.raises(RuntimeError, match="SqrtBackward' returned nan"):
            y.sum().backward()


def test_without_anomaly_mode_backward_silently_returns_inf():
    x = tl.tensor([0.0], requires_grad=True)
    x.sqrt().sum().backward()
    assert np.isinf(x.grad.data[0])


def test_forward_outside_anomaly_mode_still_names_the_op():
    x = tl.tensor([0.0], requires_grad=True)
    y = x.sqrt()
    with detect_anomaly(), pytest.raises(RuntimeError, match="SqrtBackward.*\n.*\n.*outside"):
        y.sum().backward()


def test_finite_backward_passes_and_mode_is_restored():
    x = tl.tensor([1.0, 4.0], requires_grad=True)
    assert not is_anomaly_enabled()
    with detect_anomaly():
        assert is_anomaly_enabled()
        x.sqrt().sum().backward()
    assert not is_anomaly_enabled()
    assert np.allclose(x.grad.data, [0.5, 0.25])


def test_detect_anomaly_as_decorator():
    @detect_anomaly()
    def run():
        x = tl.tensor([0.0], requires_grad=True)
        x.log().sum().backward()

    with pytest.raises(RuntimeError, match="LogBackward"):
        run()
    assert not is_anomaly_enabled()


def test_anomaly_under_create_graph():
    x = tl.tensor([0.0, 1.0], dtype=np.float64, requires_grad=True)
    with detect_anomaly():
        y = (x**3).sum()
        (g,) = tl.autograd.grad(y, x, create_graph=True)
        h = g.sqrt()  # sqrt(3 x^2) at 0: infinite slope
        with pytest.raises(RuntimeError, match="SqrtBackward"):
            h.sum().backward()
