"""gradcheck / gradgradcheck: pass on correct gradients and kinks, fail loudly on wrong ones."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lite as tl
from tinygrad_lite.autograd import Function, gradcheck, gradgradcheck
from tinygrad_lite.autograd.gradcheck import GradcheckError


def _t(values, requires_grad=True):
    return tl.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


class WrongSin(Function):
    """sin with a wrong derivative (cos scaled by 2 on element 1 only)."""

    def forward(self, x):
        self.saved = (x,)
        return np.sin(x)

    def backward(self, grad):
        (x,) = self.saved
        scale = np.ones_like(x)
        scale.flat[1] = 2
        return grad * np.cos(x) * scale


class KinkTooFar(Function):
    """relu whose 'subgradient' at 0 is 2 -- outside [0, 1], so gradcheck must fail."""

    def forward(self, x):
        self.saved = (x,)
        return np.maximum(x, 0)

    def backward(self, grad):
        (x,) = self.saved
        return grad * np.where(x > 0, 1.0, np.where(x == 0, 2.0, 0.0))


def test_passes_on_correct_gradients_with_broadcasting():
    a = _t(np.linspace(-1, 1, 6).reshape(2, 3))
    b = _t([[0.5], [2.0]])
    assert gradcheck(lambda a, b: (a * b).sin() + a / (b * b), (a, b))


def test_several_outputs_and_constant_inputs():
    a, c = _t([0.3, -0.7]), _t([2.0, 3.0], requires_grad=False)
    assert gradcheck(lambda a, c: (a * c, a.exp()), (a, c))


def test_failure_names_worst_element_with_analytic_and_numeric():
    x = _t([[0.1, 0.2], [0.3, 0.4]])
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x: WrongSin.apply(x), (x,))
    msg = str(info.value)
    assert "input 0 (shape (2, 2)) element (0, 1)" in msg
    assert "output 0 element (0, 1)" in msg
    assert f"analytical  {2 * np.cos(0.2):.10g}" in msg
    assert "numerical   0.98006" in msg
    assert "1 of 16 Jacobian entries" in msg


def test_raise_exception_false_returns_false():
    x = _t([0.1, 0.2])
    assert gradcheck(lambda x: WrongSin.apply(x), (x,), raise_exception=False) is False


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: x.relu(),
        lambda x: x.abs(),
        lambda x: x.clamp(-1.0, 0.0),
        lambda x: x.maximum(_t([0.0, 0.0, 0.0], requires_grad=False)),
        lambda x: x.minimum(_t([0.0, -1.0, 2.0], requires_grad=False)),
    ],
    ids=["relu", "abs", "clamp", "maximum", "minimum"],
)
def test_kinks_accept_any_subgradient(fn):
    x = _t([0.0, -1.0, 1.0])  # 0 is a kink of all; -1 and 0 are clamp's bounds
    assert gradcheck(fn, (x,))


def test_kink_outside_subdifferential_fails():
    x = _t([0.0, 1.0])
    with pytest.raises(GradcheckError, match="one-sided: left 0, right 1"):
        gradcheck(lambda x: KinkTooFar.apply(x), (x,))


def test_discontinuity_still_fails():
    x = _t([0.0])
    with pytest.raises(GradcheckError, match="analytical  0"):
        gradcheck(lambda x: x.sign(), (x,))


def test_float32_inputs_are_rejected():
    with pytest.raises(ValueError, match="input 0 has dtype float32.*float64"):
        gradcheck(lambda x: x * 2, (tl.tensor([1.0], requires_grad=True),))


def test_no_input_requires_grad_is_rejected():
    with pytest.raises(ValueError, match="no input requires grad"):
        gradcheck(lambda x: x * 2, (_t([1.0], requires_grad=False),))


def test_gradient_shape_mismatch_is_reported():
    class BadShape(Function):
        def forward(self, x):
            return x * 2

        def backward(self, grad):
            return grad.sum()

    with pytest.raises(GradcheckError, match=r"input 0 has shape \(\), but the input has"):
        gradcheck(lambda x: BadShape.apply(x), (_t([1.0, 2.0]),))


def test_gradgradcheck_passes_on_smooth_composite():
    x, y = _t([[0.3, -0.4, 1.1]]), _t([[0.5], [-1.5]])
    assert gradgradcheck(lambda x, y: (x * y).tanh() * x.sin() + (x / y).exp(), (x, y))


def test_gradgradcheck_with_explicit_grad_outputs():
    x = _t([0.3, -0.4])
    v = _t([1.0, -2.0])
    assert gradgradcheck(lambda x: x * x * x, (x,), grad_outputs=(v,))


def test_gradgradcheck_catches_a_wrong_second_derivative():
    class SquareConstGrad(Function):
        """x^2 whose backward treats x as a constant (a numpy op): second order is lost."""

        def forward(self, x):
            self.saved = (x,)
            return x * x

        def backward(self, grad):
            (x,) = self.saved
            return grad * 2 * np.asarray(getattr(x, "data", x))

    x = _t([0.5, 1.5])
    assert gradcheck(lambda x: SquareConstGrad.apply(x), (x,))
    with pytest.raises(GradcheckError, match="Jacobian mismatch"):
        gradgradcheck(lambda x: SquareConstGrad.apply(x), (x,))
