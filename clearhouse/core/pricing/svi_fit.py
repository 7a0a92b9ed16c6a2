"""Deterministic calibration of one raw SVI slice to (log-moneyness, total variance) quotes.

1. Quasi-explicit fit (S. De Marco & C. Martini, "Quasi-explicit calibration of Gatheral's SVI
   model", Zeliade white paper, 2009). For fixed (m, σ), with y = (k − m)/σ,
   w = a + d·y + c·√(y² + 1) where c = b·σ and d = ρ·b·σ is linear in (a, c, d). In the
   coordinates u = c + d, v = c − d the slice constraints |ρ| ≤ 1 and Lee's b·(1 + |ρ|) ≤ 2
   become the box 0 ≤ u, v ≤ 2σ, and 0 ≤ a ≤ max w keeps the minimum variance ≥ 0. The weighted
   least-squares problem in (a, u, v) is then a 3-variable box-constrained quadratic, solved
   exactly by enumerating its 27 active sets. The outer problem over (m, ln σ) starts from the
   best point of a fixed grid and is refined by Nelder-Mead with bounded iterations.
2. All five parameters are then polished by Nelder-Mead on the squared error plus penalties for
   butterfly arbitrage (Gatheral-Jacquier g(k) < 0 on the check grid), calendar arbitrage
   (w(k) below `floor`, the previous expiry's slice), negative minimum variance and Lee's bound.
   The polish frees `a` from the box's a ≥ 0 (only a + b·σ·√(1 − ρ²) ≥ 0 is required) and is
   kept only when it is arbitrage-free and fits better; it repeats (MAX_POLISH_ROUNDS) while no
   arbitrage-free slice has been found.

No randomness anywhere: the same quotes give the same parameters, bit for bit.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from clearhouse.core.pricing.arrays import FloatArray
from clearhouse.core.pricing.nelder_mead import minimise
from clearhouse.core.pricing.svi import (
    DEFAULT_CHECK_GRID,
    LEE_MAX_WING_SLOPE,
    ButterflyCheck,
    SviParams,
    butterfly_check,
    butterfly_density,
)

MIN_QUOTES = 5
MAX_OUTER_ITERATIONS = 400
MAX_POLISH_ITERATIONS = 4000
MAX_POLISH_ROUNDS = 4
_M_GRID_POINTS = 25
_SIGMA_GRID = np.geomspace(1e-3, 2.0, 28)
# Penalised polish: violations are weighted far above the (normalised, ≤ 1) squared error, and
# the targets carry a small margin so the result passes the plain checks strictly.
_PENALTY_WEIGHT = 1e3
_G_MARGIN = 1e-6
_CALENDAR_MARGIN = 1e-9  # relative to the floor's total variance
_RIDGE = 1e-13

# The 27 active sets of the box (a, u, v): each variable free, at its lower or at its upper bound.
_ACTIVE_SETS = np.array(list(itertools.product((0, 1, 2), repeat=3)))
_ACTIVE_FREE = _ACTIVE_SETS == 0
_ACTIVE_LOWER = _ACTIVE_SETS == 1
_EYE3 = np.eye(3)


@dataclass(frozen=True, slots=True)
class SviFit:
    """A fitted slice with its fit quality and arbitrage checks."""

    params: SviParams
    rmse_total_variance: float  # weighted root-mean-square error in total variance
    butterfly: ButterflyCheck
    calendar_ok: bool  # w(k) ≥ floor's w(k) on the check grid (True without a floor)
    polished: bool  # whether the penalised 5-parameter polish ran


def fit_svi(
    k: npt.ArrayLike,
    total_variance: npt.ArrayLike,
    weights: npt.ArrayLike | None = None,
    *,
    floor: SviParams | None = None,
    k_grid: npt.ArrayLike = DEFAULT_CHECK_GRID,
) -> SviFit:
    """Fit raw SVI to quotes of total variance at log-moneyness k (weights default to 1)."""
    k_q = np.asarray(k, dtype=np.float64).reshape(-1)
    w_q = np.asarray(total_variance, dtype=np.float64).reshape(-1)
    weight = (
        np.ones_like(k_q) if weights is None else np.asarray(weights, dtype=np.float64).reshape(-1)
    )
    grid = np.asarray(k_grid, dtype=np.float64)
    _validate(k_q, w_q, weight)
    weight = weight / weight.sum()

    quasi_explicit = _quasi_explicit_fit(k_q, w_q, weight)
    params = quasi_explicit
    polished = False
    starts = [quasi_explicit]
    if floor is not None:
        # The floor itself, lifted by a hair, is calendar-feasible: polishing from there keeps
        # the search inside the feasible set when the quotes pull the slice below the floor.
        lift = 1e-6 * float(np.max(floor.total_variance(grid)))
        starts.append(SviParams(floor.a + lift, floor.b, floor.rho, floor.m, floor.sigma))
    for start in starts:
        current = start
        for _ in range(MAX_POLISH_ROUNDS):
            current = _polish(current, k_q, w_q, weight, floor, grid)
            if _arbitrage_free(current, floor, grid):
                if not _arbitrage_free(params, floor, grid) or _squared_error(
                    current, k_q, w_q, weight
                ) < _squared_error(params, k_q, w_q, weight):
                    params = current
                    polished = True
                break
        if _arbitrage_free(params, floor, grid) and start is quasi_explicit:
            break
    residual = params.total_variance(k_q) - w_q
    return SviFit(
        params=params,
        rmse_total_variance=float(np.sqrt(np.sum(weight * residual * residual))),
        butterfly=butterfly_check(params, grid),
        calendar_ok=_calendar_ok(params, floor, grid),
        polished=polished,
    )


def fit_svi_to_vols(
    k: npt.ArrayLike,
    vols: npt.ArrayLike,
    time_years: float,
    weights: npt.ArrayLike | None = None,
    *,
    floor: SviParams | None = None,
    k_grid: npt.ArrayLike = DEFAULT_CHECK_GRID,
) -> SviFit:
    """Fit to implied volatilities quoted at time to expiry T (total variance w = σ²·T)."""
    vol_array = np.asarray(vols, dtype=np.float64)
    return fit_svi(k, vol_array * vol_array * time_years, weights, floor=floor, k_grid=k_grid)


def _validate(k: FloatArray, w: FloatArray, weight: FloatArray) -> None:
    if not k.size == w.size == weight.size:
        raise ValueError("k, total_variance and weights must have the same length")
    if k.size < MIN_QUOTES:
        raise ValueError(f"need at least {MIN_QUOTES} quotes, got {k.size}")
    if not (np.all(np.isfinite(k)) and np.all(np.isfinite(w)) and np.all(np.isfinite(weight))):
        raise ValueError("quotes and weights must be finite")
    if np.any(w <= 0.0) or np.any(weight < 0.0) or weight.sum() <= 0.0:
        raise ValueError("total variances must be > 0 and weights >= 0 with a positive sum")


def _quasi_explicit_fit(k: FloatArray, w: FloatArray, weight: FloatArray) -> SviParams:
    span = max(float(np.ptp(k)), 1e-3)
    m_grid = np.linspace(k.min() - 0.5 * span, k.max() + 0.5 * span, _M_GRID_POINTS)
    m_cand, sigma_cand = (a.reshape(-1) for a in np.meshgrid(m_grid, _SIGMA_GRID))
    values, _ = _inner_fit(m_cand, sigma_cand, k, w, weight)
    best = int(np.argmin(values))

    def outer(theta: FloatArray) -> float:
        value, _ = _inner_fit(theta[:1], np.exp(theta[1:2]), k, w, weight)
        return float(value[0])

    start = np.array([m_cand[best], np.log(sigma_cand[best])])
    result = minimise(outer, start, np.array([0.1 * span, 0.5]), MAX_OUTER_ITERATIONS)
    m = float(result.x[0])
    sigma = float(np.exp(result.x[1]))
    _, coefficients = _inner_fit(np.array([m]), np.array([sigma]), k, w, weight)
    a, u, v = (float(c) for c in coefficients[0])
    c = 0.5 * (u + v)
    d = 0.5 * (u - v)
    b = c / sigma
    rho = d / c if c > 0.0 else 0.0
    return SviParams(a=a, b=b, rho=float(np.clip(rho, -1.0 + 1e-12, 1.0 - 1e-12)), m=m, sigma=sigma)


def _inner_fit(
    m: FloatArray, sigma: FloatArray, k: FloatArray, w: FloatArray, weight: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """For each candidate (m, σ): the minimal weighted squared error over the box of (a, u, v)
    and the minimiser. Exact: the optimum of a convex box-constrained quadratic is the
    unconstrained optimum of its free variables for one of the 3³ active sets, and it is the
    best feasible one among them. All 27 reduced systems of all candidates are solved as one
    batch: a fixed variable's row of the 3×3 system is replaced by "x_i = its bound"."""
    y = (k[None, :] - m[:, None]) / sigma[:, None]
    z = np.sqrt(y * y + 1.0)
    basis = np.stack([np.ones_like(y), 0.5 * (z + y), 0.5 * (z - y)], axis=1)  # (N, 3, n)
    weighted = basis * weight[None, None, :]
    gram = np.einsum("nik,njk->nij", weighted, basis)  # (N, 3, 3)
    rhs = np.einsum("nik,k->ni", weighted, w)  # (N, 3)
    constant = float(np.sum(weight * w * w))
    lower = np.zeros((m.size, 3))
    upper = np.stack([np.full(m.size, w.max()), 2.0 * sigma, 2.0 * sigma], axis=1)

    free = _ACTIVE_FREE[None, :, :]  # (1, 27, 3)
    bound = np.where(_ACTIVE_LOWER[None], lower[:, None, :], upper[:, None, :])  # (N, 27, 3)
    scale = np.trace(gram, axis1=1, axis2=2)[:, None, None, None] / 3.0 + 1e-300
    system = np.where(
        free[..., None],
        gram[:, None, :, :] + _RIDGE * scale * _EYE3,
        _EYE3,
    )  # (N, 27, 3, 3)
    target = np.where(free, rhs[:, None, :], bound)
    x = np.linalg.solve(system, target[..., None])[..., 0]  # (N, 27, 3)
    slack = 1e-12 * (np.abs(upper) + 1e-300)[:, None, :]
    feasible = np.all(
        (x >= lower[:, None, :] - slack) & (x <= upper[:, None, :] + slack), axis=2
    )
    x = np.clip(x, lower[:, None, :], upper[:, None, :])
    value = (
        np.einsum("nai,nij,naj->na", x, gram, x)
        - 2.0 * np.einsum("ni,nai->na", rhs, x)
        + constant
    )
    value = np.where(feasible, value, np.inf)
    best = np.argmin(value, axis=1)
    rows = np.arange(m.size)
    return value[rows, best], x[rows, best]


def _squared_error(params: SviParams, k: FloatArray, w: FloatArray, weight: FloatArray) -> float:
    residual = params.total_variance(k) - w
    return float(np.sum(weight * residual * residual))


def _arbitrage_free(params: SviParams, floor: SviParams | None, grid: FloatArray) -> bool:
    return (
        not params.violations()
        and butterfly_check(params, grid).passed
        and _calendar_ok(params, floor, grid)
    )


def _calendar_ok(params: SviParams, floor: SviParams | None, grid: FloatArray) -> bool:
    if floor is None:
        return True
    return bool(np.all(params.total_variance(grid) >= floor.total_variance(grid)))


def _polish(
    params: SviParams,
    k: FloatArray,
    w: FloatArray,
    weight: FloatArray,
    floor: SviParams | None,
    grid: FloatArray,
) -> SviParams:
    """Nelder-Mead over (a, ln b, atanh ρ, m, ln σ) on the normalised squared error plus
    penalties for butterfly, calendar and Lee-bound violations."""
    scale = float(np.sum(weight * w * w))
    floor_w = floor.total_variance(grid) if floor is not None else None
    level = float(np.mean(w))

    def unpack(theta: FloatArray) -> SviParams:
        return SviParams(
            a=float(theta[0]),
            b=float(np.exp(theta[1])),
            rho=float(np.tanh(theta[2])),
            m=float(theta[3]),
            sigma=float(np.exp(theta[4])),
        )

    def objective(theta: FloatArray) -> float:
        p = unpack(theta)
        residual = p.total_variance(k) - w
        value = float(np.sum(weight * residual * residual)) / scale
        # Exact (L1) penalties: for a large enough weight the penalised minimum is feasible,
        # where squared penalties would trade a small violation for a better fit.
        g = butterfly_density(p, grid)
        penalty = float(np.sum(np.maximum(_G_MARGIN - np.nan_to_num(g, nan=-1.0), 0.0)))
        penalty += max(-p.minimum_total_variance / level, 0.0)
        penalty += max(p.b * (1.0 + abs(p.rho)) - LEE_MAX_WING_SLOPE, 0.0)
        if floor_w is not None:
            gap = p.total_variance(grid) - floor_w * (1.0 + _CALENDAR_MARGIN)
            penalty += float(np.sum(np.maximum(-gap, 0.0))) / level
        return value + _PENALTY_WEIGHT * penalty

    start = np.array(
        [
            params.a,
            np.log(max(params.b, 1e-8)),
            np.arctanh(np.clip(params.rho, -0.999999, 0.999999)),
            params.m,
            np.log(params.sigma),
        ]
    )
    span = max(float(np.ptp(k)), 1e-3)
    steps = np.array([0.1 * level, 0.2, 0.2, 0.05 * span, 0.2])
    result = minimise(objective, start, steps, MAX_POLISH_ITERATIONS)
    return _lift_above(unpack(result.x), floor, grid)


def _lift_above(params: SviParams, floor: SviParams | None, grid: FloatArray) -> SviParams:
    """Raise `a` by the largest calendar shortfall on the grid (a parallel shift of w keeps
    the smile's shape) so that a polish that ends a hair below the floor still clears it."""
    if floor is None:
        return params
    target = floor.total_variance(grid) * (1.0 + 2.0 * _CALENDAR_MARGIN)
    shortfall = float(np.max(target - params.total_variance(grid)))
    if shortfall <= 0.0:
        return params
    return SviParams(params.a + shortfall, params.b, params.rho, params.m, params.sigma)
