"""One expiry's implied-volatility smile in Gatheral's raw SVI parametrisation, and its checks.

Total implied variance w = σ_BS²·T as a function of log-moneyness k = ln(K/F) (J. Gatheral,
"A parsimonious arbitrage-free implied volatility parameterization", Global Derivatives 2004;
J. Gatheral & A. Jacquier, "Arbitrage-free SVI volatility surfaces", Quant. Finance 14 (2014)
59-71, eq. (3.1)):

    w(k) = a + b·(ρ·(k − m) + √((k − m)² + σ²))

A slice is *valid* when b ≥ 0, |ρ| < 1, σ > 0, its minimum a + b·σ·√(1 − ρ²) is ≥ 0, and its
wings grow no faster than Lee's moment formula allows, b·(1 + |ρ|) ≤ 2 (R. Lee, "The moment
formula for implied volatility at extreme strikes", Math. Finance 14 (2004) 469-480).

A valid slice can still admit butterfly arbitrage (a negative risk-neutral density). The density
is non-negative iff (Gatheral & Jacquier 2014, eq. (2.1), Lemma 2.2)

    g(k) = (1 − k·w′/(2w))² − (w′²/4)·(1/w + 1/4) + w″/2 ≥ 0,

which `butterfly_check` tests on a grid of k.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from clearhouse.core.pricing.arrays import FloatArray

LEE_MAX_WING_SLOPE = 2.0  # b·(1 + |ρ|) ≤ 2
# The default grid for the no-arbitrage checks: ±3 in log-moneyness (strikes from F/20 to 20·F),
# which covers every listed crypto option strike by a wide margin.
DEFAULT_CHECK_GRID = np.linspace(-3.0, 3.0, 1201)


@dataclass(frozen=True, slots=True)
class SviParams:
    """Raw SVI parameters of one slice (total variance, log-moneyness)."""

    a: float  # vertical level of the smile
    b: float  # wing slope scale (b ≥ 0)
    rho: float  # skew, −1 < ρ < 1
    m: float  # horizontal shift (log-moneyness of the vertex)
    sigma: float  # ATM curvature / smoothing (σ > 0); not a volatility

    def total_variance(self, k: npt.ArrayLike) -> FloatArray:
        """w(k)."""
        km = np.asarray(k, dtype=np.float64) - self.m
        return self.a + self.b * (self.rho * km + np.sqrt(km * km + self.sigma * self.sigma))

    def derivatives(self, k: npt.ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
        """w(k), w′(k) and w″(k)."""
        km = np.asarray(k, dtype=np.float64) - self.m
        root = np.sqrt(km * km + self.sigma * self.sigma)
        w = self.a + self.b * (self.rho * km + root)
        w1 = self.b * (self.rho + km / root)
        w2 = self.b * self.sigma * self.sigma / (root * root * root)
        return w, w1, w2

    def implied_vol(self, k: npt.ArrayLike, time_years: float) -> FloatArray:
        """σ_BS(k) = √(w(k)/T)."""
        return np.sqrt(self.total_variance(k) / time_years)

    @property
    def minimum_total_variance(self) -> float:
        return self.a + self.b * self.sigma * math.sqrt(1.0 - self.rho * self.rho)

    def violations(self) -> list[str]:
        """The slice-validity rules this parameter set breaks (empty when valid)."""
        problems: list[str] = []
        if not all(math.isfinite(v) for v in (self.a, self.b, self.rho, self.m, self.sigma)):
            return ["parameters must be finite"]
        if self.b < 0.0:
            problems.append("b must be >= 0")
        if not -1.0 < self.rho < 1.0:
            problems.append("rho must lie in (-1, 1)")
        if self.sigma <= 0.0:
            problems.append("sigma must be > 0")
        if not problems and self.minimum_total_variance < 0.0:
            problems.append("minimum total variance a + b*sigma*sqrt(1 - rho^2) must be >= 0")
        if self.b * (1.0 + abs(self.rho)) > LEE_MAX_WING_SLOPE * (1.0 + 1e-12):
            problems.append("wing slope b*(1 + |rho|) must be <= 2 (Lee's moment formula)")
        return problems


@dataclass(frozen=True, slots=True)
class ButterflyCheck:
    """Result of the butterfly-arbitrage test of one slice on a grid."""

    passed: bool
    min_g: float  # smallest g(k) on the grid
    k_at_min_g: float
    min_total_variance: float  # smallest w(k) on the grid (must be > 0)


def butterfly_density(params: SviParams, k: npt.ArrayLike) -> FloatArray:
    """Gatheral-Jacquier's g(k); the risk-neutral density is φ(d₋(k))·g(k)/√w(k)."""
    k_array = np.asarray(k, dtype=np.float64)
    w, w1, w2 = params.derivatives(k_array)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (1.0 - k_array * w1 / (2.0 * w)) ** 2 - 0.25 * w1 * w1 * (1.0 / w + 0.25) + 0.5 * w2


def butterfly_check(
    params: SviParams, k_grid: npt.ArrayLike = DEFAULT_CHECK_GRID, tolerance: float = 0.0
) -> ButterflyCheck:
    """g(k) ≥ −tolerance and w(k) > 0 at every grid point."""
    grid = np.asarray(k_grid, dtype=np.float64)
    g = butterfly_density(params, grid)
    w = params.total_variance(grid)
    i = int(np.nanargmin(g)) if np.isfinite(g).any() else 0
    passed = bool(np.all(np.isfinite(g)) and np.all(g >= -tolerance) and np.all(w > 0.0))
    return ButterflyCheck(
        passed=passed,
        min_g=float(g[i]),
        k_at_min_g=float(grid[i]),
        min_total_variance=float(np.min(w)),
    )
