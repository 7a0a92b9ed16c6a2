"""Black-76 prices and Greeks: against py_vollib, QuantLib and an mpmath reference, by put-call
parity, by finite differences, and at the edges of the domain.

Tolerances (F = forward):
- price: |ours − reference| < 1e-10·F against py_vollib and QuantLib (the brief's bar; measured
  6e-15·F and 3e-14·F); against the 50-digit mpmath reference < 4 ulps of max(F, K) (all three
  libraries measure 1.1e-14·F there, the rounding of a deep put worth ~55·F).
- delta: 1e-13 absolute; gamma: 1e-12 relative + 1e-14/(F·σ√T) absolute; vega, theta, rho:
  1e-12·F absolute plus 1e-12 relative, after converting py_vollib's units (vega and rho per
  1 %, theta per day) to ours (per unit, per year). Against QuantLib's BlackCalculator: vega
  the same, forward delta 1e-12 and forward gamma 1e-10 relative (both libraries sit ~1e-13
  off the 40-digit value there: the rounding of d1 ≈ ln(F/K)/σ√T for short expiries).
  Measured against py_vollib: delta ≤ 2.2e-16, vega and rho ≤ 6e-16·F, theta ≤ 5e-15·F,
  gamma ≤ 1e-14 relative.
"""

from __future__ import annotations

import numpy as np
import pytest
from pricing_cases import OptionSet, make_option_set
from pricing_references import mp_black76, mpmath, py_vollib_black, quantlib

from clearhouse.core.pricing import (
    black76_greeks,
    black76_price,
    black76_price_scalar,
)
from clearhouse.core.pricing.arrays import CHUNK_SIZE


def _ours(options: OptionSet) -> tuple[np.ndarray, ...]:
    g = black76_greeks(
        options.forward, options.strike, options.time_years, options.vol, options.rate,
        options.is_call,
    )
    return g.price, g.delta, g.gamma, g.vega, g.theta, g.rho


def test_prices_match_py_vollib_within_1e_10_of_forward(option_set: OptionSet) -> None:
    black = py_vollib_black()
    price = black76_price(
        option_set.forward, option_set.strike, option_set.time_years, option_set.vol,
        option_set.rate, option_set.is_call,
    )
    reference = np.array(
        [
            black.black("c" if c else "p", f, k, t, r, v)
            for f, k, t, v, r, c in zip(
                option_set.forward, option_set.strike, option_set.time_years, option_set.vol,
                option_set.rate, option_set.is_call, strict=True,
            )
        ]
    )
    error = np.abs(price - reference) / option_set.forward
    assert error.max() < 1e-10, f"max |Δprice|/F = {error.max():.3g}"


def test_prices_match_quantlib_black_formula_within_1e_10_of_forward(
    option_set: OptionSet,
) -> None:
    ql = quantlib()
    price = black76_price(
        option_set.forward, option_set.strike, option_set.time_years, option_set.vol,
        option_set.rate, option_set.is_call,
    )
    reference = np.array(
        [
            ql.blackFormula(
                ql.Option.Call if c else ql.Option.Put, k, f, v * np.sqrt(t), np.exp(-r * t)
            )
            for f, k, t, v, r, c in zip(
                option_set.forward, option_set.strike, option_set.time_years, option_set.vol,
                option_set.rate, option_set.is_call, strict=True,
            )
        ]
    )
    error = np.abs(price - reference) / option_set.forward
    assert error.max() < 1e-10, f"max |Δprice|/F = {error.max():.3g}"


def test_prices_match_a_50_digit_reference_to_a_few_ulps() -> None:
    mp = mpmath()
    mp.mp.dps = 50
    options = make_option_set(600, seed=11)
    price = black76_price(
        options.forward, options.strike, options.time_years, options.vol, options.rate,
        options.is_call,
    )
    reference = np.array(
        [
            float(mp_black76(mp, f, k, t, v, r, bool(c)))
            for f, k, t, v, r, c in zip(
                options.forward, options.strike, options.time_years, options.vol, options.rate,
                options.is_call, strict=True,
            )
        ]
    )
    # A few ulps of the larger of F and K: a deep in-the-money put is worth ~K, up to 55·F here.
    scale = np.maximum(options.forward, options.strike)
    error = np.abs(price - reference) / scale
    assert error.max() < 4 * np.finfo(np.float64).eps, f"max |Δprice|/max(F, K) = {error.max():.3g}"


def test_greeks_match_py_vollib_analytical_greeks(option_set: OptionSet) -> None:
    py_vollib_black()
    import py_vollib.black.greeks.analytical as analytical

    options = option_set.subset(slice(0, 5000))
    price, delta, gamma, vega, theta, rho = _ours(options)
    rows = list(
        zip(
            options.forward, options.strike, options.time_years, options.vol, options.rate,
            options.is_call, strict=True,
        )
    )

    def reference(name: str, scale: float) -> np.ndarray:
        function = getattr(analytical, name)
        return np.array([function("c" if c else "p", f, k, t, r, v) for f, k, t, v, r, c in rows])

    f = options.forward
    s = options.vol * np.sqrt(options.time_years)
    assert np.abs(delta - reference("delta", 1.0)).max() < 1e-13
    gamma_ref = reference("gamma", 1.0)
    assert np.all(np.abs(gamma - gamma_ref) <= 1e-12 * np.abs(gamma_ref) + 1e-14 / (f * s))
    for ours, name, to_our_units in ((vega, "vega", 100.0), (theta, "theta", 365.0),
                                     (rho, "rho", 100.0)):
        ref = reference(name, 1.0) * to_our_units
        assert np.all(np.abs(ours - ref) <= 1e-12 * f + 1e-12 * np.abs(ref)), name


def test_forward_greeks_match_quantlib_black_calculator(option_set: OptionSet) -> None:
    # QuantLib's rho and theta hold the spot fixed (the forward moves with r and T), ours hold
    # the forward fixed, so only delta, gamma and vega share a convention.
    ql = quantlib()
    options = option_set.subset(slice(0, 5000))
    _, delta, gamma, vega, _, _ = _ours(options)
    for i in range(options.size):
        f, k, t = options.forward[i], options.strike[i], options.time_years[i]
        kind = ql.Option.Call if options.is_call[i] else ql.Option.Put
        calculator = ql.BlackCalculator(
            ql.PlainVanillaPayoff(kind, k), f, options.vol[i] * np.sqrt(t),
            np.exp(-options.rate[i] * t),
        )
        # QuantLib's own delta is off the 40-digit value by up to ~8e-14 here (ours by 3.5e-14,
        # the conditioning of Φ(d1) when σ√T is small): 1e-12 leaves room for both.
        assert abs(delta[i] - calculator.deltaForward()) < 1e-12
        # φ(d1) inherits d1's rounding (~ε/σ√T) times d1: ~1e-12 relative for short expiries.
        reference_gamma = calculator.gammaForward()
        s = options.vol[i] * np.sqrt(t)
        assert abs(gamma[i] - reference_gamma) <= 1e-10 * abs(reference_gamma) + 1e-14 / (f * s)
        reference_vega = calculator.vega(t)
        assert abs(vega[i] - reference_vega) <= 1e-12 * f + 1e-12 * abs(reference_vega)


def test_put_call_parity_holds_to_rounding(option_set: OptionSet) -> None:
    o = option_set
    call = black76_price(o.forward, o.strike, o.time_years, o.vol, o.rate, True)
    put = black76_price(o.forward, o.strike, o.time_years, o.vol, o.rate, False)
    parity = np.exp(-o.rate * o.time_years) * (o.forward - o.strike)
    scale = np.maximum(o.forward, o.strike)
    assert np.all(np.abs(call - put - parity) <= 4e-16 * scale)


def test_greeks_match_central_finite_differences() -> None:
    options = make_option_set(3000, seed=5)
    # Keep to options whose value is not dominated by rounding at the bump sizes.
    s = options.vol * np.sqrt(options.time_years)
    keep = np.flatnonzero((np.abs(np.log(options.strike / options.forward)) < 3.0 * s) & (s > 0.01))
    o = options.subset(keep)
    _, delta, gamma, vega, theta, rho = _ours(o)

    def price(
        f: np.ndarray = o.forward,
        t: np.ndarray = o.time_years,
        v: np.ndarray = o.vol,
        r: np.ndarray = o.rate,
    ) -> np.ndarray:
        return black76_price(f, o.strike, t, v, r, o.is_call)

    hf = 1e-3 * o.forward * s[keep]  # a bump of 0.1 % of a standard deviation
    fd_delta = (price(f=o.forward + hf) - price(f=o.forward - hf)) / (2 * hf)
    fd_gamma = (price(f=o.forward + hf) - 2 * price() + price(f=o.forward - hf)) / hf**2
    hv = 1e-5
    fd_vega = (price(v=o.vol + hv) - price(v=o.vol - hv)) / (2 * hv)
    ht = 1e-4 * o.time_years
    fd_theta = -(price(t=o.time_years + ht) - price(t=o.time_years - ht)) / (2 * ht)
    hr = 1e-5
    fd_rho = (price(r=o.rate + hr) - price(r=o.rate - hr)) / (2 * hr)

    f = o.forward
    assert np.all(np.abs(delta - fd_delta) <= 1e-6)
    assert np.all(np.abs(gamma - fd_gamma) * f <= 1e-4 * np.abs(gamma * f) + 1e-5)
    assert np.all(np.abs(vega - fd_vega) <= 1e-6 * f)
    assert np.all(np.abs(theta - fd_theta) <= 1e-6 * np.abs(theta) + 1e-7 * f)
    assert np.all(np.abs(rho - fd_rho) <= 1e-6 * f)


def test_expiry_and_zero_vol_give_discounted_intrinsic_value() -> None:
    f = np.array([100.0, 100.0, 100.0, 100.0])
    k = np.array([90.0, 110.0, 90.0, 110.0])
    call = np.array([True, True, False, False])
    intrinsic = np.array([10.0, 0.0, 0.0, 10.0])
    at_expiry = black76_greeks(f, k, 0.0, 0.5, 0.05, call)
    np.testing.assert_array_equal(at_expiry.price, intrinsic)
    np.testing.assert_array_equal(at_expiry.delta, [1.0, 0.0, 0.0, -1.0])
    np.testing.assert_array_equal(at_expiry.gamma, 0.0)
    np.testing.assert_array_equal(at_expiry.vega, 0.0)
    zero_vol = black76_price(f, k, 1.0, 0.0, 0.05, call)
    np.testing.assert_allclose(zero_vol, np.exp(-0.05) * intrinsic, rtol=1e-15)


def test_at_the_money_at_expiry_gives_the_dirac_limits() -> None:
    g = black76_greeks(100.0, 100.0, 0.0, 0.5, 0.0, True)
    assert g.price == 0.0
    assert g.delta == 0.5
    assert g.gamma == np.inf
    assert g.theta == -np.inf


def test_invalid_inputs_give_nan_in_every_output_and_leave_other_lanes_alone() -> None:
    f = np.array([100.0, -1.0, 100.0, 100.0, 100.0, np.nan, 100.0])
    k = np.array([100.0, 100.0, 0.0, 100.0, 100.0, 100.0, np.inf])
    t = np.array([1.0, 1.0, 1.0, -1.0, 1.0, 1.0, 1.0])
    v = np.array([0.5, 0.5, 0.5, 0.5, -0.1, 0.5, 0.5])
    g = black76_greeks(f, k, t, v, 0.0, True)
    for array in (g.price, g.delta, g.gamma, g.vega, g.theta, g.rho):
        assert np.isfinite(array[0])
        assert np.all(np.isnan(array[1:]))
    assert g.price[0] == pytest.approx(black76_price_scalar(100.0, 100.0, 1.0, 0.5, 0.0, True))


def test_inputs_broadcast_and_chunk_boundaries_do_not_change_results() -> None:
    n = 2 * CHUNK_SIZE + 17
    strikes = np.linspace(50.0, 150.0, n)
    together = black76_greeks(100.0, strikes, 0.25, 0.6, 0.01, strikes > 100.0)
    one_by_one = [
        black76_price_scalar(100.0, float(k), 0.25, 0.6, 0.01, bool(k > 100.0))
        for k in strikes[:: CHUNK_SIZE // 3]
    ]
    np.testing.assert_array_equal(together.price[:: CHUNK_SIZE // 3], one_by_one)
    grid = black76_price(
        np.array([[90.0], [110.0]]), np.array([100.0, 105.0, 120.0]), 0.5, 0.4, 0.0, True
    )
    assert grid.shape == (2, 3)
    assert grid[1, 0] == black76_price_scalar(110.0, 100.0, 0.5, 0.4, 0.0, True)


def test_deep_in_the_money_time_value_survives_via_parity() -> None:
    # A call 25 standard deviations in the money still carries its (tiny) time value: the
    # OTM put is priced and the intrinsic value added, instead of F·Φ(d1) − K·Φ(d2).
    call = black76_price(100.0, 50.0, 0.01, 0.3, 0.0, True)
    put = black76_price(100.0, 50.0, 0.01, 0.3, 0.0, False)
    assert put > 0.0
    assert call - 50.0 == pytest.approx(put, rel=1e-2)
