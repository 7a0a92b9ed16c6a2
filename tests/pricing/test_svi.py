"""Raw SVI slices: validity rules, the butterfly check, deterministic fitting, arbitrage repair;
and the surface: interpolation in total variance and the calendar check."""

from __future__ import annotations

import numpy as np
import pytest

from clearhouse.core.pricing import (
    SliceQuotes,
    SviParams,
    SviSlice,
    SviSurface,
    butterfly_check,
    butterfly_density,
    fit_svi,
    fit_svi_surface,
)

# Gatheral & Jacquier (2014), Example 3.1 (due to Axel Vogt): a valid raw SVI slice, free of
# negative variance, whose density is negative around k ≈ 0.9: butterfly arbitrage.
VOGT = SviParams(a=-0.0410, b=0.1331, rho=0.3060, m=0.3586, sigma=0.4153)
SMOOTH = SviParams(a=0.02, b=0.15, rho=-0.35, m=0.05, sigma=0.25)


def test_a_typical_slice_is_valid_and_free_of_butterfly_arbitrage() -> None:
    assert SMOOTH.violations() == []
    check = butterfly_check(SMOOTH)
    assert check.passed
    assert check.min_g > 0.0
    assert check.min_total_variance > 0.0


@pytest.mark.parametrize(
    ("params", "rule"),
    [
        (SviParams(0.02, -0.1, 0.0, 0.0, 0.2), "b must be >= 0"),
        (SviParams(0.02, 0.1, 1.0, 0.0, 0.2), "rho"),
        (SviParams(0.02, 0.1, 0.0, 0.0, 0.0), "sigma"),
        (SviParams(-0.5, 0.1, 0.0, 0.0, 0.2), "minimum total variance"),
        (SviParams(0.02, 1.8, 0.5, 0.0, 0.2), "Lee"),
    ],
)
def test_an_invalid_slice_names_the_rule_it_breaks(params: SviParams, rule: str) -> None:
    assert any(rule in problem for problem in params.violations())


def test_deliberately_arbitrageable_slice_fails_the_butterfly_check() -> None:
    assert VOGT.violations() == []  # valid by the parameter rules ...
    check = butterfly_check(VOGT)
    assert not check.passed  # ... but its density goes negative
    assert check.min_g < -0.03
    assert 0.6 < check.k_at_min_g < 1.2


def test_butterfly_density_matches_finite_differences_of_total_variance() -> None:
    k = np.linspace(-1.0, 1.0, 41)
    h = 1e-4
    w = SMOOTH.total_variance(k)
    w1 = (SMOOTH.total_variance(k + h) - SMOOTH.total_variance(k - h)) / (2 * h)
    w2 = (SMOOTH.total_variance(k + h) - 2 * w + SMOOTH.total_variance(k - h)) / h**2
    g = (1 - k * w1 / (2 * w)) ** 2 - w1**2 / 4 * (1 / w + 0.25) + w2 / 2
    np.testing.assert_allclose(butterfly_density(SMOOTH, k), g, rtol=1e-6, atol=1e-8)


def test_fit_recovers_the_parameters_of_exact_svi_quotes() -> None:
    k = np.linspace(-0.6, 0.5, 23)
    fit = fit_svi(k, SMOOTH.total_variance(k))
    assert fit.rmse_total_variance < 1e-9
    for name in ("a", "b", "rho", "m", "sigma"):
        assert getattr(fit.params, name) == pytest.approx(getattr(SMOOTH, name), abs=2e-5)
    assert fit.butterfly.passed


def test_fit_is_deterministic_bit_for_bit() -> None:
    rng = np.random.default_rng(1)
    k = np.sort(rng.uniform(-0.8, 0.8, 30))
    w = SMOOTH.total_variance(k) * (1 + 0.01 * rng.standard_normal(30))
    first = fit_svi(k, w)
    second = fit_svi(k.copy(), w.copy())
    assert first.params == second.params


def test_fit_repairs_quotes_that_contain_butterfly_arbitrage() -> None:
    k = np.linspace(-1.0, 1.5, 40)
    fit = fit_svi(k, VOGT.total_variance(k))
    assert fit.polished
    assert fit.butterfly.passed
    assert fit.params.violations() == []
    vols_fit = np.sqrt(fit.params.total_variance(k))
    vols_quoted = np.sqrt(VOGT.total_variance(k))
    assert np.max(np.abs(vols_fit - vols_quoted)) < 0.03


@pytest.mark.parametrize(
    ("k", "w", "message"),
    [
        (np.linspace(-1, 1, 3), np.full(3, 0.04), "at least"),
        (np.linspace(-1, 1, 6), np.array([0.04, 0.04, 0.0, 0.04, 0.04, 0.04]), "> 0"),
        (np.linspace(-1, 1, 6), np.array([0.04, np.nan, 0.04, 0.04, 0.04, 0.04]), "finite"),
    ],
)
def test_fit_rejects_unusable_quotes(k: np.ndarray, w: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fit_svi(k, w)


def _two_slice_surface(later: SviParams) -> SviSurface:
    return SviSurface(
        [SviSlice(0.25, 100.0, SMOOTH), SviSlice(0.5, 101.0, later)]
    )


def test_surface_returns_each_slice_at_its_expiry_and_interpolates_total_variance() -> None:
    later = SviParams(a=0.05, b=0.18, rho=-0.3, m=0.05, sigma=0.3)
    surface = _two_slice_surface(later)
    k = np.linspace(-1.0, 1.0, 9)
    np.testing.assert_allclose(surface.total_variance(k, 0.25), SMOOTH.total_variance(k))
    np.testing.assert_allclose(surface.total_variance(k, 0.5), later.total_variance(k))
    middle = 0.5 * (SMOOTH.total_variance(k) + later.total_variance(k))
    np.testing.assert_allclose(surface.total_variance(k, 0.375), middle, rtol=1e-14)
    # Outside the listed expiries each k keeps its implied vol.
    np.testing.assert_allclose(
        surface.implied_vol_at_moneyness(k, 0.1), SMOOTH.implied_vol(k, 0.25), rtol=1e-14
    )
    np.testing.assert_allclose(
        surface.implied_vol_at_moneyness(k, 2.0), later.implied_vol(k, 0.5), rtol=1e-14
    )


def test_surface_maps_strikes_through_the_forward() -> None:
    later = SviParams(a=0.05, b=0.18, rho=-0.3, m=0.05, sigma=0.3)
    surface = _two_slice_surface(later)
    vol = surface.implied_vol(np.array([90.0, 110.0]), 0.5)
    np.testing.assert_allclose(vol, later.implied_vol(np.log(np.array([90.0, 110.0]) / 101.0), 0.5))
    moved = surface.with_forwards_scaled(1.1)
    np.testing.assert_allclose(moved.implied_vol(99.0, 0.25), SMOOTH.implied_vol(np.log(0.9), 0.25))
    np.testing.assert_allclose(
        surface.implied_vol(99.0, 0.25, forward=110.0), moved.implied_vol(99.0, 0.25)
    )
    assert surface.forward(0.375) == pytest.approx(np.sqrt(100.0 * 101.0))


def test_crossing_slices_fail_the_calendar_check() -> None:
    lower_later = SviParams(a=0.01, b=0.15, rho=-0.35, m=0.05, sigma=0.25)
    check = _two_slice_surface(lower_later).calendar_check()
    assert not check.passed
    assert check.min_gap < 0.0
    assert check.time_years_pair == (0.25, 0.5)
    assert not _two_slice_surface(lower_later).arbitrage_free()


def test_surface_fit_floors_each_slice_by_the_previous_one() -> None:
    # The later expiry's quotes sit *below* the earlier one's in the wings: fitted independently
    # the slices would cross; the sequential fit must keep w non-decreasing in T.
    k = np.linspace(-0.8, 0.8, 25)
    early = SviParams(a=0.01, b=0.2, rho=-0.2, m=0.0, sigma=0.1)
    late = SviParams(a=0.03, b=0.08, rho=-0.2, m=0.0, sigma=0.3)
    quotes = [
        SliceQuotes(
            time_years=t, forward=100.0, strikes=100.0 * np.exp(k),
            vols=np.sqrt(p.total_variance(k) / t),
        )
        for t, p in ((0.1, early), (0.2, late))
    ]
    surface_fit = fit_svi_surface(quotes)
    assert surface_fit.surface.calendar_check().passed
    assert surface_fit.surface.arbitrage_free()
