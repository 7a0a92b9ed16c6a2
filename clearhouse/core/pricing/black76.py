"""Black-76 prices and Greeks of European options on a forward, vectorised over numpy arrays.

Model (Black 1976; REFERENCE.md section 3), with F the forward, K the strike, T the time to
expiry in years, σ the annualised volatility and r the continuously compounded discount rate:

    d1 = (ln(F/K) + σ²T/2) / (σ√T),  d2 = d1 − σ√T,  D = e^{−rT}
    call = D·(F·Φ(d1) − K·Φ(d2)),     put = D·(K·Φ(−d2) − F·Φ(−d1))

Accuracy: the out-of-the-money leg (call when F ≤ K, put when F > K) is evaluated from the
formula, where both terms are small and Φ is relative-accurate, and the in-the-money leg is that
value plus the intrinsic value |F − K| by put-call parity. Evaluating an in-the-money option
directly would subtract two numbers close to F and lose the time value to rounding.

Greek conventions (all analytic, F held fixed as the forward is the model's underlying):

    delta = ∂V/∂F = D·θ·Φ(θ·d1)         (forward delta; θ = +1 for a call, −1 for a put)
    gamma = ∂²V/∂F²
    vega  = ∂V/∂σ per unit of volatility  (1.0 = 100 vol points; divide by 100 for "per point")
    theta = −∂V/∂T per year of calendar time: the value change as time passes, negative for a
            long option when r = 0 (divide by 365 for "per day"); theta = r·V − D·F·φ(d1)·σ/(2√T)
    rho   = ∂V/∂r per unit of rate with F fixed = −T·V  (divide by 100 for "per 1 %")

Limits: T = 0 or σ = 0 give the discounted intrinsic value and the limiting Greeks (at the money
gamma = +inf and theta = −inf there, the Dirac limits). Invalid lanes (F ≤ 0, K ≤ 0, T < 0,
σ < 0, any non-finite input) give NaN in every output.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from clearhouse.core.pricing.arrays import (
    CHUNK_SIZE,
    BoolArray,
    FloatArray,
    chunk_bounds,
    flatten_inputs,
    take,
)
from clearhouse.core.pricing.normal import ONE_OVER_SQRT_TWO_PI, norm_cdf_into

# Floors for σ√T and √T: dividing by the smallest normal double instead of 0 turns the T → 0 and
# σ → 0 limits into ordinary arithmetic (±inf arguments to Φ and φ) with no special-case branch.
_TINY = float(np.finfo(np.float64).tiny)


@dataclass(frozen=True, slots=True)
class Black76Greeks:
    """Price and Greeks of a batch of options, each array shaped like the broadcast inputs."""

    price: FloatArray
    delta: FloatArray  # ∂V/∂F
    gamma: FloatArray  # ∂²V/∂F²
    vega: FloatArray  # ∂V/∂σ, per unit of vol
    theta: FloatArray  # −∂V/∂T, per year
    rho: FloatArray  # ∂V/∂r, per unit of rate, F fixed


def black76_price(
    forward: npt.ArrayLike,
    strike: npt.ArrayLike,
    time_years: npt.ArrayLike,
    vol: npt.ArrayLike,
    rate: npt.ArrayLike,
    is_call: npt.ArrayLike,
) -> FloatArray:
    """Discounted Black-76 prices; inputs broadcast against each other."""
    flat = flatten_inputs((forward, strike, time_years, vol, rate), is_call)
    price = np.empty(flat.size, dtype=np.float64)
    f_col, k_col, t_col, v_col, r_col = flat.columns
    scratch = _Scratch(_PRICE_SCRATCH_ROWS, flat.size)
    with np.errstate(all="ignore"):
        for start, stop in chunk_bounds(flat.size):
            _price_chunk(
                take(f_col, start, stop),
                take(k_col, start, stop),
                take(t_col, start, stop),
                take(v_col, start, stop),
                take(r_col, start, stop),
                take(flat.is_call, start, stop),
                price[start:stop],
                scratch,
            )
    return price.reshape(flat.shape)


def black76_greeks(
    forward: npt.ArrayLike,
    strike: npt.ArrayLike,
    time_years: npt.ArrayLike,
    vol: npt.ArrayLike,
    rate: npt.ArrayLike,
    is_call: npt.ArrayLike,
) -> Black76Greeks:
    """Discounted Black-76 prices with delta, gamma, vega, theta and rho (conventions above)."""
    flat = flatten_inputs((forward, strike, time_years, vol, rate), is_call)
    out = np.empty((6, flat.size), dtype=np.float64)
    f_col, k_col, t_col, v_col, r_col = flat.columns
    scratch = _Scratch(_GREEKS_SCRATCH_ROWS, flat.size)
    with np.errstate(all="ignore"):
        for start, stop in chunk_bounds(flat.size):
            _greeks_chunk(
                take(f_col, start, stop),
                take(k_col, start, stop),
                take(t_col, start, stop),
                take(v_col, start, stop),
                take(r_col, start, stop),
                take(flat.is_call, start, stop),
                out[:, start:stop],
                scratch,
            )
    shaped = out.reshape((6, *flat.shape))
    return Black76Greeks(
        price=shaped[0],
        delta=shaped[1],
        gamma=shaped[2],
        vega=shaped[3],
        theta=shaped[4],
        rho=shaped[5],
    )


def black76_price_scalar(
    forward: float, strike: float, time_years: float, vol: float, rate: float, is_call: bool
) -> float:
    """One Black-76 price (convenience wrapper over the array kernel)."""
    return float(black76_price(forward, strike, time_years, vol, rate, is_call))


def _invalid_lanes(
    f: FloatArray,
    k: FloatArray,
    t: FloatArray,
    v: FloatArray,
    r: FloatArray,
    size: int,
) -> BoolArray | None:
    """None when every lane is valid (the common case, decided by a few reductions), else the
    mask of invalid lanes: F ≤ 0, K ≤ 0, T < 0, σ < 0 or any input NaN or ±inf."""
    total = float(f.sum() + k.sum() + t.sum() + v.sum() + r.sum())
    if (
        np.isfinite(total)
        and float(min(f.min(), k.min())) > 0.0
        and float(min(t.min(), v.min())) >= 0.0
    ):
        return None
    valid = np.isfinite(f + k + t + v + r) & (f > 0.0) & (k > 0.0) & (t >= 0.0) & (v >= 0.0)
    return np.broadcast_to(~valid, (size,))


class _Scratch:
    """Reusable chunk-sized work buffers, so the kernels allocate nothing per chunk."""

    def __init__(self, count: int, size: int) -> None:
        width = max(1, min(size, CHUNK_SIZE))
        self._floats = np.empty((count, width), dtype=np.float64)
        self._bools = np.empty(width, dtype=np.bool_)

    def floats(self, n: int) -> list[FloatArray]:
        return [row[:n] for row in self._floats]

    def flags(self, n: int) -> BoolArray:
        return self._bools[:n]


def _otm_leg(
    f: FloatArray,
    k: FloatArray,
    t: FloatArray,
    v: FloatArray,
    is_call: BoolArray,
    work: list[FloatArray],
    in_the_money: BoolArray,
) -> None:
    """The front half shared by both kernels. Leaves in `work` [0] √T, [1] s = σ√T (floored),
    [2] d1, [3] Φ(ω·d1), [4] the undiscounted value, [5] ω, where ω = +1 when the
    out-of-the-money leg is the call (F < K) and −1 when it is the put (F ≥ K); and marks the
    lanes whose option is the in-the-money leg.

    Signs are applied by multiplying with ω rather than with masked ufuncs (`where=`), which
    numpy runs ~15 times slower than plain arithmetic.
    """
    sqrt_t, s, d1, n1, value, omega, tmp = work[:7]
    np.sqrt(t, out=sqrt_t)
    np.multiply(v, sqrt_t, out=s)
    np.maximum(s, _TINY, out=s)
    x = value  # borrowed for ln(F/K)
    np.divide(f, k, out=x)
    np.log(x, out=x)
    np.negative(x, out=omega)
    np.copysign(1.0, omega, out=omega)  # ln(F/K) = +0.0 at the money: ω = −1 there, either is exact
    np.divide(x, s, out=d1)
    np.multiply(s, 0.5, out=tmp)
    np.add(d1, tmp, out=d1)
    np.multiply(omega, d1, out=tmp)  # ω·d1
    norm_cdf_into(tmp, n1)
    np.multiply(omega, s, out=x)
    np.subtract(tmp, x, out=tmp)  # ω·d2 = ω·d1 − ω·s
    n2 = norm_cdf_into(tmp, x)
    # value = ω·(F·Φ(ω·d1) − K·Φ(ω·d2)), then + |F − K| on the in-the-money leg (parity).
    np.multiply(k, n2, out=tmp)
    np.multiply(f, n1, out=value)
    np.subtract(value, tmp, out=value)
    np.multiply(value, omega, out=value)
    np.maximum(value, 0.0, out=value)
    # In the money exactly when the option's flag differs from the OTM leg's (ω > 0 ⇔ call).
    np.greater(omega, 0.0, out=in_the_money)
    np.not_equal(is_call, in_the_money, out=in_the_money)
    np.subtract(f, k, out=tmp)
    np.abs(tmp, out=tmp)
    np.multiply(tmp, in_the_money, out=tmp)
    np.add(value, tmp, out=value)


def _discount_into(r: FloatArray, t: FloatArray, out: FloatArray) -> FloatArray:
    np.multiply(r, t, out=out)
    np.negative(out, out=out)
    np.exp(out, out=out)
    return out


_PRICE_SCRATCH_ROWS = 7
_GREEKS_SCRATCH_ROWS = 9


def _price_chunk(
    f: FloatArray,
    k: FloatArray,
    t: FloatArray,
    v: FloatArray,
    r: FloatArray,
    is_call: BoolArray,
    price: FloatArray,
    scratch: _Scratch,
) -> None:
    n = price.shape[0]
    work = scratch.floats(n)
    _otm_leg(f, k, t, v, is_call, work, scratch.flags(n))
    value = work[4]
    discount = _discount_into(r, t, work[6])
    np.multiply(discount, value, out=price)
    invalid = _invalid_lanes(f, k, t, v, r, n)
    if invalid is not None:
        price[invalid] = np.nan


def _greeks_chunk(
    f: FloatArray,
    k: FloatArray,
    t: FloatArray,
    v: FloatArray,
    r: FloatArray,
    is_call: BoolArray,
    out: FloatArray,
    scratch: _Scratch,
) -> None:
    n = out.shape[1]
    work = scratch.floats(n)
    in_the_money = scratch.flags(n)
    _otm_leg(f, k, t, v, is_call, work, in_the_money)
    sqrt_t, s, d1, n1, value, omega, tmp, discount, pdf = work
    price, delta, gamma, vega, theta, rho = out
    _discount_into(r, t, discount)
    np.multiply(discount, value, out=price)
    # delta = D·θ·Φ(θ·d1) for the option's sign θ. On the OTM leg θ = ω and Φ(θ·d1) = n1; on
    # the ITM leg θ = −ω and Φ(θ·d1) = 1 − n1 (≥ ½, so no cancellation). Hence
    # delta = D·θ·(n1 + itm·(1 − 2·n1)) with θ = ω·(1 − 2·itm).
    np.multiply(n1, -2.0, out=tmp)
    np.add(tmp, 1.0, out=tmp)
    np.multiply(tmp, in_the_money, out=tmp)
    np.add(n1, tmp, out=n1)
    np.multiply(in_the_money, -2.0, out=tmp)
    np.add(tmp, 1.0, out=tmp)  # +1 on the OTM leg, −1 on the ITM leg
    np.multiply(tmp, omega, out=tmp)  # θ
    np.multiply(discount, tmp, out=delta)
    np.multiply(delta, n1, out=delta)
    # D·F·φ(d1), shared by gamma, vega and theta.
    np.multiply(d1, d1, out=pdf)
    np.multiply(pdf, -0.5, out=pdf)
    np.exp(pdf, out=pdf)
    np.multiply(pdf, discount, out=pdf)
    np.multiply(pdf, f, out=pdf)
    np.multiply(pdf, ONE_OVER_SQRT_TWO_PI, out=pdf)
    np.multiply(f, f, out=tmp)
    np.multiply(tmp, s, out=tmp)
    np.divide(pdf, tmp, out=gamma)
    np.multiply(pdf, sqrt_t, out=vega)
    if s.min() <= _TINY:
        # σ√T = 0 at the money: the density is a Dirac spike, so gamma is +inf (not F²·tiny⁻¹).
        spike = (s <= _TINY) & (pdf > 0.0)
        gamma[spike] = np.inf
    # theta = r·V − D·F·φ(d1)·σ/(2√T)
    np.maximum(sqrt_t, _TINY, out=tmp)
    np.multiply(tmp, 2.0, out=tmp)
    np.multiply(pdf, v, out=omega)  # ω no longer needed
    np.divide(omega, tmp, out=omega)
    np.multiply(r, price, out=theta)
    np.subtract(theta, omega, out=theta)
    np.multiply(t, price, out=rho)
    np.negative(rho, out=rho)
    invalid = _invalid_lanes(f, k, t, v, r, n)
    if invalid is not None:
        out[:, invalid] = np.nan
