"""Implied volatility: round trips, agreement with Let's Be Rational and py_vollib, the "no IV"
reasons exactly where they belong, and the bounded fallback.

How accurate a round trip σ → price → σ' can be depends on the price fed in. An
out-of-the-money price carries its whole value as time value, so σ' must match σ to 1e-10 (the
brief's bar; measured ~2e-13). An in-the-money price is intrinsic + time value, and rounding
the sum to a double loses up to ε·price of the time value: σ' is then only determined to
~ε·price/vega, for any algorithm (py_vollib shows the same). For those we check
|σ' − σ| ≤ 1e-10 + 8·ε·price/vega, and separately that σ' inverts the *given* price to
50-digit accuracy.
"""

from __future__ import annotations

import numpy as np
import pytest
from pricing_cases import OptionSet, make_option_set
from pricing_references import lets_be_rational, mp_black76, mpmath, py_vollib_black

import clearhouse.core.pricing.normalised_iv as normalised_iv
from clearhouse.core.pricing import (
    MIN_TIME_VALUE_FRACTION,
    IvReason,
    black76_greeks,
    black76_price,
    implied_vol,
    implied_vol_scalar,
    normalised_black_call,
    normalised_implied_vol,
)

EPSILON = float(np.finfo(np.float64).eps)


def _otm_flag(options: OptionSet) -> np.ndarray:
    return options.strike >= options.forward  # the call is out of the money


def _time_value(options: OptionSet, is_call: np.ndarray) -> np.ndarray:
    """Undiscounted time value from the model (the OTM leg's value, no cancellation)."""
    otm_call = _otm_flag(options)
    otm_price = black76_price(
        options.forward, options.strike, options.time_years, options.vol, 0.0, otm_call
    )
    return otm_price


def test_round_trip_of_out_of_the_money_prices_is_within_1e_10(
    large_option_set: OptionSet,
) -> None:
    o = large_option_set
    flag = _otm_flag(o)
    price = black76_price(o.forward, o.strike, o.time_years, o.vol, o.rate, flag)
    result = implied_vol(price, o.forward, o.strike, o.time_years, o.rate, flag)
    has_information = _time_value(o, flag) >= 1.001 * MIN_TIME_VALUE_FRACTION * o.forward
    assert np.all(result.reason[has_information] == IvReason.OK)
    error = np.abs(result.vol[has_information] - o.vol[has_information])
    assert error.max() < 1e-10, f"max |Δσ| = {error.max():.3g}"
    relative = error / o.vol[has_information]
    assert relative.max() < 1e-11, f"max |Δσ|/σ = {relative.max():.3g}"


def test_round_trip_of_in_the_money_prices_is_as_good_as_the_price_allows(
    large_option_set: OptionSet,
) -> None:
    o = large_option_set
    flag = ~_otm_flag(o)
    g = black76_greeks(o.forward, o.strike, o.time_years, o.vol, o.rate, flag)
    result = implied_vol(g.price, o.forward, o.strike, o.time_years, o.rate, flag)
    has_information = _time_value(o, flag) >= 1.001 * MIN_TIME_VALUE_FRACTION * o.forward
    assert np.all(result.reason[has_information] == IvReason.OK)
    error = np.abs(result.vol - o.vol)[has_information]
    input_limit = 8.0 * EPSILON * g.price[has_information] / g.vega[has_information]
    assert np.all(error <= 1e-10 + input_limit)
    well_posed = input_limit <= 1e-12
    assert error[well_posed].max() < 1e-10


def test_in_the_money_vol_reprices_the_given_price_to_a_few_ulps() -> None:
    # Where the round trip cannot be 1e-10 (tiny time value on a large intrinsic value), the
    # volatility returned is still one whose exact (50-digit) Black-76 price equals the given
    # double price to a few ulps: the backward error is at the level of the input's rounding.
    mp = mpmath()
    mp.mp.dps = 50
    o = make_option_set(4000, seed=3)
    flag = ~_otm_flag(o)
    g = black76_greeks(o.forward, o.strike, o.time_years, o.vol, o.rate, flag)
    result = implied_vol(g.price, o.forward, o.strike, o.time_years, o.rate, flag)
    with np.errstate(divide="ignore", over="ignore"):
        input_limit = 8 * EPSILON * g.price / g.vega
    hard = np.flatnonzero((result.reason == IvReason.OK) & (input_limit > 1e-9))
    assert hard.size >= 20
    for i in hard[:60]:
        exact_price = mp_black76(
            mp, o.forward[i], o.strike[i], o.time_years[i], float(result.vol[i]), o.rate[i],
            bool(flag[i]),
        )
        assert abs(float(exact_price) - g.price[i]) <= 4 * EPSILON * g.price[i]


def test_agrees_with_lets_be_rational_on_out_of_the_money_prices(option_set: OptionSet) -> None:
    lbr = lets_be_rational()
    o = option_set.subset(slice(0, 5000))
    flag = _otm_flag(o)
    undiscounted = black76_price(o.forward, o.strike, o.time_years, o.vol, 0.0, flag)
    ours = implied_vol(undiscounted, o.forward, o.strike, o.time_years, 0.0, flag)
    compared = 0
    for i in np.flatnonzero(ours.reason == IvReason.OK):
        theirs = lbr.implied_volatility_from_a_transformed_rational_guess(
            float(undiscounted[i]), o.forward[i], o.strike[i], o.time_years[i],
            1.0 if flag[i] else -1.0,
        )
        assert abs(ours.vol[i] - theirs) <= 1e-12 * theirs + 1e-13
        compared += 1
    assert compared > 3000


def test_agrees_with_py_vollib_implied_volatility(option_set: OptionSet) -> None:
    py_vollib_black()
    from py_vollib.black.implied_volatility import implied_volatility

    o = option_set.subset(slice(0, 3000))
    flag = _otm_flag(o)
    price = black76_price(o.forward, o.strike, o.time_years, o.vol, o.rate, flag)
    ours = implied_vol(price, o.forward, o.strike, o.time_years, o.rate, flag)
    for i in np.flatnonzero(ours.reason == IvReason.OK)[:1500]:
        theirs = implied_volatility(
            float(price[i]), o.forward[i], o.strike[i], o.rate[i], o.time_years[i],
            "c" if flag[i] else "p",
        )
        assert abs(ours.vol[i] - theirs) <= 1e-12 * theirs + 1e-13


def test_price_below_intrinsic_has_no_iv_and_py_vollib_agrees() -> None:
    black = py_vollib_black()
    from py_vollib.black.implied_volatility import implied_volatility

    discount = np.exp(-0.05 * 0.5)
    intrinsic = discount * 20.0
    price = np.array([intrinsic * (1 - 1e-9), intrinsic - 1e-6, 0.0, -1.0])
    result = implied_vol(price, 120.0, 100.0, 0.5, 0.05, True)
    np.testing.assert_array_equal(result.reason, IvReason.BELOW_INTRINSIC)
    assert np.all(np.isnan(result.vol))
    for p in price[:2]:
        with pytest.raises(black.lets_be_rational.BelowIntrinsicException):
            implied_volatility(float(p), 120.0, 100.0, 0.05, 0.5, "c")


def test_price_at_or_above_the_upper_bound_has_no_iv_and_py_vollib_agrees() -> None:
    black = py_vollib_black()
    from py_vollib.black.implied_volatility import implied_volatility

    discount = np.exp(-0.05 * 0.5)
    prices = np.array([discount * 120.0, discount * 121.0])
    call = implied_vol(prices, 120.0, 100.0, 0.5, 0.05, True)
    put = implied_vol(discount * 100.0, 120.0, 100.0, 0.5, 0.05, False)
    np.testing.assert_array_equal(call.reason, IvReason.ABOVE_MAXIMUM)
    assert put.reason == IvReason.ABOVE_MAXIMUM
    with pytest.raises(black.lets_be_rational.AboveMaximumException):
        implied_volatility(float(discount * 121.0), 120.0, 100.0, 0.05, 0.5, "c")


def test_no_iv_below_1e_12_of_forward_of_time_value_and_an_iv_just_above() -> None:
    f, k, t, r = 50_000.0, 60_000.0, 0.1, 0.02
    discount = np.exp(-r * t)
    time_value = np.array([0.0, 0.5e-12, 0.999e-12, 1.001e-12, 2e-12, 1e-6]) * f
    for is_call, intrinsic in ((False, k - f), (True, 0.0)):
        price = discount * (intrinsic + time_value)
        result = implied_vol(price, f, k, t, r, is_call)
        expected = [IvReason.NO_TIME_VALUE] * 3 + [IvReason.OK] * 3
        np.testing.assert_array_equal(result.reason, expected)
        ok = result.reason == IvReason.OK
        repriced = black76_price(f, k, t, result.vol[ok], r, is_call)
        # The time value is reproduced up to the rounding of the price that carried it.
        tolerance = 1e-12 * time_value[ok] + 4 * EPSILON * price[ok] / discount
        assert np.all(np.abs(repriced / discount - intrinsic - time_value[ok]) <= tolerance)


def test_no_iv_reason_matches_the_models_time_value_on_the_seeded_set(
    large_option_set: OptionSet,
) -> None:
    o = large_option_set
    price = black76_price(o.forward, o.strike, o.time_years, o.vol, o.rate, o.is_call)
    result = implied_vol(price, o.forward, o.strike, o.time_years, o.rate, o.is_call)
    time_value = _time_value(o, o.is_call) / o.forward
    clearly_some = time_value >= 1.001 * MIN_TIME_VALUE_FRACTION
    clearly_none = time_value <= 0.999 * MIN_TIME_VALUE_FRACTION
    assert np.all(result.reason[clearly_some] == IvReason.OK)
    assert np.all(result.reason[clearly_none] == IvReason.NO_TIME_VALUE)
    assert np.all(np.isnan(result.vol[result.reason != IvReason.OK]))
    assert clearly_none.sum() > 1000 and clearly_some.sum() > 100_000


def test_invalid_inputs_are_reported_not_guessed() -> None:
    price = np.array([5.0, 5.0, 5.0, 5.0, np.nan, 5.0])
    forward = np.array([100.0, -100.0, 100.0, 100.0, 100.0, np.inf])
    strike = np.array([100.0, 100.0, 0.0, 100.0, 100.0, 100.0])
    time_years = np.array([1.0, 1.0, 1.0, 0.0, 1.0, 1.0])
    result = implied_vol(price, forward, strike, time_years, 0.0, True)
    assert result.reason[0] == IvReason.OK
    np.testing.assert_array_equal(result.reason[1:], IvReason.INVALID_INPUT)
    vol, reason = implied_vol_scalar(5.0, 100.0, 100.0, 1.0, 0.0, True)
    assert reason == IvReason.OK
    assert vol == pytest.approx(result.vol[0], rel=1e-15)


def test_bisection_fallback_alone_reaches_full_precision(monkeypatch: pytest.MonkeyPatch) -> None:
    # With no Householder steps allowed every lane must be finished by the bounded bisection.
    monkeypatch.setattr(normalised_iv, "MAX_HOUSEHOLDER_STEPS", 0)
    rng = np.random.default_rng(9)
    x = -np.abs(rng.uniform(0.0, 5.0, 2000))
    s = np.exp(rng.uniform(np.log(1e-3), np.log(5.0), 2000))
    beta = normalised_black_call(x, s)
    keep = beta > 1e-200
    solution = normalised_implied_vol(beta[keep], x[keep])
    assert solution.converged.all()
    assert np.max(np.abs(solution.s - s[keep]) / s[keep]) < 1e-12


def test_extreme_normalised_inputs_converge() -> None:
    x = np.array([-1e-12, -1e-6, -0.5, -5.0, -50.0, -300.0, 0.0, 0.0])
    s = np.array([1e-6, 1e-3, 8.0, 30.0, 40.0, 60.0, 1e-9, 30.0])
    beta = normalised_black_call(x, s)
    solution = normalised_implied_vol(beta, x)
    assert solution.converged.all()
    # Where b(x, ·) is flat to the last bit (s ≫ |x|, b → b_max) many s share one β: the
    # solver must return one of them, not necessarily the s the price was made from.
    repriced = normalised_black_call(x, solution.s)
    np.testing.assert_allclose(repriced, beta, rtol=4 * EPSILON, atol=0.0)
    np.testing.assert_allclose(solution.s[:3], s[:3], rtol=1e-12)
