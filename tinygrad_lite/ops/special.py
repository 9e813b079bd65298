r"""Special-function primitives numpy lacks or that need care: ``erf``, ``log1p``, ``expm1``.

``erf`` follows W. J. Cody, "Rational Chebyshev approximations for the error function",
Math. Comp. 23 (1969) 631-638 (the coefficients of netlib's ``specfun/CALERF``): three
rational approximations on $|x| \le 0.46875$, $0.46875 < |x| \le 4$ and $|x| > 4$, accurate
to about one ulp in float64.  Evaluated vectorised, each range on its own slice of the input.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_lite.autograd.fp import quiet_fp
from tinygrad_lite.autograd.function import Function
from tinygrad_lite.ops.unary import floating

# erf on |x| <= 0.46875: x * P(x^2) / Q(x^2)
_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
      3.20937758913846947e03, 1.85777706184603153e-1)
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
      2.84423683343917062e03)
# erfc on 0.46875 < |x| <= 4: exp(-x^2) * P(|x|) / Q(|x|)
_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
      2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
      2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
      1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
      3.43936767414372164e03, 1.23033935480374942e03)
# erfc on |x| > 4: exp(-x^2) / |x| * (1/sqrt(pi) - z P(z) / Q(z)), z = 1/x^2
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
      1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_Q = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
      6.05183413124413191e-2, 2.33520497626869185e-3)
_SQRPI = 5.6418958354775628695e-1  # 1 / sqrt(pi)
_THRESH = 0.46875
_XBIG = 26.543  # erfc(x) underflows to 0 beyond this


def _erfc_scaled_tail(y: np.ndarray) -> np.ndarray:
    """``erfc(y)`` for ``y > 0.46875`` (Cody's second and third ranges), float64."""
    out = np.zeros_like(y)
    mid = y <= 4.0
    ym = y[mid]
    num, den = _C[8] * ym, ym.copy()
    for i in range(7):
        num = (num + _C[i]) * ym
        den = (den + _D[i]) * ym
    rmid = (num + _C[7]) / (den + _D[7])
    hi = ~mid & (y < _XBIG)
    yh = y[hi]
    z = 1.0 / (yh * yh)
    num, den = _P[5] * z, z.copy()
    for i in range(4):
        num = (num + _P[i]) * z
        den = (den + _Q[i]) * z
    rhi = (_SQRPI - z * (num + _P[4]) / (den + _Q[4])) / yh
    # exp(-y^2) split as exp(-s^2) exp(-(y-s)(y+s)) with s = y rounded down to 1/16:
    # keeps the rounding error of y*y out of the exponent (Cody's trick)
    for mask, yy, r in ((mid, ym, rmid), (hi, yh, rhi)):
        s = np.trunc(yy * 16.0) / 16.0
        out[mask] = np.exp(-s * s) * np.exp(-(yy - s) * (yy + s)) * r
    return out


def erf_array(x: np.ndarray) -> np.ndarray:
    r"""$\mathrm{erf}(x) = \frac{2}{\sqrt\pi}\int_0^x e^{-t^2}dt$ of a float array."""
    x64 = np.asarray(x, dtype=np.float64)
    y = np.abs(x64)
    out = np.empty_like(x64)
    small = y <= _THRESH
    xs = x64[small]
    ysq = xs * xs
    num, den = _A[4] * ysq, ysq.copy()
    for i in range(3):
        num = (num + _A[i]) * ysq
        den = (den + _B[i]) * ysq
    out[small] = xs * (num + _A[3]) / (den + _B[3])
    big = ~small
    yb = y[big]
    erfc = _erfc_scaled_tail(yb)
    out[big] = np.where(x64[big] < 0, -1.0, 1.0) * ((0.5 - erfc) + 0.5)
    nan = np.isnan(x64)
    if nan.any():
        out[nan] = np.nan
    x = np.asarray(x)
    return out.astype(x.dtype if x.dtype.kind == "f" else np.float32, copy=False)


_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


class Erf(Function):
    r"""$y = \mathrm{erf}(x)$ (Cody's rational approximations, ~1 ulp in float64).

    Backward: $\bar x = \bar y \cdot \frac{2}{\sqrt\pi} e^{-x^2}$ (smooth everywhere).
    """

    @quiet_fp
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.saved = (x,)
        return erf_array(x)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        return grad * (_TWO_OVER_SQRT_PI * self.xp.exp(-(x * x)))


class Log1p(Function):
    r"""$y = \log(1 + x)$, accurate for tiny $x$. Backward: $\bar x = \bar y / (1 + x)$."""

    @quiet_fp
    def forward(self, x: np.ndarray) -> np.ndarray:
        x = floating(x)
        self.saved = (x,)
        return np.log1p(x)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        return grad / (x + 1)


class Expm1(Function):
    r"""$y = e^x - 1$, accurate for tiny $x$. Backward: $\bar x = \bar y\,(y + 1)$."""

    @quiet_fp
    def forward(self, x: np.ndarray) -> np.ndarray:
        y = np.expm1(floating(x))
        self.saved = (y,)
        return y

    def backward(self, grad: Any) -> Any:
        (y,) = self.saved
        return grad * (y + 1)


def erf(x: Any) -> Any:
    """Elementwise error function of a Tensor."""
    return Erf.apply(x)


def log1p(x: Any) -> Any:
    """Elementwise ``log(1 + x)`` of a Tensor."""
    return Log1p.apply(x)


def expm1(x: Any) -> Any:
    """Elementwise ``exp(x) - 1`` of a Tensor."""
    return Expm1.apply(x)
