"""Listing assets and markets. Configuration is journaled like any other command, so a replay
rebuilds the same venue."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import msgspec

from clearhouse.core.commands import (
    ListAsset,
    ListSpotMarket,
    SetIndexPrice,
    SetMarketFees,
    SetMarketTrading,
)
from clearhouse.core.context import Context
from clearhouse.core.errors import INVALID_PARAM_VALUE, NO_CHANGE, Rejected
from clearhouse.core.events import (
    AssetListed,
    IndexPriceSet,
    MarketFeesSet,
    MarketListed,
    MarketTradingSet,
)
from clearhouse.core.ledger import MAX_ASSETS
from clearhouse.core.products.spot_market import SpotMarketState
from clearhouse.core.units import MAX_SCALE, FeeRate, SpotMarket

if TYPE_CHECKING:
    from clearhouse.core.state import State

MAX_MARKETS: Final = 10_000
MAX_FEE_PPM: Final = 100_000  # 10 %: anything above is a typo, not a fee
MAX_FEE_TIERS: Final = 32


def _check_code(code: str, what: str) -> None:
    if not (1 <= len(code) <= 32) or not code.replace("_", "").isalnum() or code != code.upper():
        raise Rejected(
            INVALID_PARAM_VALUE, f"{what} {code!r} must be 1-32 upper-case letters/digits"
        )


def validate_fee_tiers(fees: tuple[tuple[int, int], ...]) -> None:
    """A fee schedule: 1..MAX_FEE_TIERS (maker_ppm, taker_ppm) pairs, no loss-making rebate."""
    if not 1 <= len(fees) <= MAX_FEE_TIERS:
        raise Rejected(INVALID_PARAM_VALUE, f"1..{MAX_FEE_TIERS} fee tiers")
    for maker_ppm, taker_ppm in fees:
        if not (-MAX_FEE_PPM <= maker_ppm <= MAX_FEE_PPM and 0 <= taker_ppm <= MAX_FEE_PPM):
            raise Rejected(INVALID_PARAM_VALUE, "fee rates out of range")
        if maker_ppm < 0 and -maker_ppm > taker_ppm:
            raise Rejected(
                INVALID_PARAM_VALUE, "a maker rebate larger than the taker fee loses money"
            )


def list_asset(state: State, cmd: ListAsset, ctx: Context) -> None:
    _check_code(cmd.code, "currency")
    if cmd.code in state.assets:
        raise Rejected(NO_CHANGE, f"currency {cmd.code} already listed")
    if not 0 <= cmd.scale <= MAX_SCALE:
        raise Rejected(INVALID_PARAM_VALUE, f"scale must be 0..{MAX_SCALE}")
    if len(state.asset_codes) + 1 >= MAX_ASSETS:
        raise Rejected(INVALID_PARAM_VALUE, "asset table full")
    # --- nothing above this line writes ---
    from clearhouse.core.units import Asset

    state.assets[cmd.code] = Asset(cmd.code, cmd.scale)
    # index 0 is never used so that a zero in a ledger key can never mean a real asset
    state.asset_index[cmd.code] = len(state.asset_codes) + 1
    state.asset_codes.append(cmd.code)
    ctx.events.append(AssetListed(cmd.code, cmd.scale))


def list_spot_market(state: State, cmd: ListSpotMarket, ctx: Context) -> None:
    _check_code(cmd.name, "currency pair")
    if cmd.name in state.markets:
        raise Rejected(NO_CHANGE, f"currency pair {cmd.name} already listed")
    if len(state.markets) >= MAX_MARKETS:
        raise Rejected(INVALID_PARAM_VALUE, "too many markets")
    base_index = state.require_asset(cmd.base)
    quote_index = state.require_asset(cmd.quote)
    if cmd.base == cmd.quote:
        raise Rejected(INVALID_PARAM_VALUE, "base and quote must differ")
    if not 0 < cmd.min_size_lots <= cmd.max_size_lots or cmd.min_notional_units < 0:
        raise Rejected(INVALID_PARAM_VALUE, "size limits must satisfy 0 < min <= max")
    validate_fee_tiers(cmd.fees)
    if cmd.max_open_orders_per_account <= 0:
        raise Rejected(INVALID_PARAM_VALUE, "max_open_orders_per_account must be positive")
    spec = SpotMarket(
        name=cmd.name,
        base=cmd.base,
        quote=cmd.quote,
        tick_size=cmd.tick_size,
        lot_size=cmd.lot_size,
        min_size_lots=cmd.min_size_lots,
        max_size_lots=cmd.max_size_lots,
        min_notional_units=cmd.min_notional_units,
        fees=tuple(FeeRate(m, t) for m, t in cmd.fees),
        max_open_orders_per_account=cmd.max_open_orders_per_account,
    )
    # MarketUnits validates tick and lot against the asset scales and raises Rejected
    market = SpotMarketState(
        spec, state.assets[cmd.base], state.assets[cmd.quote], base_index, quote_index
    )
    # --- nothing above this line writes ---
    state.markets[cmd.name] = market
    ctx.events.append(MarketListed(cmd.name))


def set_market_trading(state: State, cmd: SetMarketTrading, ctx: Context) -> None:
    market = state.require_market(cmd.market)
    # --- nothing above this line writes ---
    market.enabled = cmd.enabled
    ctx.events.append(MarketTradingSet(cmd.market, cmd.enabled))


def set_market_fees(state: State, cmd: SetMarketFees, ctx: Context) -> None:
    market = state.require_market(cmd.market)
    validate_fee_tiers(cmd.fees)
    spec = msgspec.structs.replace(market.spec, fees=tuple(FeeRate(m, t) for m, t in cmd.fees))
    # --- nothing above this line writes ---
    market.spec = spec
    market.units.market = spec
    ctx.events.append(MarketFeesSet(cmd.market, cmd.fees))


def set_index_price(state: State, cmd: SetIndexPrice, ctx: Context) -> None:
    market = state.require_market(cmd.market)
    if not 0 < cmd.price_ticks <= market.spec.max_price_ticks:
        raise Rejected(INVALID_PARAM_VALUE, "index price out of range")
    # --- nothing above this line writes ---
    state.index_prices[cmd.market] = cmd.price_ticks
    ctx.events.append(IndexPriceSet(cmd.market, cmd.price_ticks))
