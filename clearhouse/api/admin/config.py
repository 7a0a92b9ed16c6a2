"""`PUT /config`: a requested configuration, validated whole, as the commands that apply it.

Everything is checked against the engine's own rules before the first command is submitted, so
an invalid request is refused with a clear error and changes nothing.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from clearhouse.api.admin import shapes
from clearhouse.api.errors import INVALID_PARAM_VALUE, ApiError
from clearhouse.core.commands import AnyCommand, SetFeeTier, SetMarketFees, SetMarketTrading
from clearhouse.core.errors import INVALID_PRECISION, USER_NOT_FOUND
from clearhouse.core.listing import MAX_FEE_TIERS, validate_fee_tiers
from clearhouse.core.state import State
from clearhouse.core.units import PPM


def rate_ppm(text: str, field: str) -> int:
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise ApiError(INVALID_PARAM_VALUE, f"{field} {text!r} is not a number") from exc
    if not value.is_finite():
        raise ApiError(INVALID_PARAM_VALUE, f"{field} {text!r} is not a number")
    ppm = value * PPM
    if ppm != ppm.to_integral_value():
        raise ApiError(INVALID_PRECISION, f"{field} {text} is finer than one part per million")
    return int(ppm)


def plan(state: State, config: shapes.VenueConfig) -> list[tuple[str, AnyCommand]]:
    """(description, command) for every change asked for, or ApiError for the first problem."""
    steps: list[tuple[str, AnyCommand]] = []
    for name in sorted(config.markets):
        market = state.require_market(name)
        wanted = config.markets[name]
        if wanted.fee_tiers is not None:
            fees = tuple(
                (
                    rate_ppm(tier.maker, f"{name} tier {i} maker"),
                    rate_ppm(tier.taker, f"{name} tier {i} taker"),
                )
                for i, tier in enumerate(wanted.fee_tiers)
            )
            validate_fee_tiers(fees)
            steps.append((f"{name}: fee tiers {list(fees)} (ppm)", SetMarketFees(name, fees)))
        if wanted.trading_enabled is not None and wanted.trading_enabled != market.enabled:
            word = "enabled" if wanted.trading_enabled else "suspended"
            command = SetMarketTrading(name, wanted.trading_enabled)
            steps.append((f"{name}: trading {word}", command))
    for uid_text in sorted(config.accounts, key=int):
        uid = int(uid_text)
        if uid not in state.accounts:
            raise ApiError(USER_NOT_FOUND, f"user {uid} not found")
        tier = config.accounts[uid_text].fee_tier
        if not 0 <= tier < MAX_FEE_TIERS:
            raise ApiError(INVALID_PARAM_VALUE, f"fee tier must be 0..{MAX_FEE_TIERS - 1}")
        steps.append((f"user {uid}: fee tier {tier}", SetFeeTier(uid, tier)))
    if not steps:
        raise ApiError(INVALID_PARAM_VALUE, "nothing to change")
    return steps
