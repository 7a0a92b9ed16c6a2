"""The engine's integers as Gate's words and decimal strings, and back: the API edge.

Sides, time-in-force, STP actions and order states are small ints inside the engine and Gate's
words on the wire; amounts are ints of ticks, lots and units inside and plain decimal strings
on the wire. This module is the one place that translates.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from typing import Final, Literal

from clearhouse.api.rest import shapes
from clearhouse.api.rest.market_numbers import numbers_of
from clearhouse.core.book import BUY, FOK, GTC, IOC, POC, SELL, STP_CB, STP_CN, STP_CO, Order
from clearhouse.core.events import Traded
from clearhouse.core.products.spot_market import SpotMarketState
from clearhouse.core.units import PPM, MarketUnits
from clearhouse.projections.orders import OPEN, OrderRecord
from clearhouse.projections.user_trades import UserTrade

SIDES: Final = {"buy": BUY, "sell": SELL}
SIDE_WORDS: Final = {BUY: "buy", SELL: "sell"}
TIFS: Final = {"gtc": GTC, "ioc": IOC, "fok": FOK, "poc": POC}
TIF_WORDS: Final = {GTC: "gtc", IOC: "ioc", FOK: "fok", POC: "poc"}
STP_ACTS: Final = {"cn": STP_CN, "co": STP_CO, "cb": STP_CB, "-": STP_CN}
STP_WORDS: Final = {STP_CN: "cn", STP_CO: "co", STP_CB: "cb"}
SPOT_ACCOUNT: Final = "spot"
NO_AMEND_TEXT: Final = "-"
AVG_PRICE_EXTRA_DECIMALS: Final = 8  # an average price is shown finer than the tick
NS_PER_S: Final = 1_000_000_000
NS_PER_MS: Final = 1_000_000


# --- times ---------------------------------------------------------------------------------------
def seconds_text(time_ns: int) -> str:
    return str(time_ns // NS_PER_S)


def millis(time_ns: int) -> int:
    return time_ns // NS_PER_MS


def millis_fraction_text(time_ns: int) -> str:
    """Gate's trade `create_time_ms`: milliseconds with a six-digit fraction, as a string."""
    return f"{time_ns // NS_PER_MS}.{time_ns % NS_PER_MS:06d}"


# --- rates ---------------------------------------------------------------------------------------
def rate_text(ppm: int) -> str:
    """Parts per million as a plain rate: 2000 -> "0.002"."""
    return _plain(Decimal(ppm).scaleb(-6))


def percent_text(ppm: int) -> str:
    """Parts per million as a percentage: 2000 -> "0.2"."""
    return _plain(Decimal(ppm).scaleb(-4))


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


# --- markets -------------------------------------------------------------------------------------
def decimals(step: Decimal) -> int:
    exponent = step.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def parse_iceberg(units: MarketUnits, text: str | None) -> int:
    if text is None or text in ("0", ""):
        return 0
    return units.parse_size(text)


# --- orders --------------------------------------------------------------------------------------
def record_of_open_order(order: Order) -> OrderRecord:
    """An open order straight from the engine, in the projection's neutral shape."""
    record = OrderRecord(
        order.order_id, order.account, order.market, order.side, order.price_ticks,
        order.size_lots, 0, order.tif, order.display_lots, order.stp_act, order.text,
        order.create_time_ns,
    )  # fmt: skip
    record.update_time_ns = order.update_time_ns
    record.remaining_lots = order.remaining_lots
    record.filled_lots = order.filled_lots
    record.filled_quote_units = order.filled_quote_units
    record.fee_units = order.fee_units
    return record


def _status(finish_as: str) -> Literal["open", "closed", "cancelled"]:
    if finish_as == OPEN:
        return "open"
    if finish_as == "filled":
        return "closed"
    return "cancelled"


def average_price(units: MarketUnits, filled_lots: int, filled_quote_units: int) -> str:
    if not filled_lots:
        return "0"
    with localcontext() as context:
        context.prec = 60
        quote = Decimal(filled_quote_units).scaleb(-units.quote_scale)
        base = units.lot * filled_lots
        step = Decimal(1).scaleb(-(units.price_decimals + AVG_PRICE_EXTRA_DECIMALS))
        return _plain((quote / base).quantize(step))


def order_view(record: OrderRecord, market: SpotMarketState, stp_group: int) -> shapes.SpotOrder:
    units = market.units
    numbers = numbers_of(units)
    spec = market.spec
    buy = record.side == BUY
    budget = record.quote_units  # a market buy is sized in quote
    if budget:
        amount = numbers.quote(budget)
        left = numbers.quote(max(0, budget - record.filled_quote_units))
    else:
        amount = numbers.size(record.size_lots)
        left = numbers.size(record.remaining_lots)
    filled_total = numbers.quote(record.filled_quote_units)
    fee = numbers.base(record.fee_units) if buy else numbers.quote(record.fee_units)
    return shapes.SpotOrder(
        id=str(record.order_id),
        text=record.text,
        amend_text=NO_AMEND_TEXT,
        create_time=seconds_text(record.create_time_ns),
        update_time=seconds_text(record.update_time_ns),
        create_time_ms=millis(record.create_time_ns),
        update_time_ms=millis(record.update_time_ns),
        status=_status(record.finish_as),
        currency_pair=record.market,
        type="limit" if record.price_ticks else "market",
        account=SPOT_ACCOUNT,
        side=SIDE_WORDS[record.side],
        amount=amount,
        price=numbers.price(record.price_ticks),
        time_in_force=TIF_WORDS[record.tif],
        iceberg=numbers.size(record.display_lots),
        left=left,
        filled_amount=numbers.size(record.filled_lots),
        fill_price=filled_total,
        filled_total=filled_total,
        avg_deal_price=average_price(units, record.filled_lots, record.filled_quote_units),
        fee=fee,
        fee_currency=spec.base if buy else spec.quote,
        point_fee="0",
        gt_fee="0",
        gt_maker_fee="0",
        gt_taker_fee="0",
        gt_discount=False,
        rebated_fee="0",
        rebated_fee_currency=spec.quote if buy else spec.base,
        stp_id=stp_group,
        stp_act=STP_WORDS.get(record.stp_act, "cn") if stp_group else "-",
        finish_as=record.finish_as,
    )


# --- trades --------------------------------------------------------------------------------------
def public_trade_view(trade: Traded, units: MarketUnits) -> shapes.PublicTrade:
    return shapes.PublicTrade(
        id=str(trade.trade_id),
        create_time=seconds_text(trade.time_ns),
        create_time_ms=millis_fraction_text(trade.time_ns),
        currency_pair=trade.market,
        side=SIDE_WORDS[trade.taker_side],
        amount=numbers_of(units).size(trade.size_lots),
        price=numbers_of(units).price(trade.price_ticks),
    )


def my_trade_view(fill: UserTrade, market: SpotMarketState) -> shapes.MyTrade:
    units = market.units
    trade = fill.trade
    buy = fill.side == BUY
    numbers = numbers_of(units)
    fee = numbers.base(fill.fee_units) if buy else numbers.quote(fill.fee_units)
    return shapes.MyTrade(
        id=str(trade.trade_id),
        create_time=seconds_text(trade.time_ns),
        create_time_ms=millis_fraction_text(trade.time_ns),
        currency_pair=trade.market,
        side=SIDE_WORDS[fill.side],
        role="maker" if fill.role == "maker" else "taker",
        amount=numbers.size(trade.size_lots),
        price=numbers.price(trade.price_ticks),
        order_id=str(fill.order_id),
        fee=fee,
        fee_currency=market.spec.base if buy else market.spec.quote,
        point_fee="0",
        gt_fee="0",
        amend_text=NO_AMEND_TEXT,
        text=fill.text,
    )


def quote_of(units: MarketUnits, tick_lots: int) -> str:
    """A sum of price_ticks x size_lots as a quote amount."""
    return units.format_quote(tick_lots * units.quote_units_per_tick_lot)


def fee_rate_text(market: SpotMarketState, tier: int, maker: bool) -> str:
    rate = market.fee_rate(tier)
    return rate_text(rate.maker_ppm if maker else rate.taker_ppm)


assert PPM == 1_000_000, "rate_text assumes fee rates in parts per million"
