"""Black-76 implied volatility, vectorised, with a defined "no IV" result and its reason.

For each option the discounted price is reduced to the normalised out-of-the-money call price
β = (price/D − intrinsic)/√(F·K) at x = −|ln(F/K)| (put-call parity maps an in-the-money option
to the out-of-the-money one; the reciprocal-strike symmetry b_put(x) = b_call(−x) maps puts to
calls), and `normalised_implied_vol` (Jäckel's "Let's Be Rational" scheme) solves b(x, s) = β;
σ = s/√T.

"No IV" is NaN in `vol` with a reason code, decided in this order:

    INVALID_INPUT    a non-finite input, F ≤ 0, K ≤ 0 or T ≤ 0
    BELOW_INTRINSIC  price < D·max(θ(F − K), 0)
    ABOVE_MAXIMUM    price ≥ D·F for a call, ≥ D·K for a put (σ → ∞ only reaches the bound)
    NO_TIME_VALUE    undiscounted time value price/D − intrinsic < 1e-12·F: below that the
                     price carries no volatility information (REFERENCE.md section 3)
    NOT_CONVERGED    the solver's bisection fallback did not close its bracket (never observed;
                     reported rather than returning an unconverged number)

Accuracy is limited by the input, not the solver: an in-the-money price carries its time value
only to ~ε·price absolutely, so σ is determined to ~ε·price/vega and no better (see
tests/pricing/test_implied_vol.py for the measured round trips).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from clearhouse.core.pricing.arrays import (
    BoolArray,
    FloatArray,
    chunk_bounds,
    flatten_inputs,
    take,
)
from clearhouse.core.pricing.normalised_iv import normalised_implied_vol

MIN_TIME_VALUE_FRACTION = 1e-12  # of F: below this time value there is no IV
# The solver splits each chunk by region and segment and its later iterations run on shrinking
# subsets, so it issues many more numpy calls per lane than Black-76 and prefers larger chunks
# (measured on 1M options: 8192 → 1.86M/s, 16384 → 2.12M/s, 32768 → 2.37M/s, 65536 → 2.25M/s).
IV_CHUNK_SIZE = 32768


class IvReason(IntEnum):
    """Why a lane has no implied volatility (OK when it has one)."""

    OK = 0
    INVALID_INPUT = 1
    BELOW_INTRINSIC = 2
    ABOVE_MAXIMUM = 3
    NO_TIME_VALUE = 4
    NOT_CONVERGED = 5


ReasonArray = npt.NDArray[np.int8]


@dataclass(frozen=True, slots=True)
class ImpliedVols:
    """Implied volatilities (annualised, NaN where there is none) and a reason per lane."""

    vol: FloatArray
    reason: ReasonArray

    @property
    def has_vol(self) -> BoolArray:
        return np.equal(self.reason, int(IvReason.OK))


def implied_vol(
    price: npt.ArrayLike,
    forward: npt.ArrayLike,
    strike: npt.ArrayLike,
    time_years: npt.ArrayLike,
    rate: npt.ArrayLike,
    is_call: npt.ArrayLike,
) -> ImpliedVols:
    """Black-76 implied volatility of discounted option prices; inputs broadcast together."""
    flat = flatten_inputs((price, forward, strike, time_years, rate), is_call)
    vol = np.empty(flat.size, dtype=np.float64)
    reason = np.empty(flat.size, dtype=np.int8)
    p_col, f_col, k_col, t_col, r_col = flat.columns
    with np.errstate(all="ignore"):
        for start, stop in chunk_bounds(flat.size, IV_CHUNK_SIZE):
            _implied_vol_chunk(
                np.broadcast_to(take(p_col, start, stop), (stop - start,)),
                np.broadcast_to(take(f_col, start, stop), (stop - start,)),
                np.broadcast_to(take(k_col, start, stop), (stop - start,)),
                np.broadcast_to(take(t_col, start, stop), (stop - start,)),
                np.broadcast_to(take(r_col, start, stop), (stop - start,)),
                np.broadcast_to(take(flat.is_call, start, stop), (stop - start,)),
                vol[start:stop],
                reason[start:stop],
            )
    return ImpliedVols(vol=vol.reshape(flat.shape), reason=reason.reshape(flat.shape))


def implied_vol_scalar(
    price: float,
    forward: float,
    strike: float,
    time_years: float,
    rate: float,
    is_call: bool,
) -> tuple[float, IvReason]:
    """One implied volatility (NaN when there is none) and its reason."""
    result = implied_vol(price, forward, strike, time_years, rate, is_call)
    return float(result.vol), IvReason(int(result.reason))


def _implied_vol_chunk(
    price: FloatArray,
    f: FloatArray,
    k: FloatArray,
    t: FloatArray,
    r: FloatArray,
    is_call: BoolArray,
    vol: FloatArray,
    reason: ReasonArray,
) -> None:
    discount = np.exp(-r * t)
    forward_minus_strike = f - k
    intrinsic = np.maximum(np.where(is_call, forward_minus_strike, -forward_minus_strike), 0.0)
    discounted_intrinsic = discount * intrinsic
    time_value = (price - discounted_intrinsic) / discount
    x = -np.abs(np.log(f / k))
    b_max = np.exp(0.5 * x)
    beta = time_value / (np.sqrt(f) * np.sqrt(k))

    valid = np.isfinite(price + f + k + t + r) & (f > 0.0) & (k > 0.0) & (t > 0.0)
    no_time_value = time_value < MIN_TIME_VALUE_FRACTION * f
    # The second test catches prices a rounding below the bound whose β still reaches b_max.
    above = (price >= discount * np.where(is_call, f, k)) | (beta >= b_max)
    below = price < discounted_intrinsic
    no_iv = no_time_value | above | below | ~valid
    vol.fill(np.nan)
    reason.fill(IvReason.OK)
    if not no_iv.any():
        solution = normalised_implied_vol(beta, x, b_max)
        np.divide(solution.s, np.sqrt(t), out=vol)
        converged = solution.converged
        if not converged.all():
            vol[~converged] = np.nan
            reason[~converged] = IvReason.NOT_CONVERGED
        return
    # Later assignments take precedence: the reasons are written in reverse order of priority.
    reason[no_time_value] = IvReason.NO_TIME_VALUE
    reason[above] = IvReason.ABOVE_MAXIMUM
    reason[below] = IvReason.BELOW_INTRINSIC
    reason[~valid] = IvReason.INVALID_INPUT
    index = np.flatnonzero(~no_iv)
    if index.size == 0:
        return
    solution = normalised_implied_vol(beta[index], x[index], b_max[index])
    vol[index] = solution.s / np.sqrt(t[index])
    failed = index[~solution.converged]
    vol[failed] = np.nan
    reason[failed] = IvReason.NOT_CONVERGED
