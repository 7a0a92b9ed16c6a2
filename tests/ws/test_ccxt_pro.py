"""ccxt's async WebSocket client (`ccxt.pro.gate`) against the full venue application, changing
only its URLs: tickers, trades, the order book it maintains itself, orders and balances."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import ccxt.pro  # type: ignore[import-untyped]
import pytest
from ws_support import ServerThread, Trader, onboard

from clearhouse.api.app import create_app
from clearhouse.api.runtime import Settings
from clearhouse.venue import Venue

SYMBOL = "BTC/USDT"


@dataclass
class FullVenue:
    server: ServerThread
    venue: Venue
    traders: list[Trader]


@pytest.fixture(scope="module")
def full_venue() -> Iterator[FullVenue]:
    venue = Venue(None)
    app = create_app(venue, Settings(demo=True))
    traders = onboard(venue, app.state.runtime.master_key, 3, ("read", "spot"))
    server = ServerThread(app).start()
    yield FullVenue(server, venue, traders)
    server.stop()


def gate_pro(venue: FullVenue, trader: Trader | None = None) -> Any:
    """Real ccxt.pro.gate; only the URLs change (REST base and the spot WebSocket)."""
    config: dict[str, Any] = {
        "enableRateLimit": False,
        "options": {"createMarketBuyOrderRequiresPrice": False},
    }
    if trader is not None:
        config |= {"apiKey": trader.key, "secret": trader.secret}
    exchange = ccxt.pro.gate(config)
    base = venue.server.http_url + "/api/v4"
    for access in ("public", "private"):
        for section in list(exchange.urls["api"][access]):
            exchange.urls["api"][access][section] = base
    exchange.urls["api"]["spot"] = venue.server.ws_url
    return exchange


def run(coro: object) -> None:
    asyncio.run(coro)  # type: ignore[arg-type]


async def cross(maker: Any, taker: Any, price: float, amount: float) -> None:
    await maker.create_order(SYMBOL, "limit", "sell", amount, price)
    await taker.create_order(SYMBOL, "limit", "buy", amount, price)


def test_watch_ticker_and_watch_trades(full_venue: FullVenue) -> None:
    async def scenario() -> None:
        watcher = gate_pro(full_venue)
        maker = gate_pro(full_venue, full_venue.traders[0])
        taker = gate_pro(full_venue, full_venue.traders[1])
        try:
            await watcher.watch_ticker(SYMBOL)  # the current ticker arrives at once
            trades_task = asyncio.ensure_future(watcher.watch_trades(SYMBOL))
            await asyncio.sleep(0.2)
            await cross(maker, taker, 42000.0, 0.01)
            trades = await asyncio.wait_for(trades_task, 10)
            assert trades[-1]["price"] == 42000.0 and trades[-1]["amount"] == 0.01
            assert trades[-1]["side"] == "buy" and trades[-1]["symbol"] == SYMBOL
            for _ in range(20):
                ticker = await asyncio.wait_for(watcher.watch_ticker(SYMBOL), 10)
                if ticker["last"] == 42000.0:
                    break
            assert ticker["last"] == 42000.0 and ticker["high"] >= 42000.0
            assert ticker["baseVolume"] >= 0.01
        finally:
            for exchange in (watcher, maker, taker):
                await exchange.close()

    run(scenario())


def test_watch_order_book_builds_the_venues_book(full_venue: FullVenue) -> None:
    rng = random.Random(11)

    async def scenario() -> None:
        watcher = gate_pro(full_venue)
        traders = [gate_pro(full_venue, t) for t in full_venue.traders]
        try:
            book = await watcher.watch_order_book(SYMBOL)
            placed: list[tuple[Any, str]] = []
            for _ in range(120):
                client = rng.choice(traders)
                if placed and rng.random() < 0.3:
                    owner, order_id = placed.pop(rng.randrange(len(placed)))
                    with contextlib.suppress(ccxt.OrderNotFound):  # filled meanwhile
                        await owner.cancel_order(order_id, SYMBOL)
                    continue
                side = rng.choice(["buy", "sell"])
                price = float(
                    rng.randint(39900, 40000) if side == "buy" else rng.randint(39950, 40050)
                )
                order = await client.create_order(
                    SYMBOL, "limit", side, rng.randint(1, 30) / 1000, price
                )
                placed.append((client, order["id"]))
            rest = await traders[0].fetch_order_book(SYMBOL, 50)
            update_id = full_venue.server.call(
                lambda: full_venue.venue.engine.state.markets["BTC_USDT"].book.update_id
            )
            while book["nonce"] < update_id:
                book = await asyncio.wait_for(watcher.watch_order_book(SYMBOL), 10)
            assert book["nonce"] == update_id
            assert [tuple(level) for level in book["bids"][:50]] == [
                tuple(level) for level in rest["bids"]
            ]
            assert [tuple(level) for level in book["asks"][:50]] == [
                tuple(level) for level in rest["asks"]
            ]
            assert book["bids"] and book["asks"]
        finally:
            for exchange in (watcher, *traders):
                await exchange.close()

    run(scenario())


def test_watch_orders_and_ws_order_placement(full_venue: FullVenue) -> None:
    async def scenario() -> None:
        trader = gate_pro(full_venue, full_venue.traders[2])
        try:
            watching = asyncio.ensure_future(trader.watch_orders(SYMBOL))
            await asyncio.sleep(0.3)
            order = await trader.create_order_ws(SYMBOL, "limit", "buy", 0.002, 30000.0)
            assert order["status"] == "open" and order["price"] == 30000.0
            orders = await asyncio.wait_for(watching, 10)
            assert orders[-1]["id"] == order["id"] and orders[-1]["status"] == "open"
            watching = asyncio.ensure_future(trader.watch_orders(SYMBOL))
            await asyncio.sleep(0.1)
            cancelled = await trader.cancel_order_ws(order["id"], SYMBOL)
            assert cancelled["status"] == "canceled"
            orders = await asyncio.wait_for(watching, 10)
            assert orders[-1]["id"] == order["id"] and orders[-1]["status"] == "canceled"
            assert orders[-1]["remaining"] == 0.002
        finally:
            await trader.close()

    run(scenario())


def test_watch_balance(full_venue: FullVenue) -> None:
    async def scenario() -> None:
        trader = gate_pro(full_venue, full_venue.traders[1])
        try:
            before = await trader.fetch_balance()
            watching = asyncio.ensure_future(trader.watch_balance())
            await asyncio.sleep(0.3)
            await trader.create_order(SYMBOL, "limit", "buy", 0.01, 10000.0)  # freezes 100 USDT
            balance = await asyncio.wait_for(watching, 10)
            assert balance["USDT"]["used"] == pytest.approx(before["USDT"]["used"] + 100)
            assert balance["USDT"]["free"] == pytest.approx(before["USDT"]["free"] - 100)
            assert balance["USDT"]["total"] == pytest.approx(before["USDT"]["total"])
        finally:
            await trader.close()

    run(scenario())
