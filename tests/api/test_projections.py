"""Read models: fed by events, bounded, rebuilt from the journal, surviving restarts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from api_support import Admin, LiveServer, Signed, gate_client, settings

from clearhouse.core.book import BUY, GTC, IOC, SELL
from clearhouse.core.commands import (
    CancelOrder,
    CreditDeposit,
    DecideKyc,
    Envelope,
    OpenAccount,
    PlaceOrder,
    RegisterParty,
)
from clearhouse.core.events import Event, Traded
from clearhouse.projections import Projections
from clearhouse.projections.candles import Candles
from clearhouse.projections.orders import OrderHistory
from clearhouse.projections.public_trades import PublicTrades
from clearhouse.projections.tickers import ticker_24h
from clearhouse.projections.user_trades import UserTrades
from clearhouse.venue import Venue

T0 = 1_700_000_000 * 10**9  # a Unix time in ns, on a minute boundary + 20 s


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> int:
        return self.now


def feed(venue: Venue, *parts: Any) -> None:
    def listener(envelope: Envelope, events: list[Event]) -> None:
        for part in parts:
            handlers: dict[type[Event], Callable[[Envelope, Any], None]] = part.handlers()
            for event in events:
                handler = handlers.get(type(event))
                if handler is not None:
                    handler(envelope, event)

    venue.listeners.append(listener)


def two_traders(venue: Venue) -> tuple[int, int]:
    venue.submit([RegisterParty("person", "A"), RegisterParty("person", "B")])
    venue.submit([  # both pass KYC: an unverified person may not trade
        DecideKyc(p, 1, "kyc", (f"check-{p}",), "DE", f"doc-{p}", "officer") for p in (1, 2)
    ])  # fmt: skip
    opened = venue.submit([OpenAccount(1), OpenAccount(2)])
    a, b = (events[0].account for events in opened)  # type: ignore[attr-defined]
    venue.submit([
        CreditDeposit(a, "BTC", 10**10, "d1"), CreditDeposit(b, "USDT", 10**14, "d2"),
    ])  # fmt: skip
    return a, b


def trade(venue: Venue, seller: int, buyer: int, price_ticks: int, lots: int) -> None:
    venue.submit_one(PlaceOrder(seller, "BTC_USDT", SELL, price_ticks, lots, GTC))
    venue.submit_one(PlaceOrder(buyer, "BTC_USDT", BUY, price_ticks, lots, IOC))


def test_public_trades_keep_only_the_newest_per_market() -> None:
    venue = Venue(None)
    trades = PublicTrades(capacity=3)
    feed(venue, trades)
    a, b = two_traders(venue)
    for i in range(5):
        trade(venue, a, b, 6_000_000 + i, 10)
    newest = trades.query("BTC_USDT", limit=10)
    assert [t.price_ticks for t in newest] == [6_000_004, 6_000_003, 6_000_002]
    ids = [t.trade_id for t in newest]
    assert [t.trade_id for t in trades.query("BTC_USDT", 10, last_id=ids[1])] == ids[:1]
    assert [t.trade_id for t in trades.query("BTC_USDT", 10, last_id=ids[0], reverse=True)] == (
        ids[1:]
    )


def test_finished_orders_and_fills_are_bounded_per_account() -> None:
    venue = Venue(None)
    orders = OrderHistory(capacity=2)
    fills = UserTrades(orders, capacity=3)
    feed(venue, orders, fills)
    a, b = two_traders(venue)
    for i in range(4):
        trade(venue, a, b, 6_000_000 + i, 10)
    assert [r.price_ticks for r in orders.finished_newest_first(a)] == [6_000_003, 6_000_002]
    assert len(orders.finished) == 4  # two per account
    assert not orders.live
    assert [f.trade.price_ticks for f in fills.newest_first(b)] == [6_000_003, 6_000_002, 6_000_001]
    assert all(f.role == "taker" for f in fills.newest_first(b))


def test_a_cancelled_order_is_filed_with_its_fill_so_far() -> None:
    venue = Venue(None)
    orders = OrderHistory()
    feed(venue, orders)
    a, b = two_traders(venue)
    (accepted, *_), *_ = venue.submit([PlaceOrder(a, "BTC_USDT", SELL, 6_000_000, 30, GTC)])
    venue.submit_one(PlaceOrder(b, "BTC_USDT", BUY, 6_000_000, 10, IOC))
    order_id = accepted.order_id  # type: ignore[attr-defined]
    venue.submit_one(CancelOrder(a, "BTC_USDT", order_id))
    record = orders.finished_order(a, order_id)
    assert record is not None and orders.finished_order(b, order_id) is None
    assert (record.finish_as, record.filled_lots, record.remaining_lots) == ("cancelled", 10, 20)


def test_candles_start_on_interval_boundaries_and_tickers_cover_24_hours() -> None:
    clock = Clock()
    venue = Venue(None, clock=clock)
    candles = Candles()
    feed(venue, candles)
    a, b = two_traders(venue)
    trade(venue, a, b, 6_000_000, 10)
    clock.now += 50 * 10**9  # next minute
    trade(venue, a, b, 6_100_000, 20)
    minute = candles.query("BTC_USDT", "1m", 10, None, None)
    assert [(c.start_s % 60, c.open_ticks, c.close_ticks, c.base_lots) for c in minute] == [
        (0, 6_000_000, 6_000_000, 10),
        (0, 6_100_000, 6_100_000, 20),
    ]
    (hour,) = candles.query("BTC_USDT", "1h", 10, None, None)
    assert (hour.open_ticks, hour.high_ticks, hour.low_ticks, hour.close_ticks) == (
        6_000_000, 6_100_000, 6_000_000, 6_100_000,
    )  # fmt: skip
    now_s = clock.now // 10**9
    day = ticker_24h(candles, "BTC_USDT", now_s)
    assert (day.open_ticks, day.last_ticks, day.base_lots) == (6_000_000, 6_100_000, 30)
    later = ticker_24h(candles, "BTC_USDT", now_s + 2 * 86_400)
    assert (later.last_ticks, later.base_lots, later.high_ticks) == (6_100_000, 0, 6_100_000)


def _history(server: LiveServer, exchange: Any) -> tuple[Any, ...]:
    return (
        [(o["id"], o["status"], o["filled"]) for o in exchange.fetch_closed_orders("BTC/USDT")],
        [(t["id"], t["price"], t["amount"]) for t in exchange.fetch_my_trades("BTC/USDT")],
        [(t["id"], t["price"]) for t in exchange.fetch_trades("BTC/USDT")],
        exchange.fetch_ohlcv("BTC/USDT", "1m"),
        [(d["id"], d["amount"]) for d in exchange.fetch_deposits()],
        httpx.get(f"{server.url}/api/v4/spot/tickers?currency_pair=BTC_USDT").json(),
    )


def test_history_survives_a_restart_and_equals_a_rebuild_from_the_journal(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "venue"
    with LiveServer(Venue(data_dir), settings(data_dir=data_dir)) as server:
        admin = Admin(server)
        seller, buyer = admin.user(), admin.user()
        admin.deposit(seller.uid, "BTC", "2")
        admin.deposit(buyer.uid, "USDT", "200000")
        s, b = gate_client(server, seller), gate_client(server, buyer)
        s.create_order("BTC/USDT", "limit", "sell", 1, 60000)
        b.create_order("BTC/USDT", "market", "buy", 30000)
        order = b.create_order("BTC/USDT", "limit", "buy", 0.1, 50000)
        b.cancel_order(order["id"], "BTC/USDT")
        before = _history(server, b)
        rebuilt = Projections()
        server.venue.replay_into(rebuilt)
        live_orders = server.app.state.runtime.projections.orders
        assert sorted(rebuilt.orders.finished) == sorted(live_orders.finished)
        assert rebuilt.last_seq == server.state_seq
    with LiveServer(Venue(data_dir), settings(data_dir=data_dir)) as again:
        after = _history(again, gate_client(again, buyer))
        assert after == before
        assert len(after[0]) == 2 and len(after[1]) == 1
        balances = Signed(again, buyer).request("GET", "/spot/accounts").json()
        assert {x["currency"] for x in balances} == {"BTC", "USDT"}


def test_a_failing_read_model_is_counted_and_never_stops_the_venue() -> None:
    venue = Venue(None)
    projections = Projections()
    venue.listeners.append(projections)
    a, b = two_traders(venue)

    def broken(envelope: Envelope, event: Event) -> None:
        raise RuntimeError("a bug in a projection")

    projections._table = {**projections._table, Traded: (broken,)}
    trade(venue, a, b, 6_000_000, 10)
    assert projections.failures == 1
    assert venue.engine.state.markets["BTC_USDT"].book.last_price_ticks == 6_000_000
    assert projections.last_seq == venue.engine.state.seq
