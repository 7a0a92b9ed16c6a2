"""Shape-preserving rational cubic interpolation (Delbourgo & Gregory), vectorised.

R. Delbourgo, J. A. Gregory, "Shape preserving piecewise rational interpolation", SIAM J. Sci.
Stat. Comput. 6 (1985) 967-976. Jäckel's "Let's Be Rational" (2015, section 4) builds its
initial implied-volatility guesses from these interpolants: between two nodes with values and
slopes, a control parameter r > −1 picks a curve that keeps monotonicity/convexity and, where
possible, matches a second derivative at one end. All functions take and return float arrays of
one shape (nodes may be per lane).
"""

from __future__ import annotations

import numpy as np

from clearhouse.core.pricing.arrays import FloatArray

_DBL_EPSILON = float(np.finfo(np.float64).eps)
_DBL_MIN = float(np.finfo(np.float64).tiny)
_DBL_MAX = float(np.finfo(np.float64).max)
MINIMUM_CONTROL_PARAMETER = -(1.0 - _DBL_EPSILON**0.5)
MAXIMUM_CONTROL_PARAMETER = 2.0 / (_DBL_EPSILON * _DBL_EPSILON)  # beyond this: linear


def interpolate(
    x: FloatArray,
    x_l: FloatArray,
    x_r: FloatArray,
    y_l: FloatArray,
    y_r: FloatArray,
    d_l: FloatArray,
    d_r: FloatArray,
    r: FloatArray,
) -> FloatArray:
    """The rational cubic through (x_l, y_l, slope d_l) and (x_r, y_r, slope d_r) at x.

    Delbourgo & Gregory eq. (2.4) divided by (2.5); linear when r ≥ MAXIMUM_CONTROL_PARAMETER,
    the midpoint of the values when the interval is empty.
    """
    with np.errstate(all="ignore"):
        h = x_r - x_l
        t = (x - x_l) / h
        omt = 1.0 - t
        t2 = t * t
        omt2 = omt * omt
        numerator = (
            y_r * t2 * t
            + (r * y_r - h * d_r) * t2 * omt
            + (r * y_l + h * d_l) * t * omt2
            + y_l * omt2 * omt
        )
        cubic = numerator / (1.0 + (r - 3.0) * t * omt)
        linear = y_r * t + y_l * omt
    value = np.where(r >= MAXIMUM_CONTROL_PARAMETER, linear, cubic)
    return np.where(np.abs(h) <= 0.0, 0.5 * (y_l + y_r), value)


def control_to_fit_right_second_derivative(
    x_l: FloatArray,
    x_r: FloatArray,
    y_l: FloatArray,
    y_r: FloatArray,
    d_l: FloatArray,
    d_r: FloatArray,
    second_derivative_r: FloatArray,
) -> FloatArray:
    """r such that the interpolant's second derivative at x_r is `second_derivative_r`."""
    with np.errstate(all="ignore"):
        h = x_r - x_l
        numerator = 0.5 * h * second_derivative_r + (d_r - d_l)
        denominator = d_r - (y_r - y_l) / h
        return _ratio_or_limit(numerator, denominator)


def control_to_fit_left_second_derivative(
    x_l: FloatArray,
    x_r: FloatArray,
    y_l: FloatArray,
    y_r: FloatArray,
    d_l: FloatArray,
    d_r: FloatArray,
    second_derivative_l: FloatArray,
) -> FloatArray:
    """r such that the interpolant's second derivative at x_l is `second_derivative_l`."""
    with np.errstate(all="ignore"):
        h = x_r - x_l
        numerator = 0.5 * h * second_derivative_l + (d_r - d_l)
        denominator = (y_r - y_l) / h - d_l
        return _ratio_or_limit(numerator, denominator)


def minimum_control_parameter(
    d_l: FloatArray, d_r: FloatArray, slope: FloatArray, prefer_shape_preservation: bool
) -> FloatArray:
    """The smallest r that keeps the interpolant monotone (eq. 3.8) and convex or concave
    (eq. 3.18) wherever the data are; `slope` is the secant slope of the interval."""
    monotonic = (d_l * slope >= 0.0) & (d_r * slope >= 0.0)
    convex = (d_l <= slope) & (slope <= d_r)
    concave = (d_l >= slope) & (slope >= d_r)
    shaped = convex | concave
    preferred = MAXIMUM_CONTROL_PARAMETER if prefer_shape_preservation else -_DBL_MAX
    with np.errstate(all="ignore"):
        slope_is_zero = np.abs(slope) < _DBL_MIN
        r1 = np.where(slope_is_zero, preferred, (d_r + d_l) / slope)
        r1 = np.where(monotonic, r1, -_DBL_MAX)
        s_minus_dl = slope - d_l
        dr_minus_s = d_r - slope
        degenerate = (np.abs(s_minus_dl) < _DBL_MIN) | (np.abs(dr_minus_s) < _DBL_MIN)
        spread = d_r - d_l
        r2_shaped = np.maximum(np.abs(spread / dr_minus_s), np.abs(spread / s_minus_dl))
    r2 = np.where(degenerate, preferred, r2_shaped)
    r2 = np.where(shaped, r2, np.where(monotonic, preferred, -_DBL_MAX))
    result: FloatArray = np.maximum(np.maximum(r1, r2), MINIMUM_CONTROL_PARAMETER)
    return np.where(monotonic | shaped, result, MINIMUM_CONTROL_PARAMETER)


def convex_control_to_fit_right_second_derivative(
    x_l: FloatArray,
    x_r: FloatArray,
    y_l: FloatArray,
    y_r: FloatArray,
    d_l: FloatArray,
    d_r: FloatArray,
    second_derivative_r: FloatArray,
    prefer_shape_preservation: bool,
) -> FloatArray:
    """The right-side fit, raised to the minimum that preserves the data's shape."""
    r = control_to_fit_right_second_derivative(x_l, x_r, y_l, y_r, d_l, d_r, second_derivative_r)
    with np.errstate(all="ignore"):
        slope = (y_r - y_l) / (x_r - x_l)
    r_min = minimum_control_parameter(d_l, d_r, slope, prefer_shape_preservation)
    return np.maximum(r, r_min)


def convex_control_to_fit_left_second_derivative(
    x_l: FloatArray,
    x_r: FloatArray,
    y_l: FloatArray,
    y_r: FloatArray,
    d_l: FloatArray,
    d_r: FloatArray,
    second_derivative_l: FloatArray,
    prefer_shape_preservation: bool,
) -> FloatArray:
    """The left-side fit, raised to the minimum that preserves the data's shape."""
    r = control_to_fit_left_second_derivative(x_l, x_r, y_l, y_r, d_l, d_r, second_derivative_l)
    with np.errstate(all="ignore"):
        slope = (y_r - y_l) / (x_r - x_l)
    r_min = minimum_control_parameter(d_l, d_r, slope, prefer_shape_preservation)
    return np.maximum(r, r_min)


def _ratio_or_limit(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    limit = np.where(numerator > 0.0, MAXIMUM_CONTROL_PARAMETER, MINIMUM_CONTROL_PARAMETER)
    with np.errstate(all="ignore"):
        ratio = np.where(np.abs(denominator) < _DBL_MIN, limit, numerator / denominator)
    return np.where(np.abs(numerator) < _DBL_MIN, 0.0, ratio)
