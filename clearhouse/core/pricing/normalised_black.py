"""Jäckel's normalised Black function b(x, s) for out-of-the-money calls, vectorised.

With x = ln(F/K) ≤ 0 and s = σ√T, the undiscounted Black call divided by √(F·K) is

    b(x, s) = e^{x/2}·Φ(x/s + s/2) − e^{−x/2}·Φ(x/s − s/2),   0 ≤ b < b_max = e^{x/2}.

The two terms nearly cancel far out of the money and for small s, so the plain formula loses up
to ~5 significant digits there (measured against mpmath: 9e-9 relative at b ≈ 1e-278, 3e-11 at
b ≈ 1e-6). Following P. Jäckel, "Let's Be Rational", Wilmott (2015) 40-53, section 3 and the
reference implementation (www.jaeckel.org/LetsBeRational.7z), b is evaluated in four regions
with h = x/s and t = s/2:

1. h < −10 and t small relative to |h|: 17th-order asymptotic expansion (A&S 26.2.12);
2. t < τ = 2·ε^{1/16} ≈ 0.21: a 13th-order Taylor series in t of the erfcx form below (the
   same order as Jäckel's expansion of Y(h+t) − Y(h−t), Y = Φ/φ, evaluated by a recurrence);
3. h + t > 0.85 (b is dominated by the first term): the plain Φ formula;
4. otherwise ½·e^{−(h²+t²)/2}·[erfcx(−(h+t)/√2) − erfcx(−(h−t)/√2)] (one exponential).

Each region is evaluated only on its own lanes (gather, compute, scatter).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from clearhouse.core.pricing.arrays import BoolArray, FloatArray
from clearhouse.core.pricing.normal import (
    ONE_OVER_SQRT_TWO,
    ONE_OVER_SQRT_TWO_PI,
    SQRT_TWO_PI,
    erfcx,
    norm_cdf,
)

DBL_EPSILON = float(np.finfo(np.float64).eps)
_ASYMPTOTIC_EXPANSION_THRESHOLD = -10.0  # η: region 1 needs h < η
_SMALL_T_THRESHOLD = 2.0 * DBL_EPSILON**0.0625  # τ = 2·ε^(1/16) ≈ 0.2102
_PHI_THRESHOLD = 0.85  # region 3 when h + t > 0.85


def normalised_black_call(x: FloatArray, s: FloatArray) -> FloatArray:
    """b(x, s) for x ≤ 0 (the out-of-the-money call) and s ≥ 0; b(x, 0) = 0.

    `x` and `s` are 1-d arrays of equal length.
    """
    return normalised_black_call_and_vega(x, s)[0]


def normalised_black_call_and_vega(x: FloatArray, s: FloatArray) -> tuple[FloatArray, FloatArray]:
    """b(x, s) and its vega ∂b/∂s = exp(−(h² + t²)/2)/√(2π), evaluated together: three of the
    four regions compute that exponential anyway."""
    b = np.zeros(s.shape)
    vega = np.empty(s.shape)
    with np.errstate(all="ignore"):
        positive = s > 0.0
        half_s_squared = 0.5 * s * s
        asymptotic = (
            positive
            & (x < s * _ASYMPTOTIC_EXPANSION_THRESHOLD)
            & (half_s_squared + x < s * (_SMALL_T_THRESHOLD + _ASYMPTOTIC_EXPANSION_THRESHOLD))
        )
        small_t = positive & ~asymptotic & (s < 2.0 * _SMALL_T_THRESHOLD)
        phi_formula = positive & ~asymptotic & ~small_t & (x + half_s_squared > s * _PHI_THRESHOLD)
        erfcx_formula = positive & ~(asymptotic | small_t | phi_formula)
        for mask, region in (
            (small_t, _small_t_expansion),
            (erfcx_formula, _using_erfcx),
            (phi_formula, _using_norm_cdf),
            (asymptotic, _asymptotic_expansion),
        ):
            _apply(mask, region, x, s, b, vega)
        not_positive = ~positive
        if not_positive.any():
            # s = 0: b = 0 and b' = 0, except b'(0, 0) = 1/√(2π) at the money.
            vega[not_positive] = np.where(x[not_positive] == 0.0, ONE_OVER_SQRT_TWO_PI, 0.0)
    np.maximum(b, 0.0, out=b)
    return b, vega


def normalised_vega(x: FloatArray, s: FloatArray) -> FloatArray:
    """∂b/∂s = φ(x/s + s/2)·e^{x/2} = exp(−(x²/s² + s²/4)/2)/√(2π); 0 at s = 0 unless x = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.where(x == 0.0, 0.0, x / s)
    t = 0.5 * s
    return np.exp(-0.5 * (h * h + t * t)) * ONE_OVER_SQRT_TWO_PI


# A region maps (x, s) of its lanes to (b, vega).
_Region = Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]


def _apply(
    mask: BoolArray,
    region: _Region,
    x: FloatArray,
    s: FloatArray,
    b: FloatArray,
    vega: FloatArray,
) -> None:
    if mask.all():
        b[:], vega[:] = region(x, s)
        return
    index = np.flatnonzero(mask)
    if index.size:
        b[index], vega[index] = region(x[index], s[index])


def _gaussian(h: FloatArray, t: FloatArray) -> FloatArray:
    """exp(−(h² + t²)/2), which is √(2π)·vega."""
    return np.exp(-0.5 * (h * h + t * t))


def _using_norm_cdf(x: FloatArray, s: FloatArray) -> tuple[FloatArray, FloatArray]:
    h = x / s
    t = 0.5 * s
    b_max = np.exp(0.5 * x)
    b = norm_cdf(h + t) * b_max - norm_cdf(h - t) / b_max
    return b, _gaussian(h, t) * ONE_OVER_SQRT_TWO_PI


def _using_erfcx(x: FloatArray, s: FloatArray) -> tuple[FloatArray, FloatArray]:
    # Φ(z) = ½·e^{−z²/2}·erfcx(−z/√2) turns b into one exponential times a difference of two
    # rational-function values (Jäckel 2015, eq. (3.6)); the exponentials of the two Φ terms
    # would each carry ~14 digits only for large |z| (Marsaglia 2004, section 4).
    h = x / s
    t = 0.5 * s
    difference = erfcx(-ONE_OVER_SQRT_TWO * (h + t)) - erfcx(-ONE_OVER_SQRT_TWO * (h - t))
    gaussian = _gaussian(h, t)
    return 0.5 * gaussian * difference, gaussian * ONE_OVER_SQRT_TWO_PI


# Region 2 as a Taylor series. With u = −h/√2 ≥ 0 and δ = t/√2, the erfcx form of b is
#     b = ½·e^{−(h²+t²)/2}·[y(u − δ) − y(u + δ)] = −e^{−(h²+t²)/2}·Σ_{k odd} y⁽ᵏ⁾(u)·δᵏ/k!,
# y = erfcx. Every term is positive (y⁽ᵏ⁾ alternates in sign), so the small difference that
# makes region 4 inaccurate for small t never forms. The derivatives follow from erfcx's
# differential equation y′ = 2u·y − 2/√π, differentiated: y⁽ⁿ⁺¹⁾ = 2u·y⁽ⁿ⁾ + 2n·y⁽ⁿ⁻¹⁾. Terms up
# to δ¹³ match the order of Jäckel's region-II expansion (2015, eq. (3.5), t¹² in Y(h+t) −
# Y(h−t)) at about half its arithmetic; measured against mpmath over h ∈ [−10, 0],
# t ∈ (0, τ): 4.7e-14 relative, the same as the reference polynomial.
_SMALL_T_ORDER = 13
_INVERSE_FACTORIALS = tuple(1.0 / math.factorial(k) for k in range(_SMALL_T_ORDER + 1))
_TWO_OVER_SQRT_PI = 1.128379167095512573896158903121545171688101258657997713688171443


def _small_t_expansion(x: FloatArray, s: FloatArray) -> tuple[FloatArray, FloatArray]:
    h = x / s
    t = 0.5 * s
    u = -ONE_OVER_SQRT_TWO * h
    delta = ONE_OVER_SQRT_TWO * t
    two_u = 2.0 * u
    derivatives = [erfcx(u)]
    derivatives.append(two_u * derivatives[0] - _TWO_OVER_SQRT_PI)
    for n in range(1, _SMALL_T_ORDER):
        derivatives.append(two_u * derivatives[n] + (2.0 * n) * derivatives[n - 1])
    delta2 = delta * delta
    series = derivatives[_SMALL_T_ORDER] * _INVERSE_FACTORIALS[_SMALL_T_ORDER]
    for k in range(_SMALL_T_ORDER - 2, 0, -2):
        series = series * delta2 + derivatives[k] * _INVERSE_FACTORIALS[k]
    vega = _gaussian(h, t) * ONE_OVER_SQRT_TWO_PI
    # −e^{…}·δ·series, with e^{…} = √(2π)·vega.
    return -SQRT_TWO_PI * vega * delta * series, vega


# The asymptotic expansion of A(h, t) = (r/t)·[Y(h+t) − Y(h−t)] in q = (h/r)², with
# r = (h+t)(h−t) and e = (t/h)² (Jäckel 2015, eq. (3.4); 17 terms, relative accuracy 1.64e-16
# for h ≤ −10). The reference nests it as P_0 + q·(P_1 + 3q·(P_2 + 5q·(P_3 + ... 33q·P_17))):
# one row per n, (odd factor, coefficients of P_n(e) lowest power first).
_ASYMPTOTIC_TERMS: tuple[tuple[float, tuple[float, ...]], ...] = (
    (1.0, (2.0,)),
    (1.0, (-6.0, -2.0)),
    (3.0, (10.0, 20.0, 2.0)),
    (5.0, (-14.0, -70.0, -42.0, -2.0)),
    (7.0, (18.0, 168.0, 252.0, 72.0, 2.0)),
    (9.0, (-22.0, -330.0, -924.0, -660.0, -110.0, -2.0)),
    (11.0, (26.0, 572.0, 2574.0, 3432.0, 1430.0, 156.0, 2.0)),
    (13.0, (-30.0, -910.0, -6006.0, -12870.0, -10010.0, -2730.0, -210.0, -2.0)),
    (15.0, (34.0, 1360.0, 12376.0, 38896.0, 48620.0, 24752.0, 4760.0, 272.0, 2.0)),
    (
        17.0,
        (-38.0, -1938.0, -23256.0, -100776.0, -184756.0, -151164.0, -54264.0, -7752.0, -342.0,
         -2.0),
    ),
    (
        19.0,
        (42.0, 2660.0, 40698.0, 232560.0, 587860.0, 705432.0, 406980.0, 108528.0, 11970.0, 420.0,
         2.0),
    ),
    (
        21.0,
        (-46.0, -3542.0, -67298.0, -490314.0, -1634380.0, -2704156.0, -2288132.0, -980628.0,
         -201894.0, -17710.0, -506.0, -2.0),
    ),
    (
        23.0,
        (50.0, 4600.0, 106260.0, 961400.0, 4085950.0, 8914800.0, 10400600.0, 6537520.0,
         2163150.0, 354200.0, 25300.0, 600.0, 2.0),
    ),
    (
        25.0,
        (-54.0, -5850.0, -161460.0, -1776060.0, -9373650.0, -26075790.0, -40116600.0,
         -34767720.0, -16872570.0, -4440150.0, -592020.0, -35100.0, -702.0, -2.0),
    ),
    (
        27.0,
        (58.0, 7308.0, 237510.0, 3121560.0, 20030010.0, 69194580.0, 135727830.0, 155117520.0,
         103791870.0, 40060020.0, 8584290.0, 950040.0, 47502.0, 812.0, 2.0),
    ),
    (
        29.0,
        (-62.0, -8990.0, -339822.0, -5259150.0, -40320150.0, -169344630.0, -412506150.0,
         -601080390.0, -530365050.0, -282241050.0, -88704330.0, -15777450.0, -1472562.0,
         -62930.0, -930.0, -2.0),
    ),
    (
        31.0,
        (66.0, 10912.0, 474672.0, 8544096.0, 77134200.0, 387073440.0, 1146332880.0,
         2074316640.0, 2333606220.0, 1637618400.0, 709634640.0, 185122080.0, 27768312.0,
         2215136.0, 81840.0, 1056.0, 2.0),
    ),
    (
        33.0,
        (-70.0, -13090.0, -649264.0, -13449040.0, -141214920.0, -834451800.0, -2952675600.0,
         -6495886320.0, -9075135300.0, -8119857900.0, -4639918800.0, -1668903600.0,
         -367158792.0, -47071640.0, -3246320.0, -104720.0, -1190.0, -2.0),
    ),
)


def _asymptotic_expansion(x: FloatArray, s: FloatArray) -> tuple[FloatArray, FloatArray]:
    # b = φ-prefactor·(t/r)·A(h, t) for large negative h (Jäckel 2015, eq. (3.4)). The nested
    # reference form is sum = c0 + q·(c1 + 3q·(c2 + 5q·(c3 + ...))), i.e. Horner in q with the
    # odd factors (2n−1) folded in, evaluated here from the innermost term outwards.
    h = x / s
    t = 0.5 * s
    e = (t / h) * (t / h)
    r = (h + t) * (h - t)
    q = (h / r) * (h / r)
    total: FloatArray | float = 0.0
    for factor, coefficients in reversed(_ASYMPTOTIC_TERMS[1:]):
        total = factor * q * (_polynomial(e, coefficients) + total)
    total = _polynomial(e, _ASYMPTOTIC_TERMS[0][1]) + total
    vega = _gaussian(h, t) * ONE_OVER_SQRT_TWO_PI
    return vega * (t / r) * total, vega


def _polynomial(e: FloatArray, coefficients: tuple[float, ...]) -> FloatArray:
    """Σ coefficients[i]·eⁱ by Horner's rule."""
    value: FloatArray = np.full(e.shape, coefficients[-1])
    for c in reversed(coefficients[:-1]):
        value = value * e + c
    return value

