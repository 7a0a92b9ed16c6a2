"""Public spot channels: spot.trades, spot.tickers, spot.book_ticker, spot.candlesticks.

Trades are pushed as they happen (one message per trade, taker side, as Gate does); the best bid
and ask when either changed, at most once per command; tickers every second and candlesticks
every two seconds, and only when they changed. A new subscriber gets the current ticker, best
bid/ask or candle at once.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar, Final

from clearhouse.api.rest.market_data import ticker_view
from clearhouse.api.rest.views import quote_of
from clearhouse.api.ws import frames
from clearhouse.api.ws.connection import Connection
from clearhouse.api.ws.frames import ERR_BAD_ARGUMENT, FrameError
from clearhouse.api.ws.hub import Hub
from clearhouse.api.ws.registry import Channel
from clearhouse.api.ws.rest_bridge import rest_call
from clearhouse.api.ws.signing import Session
from clearhouse.api.ws.ws_shapes import public_trade
from clearhouse.core.commands import Facts
from clearhouse.core.events import OrderAccepted, OrderAmended, OrderClosed, Traded
from clearhouse.core.products.spot_market import SpotMarketState
from clearhouse.projections.candles import INTERVALS_S

TICKER_EVERY_S: Final = 1.0
CANDLE_EVERY_S: Final = 2.0


def require_market(hub: Hub, name: str) -> SpotMarketState:
    market = hub.venue.engine.state.markets.get(name)
    if market is None:
        raise FrameError(ERR_BAD_ARGUMENT, f"unknown currency pair: {name}")
    return market


def market_topics(hub: Hub, channel: str, topics: list[str] | None) -> list[str]:
    if not topics:
        raise FrameError(ERR_BAD_ARGUMENT, f"{channel} needs a list of currency pairs")
    return [f"{channel}|{require_market(hub, name).spec.name}" for name in topics]


def market_of_key(key: str) -> str:
    return key.rsplit("|", 1)[1]


class TradesChannel(Channel):
    name: ClassVar[str] = "spot.trades"

    def __init__(self, hub: Hub) -> None:
        super().__init__(hub)
        hub.on(Traded, self.on_trade)

    def keys(self, topics: list[str] | None, session: Session | None) -> list[str]:
        return market_topics(self.hub, self.name, topics)

    def on_trade(self, trade: Traded) -> None:
        key = "spot.trades|" + trade.market
        if key in self.hub.subs:
            market = self.hub.venue.engine.state.markets[trade.market]
            self.hub.publish(key, frames.update(self.name, public_trade(market, trade)))


class TickersChannel(Channel):
    """24-hour rolling statistics: the REST ticker, pushed every second when it changed."""

    name: ClassVar[str] = "spot.tickers"

    def __init__(self, hub: Hub) -> None:
        super().__init__(hub)
        self._call = rest_call(hub.runtime, Facts(channel="ws"))
        self._sent: dict[str, Any] = {}
        self._next_s = 0.0
        hub.every_tick(self)

    def keys(self, topics: list[str] | None, session: Session | None) -> list[str]:
        return market_topics(self.hub, self.name, topics)

    def ticker(self, name: str) -> Any:
        return ticker_view(self._call, self.hub.venue.engine.state.markets[name])

    def on_subscribed(self, conn: Connection, key: str) -> None:
        conn.push(frames.update(self.name, self.ticker(market_of_key(key))))

    def tick(self, now_s: float) -> None:
        if now_s < self._next_s:
            return
        self._next_s = now_s + TICKER_EVERY_S
        for key in [k for k in self.hub.subs if k.startswith("spot.tickers|")]:
            ticker = self.ticker(market_of_key(key))
            if self._sent.get(key) != ticker:
                self._sent[key] = ticker
                self.hub.publish(key, frames.update(self.name, ticker))
        for key in [k for k in self._sent if k not in self.hub.subs]:
            del self._sent[key]


class BookTickerChannel(Channel):
    """Best bid and ask, pushed after any command that changed either."""

    name: ClassVar[str] = "spot.book_ticker"

    def __init__(self, hub: Hub) -> None:
        super().__init__(hub)
        self._touched: dict[str, None] = {}
        self._sent: dict[str, tuple[int, int, int, int]] = {}
        for event_type in (OrderAccepted, OrderAmended, OrderClosed, Traded):
            hub.on(event_type, self.on_event)

    def keys(self, topics: list[str] | None, session: Session | None) -> list[str]:
        return market_topics(self.hub, self.name, topics)

    def on_event(self, event: OrderAccepted | OrderAmended | OrderClosed | Traded) -> None:
        name = event.market
        if name not in self._touched and "spot.book_ticker|" + name in self.hub.subs:
            if not self._touched:
                self.hub.mark_dirty(self)
            self._touched[name] = None

    def best(self, market: SpotMarketState) -> tuple[int, int, int, int]:
        bids = market.book.bids
        asks = market.book.asks
        bid = bids.levels[bids.keys[-1]] if bids.keys else None
        ask = asks.levels[asks.keys[-1]] if asks.keys else None
        return (
            bid.price_ticks if bid else 0,
            bid.visible_lots if bid else 0,
            ask.price_ticks if ask else 0,
            ask.visible_lots if ask else 0,
        )

    def frame(self, market: SpotMarketState, best: tuple[int, int, int, int]) -> str:
        units = market.units
        bid, bid_lots, ask, ask_lots = best
        return frames.update(
            self.name,
            {
                "t": time.time_ns() // 1_000_000,
                "u": market.book.update_id,
                "s": market.spec.name,
                "b": units.format_price(bid) if bid else "",
                "B": units.format_size(bid_lots) if bid else "",
                "a": units.format_price(ask) if ask else "",
                "A": units.format_size(ask_lots) if ask else "",
            },
        )

    def end_command(self) -> None:
        markets = self.hub.venue.engine.state.markets
        for name in self._touched:
            market = markets[name]
            best = self.best(market)
            key = "spot.book_ticker|" + name
            if self._sent.get(key) != best:
                self._sent[key] = best
                self.hub.publish(key, self.frame(market, best))
        self._touched.clear()

    def on_subscribed(self, conn: Connection, key: str) -> None:
        market = self.hub.venue.engine.state.markets[market_of_key(key)]
        best = self._sent[key] = self.best(market)
        conn.push(self.frame(market, best))


class CandlesticksChannel(Channel):
    """Payload [interval, currency_pair]: the latest candle from the candles projection, pushed
    when it changed; once its window has passed it is pushed a last time with "w": true."""

    name: ClassVar[str] = "spot.candlesticks"

    def __init__(self, hub: Hub) -> None:
        super().__init__(hub)
        self._sent: dict[str, tuple[int, ...]] = {}
        self._next_s = 0.0
        hub.every_tick(self)

    def keys(self, topics: list[str] | None, session: Session | None) -> list[str]:
        if not topics or len(topics) != 2:
            raise FrameError(ERR_BAD_ARGUMENT, "payload must be [interval, currency_pair]")
        interval, name = topics
        if interval not in INTERVALS_S:
            raise FrameError(ERR_BAD_ARGUMENT, f"unknown interval {interval}")
        return [f"{self.name}|{interval}|{require_market(self.hub, name).spec.name}"]

    def _latest(self, key: str) -> tuple[int, ...] | None:
        _, interval, name = key.split("|")
        ring = self.hub.runtime.projections.candles.series.get((name, interval))
        if not ring:
            return None
        c = ring[-1]
        venue = self.hub.venue
        now_s = max(venue.clock(), venue.engine.state.time_ns) // 1_000_000_000
        closed = int(c.start_s + INTERVALS_S[interval] <= now_s)
        return (c.start_s, c.open_ticks, c.high_ticks, c.low_ticks, c.close_ticks, c.base_lots,
                c.quote_tick_lots, closed)  # fmt: skip

    def _frame(self, key: str, candle: tuple[int, ...]) -> str:
        _, interval, name = key.split("|")
        units = self.hub.venue.engine.state.markets[name].units
        start, open_, high, low, close, base, quote, closed = candle
        result: dict[str, Any] = {
            "t": str(start),
            "v": quote_of(units, quote),
            "c": units.format_price(close),
            "h": units.format_price(high),
            "l": units.format_price(low),
            "o": units.format_price(open_),
            "n": f"{interval}_{name}",
            "a": units.format_size(base),
        }
        if closed:
            result["w"] = True
        return frames.update(self.name, result)

    def on_subscribed(self, conn: Connection, key: str) -> None:
        candle = self._latest(key)
        if candle is not None:
            conn.push(self._frame(key, candle))

    def tick(self, now_s: float) -> None:
        if now_s < self._next_s:
            return
        self._next_s = now_s + CANDLE_EVERY_S
        for key in [k for k in self.hub.subs if k.startswith("spot.candlesticks|")]:
            candle = self._latest(key)
            if candle is not None and candle != self._sent.get(key):
                self._sent[key] = candle
                self.hub.publish(key, self._frame(key, candle))
        for key in [k for k in self._sent if k not in self.hub.subs]:
            del self._sent[key]
