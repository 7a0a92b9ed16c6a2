"""Channel contents: private pushes (orders, user trades, balances), order-book snapshots and
incremental updates that a client can sync with the book's update id, tickers, candlesticks."""

from __future__ import annotations

import asyncio
import random
import time
from decimal import Decimal
from typing import Any

from ws_support import Trader, WsVenue, api_request, channel_auth
from wsclient import Client, Frame, is_reply, is_update

Book = dict[str, dict[Decimal, Decimal]]


def run(coro: object) -> None:
    asyncio.run(coro)  # type: ignore[arg-type]


async def private(client: Client, trader: Trader, channel: str, payload: Any) -> None:
    now = int(time.time())
    frame: dict[str, Any] = {
        "time": now,
        "channel": channel,
        "event": "subscribe",
        "auth": channel_auth(trader, channel, "subscribe", now),
    }
    if payload is not None:
        frame["payload"] = payload
    await client.send(frame)
    reply = await client.until(is_reply(channel))
    assert reply["error"] is None, reply


async def logged_in(ws_venue: WsVenue, trader: Trader) -> Client:
    client = await Client.connect(ws_venue.server.ws_url)
    await client.send(api_request(trader, "spot.login", "login", None))
    assert (await client.answer("login"))["header"]["status"] == "200"
    return client


def engine_book(ws_venue: WsVenue, market: str, depth: int = 0) -> tuple[int, Book]:
    """(update id, {"bids": {price: amount}, "asks": ...}) read on the venue's own thread."""

    def read() -> tuple[int, Book]:
        m = ws_venue.venue.engine.state.markets[market]
        units = m.units
        book: Book = {}
        for name, side in (("bids", m.book.bids), ("asks", m.book.asks)):
            book[name] = {
                Decimal(units.format_price(p)): Decimal(units.format_size(s))
                for p, s in side.depth(depth)
            }
        return m.book.update_id, book

    return ws_venue.server.call(read)


def test_orders_usertrades_and_balances_are_pushed_to_their_owner(ws_venue: WsVenue) -> None:
    maker, taker = ws_venue.traders[0], ws_venue.traders[1]

    async def scenario() -> None:
        feed = await Client.connect(ws_venue.server.ws_url)
        await private(feed, maker, "spot.orders", ["BTC_USDT"])
        await private(feed, maker, "spot.usertrades", ["!all"])
        await private(feed, maker, "spot.balances", None)
        maker_api = await logged_in(ws_venue, maker)
        taker_api = await logged_in(ws_venue, taker)

        sell = {
            "currency_pair": "BTC_USDT",
            "side": "sell",
            "amount": "0.2",
            "price": "30000",
            "text": "t-maker",
        }
        await maker_api.send(api_request(maker, "spot.order_place", "m", sell, signed=False))
        order_id = (await maker_api.answer("m"))["data"]["result"]["id"]
        put = (await feed.until(is_update("spot.orders")))["result"][0]
        assert (put["id"], put["event"], put["text"]) == (order_id, "put", "t-maker")
        assert put["user"] == maker.uid and put["left"] == "0.2"
        frozen = await feed.until(is_update("spot.balances"))
        btc = next(b for b in frozen["result"] if b["currency"] == "BTC")
        assert btc["freeze"] == "0.2" and btc["freeze_change"] == "0.2"
        assert btc["change_type"] == "order-create" and btc["user"] == str(maker.uid)

        buy = {"currency_pair": "BTC_USDT", "side": "buy", "amount": "0.05", "price": "30000"}
        await taker_api.send(api_request(taker, "spot.order_place", "t", buy, signed=False))
        await taker_api.answer("t")
        update = (await feed.until(is_update("spot.orders")))["result"][0]
        assert (update["id"], update["event"]) == (order_id, "update")
        assert update["left"] == "0.15" and update["filled_amount"] == "0.05"
        fill = (await feed.until(is_update("spot.usertrades")))["result"][0]
        assert (fill["role"], fill["side"], fill["order_id"]) == ("maker", "sell", order_id)
        assert (fill["amount"], fill["price"], fill["text"]) == ("0.05", "30000", "t-maker")
        assert fill["user_id"] == maker.uid
        matched = await feed.until(is_update("spot.balances"))
        usdt = next(b for b in matched["result"] if b["currency"] == "USDT")
        assert usdt["change_type"] == "order-match"
        assert Decimal(usdt["change"]) == Decimal("1500") - Decimal("1.5")  # 0.1 % maker fee

        cancel = {"order_id": order_id, "currency_pair": "BTC_USDT"}
        await maker_api.send(api_request(maker, "spot.order_cancel", "c", cancel, signed=False))
        await maker_api.answer("c")
        finish = (await feed.until(is_update("spot.orders")))["result"][0]
        assert (finish["id"], finish["event"], finish["finish_as"]) == (
            order_id,
            "finish",
            "cancelled",
        )
        assert finish["left"] == "0.15"
        for client in (feed, maker_api, taker_api):
            await client.close()

    run(scenario())


def test_private_channels_never_show_another_accounts_activity(ws_venue: WsVenue) -> None:
    watcher, other = ws_venue.traders[2], ws_venue.traders[0]

    async def scenario() -> None:
        feed = await Client.connect(ws_venue.server.ws_url)
        await private(feed, watcher, "spot.orders", ["!all"])
        await private(feed, watcher, "spot.balances", None)
        api = await logged_in(ws_venue, other)
        order = {"currency_pair": "BTC_USDT", "side": "buy", "amount": "0.01", "price": "100"}
        await api.send(api_request(other, "spot.order_place", "o", order, signed=False))
        await api.answer("o")
        await feed.request("spot.ping", "")
        pong = await feed.until(lambda f: f.get("channel") == "spot.pong")
        assert pong and not [f for f in feed.seen if f.get("event") == "update"]
        await api.close()
        await feed.close()

    run(scenario())


def apply_levels(book: Book, side: str, levels: list[list[str]]) -> None:
    for price, amount in levels:
        if Decimal(amount) == 0:
            book[side].pop(Decimal(price), None)
        else:
            book[side][Decimal(price)] = Decimal(amount)


def test_order_book_update_syncs_with_the_books_update_id(ws_venue: WsVenue) -> None:
    """Gate's documented procedure: cache updates, take a snapshot with its id, drop updates
    with u < id + 1, start at the one with U <= id + 1 <= u, then require U = previous u + 1."""
    traders = ws_venue.traders
    rng = random.Random(4)

    async def churn(client: Client, trader: Trader, count: int, tag: str) -> None:
        placed: list[str] = []
        for i in range(count):
            if placed and rng.random() < 0.35:
                order_id = placed.pop(rng.randrange(len(placed)))
                param: dict[str, Any] = {"order_id": order_id, "currency_pair": "ETH_USDT"}
                await client.send(
                    api_request(trader, "spot.order_cancel", f"{tag}{i}", param, signed=False)
                )
                await client.answer(f"{tag}{i}")
                continue
            side = rng.choice(["buy", "sell"])
            price = rng.randint(2950, 3050) if side == "buy" else rng.randint(3000, 3100)
            param = {
                "currency_pair": "ETH_USDT",
                "side": side,
                "price": str(price),
                "amount": str(rng.randint(1, 20) / 10),
            }
            await client.send(
                api_request(trader, "spot.order_place", f"{tag}{i}", param, signed=False)
            )
            result = (await client.answer(f"{tag}{i}"))["data"].get("result")
            if result and result["status"] == "open":
                placed.append(result["id"])

    async def scenario() -> None:
        feed = await Client.connect(ws_venue.server.ws_url)
        await feed.request("spot.order_book_update", "subscribe", ["ETH_USDT", "20ms"])
        await feed.until(is_reply("spot.order_book_update"))
        apis = [await logged_in(ws_venue, t) for t in traders]
        first = asyncio.gather(
            *(churn(c, t, 60, f"a{n}-") for n, (c, t) in enumerate(zip(apis, traders, strict=True)))
        )
        await asyncio.sleep(0.05)
        snapshot_id, book = engine_book(ws_venue, "ETH_USDT")  # mid-stream, like REST
        await first
        await asyncio.gather(
            *(churn(c, t, 40, f"b{n}-") for n, (c, t) in enumerate(zip(apis, traders, strict=True)))
        )
        final_id, final = engine_book(ws_venue, "ETH_USDT")

        updates: list[Frame] = []
        while not updates or updates[-1]["u"] < final_id:
            updates.append((await feed.until(is_update("spot.order_book_update")))["result"])
        for earlier, later in zip(updates, updates[1:], strict=False):
            assert later["U"] == earlier["u"] + 1  # no gaps, ever
        started = False
        for update in updates:
            if update["u"] < snapshot_id + 1:
                continue
            if not started:
                assert update["U"] <= snapshot_id + 1 <= update["u"]
                started = True
            apply_levels(book, "bids", update["b"])
            apply_levels(book, "asks", update["a"])
        assert started and book == final
        for client in [feed, *apis]:
            await client.close()

    run(scenario())


def test_order_book_v2_and_snapshots_match_the_engine(ws_venue: WsVenue) -> None:
    maker = ws_venue.traders[1]

    async def scenario() -> None:
        api = await logged_in(ws_venue, maker)
        for i, price in enumerate(range(500, 560)):  # 60 bid levels: more than the 50 window
            param = {
                "currency_pair": "BTC_USDT",
                "side": "buy",
                "price": str(price),
                "amount": "0.01",
            }
            await api.send(api_request(maker, "spot.order_place", f"l{i}", param, signed=False))
            await api.answer(f"l{i}")
        feed = await Client.connect(ws_venue.server.ws_url)
        await feed.request("spot.obu", "subscribe", ["ob.BTC_USDT.50"])
        await feed.until(is_reply("spot.obu"))
        full = (await feed.until(is_update("spot.obu")))["result"]
        assert full["full"] is True and full["s"] == "ob.BTC_USDT.50"
        book: Book = {"bids": {}, "asks": {}}
        apply_levels(book, "bids", full["b"])
        apply_levels(book, "asks", full["a"])
        nonce = full["u"]
        await feed.request("spot.obu", "subscribe", ["ob.BTC_USDT.50"], id=9)
        again = await feed.until(lambda f: f.get("id") == 9)
        assert again["error"] == {"code": 2, "message": "Alert sub ob.BTC_USDT.50"}

        for i in range(10):  # take the best bids away: deeper levels enter the window
            param = {
                "currency_pair": "BTC_USDT",
                "side": "sell",
                "price": "500",
                "amount": "0.01",
                "time_in_force": "ioc",
            }
            await api.send(api_request(maker, "spot.order_place", f"s{i}", param, signed=False))
            await api.answer(f"s{i}")
        target_id = engine_book(ws_venue, "BTC_USDT")[0]
        while nonce < target_id:
            delta = (await feed.until(is_update("spot.obu")))["result"]
            assert delta["U"] == nonce + 1
            apply_levels(book, "bids", delta["b"])
            apply_levels(book, "asks", delta["a"])
            nonce = delta["u"]
        assert book == engine_book(ws_venue, "BTC_USDT", 50)[1]

        await feed.request("spot.order_book", "subscribe", ["BTC_USDT", "5", "100ms"])
        snap = (await feed.until(is_update("spot.order_book")))["result"]
        update_id, top = engine_book(ws_venue, "BTC_USDT", 5)
        assert snap["lastUpdateId"] == update_id and snap["l"] == "5"
        assert {Decimal(p): Decimal(a) for p, a in snap["bids"]} == top["bids"]
        await api.send(
            api_request(
                maker, "spot.order_cancel_cp", "cp", {"currency_pair": "BTC_USDT"}, signed=False
            )
        )
        await api.answer("cp")
        await feed.close()
        await api.close()

    run(scenario())


def test_tickers_and_candlesticks_reflect_trades(ws_venue: WsVenue) -> None:
    maker, taker = ws_venue.traders[0], ws_venue.traders[2]

    async def scenario() -> None:
        api_m = await logged_in(ws_venue, maker)
        api_t = await logged_in(ws_venue, taker)
        for i, price in enumerate(("41000", "41500")):
            sell = {"currency_pair": "BTC_USDT", "side": "sell", "price": price, "amount": "0.1"}
            buy = dict(sell, side="buy")
            await api_m.send(api_request(maker, "spot.order_place", f"s{i}", sell, signed=False))
            await api_m.answer(f"s{i}")
            await api_t.send(api_request(taker, "spot.order_place", f"b{i}", buy, signed=False))
            await api_t.answer(f"b{i}")
        feed = await Client.connect(ws_venue.server.ws_url)
        await feed.request("spot.tickers", "subscribe", ["BTC_USDT"])
        ticker = (await feed.until(is_update("spot.tickers")))["result"]
        assert ticker["currency_pair"] == "BTC_USDT" and ticker["last"] == "41500"
        assert Decimal(ticker["high_24h"]) >= Decimal("41500")
        assert Decimal(ticker["base_volume"]) >= Decimal("0.2")
        await feed.request("spot.candlesticks", "subscribe", ["1m", "BTC_USDT"])
        candle = (await feed.until(is_update("spot.candlesticks")))["result"]
        assert candle["n"] == "1m_BTC_USDT" and candle["c"] == "41500"
        assert int(candle["t"]) % 60 == 0
        await feed.request("spot.candlesticks", "subscribe", ["2m", "BTC_USDT"], id=3)
        assert (await feed.until(lambda f: f.get("id") == 3))["error"]["code"] == 2
        for client in (feed, api_m, api_t):
            await client.close()

    run(scenario())
