"""An implied-volatility surface of raw SVI slices, one per listed expiry.

Between expiries the surface interpolates *total variance* linearly in T at fixed log-moneyness
k = ln(K/F(T)); before the first and after the last expiry it keeps each k's implied volatility
flat (w scales with T). Both keep w non-decreasing in T for every k whenever the listed slices
are, so `calendar_check` on the listed slices covers the whole surface. Butterfly freedom of
the interpolated slices is not implied by that of the listed ones (a convex combination of two
valid SVI slices is not SVI); `butterfly_density` evaluates g(k) at any T so callers and tests
can check intermediate times as well.

Forwards: each slice carries the forward it was fitted against; F(T) interpolates ln F linearly
in T between slices and is flat outside them. After an index move a caller either passes the
new forwards explicitly or uses `with_forwards_scaled` (sticky moneyness: the smile moves with
the underlying).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from clearhouse.core.pricing.arrays import FloatArray
from clearhouse.core.pricing.svi import (
    DEFAULT_CHECK_GRID,
    ButterflyCheck,
    SviParams,
    butterfly_check,
)
from clearhouse.core.pricing.svi_fit import SviFit, fit_svi_to_vols


@dataclass(frozen=True, slots=True)
class SviSlice:
    """One expiry: its time to expiry, the forward it was fitted against and its smile."""

    time_years: float
    forward: float
    params: SviParams


@dataclass(frozen=True, slots=True)
class CalendarCheck:
    """Whether total variance is non-decreasing in T at every grid k, and the worst spot."""

    passed: bool
    min_gap: float  # min over adjacent slices and grid k of w_later(k) − w_earlier(k)
    time_years_pair: tuple[float, float]
    k_at_min_gap: float


class SviSurface:
    """Immutable SVI surface; every method is vectorised and broadcasts its arguments."""

    def __init__(self, slices: Sequence[SviSlice]) -> None:
        if not slices:
            raise ValueError("a surface needs at least one slice")
        ordered = sorted(slices, key=lambda s: s.time_years)
        times = np.array([s.time_years for s in ordered])
        if np.any(times <= 0.0) or np.any(np.diff(times) <= 0.0):
            raise ValueError("slice times must be positive and distinct")
        forwards = np.array([s.forward for s in ordered])
        if np.any(~np.isfinite(forwards)) or np.any(forwards <= 0.0):
            raise ValueError("slice forwards must be positive")
        self.slices: tuple[SviSlice, ...] = tuple(ordered)
        self.times_years: FloatArray = times
        self.forwards: FloatArray = forwards
        self._a = np.array([s.params.a for s in ordered])
        self._b = np.array([s.params.b for s in ordered])
        self._rho = np.array([s.params.rho for s in ordered])
        self._m = np.array([s.params.m for s in ordered])
        self._sigma = np.array([s.params.sigma for s in ordered])

    def with_forwards_scaled(self, ratio: float) -> SviSurface:
        """The same smiles against forwards multiplied by `ratio` (an index move)."""
        return SviSurface(
            [SviSlice(s.time_years, s.forward * ratio, s.params) for s in self.slices]
        )

    def forward(self, time_years: npt.ArrayLike) -> FloatArray:
        """F(T): ln F linear in T between slices, flat outside."""
        t = np.asarray(time_years, dtype=np.float64)
        return np.exp(np.interp(t, self.times_years, np.log(self.forwards)))

    def total_variance(self, k: npt.ArrayLike, time_years: npt.ArrayLike) -> FloatArray:
        """w(k, T)."""
        return self._blend(k, time_years, derivatives=False)[0]

    def implied_vol_at_moneyness(self, k: npt.ArrayLike, time_years: npt.ArrayLike) -> FloatArray:
        """σ(k, T) = √(w(k, T)/T) for log-moneyness k = ln(K/F(T))."""
        t = np.asarray(time_years, dtype=np.float64)
        return np.sqrt(self.total_variance(k, t) / t)

    def implied_vol(
        self,
        strike: npt.ArrayLike,
        time_years: npt.ArrayLike,
        forward: npt.ArrayLike | None = None,
    ) -> FloatArray:
        """σ(K, T), with k = ln(K/F) for the given forwards or, if None, the surface's F(T)."""
        t = np.asarray(time_years, dtype=np.float64)
        f = self.forward(t) if forward is None else np.asarray(forward, dtype=np.float64)
        k = np.log(np.asarray(strike, dtype=np.float64) / f)
        return np.sqrt(self.total_variance(k, t) / t)

    def butterfly_density(self, k: npt.ArrayLike, time_years: float) -> FloatArray:
        """Gatheral-Jacquier g(k) of the (possibly interpolated) slice at T."""
        k_array = np.asarray(k, dtype=np.float64)
        w, w1, w2 = self._blend(k_array, time_years, derivatives=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (
                (1.0 - k_array * w1 / (2.0 * w)) ** 2
                - 0.25 * w1 * w1 * (1.0 / w + 0.25)
                + 0.5 * w2
            )

    def butterfly_checks(self, k_grid: npt.ArrayLike = DEFAULT_CHECK_GRID) -> list[ButterflyCheck]:
        """The butterfly check of every listed slice."""
        return [butterfly_check(s.params, k_grid) for s in self.slices]

    def calendar_check(self, k_grid: npt.ArrayLike = DEFAULT_CHECK_GRID) -> CalendarCheck:
        """w(k, T_{i+1}) ≥ w(k, T_i) for adjacent listed slices at every grid k."""
        grid = np.asarray(k_grid, dtype=np.float64)
        if len(self.slices) == 1:
            return CalendarCheck(True, np.inf, (self.slices[0].time_years,) * 2, float(grid[0]))
        w = np.stack([s.params.total_variance(grid) for s in self.slices])
        gaps = np.diff(w, axis=0)
        pair, index = np.unravel_index(int(np.argmin(gaps)), gaps.shape)
        min_gap = float(gaps[pair, index])
        return CalendarCheck(
            passed=min_gap >= 0.0,
            min_gap=min_gap,
            time_years_pair=(self.slices[pair].time_years, self.slices[pair + 1].time_years),
            k_at_min_gap=float(grid[index]),
        )

    def arbitrage_free(self, k_grid: npt.ArrayLike = DEFAULT_CHECK_GRID) -> bool:
        """Every listed slice valid and butterfly-free, and no calendar arbitrage."""
        return (
            all(not s.params.violations() for s in self.slices)
            and all(check.passed for check in self.butterfly_checks(k_grid))
            and self.calendar_check(k_grid).passed
        )

    def _blend(
        self, k: npt.ArrayLike, time_years: npt.ArrayLike, derivatives: bool
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        k_array, t = np.broadcast_arrays(
            np.asarray(k, dtype=np.float64), np.asarray(time_years, dtype=np.float64)
        )
        last = self.times_years.size - 1
        below = np.searchsorted(self.times_years, t, side="right") - 1
        lo = np.clip(below, 0, last)
        hi = np.clip(below + 1, 0, last)
        t_lo = self.times_years[lo]
        t_hi = self.times_years[hi]
        with np.errstate(divide="ignore", invalid="ignore"):
            weight_hi = np.where(hi != lo, (t - t_lo) / (t_hi - t_lo), 0.0)
        # Outside the listed expiries: flat implied vol at each k, i.e. w ∝ T.
        scale = np.where(t < self.times_years[0], t / self.times_years[0], 1.0)
        scale = np.where(t > self.times_years[last], t / self.times_years[last], scale)
        w_lo, d1_lo, d2_lo = self._raw_svi(k_array, lo, derivatives)
        w_hi, d1_hi, d2_hi = self._raw_svi(k_array, hi, derivatives)
        weight_lo = (1.0 - weight_hi) * scale
        weight_hi = weight_hi * scale
        return (
            weight_lo * w_lo + weight_hi * w_hi,
            weight_lo * d1_lo + weight_hi * d1_hi,
            weight_lo * d2_lo + weight_hi * d2_hi,
        )

    def _raw_svi(
        self, k: FloatArray, index: npt.NDArray[np.intp], derivatives: bool
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        a = self._a[index]
        b = self._b[index]
        rho = self._rho[index]
        sigma = self._sigma[index]
        km = k - self._m[index]
        root = np.sqrt(km * km + sigma * sigma)
        w = a + b * (rho * km + root)
        if not derivatives:
            return w, w, w
        return w, b * (rho + km / root), b * sigma * sigma / (root * root * root)


@dataclass(frozen=True, slots=True)
class SliceQuotes:
    """Implied-vol quotes of one expiry: strikes, vols and optional fit weights."""

    time_years: float
    forward: float
    strikes: FloatArray
    vols: FloatArray
    weights: FloatArray | None = None


@dataclass(frozen=True, slots=True)
class SurfaceFit:
    surface: SviSurface
    fits: tuple[SviFit, ...]  # per slice, in increasing time to expiry


def fit_svi_surface(
    quotes: Sequence[SliceQuotes], k_grid: npt.ArrayLike = DEFAULT_CHECK_GRID
) -> SurfaceFit:
    """Fit each expiry in increasing T, each slice floored by the previous one's total variance
    so that the surface is free of calendar arbitrage on `k_grid`."""
    ordered = sorted(quotes, key=lambda q: q.time_years)
    fits: list[SviFit] = []
    slices: list[SviSlice] = []
    floor: SviParams | None = None
    for q in ordered:
        k = np.log(np.asarray(q.strikes, dtype=np.float64) / q.forward)
        fit = fit_svi_to_vols(k, q.vols, q.time_years, q.weights, floor=floor, k_grid=k_grid)
        fits.append(fit)
        slices.append(SviSlice(q.time_years, q.forward, fit.params))
        floor = fit.params
    return SurfaceFit(surface=SviSurface(slices), fits=tuple(fits))
