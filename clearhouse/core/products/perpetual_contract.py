"""A perpetual contract's listing: what one contract is worth, how prices move, what margin it
needs, how funding works and when it trades. Every parameter is per contract (REFERENCE.md §2).

Integers inside: prices in ticks (`tick_size`), sizes in contracts (`quanto_multiplier` of the
underlying each, Gate's signed integer `size`), money in units of the settle asset. One tick of
one contract is worth `units_per_tick_contract` settle units, an integer by listing rule, so a
notional `contracts x price_ticks x units_per_tick_contract` is exact.

Rates: fees, margin rates and price bands in parts per million (`_ppm`); funding, premium and
interest in parts per billion (`_ppb`), since funding rates live around 1e-5.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

import msgspec

from clearhouse.core.errors import INVALID_PARAM_VALUE, Rejected
from clearhouse.core.units import FeeRate, parse_decimal

PPM: Final = 1_000_000
PPB: Final = 1_000_000_000
EIGHT_HOURS_S: Final = 8 * 3600

INDEX_MEDIAN_BAND: Final = "median_band"  # Binance: a source beyond median +- band gets weight 0
INDEX_CLIP: Final = "clip"  # Deribit: clip each source to median +- clip, then average
INDEX_METHODS: Final = (INDEX_MEDIAN_BAND, INDEX_CLIP)

MINUTES_PER_WEEK: Final = 7 * 24 * 60
MAX_TIERS: Final = 32
MAX_SESSIONS: Final = 64


class RiskTier(msgspec.Struct, frozen=True, array_like=True):
    """One risk-limit tier: positions with notional up to `max_notional_units` (and above the
    previous tier's) need maintenance `mmr_ppm` and initial `imr_ppm` (max leverage = 1/IMR)."""

    max_notional_units: int
    mmr_ppm: int
    imr_ppm: int


class PerpContract(msgspec.Struct, frozen=True, array_like=True):
    name: str  # Gate id, e.g. "BTC_USDT"
    underlying: str  # "BTC", "XAU": informational; the index comes from source observations
    settle: str  # the margin asset, "USDT"
    quanto_multiplier: str  # underlying per contract, e.g. "0.0001"
    tick_size: str  # Gate order_price_round, e.g. "0.1"
    risk_tiers: tuple[RiskTier, ...]
    min_size: int = 1  # contracts
    max_size: int = 1_000_000  # contracts per order
    max_price_ticks: int = 10**12
    price_deviate_ppm: int = 50_000  # orders within mark +- 5 %; market orders capped there
    fees: tuple[FeeRate, ...] = (FeeRate(200, 500),)  # (maker, taker) ppm by account fee tier
    clearance_fee_ppm: int = 5_000  # charged on liquidation fills, paid to the insurance fund
    funding_interval_s: int = EIGHT_HOURS_S
    funding_cap_ppb: int = 3_000_000  # |rate| per interval at most 0.3 %
    interest_ppb: int = 100_000  # 0.01 % per 8 h, scaled to the interval
    premium_clamp_ppb: int = 500_000  # clamp(I - P, -0.05 %, +0.05 %)
    impact_notional_units: int = 0  # 0 = 200 settle units / IMR of the first tier
    index_method: str = INDEX_MEDIAN_BAND
    index_band_ppm: int = 50_000  # 5 %
    index_clip_ppm: int = 5_000  # 0.5 %
    index_max_sources: int = 16
    mark_basis_samples: int = 60  # moving average of (mid - index) over this many samples
    sessions: tuple[tuple[int, int], ...] = ()  # UTC minutes of the week from Monday 00:00
    max_open_orders_per_account: int = 200
    trading_enabled: bool = True


def _positive(value: int, name: str) -> None:
    if value <= 0:
        raise Rejected(INVALID_PARAM_VALUE, f"{name} must be positive")


def validate(spec: PerpContract) -> None:
    """Listing rules that do not need the asset table (see `units_per_tick_contract`)."""
    if not 0 < spec.min_size <= spec.max_size:
        raise Rejected(INVALID_PARAM_VALUE, "sizes must satisfy 0 < min_size <= max_size")
    _positive(spec.max_price_ticks, "max_price_ticks")
    _positive(spec.funding_interval_s, "funding_interval_s")
    _positive(spec.mark_basis_samples, "mark_basis_samples")
    _positive(spec.max_open_orders_per_account, "max_open_orders_per_account")
    if spec.funding_interval_s > 7 * 24 * 3600 or spec.mark_basis_samples > 10_000:
        raise Rejected(INVALID_PARAM_VALUE, "funding interval or basis window too long")
    if not 0 < spec.price_deviate_ppm < PPM or not 0 <= spec.clearance_fee_ppm < PPM:
        raise Rejected(INVALID_PARAM_VALUE, "price band and clearance fee must be below 100 %")
    if not 0 <= spec.funding_cap_ppb < PPB or not 0 <= spec.premium_clamp_ppb < PPB:
        raise Rejected(INVALID_PARAM_VALUE, "funding cap and clamp must be 0..100 %")
    if abs(spec.interest_ppb) >= PPB or spec.impact_notional_units < 0:
        raise Rejected(INVALID_PARAM_VALUE, "interest or impact notional out of range")
    if spec.index_method not in INDEX_METHODS:
        raise Rejected(INVALID_PARAM_VALUE, f"index_method must be one of {INDEX_METHODS}")
    if not 0 < spec.index_band_ppm < PPM or not 0 < spec.index_clip_ppm < PPM:
        raise Rejected(INVALID_PARAM_VALUE, "index band and clip must be 0..100 %")
    if not 1 <= spec.index_max_sources <= 64:
        raise Rejected(INVALID_PARAM_VALUE, "index_max_sources must be 1..64")
    validate_tiers(spec.risk_tiers)
    validate_sessions(spec.sessions)


def validate_tiers(tiers: tuple[RiskTier, ...]) -> None:
    if not 1 <= len(tiers) <= MAX_TIERS:
        raise Rejected(INVALID_PARAM_VALUE, f"1..{MAX_TIERS} risk tiers")
    previous = RiskTier(0, 0, 0)
    for tier in tiers:
        if tier.max_notional_units <= previous.max_notional_units:
            raise Rejected(INVALID_PARAM_VALUE, "risk tiers must grow in notional")
        if not previous.mmr_ppm <= tier.mmr_ppm < tier.imr_ppm <= PPM or tier.mmr_ppm <= 0:
            raise Rejected(
                INVALID_PARAM_VALUE, "tier rates must satisfy 0 < MMR < IMR <= 100 %, MMR rising"
            )
        if tier.imr_ppm < previous.imr_ppm:
            raise Rejected(INVALID_PARAM_VALUE, "initial margin rates must not fall with size")
        previous = tier


def validate_sessions(sessions: tuple[tuple[int, int], ...]) -> None:
    if len(sessions) > MAX_SESSIONS:
        raise Rejected(INVALID_PARAM_VALUE, f"at most {MAX_SESSIONS} sessions")
    for session in sessions:
        if len(session) != 2:
            raise Rejected(INVALID_PARAM_VALUE, "a session is (open minute, close minute)")
        start, end = session
        if not (0 <= start < MINUTES_PER_WEEK and 0 <= end < MINUTES_PER_WEEK and start != end):
            raise Rejected(INVALID_PARAM_VALUE, "session minutes must be 0..10079, open != close")


def units_per_tick_contract(spec: PerpContract, settle_scale: int) -> int:
    """Settle units one contract gains per tick; refuses a listing where that is not whole."""
    tick = parse_decimal(spec.tick_size, "tick_size")
    multiplier = parse_decimal(spec.quanto_multiplier, "quanto_multiplier")
    if tick <= 0 or multiplier <= 0:
        raise Rejected(INVALID_PARAM_VALUE, "tick_size and quanto_multiplier must be positive")
    per: Decimal = (tick * multiplier).scaleb(settle_scale)
    if per != per.to_integral_value():
        raise Rejected(INVALID_PARAM_VALUE, "tick x multiplier finer than the settle asset scale")
    return int(per)


def fee_rate(spec: PerpContract, tier: int) -> FeeRate:
    fees = spec.fees
    return fees[tier] if tier < len(fees) else fees[-1]
