"""Public spot market data: currencies, pairs, tickers, order book, candles, trades, time."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any, Final

from clearhouse.api.endpoint import Call, Endpoint, Handler
from clearhouse.api.rest import shapes
from clearhouse.api.rest.common import page, projections_of, state_of, venue_now_ns
from clearhouse.api.rest.market_numbers import numbers_of
from clearhouse.api.rest.views import (
    decimals,
    millis,
    percent_text,
    public_trade_view,
    quote_of,
)
from clearhouse.core.products.spot_market import SpotMarketState
from clearhouse.core.state import State
from clearhouse.projections.candles import INTERVALS_S
from clearhouse.projections.tickers import ticker_24h

V4: Final = "/api/v4"
TAG: Final = "spot market data"
MAX_CANDLES_PER_REQUEST: Final = 1_000


def _currency(code: str) -> shapes.Currency:
    return shapes.Currency(
        currency=code, name=code, delisted=False, withdraw_disabled=False,
        withdraw_delayed=False, deposit_disabled=False, trade_disabled=False, fixed_rate="",
        chain="", chains=[],
    )  # fmt: skip


async def list_currencies(call: Call) -> list[shapes.Currency]:
    return [_currency(code) for code in state_of(call).asset_codes]


async def get_currency(call: Call) -> shapes.Currency:
    state = state_of(call)
    code = call.path.currency
    state.require_asset(code)
    return _currency(code)


def pair_view(market: SpotMarketState) -> shapes.CurrencyPair:
    spec = market.spec
    units = market.units
    base_tier = spec.fees[0]
    return shapes.CurrencyPair(
        id=spec.name,
        base=spec.base,
        base_name=spec.base,
        quote=spec.quote,
        quote_name=spec.quote,
        fee=percent_text(base_tier.taker_ppm),
        maker_fee_rate=percent_text(base_tier.maker_ppm),
        min_base_amount=units.format_size(spec.min_size_lots),
        min_quote_amount=units.format_quote(spec.min_notional_units),
        max_base_amount=units.format_size(spec.max_size_lots),
        amount_precision=decimals(units.lot),
        precision=decimals(units.tick),
        trade_status="tradable" if market.enabled else "untradable",
        sell_start=0,
        buy_start=0,
        delisting_time=0,
        type="normal",
    )


async def list_pairs(call: Call) -> list[shapes.CurrencyPair]:
    markets = state_of(call).markets
    return [pair_view(markets[name]) for name in sorted(markets)]


async def get_pair(call: Call) -> shapes.CurrencyPair:
    return pair_view(state_of(call).require_market(call.path.currency_pair))


async def list_margin_pairs(call: Call) -> list[shapes.MarginCurrencyPair]:
    return []  # no margin trading (yet); ccxt's load_markets accepts an empty list


def _change_percent(open_ticks: int, last_ticks: int) -> str:
    if not open_ticks:
        return "0"
    change = (Decimal(last_ticks - open_ticks) * 100 / Decimal(open_ticks)).quantize(
        Decimal("0.01")
    )
    return format(change, "f")


def ticker_view(call: Call, market: SpotMarketState) -> shapes.Ticker:
    units = market.units
    name = market.spec.name
    stats = ticker_24h(projections_of(call).candles, name, venue_now_ns(call) // 1_000_000_000)
    book = market.book
    ask = book.asks.depth(1)
    bid = book.bids.depth(1)

    def price(ticks: int) -> str:
        return units.format_price(ticks) if ticks else ""

    return shapes.Ticker(
        currency_pair=name,
        last=price(stats.last_ticks),
        lowest_ask=units.format_price(ask[0][0]) if ask else "",
        lowest_size=units.format_size(ask[0][1]) if ask else "",
        highest_bid=units.format_price(bid[0][0]) if bid else "",
        highest_size=units.format_size(bid[0][1]) if bid else "",
        change_percentage=_change_percent(stats.open_ticks, stats.last_ticks),
        base_volume=units.format_size(stats.base_lots),
        quote_volume=quote_of(units, stats.quote_tick_lots),
        high_24h=price(stats.high_ticks),
        low_24h=price(stats.low_ticks),
    )


async def list_tickers(call: Call) -> list[shapes.Ticker]:
    state: State = state_of(call)
    query: shapes.TickersQuery = call.query
    if query.currency_pair is not None:
        return [ticker_view(call, state.require_market(query.currency_pair))]
    return [ticker_view(call, state.markets[name]) for name in sorted(state.markets)]


async def order_book(call: Call) -> shapes.OrderBook:
    query: shapes.OrderBookQuery = call.query
    market = state_of(call).require_market(query.currency_pair)
    units = market.units
    book = market.book
    now_ms = millis(venue_now_ns(call))
    updated = projections_of(call).book_times.updated_ns.get(market.spec.name, 0)
    numbers = numbers_of(units)
    price, size = numbers.price, numbers.size
    result = shapes.OrderBook(
        current=now_ms,
        update=millis(updated) if updated else now_ms,
        asks=[[price(p), size(s)] for p, s in book.asks.depth(query.limit)],
        bids=[[price(p), size(s)] for p, s in book.bids.depth(query.limit)],
    )
    if query.with_id:
        result.id = book.update_id
    return result


async def candlesticks(call: Call) -> list[shapes.CandleRow]:
    query: shapes.CandlesticksQuery = call.query
    market = state_of(call).require_market(query.currency_pair)
    units = market.units
    length_s = INTERVALS_S[query.interval]
    now_s = venue_now_ns(call) // 1_000_000_000
    limit = min(query.limit, MAX_CANDLES_PER_REQUEST)
    candles = projections_of(call).candles.query(
        market.spec.name, query.interval, limit if query.from_ is None else MAX_CANDLES_PER_REQUEST,
        query.from_, query.to,
    )  # fmt: skip
    return [
        [
            str(c.start_s),
            quote_of(units, c.quote_tick_lots),
            units.format_price(c.close_ticks),
            units.format_price(c.high_ticks),
            units.format_price(c.low_ticks),
            units.format_price(c.open_ticks),
            units.format_size(c.base_lots),
            "true" if c.start_s + length_s <= now_s else "false",
        ]
        for c in candles
    ]


async def public_trades(call: Call) -> list[shapes.PublicTrade]:
    query: shapes.TradesQuery = call.query
    market = state_of(call).require_market(query.currency_pair)
    ns = 1_000_000_000
    trades = projections_of(call).public_trades.query(
        market.spec.name,
        limit=query.limit * query.page,
        last_id=int(query.last_id) if query.last_id else 0,
        reverse=query.reverse,
        from_ns=query.from_ * ns if query.from_ is not None else 0,
        to_ns=(query.to + 1) * ns - 1 if query.to is not None else 0,
    )
    units = market.units
    return [public_trade_view(t, units) for t in page(trades, query.page, query.limit)]


async def server_time(call: Call) -> shapes.ServerTime:
    # Wall time, not the demo venue's simulated time: clients sign requests with this clock.
    return shapes.ServerTime(server_time=time.time_ns() // 1_000_000)


def _get(path: str, handler: Handler, summary: str, **kwargs: Any) -> Endpoint:
    return Endpoint("GET", V4 + path, handler, "public", summary, TAG, **kwargs)


ENDPOINTS: Final = [
    _get("/spot/currencies", list_currencies, "List currencies",
         response=list[shapes.Currency]),
    _get("/spot/currencies/{currency}", get_currency, "One currency",
         path_params=shapes.CurrencyPath, response=shapes.Currency),
    _get("/spot/currency_pairs", list_pairs, "List currency pairs",
         response=list[shapes.CurrencyPair]),
    _get("/spot/currency_pairs/{currency_pair}", get_pair, "One currency pair",
         path_params=shapes.CurrencyPairPath, response=shapes.CurrencyPair),
    _get("/margin/currency_pairs", list_margin_pairs, "Margin pairs (none: spot only)",
         response=list[shapes.MarginCurrencyPair]),
    _get("/spot/tickers", list_tickers, "24h tickers", query=shapes.TickersQuery,
         response=list[shapes.Ticker]),
    _get("/spot/order_book", order_book, "Order book", query=shapes.OrderBookQuery,
         response=shapes.OrderBook),
    _get("/spot/candlesticks", candlesticks, "Candlesticks", query=shapes.CandlesticksQuery,
         response=list[shapes.CandleRow]),
    _get("/spot/trades", public_trades, "Public trades, newest first",
         query=shapes.TradesQuery, response=list[shapes.PublicTrade]),
    _get("/spot/time", server_time, "Server time (ms)", response=shapes.ServerTime),
]  # fmt: skip
