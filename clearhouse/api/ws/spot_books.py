"""Order-book channels: spot.order_book, spot.order_book_update and spot.obu.

The book's `update_id` (the REST order book's `id`) advances with every visible change.

* `spot.order_book_update` [pair, interval]: every interval, the levels that changed since the
  last message, with absolute amounts ("0" = gone), `U` = previous `u` + 1 and `u` = the book's
  `update_id` now, so a client can sync with a REST snapshot exactly as Gate documents
  (`U <= id + 1 <= u`). "Changed" is exact: every level touched by an order accepted, traded,
  amended or closed is sent, even if it came back to its old amount, so a snapshot taken in the
  middle of an interval is never left with a stale level. To know the level of a cancelled order
  the feed keeps order id -> level for the market's resting orders while anyone subscribes.
* `spot.obu` ["ob.PAIR.50"|"ob.PAIR.400"]: Gate's order book v2, the one ccxt uses. A full
  snapshot of the top levels first, then windowed diffs of the top levels (a level leaving the
  window is sent as "0", one entering it with its amount), so the local book is the venue's top
  levels.
* `spot.order_book` [pair, level, interval]: periodic snapshots of the top levels.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final

from clearhouse.api.rest.market_numbers import numbers_of
from clearhouse.api.ws import frames
from clearhouse.api.ws.connection import Connection
from clearhouse.api.ws.frames import ERR_BAD_ARGUMENT, FrameError
from clearhouse.api.ws.hub import Hub
from clearhouse.api.ws.registry import Channel
from clearhouse.api.ws.signing import Session
from clearhouse.api.ws.spot_public import require_market
from clearhouse.core.book import BUY, OrderBook
from clearhouse.core.events import OrderAccepted, OrderAmended, OrderClosed, Traded
from clearhouse.core.products.spot_market import SpotMarketState

UPDATE_INTERVALS: Final = {"20ms": 0.02, "100ms": 0.1, "1000ms": 1.0}
SNAPSHOT_INTERVALS: Final = {"100ms": 0.1, "1000ms": 1.0}
SNAPSHOT_LEVELS: Final = frozenset({"5", "10", "20", "50", "100"})
OBU_LEVELS: Final = {"50": 0.02, "400": 0.1}  # Gate: 50 levels every 20 ms, 400 every 100 ms


def level_key(side: int, price_ticks: int) -> int:
    return price_ticks * 2 + side


def levels_json(market: SpotMarketState, levels: list[tuple[int, int]]) -> list[list[str]]:
    units = market.units
    numbers = numbers_of(units)
    return [[numbers.price(price), numbers.size(lots)] for price, lots in levels]


def now_ms() -> int:
    return time.time_ns() // 1_000_000


# --- spot.order_book_update ---------------------------------------------------------------------
@dataclass
class _UpdateStream:
    key: str
    market: SpotMarketState
    every_s: float
    last_u: int
    due_s: float = 0.0
    touched: set[int] = field(default_factory=set)


class _MarketWatch:
    """Resting order -> level, for one market, while anyone watches its updates."""

    def __init__(self, book: OrderBook) -> None:
        self.book = book
        self.levels: dict[int, int] = {
            order_id: level_key(order.side, order.price_ticks)
            for order_id, order in book.orders.items()
        }
        self.streams: list[_UpdateStream] = []

    def touch(self, key: int) -> None:
        for stream in self.streams:
            stream.touched.add(key)


class OrderBookUpdateChannel(Channel):
    name: ClassVar[str] = "spot.order_book_update"

    def __init__(self, hub: Hub) -> None:
        super().__init__(hub)
        self.watches: dict[str, _MarketWatch] = {}
        self.streams: dict[str, _UpdateStream] = {}
        hub.watch(self.name, self)
        hub.every_tick(self)
        hub.on(OrderAccepted, self.on_accepted)
        hub.on(Traded, self.on_traded)
        hub.on(OrderClosed, self.on_closed)
        hub.on(OrderAmended, self.on_amended)

    def keys(self, topics: list[str] | None, session: Session | None) -> list[str]:
        if not topics or len(topics) not in (2, 3):
            raise FrameError(ERR_BAD_ARGUMENT, "payload must be [currency_pair, interval]")
        name, interval = topics[0], topics[1]
        if interval not in UPDATE_INTERVALS:
            raise FrameError(ERR_BAD_ARGUMENT, f"interval must be one of {list(UPDATE_INTERVALS)}")
        return [f"{self.name}|{require_market(self.hub, name).spec.name}|{interval}"]

    # subscriptions come and go
    def on_first(self, key: str) -> None:
        _, name, interval = key.split("|")
        market = self.hub.venue.engine.state.markets[name]
        watch = self.watches.get(name)
        if watch is None:
            watch = self.watches[name] = _MarketWatch(market.book)
        stream = _UpdateStream(key, market, UPDATE_INTERVALS[interval], market.book.update_id)
        watch.streams.append(stream)
        self.streams[key] = stream

    def on_last(self, key: str) -> None:
        stream = self.streams.pop(key)
        name = stream.market.spec.name
        watch = self.watches[name]
        watch.streams.remove(stream)
        if not watch.streams:
            del self.watches[name]

    # events: which levels changed
    def on_accepted(self, event: OrderAccepted) -> None:
        watch = self.watches.get(event.market)
        if watch is not None and event.order_id in watch.book.orders:
            key = level_key(event.side, event.price_ticks)
            watch.levels[event.order_id] = key
            watch.touch(key)

    def on_traded(self, event: Traded) -> None:
        watch = self.watches.get(event.market)
        if watch is not None:
            watch.touch(level_key(1 - event.taker_side, event.price_ticks))

    def on_closed(self, event: OrderClosed) -> None:
        watch = self.watches.get(event.market)
        if watch is not None:
            key = watch.levels.pop(event.order_id, None)
            if key is not None:
                watch.touch(key)

    def on_amended(self, event: OrderAmended) -> None:
        watch = self.watches.get(event.market)
        if watch is None:
            return
        old = watch.levels.pop(event.order_id, None)
        if old is not None:
            watch.touch(old)
        order = watch.book.orders.get(event.order_id)
        if order is not None:
            key = level_key(order.side, order.price_ticks)
            watch.levels[event.order_id] = key
            watch.touch(key)

    def tick(self, now_s: float) -> None:
        for stream in list(self.streams.values()):
            if now_s >= stream.due_s:
                stream.due_s = now_s + stream.every_s
                self.flush(stream)

    def flush(self, stream: _UpdateStream) -> None:
        market = stream.market
        book = market.book
        if book.update_id == stream.last_u:
            return
        bids: list[tuple[int, int]] = []
        asks: list[tuple[int, int]] = []
        for key in sorted(stream.touched):
            price, side = divmod(key, 2)
            book_side = book.bids if side == BUY else book.asks
            level = book_side.levels.get(price * book_side.sign)
            (bids if side == BUY else asks).append((price, level.visible_lots if level else 0))
        stream.touched.clear()
        bids.reverse()
        ms = now_ms()
        result = {
            "t": ms,
            "e": "depthUpdate",
            "E": ms // 1000,
            "s": market.spec.name,
            "U": stream.last_u + 1,
            "u": book.update_id,
            "b": levels_json(market, bids),
            "a": levels_json(market, asks),
        }
        stream.last_u = book.update_id
        self.hub.publish(stream.key, frames.update(self.name, result))


# --- spot.obu (order book v2) ---------------------------------------------------------------
@dataclass
class _WindowStream:
    key: str
    topic: str  # "ob.BTC_USDT.50"
    market: SpotMarketState
    depth: int
    every_s: float
    last_u: int
    bids: dict[int, int]  # price -> lots, the window as last sent
    asks: dict[int, int]
    due_s: float = 0.0


def _window(market: SpotMarketState, depth: int) -> tuple[dict[int, int], dict[int, int]]:
    book = market.book
    return dict(book.bids.depth(depth)), dict(book.asks.depth(depth))


def _diff(old: dict[int, int], new: dict[int, int]) -> list[tuple[int, int]]:
    changed = [(price, lots) for price, lots in new.items() if old.get(price) != lots]
    changed += [(price, 0) for price in old if price not in new]
    return changed


class ObuChannel(Channel):
    name: ClassVar[str] = "spot.obu"
    reject_duplicates: ClassVar[bool] = True

    def __init__(self, hub: Hub) -> None:
        super().__init__(hub)
        self.streams: dict[str, _WindowStream] = {}
        hub.watch(self.name, self)
        hub.every_tick(self)

    def keys(self, topics: list[str] | None, session: Session | None) -> list[str]:
        if not topics:
            raise FrameError(ERR_BAD_ARGUMENT, 'payload must be ["ob.<currency_pair>.<level>"]')
        out = []
        for topic in topics:
            parts = topic.split(".")
            if len(parts) != 3 or parts[0] != "ob" or parts[2] not in OBU_LEVELS:
                raise FrameError(ERR_BAD_ARGUMENT, f"bad stream {topic}: use ob.PAIR.50|400")
            require_market(self.hub, parts[1])
            out.append(f"{self.name}|{topic}")
        return out

    def on_first(self, key: str) -> None:
        topic = key.split("|")[1]
        _, name, level = topic.split(".")
        market = self.hub.venue.engine.state.markets[name]
        depth = int(level)
        bids, asks = _window(market, depth)
        self.streams[key] = _WindowStream(
            key, topic, market, depth, OBU_LEVELS[level], market.book.update_id, bids, asks
        )

    def on_last(self, key: str) -> None:
        self.streams.pop(key, None)

    def on_subscribed(self, conn: Connection, key: str) -> None:
        stream = self.streams[key]
        self.flush(stream)  # bring everyone else to now, so the snapshot continues the stream
        result = {
            "t": now_ms(),
            "full": True,
            "s": stream.topic,
            "u": stream.last_u,
            "b": levels_json(stream.market, sorted(stream.bids.items(), reverse=True)),
            "a": levels_json(stream.market, sorted(stream.asks.items())),
        }
        conn.push(frames.update(self.name, result))

    def tick(self, now_s: float) -> None:
        for stream in list(self.streams.values()):
            if now_s >= stream.due_s:
                stream.due_s = now_s + stream.every_s
                self.flush(stream)

    def flush(self, stream: _WindowStream) -> None:
        market = stream.market
        update_id = market.book.update_id
        if update_id == stream.last_u:
            return
        bids, asks = _window(market, stream.depth)
        changed_bids = sorted(_diff(stream.bids, bids), reverse=True)
        changed_asks = sorted(_diff(stream.asks, asks))
        result = {
            "t": now_ms(),
            "s": stream.topic,
            "U": stream.last_u + 1,
            "u": update_id,
            "b": levels_json(market, changed_bids),
            "a": levels_json(market, changed_asks),
        }
        stream.bids, stream.asks, stream.last_u = bids, asks, update_id
        self.hub.publish(stream.key, frames.update(self.name, result))


# --- spot.order_book (snapshots) ------------------------------------------------------------
@dataclass
class _SnapshotStream:
    key: str
    market: SpotMarketState
    depth: int
    every_s: float
    last_u: int = -1
    due_s: float = 0.0


class OrderBookChannel(Channel):
    name: ClassVar[str] = "spot.order_book"

    def __init__(self, hub: Hub) -> None:
        super().__init__(hub)
        self.streams: dict[str, _SnapshotStream] = {}
        hub.watch(self.name, self)
        hub.every_tick(self)

    def keys(self, topics: list[str] | None, session: Session | None) -> list[str]:
        if not topics or len(topics) != 3:
            raise FrameError(ERR_BAD_ARGUMENT, "payload must be [currency_pair, level, interval]")
        name, level, interval = topics
        if level not in SNAPSHOT_LEVELS:
            raise FrameError(ERR_BAD_ARGUMENT, f"level must be one of {sorted(SNAPSHOT_LEVELS)}")
        if interval not in SNAPSHOT_INTERVALS:
            raise FrameError(
                ERR_BAD_ARGUMENT, f"interval must be one of {list(SNAPSHOT_INTERVALS)}"
            )
        return [f"{self.name}|{require_market(self.hub, name).spec.name}|{level}|{interval}"]

    def on_first(self, key: str) -> None:
        _, name, level, interval = key.split("|")
        market = self.hub.venue.engine.state.markets[name]
        self.streams[key] = _SnapshotStream(key, market, int(level), SNAPSHOT_INTERVALS[interval])

    def on_last(self, key: str) -> None:
        self.streams.pop(key, None)

    def snapshot(self, stream: _SnapshotStream) -> str:
        market = stream.market
        book = market.book
        result: dict[str, Any] = {
            "t": now_ms(),
            "lastUpdateId": book.update_id,
            "s": market.spec.name,
            "l": str(stream.depth),
            "bids": levels_json(market, book.bids.depth(stream.depth)),
            "asks": levels_json(market, book.asks.depth(stream.depth)),
        }
        return frames.update(self.name, result)

    def on_subscribed(self, conn: Connection, key: str) -> None:
        conn.push(self.snapshot(self.streams[key]))

    def tick(self, now_s: float) -> None:
        for stream in list(self.streams.values()):
            if now_s >= stream.due_s:
                stream.due_s = now_s + stream.every_s
                update_id = stream.market.book.update_id
                if update_id != stream.last_u:
                    stream.last_u = update_id
                    self.hub.publish(stream.key, self.snapshot(stream))
