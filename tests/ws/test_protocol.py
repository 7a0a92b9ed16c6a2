"""Gate v4 WebSocket protocol, spoken raw with `websockets`: ping/pong, subscription errors,
authentication, and the WebSocket order API."""

from __future__ import annotations

import asyncio
import time

from ws_support import WsVenue, api_request, channel_auth
from wsclient import Client, is_reply, is_update

ORDER = {
    "currency_pair": "BTC_USDT",
    "side": "buy",
    "amount": "0.01",
    "price": "20000",
    "text": "t-ws-1",
}


def run(coro: object) -> None:
    asyncio.run(coro)  # type: ignore[arg-type]


def test_spot_ping_is_answered_with_spot_pong(ws_venue: WsVenue) -> None:
    async def scenario() -> None:
        client = await Client.connect(ws_venue.server.ws_url)
        await client.send({"time": int(time.time()), "id": 7, "channel": "spot.ping"})
        pong = await client.recv()
        assert pong["channel"] == "spot.pong"
        assert pong["id"] == 7 and pong["error"] is None and pong["result"] is None
        assert abs(pong["time"] - time.time()) < 5 and pong["time_ms"] // 1000 == pong["time"]
        await client.close()

    run(scenario())


def test_subscription_errors_use_gate_codes(ws_venue: WsVenue) -> None:
    async def scenario() -> None:
        client = await Client.connect(ws_venue.server.ws_url)
        await client.request("spot.trades", "subscribe", ["NOPE_USDT"], id=1)
        reply = await client.until(lambda f: f.get("id") == 1)
        assert reply["error"] == {"code": 2, "message": "unknown currency pair: NOPE_USDT"}
        assert reply["result"] == {"status": "fail"}

        await client.request("spot.nothing", "subscribe", ["BTC_USDT"], id=2)
        reply = await client.until(lambda f: f.get("id") == 2)
        assert reply["error"]["code"] == 2

        await client.request("spot.order_book", "subscribe", ["BTC_USDT", "7", "100ms"], id=3)
        reply = await client.until(lambda f: f.get("id") == 3)
        assert reply["error"]["code"] == 2 and "level" in reply["error"]["message"]

        await client.request("spot.trades", "subscribe", "BTC_USDT", id=4)  # not a list
        reply = await client.until(lambda f: f.get("id") == 4)
        assert reply["error"]["code"] == 2

        await client.send("{not json")
        reply = await client.recv()
        assert reply["error"]["code"] == 1

        await client.request("spot.trades", "subscribe", ["BTC_USDT"], id=5)
        reply = await client.until(lambda f: f.get("id") == 5)
        assert reply["error"] is None and reply["result"] == {"status": "success"}
        assert reply["payload"] == ["BTC_USDT"]
        await client.close()

    run(scenario())


def test_private_channel_needs_a_valid_signature(ws_venue: WsVenue) -> None:
    trader = ws_venue.traders[0]

    async def scenario() -> None:
        client = await Client.connect(ws_venue.server.ws_url)
        await client.request("spot.orders", "subscribe", ["BTC_USDT"], id=1)
        reply = await client.until(lambda f: f.get("id") == 1)
        assert reply["error"]["code"] == 4

        now = int(time.time())
        bad = channel_auth(trader, "spot.orders", "subscribe", now)
        bad["SIGN"] = "0" * 128
        await client.send(
            {
                "time": now,
                "id": 2,
                "channel": "spot.orders",
                "event": "subscribe",
                "payload": ["BTC_USDT"],
                "auth": bad,
            }
        )
        reply = await client.until(lambda f: f.get("id") == 2)
        assert reply["error"]["code"] == 4 and "INVALID_SIGNATURE" in reply["error"]["message"]

        stale = now - 3600  # signed correctly, but an hour old: a replay
        await client.send(
            {
                "time": stale,
                "id": 3,
                "channel": "spot.orders",
                "event": "subscribe",
                "payload": ["BTC_USDT"],
                "auth": channel_auth(trader, "spot.orders", "subscribe", stale),
            }
        )
        reply = await client.until(lambda f: f.get("id") == 3)
        assert reply["error"]["code"] == 4 and "REQUEST_EXPIRED" in reply["error"]["message"]

        unknown = channel_auth(trader, "spot.orders", "subscribe", now)
        unknown["KEY"] = "f" * 32
        await client.send(
            {
                "time": now,
                "id": 4,
                "channel": "spot.orders",
                "event": "subscribe",
                "payload": ["BTC_USDT"],
                "auth": unknown,
            }
        )
        reply = await client.until(lambda f: f.get("id") == 4)
        assert reply["error"]["code"] == 4 and "INVALID_KEY" in reply["error"]["message"]

        await client.send(
            {
                "time": now,
                "id": 5,
                "channel": "spot.orders",
                "event": "subscribe",
                "payload": ["BTC_USDT"],
                "auth": channel_auth(trader, "spot.orders", "subscribe", now),
            }
        )
        reply = await client.until(lambda f: f.get("id") == 5)
        assert reply["error"] is None
        await client.close()

    run(scenario())


def test_api_calls_need_login_or_signature(ws_venue: WsVenue) -> None:
    trader = ws_venue.traders[0]

    async def scenario() -> None:
        client = await Client.connect(ws_venue.server.ws_url)
        await client.send(api_request(trader, "spot.order_place", "r1", ORDER, signed=False))
        reply = await client.answer("r1")
        assert reply["header"]["status"] == "401"
        assert reply["data"]["errs"]["label"] == "AUTHENTICATION_FAILED"

        bad = api_request(trader, "spot.login", "r2", None).replace(trader.key, "e" * 32)
        await client.send(bad)
        reply = await client.answer("r2")
        assert reply["data"]["errs"]["label"] == "INVALID_KEY"

        tampered = api_request(trader, "spot.order_place", "r3", ORDER).replace(
            '"amount":"0.01"', '"amount":"10"'
        )
        await client.send(tampered)
        reply = await client.answer("r3")
        assert reply["data"]["errs"]["label"] == "INVALID_SIGNATURE"

        await client.send(api_request(trader, "spot.login", "r4", None))
        reply = await client.answer("r4")
        assert reply["header"]["status"] == "200"
        assert reply["data"]["result"] == {"api_key": trader.key, "uid": str(trader.uid)}
        await client.close()

    run(scenario())


def test_order_place_acks_then_answers_and_order_cancel_cancels(ws_venue: WsVenue) -> None:
    trader = ws_venue.traders[1]

    async def scenario() -> None:
        client = await Client.connect(ws_venue.server.ws_url)
        await client.send(api_request(trader, "spot.login", "login", None))
        await client.answer("login")
        await client.send(api_request(trader, "spot.order_place", "p1", ORDER, signed=False))
        ack = await client.until(lambda f: f.get("request_id") == "p1")
        assert ack["ack"] is True and ack["data"]["result"]["req_param"] == ORDER
        placed = await client.answer("p1")
        order = placed["data"]["result"]
        assert placed["header"]["status"] == "200" and placed["header"]["channel"] == (
            "spot.order_place"
        )
        assert order["status"] == "open" and order["text"] == "t-ws-1"
        assert (order["side"], order["amount"], order["price"]) == ("buy", "0.01", "20000")
        assert order["left"] == "0.01" and order["currency_pair"] == "BTC_USDT"

        def resting() -> bool:
            book = ws_venue.venue.engine.state.markets["BTC_USDT"].book
            return int(order["id"]) in book.orders

        assert ws_venue.server.call(resting)

        cancel = {"order_id": order["id"], "currency_pair": "BTC_USDT"}
        await client.send(api_request(trader, "spot.order_cancel", "c1", cancel, signed=False))
        cancelled = (await client.answer("c1"))["data"]["result"]
        assert cancelled["id"] == order["id"] and cancelled["status"] == "cancelled"
        assert cancelled["finish_as"] == "cancelled"
        assert not ws_venue.server.call(resting)

        await client.send(api_request(trader, "spot.order_cancel", "c2", cancel, signed=False))
        again = await client.answer("c2")
        assert again["header"]["status"] == "404"
        assert again["data"]["errs"]["label"] == "ORDER_NOT_FOUND"
        await client.close()

    run(scenario())


def test_order_place_rejections_carry_gate_labels(ws_venue: WsVenue) -> None:
    trader = ws_venue.traders[2]

    async def scenario() -> None:
        client = await Client.connect(ws_venue.server.ws_url)
        too_big = dict(ORDER, amount="900", price="900000")  # 810M USDT: more than funded
        await client.send(api_request(trader, "spot.order_place", "x1", too_big))
        reply = await client.answer("x1")
        assert reply["data"]["errs"]["label"] == "BALANCE_NOT_ENOUGH"

        fine = dict(ORDER, price="20000.001")  # finer than the 0.01 tick
        await client.send(api_request(trader, "spot.order_place", "x2", fine))
        reply = await client.answer("x2")
        assert reply["data"]["errs"]["label"] == "INVALID_PRECISION"

        await client.send(api_request(trader, "spot.order_place", "x3", dict(ORDER, side="up")))
        reply = await client.answer("x3")
        assert reply["data"]["errs"]["label"] == "INVALID_PARAM_VALUE"

        await client.send(
            api_request(
                trader,
                "spot.order_status",
                "x4",
                {"order_id": "123456789", "currency_pair": "BTC_USDT"},
            )
        )
        reply = await client.answer("x4")
        assert reply["data"]["errs"]["label"] == "ORDER_NOT_FOUND"
        await client.close()

    run(scenario())


def test_amend_and_status_and_cancel_by_pair(ws_venue: WsVenue) -> None:
    trader = ws_venue.traders[2]

    async def scenario() -> None:
        client = await Client.connect(ws_venue.server.ws_url)
        await client.send(api_request(trader, "spot.login", "login", None))
        await client.answer("login")
        order = dict(ORDER, price="21000", text="t-amend")
        await client.send(api_request(trader, "spot.order_place", "a1", order, signed=False))
        placed = (await client.answer("a1"))["data"]["result"]

        amend = {"order_id": placed["id"], "currency_pair": "BTC_USDT", "price": "21500"}
        await client.send(api_request(trader, "spot.order_amend", "a2", amend, signed=False))
        amended = (await client.answer("a2"))["data"]["result"]
        assert amended["price"] == "21500" and amended["status"] == "open"

        status = {"order_id": "t-amend", "currency_pair": "BTC_USDT"}
        await client.send(api_request(trader, "spot.order_status", "a3", status, signed=False))
        seen = (await client.answer("a3"))["data"]["result"]
        assert seen["id"] == placed["id"] and seen["price"] == "21500"

        await client.send(
            api_request(
                trader, "spot.order_cancel_cp", "a4", {"currency_pair": "BTC_USDT"}, signed=False
            )
        )
        cancelled = (await client.answer("a4"))["data"]["result"]
        assert [o["id"] for o in cancelled] == [placed["id"]]
        assert cancelled[0]["status"] == "cancelled"
        await client.close()

    run(scenario())


def test_public_trades_and_book_ticker_follow_the_engine(ws_venue: WsVenue) -> None:
    maker, taker = ws_venue.traders[0], ws_venue.traders[1]

    async def scenario() -> None:
        watcher = await Client.connect(ws_venue.server.ws_url)
        await watcher.request("spot.trades", "subscribe", ["ETH_USDT"])
        await watcher.until(is_reply("spot.trades"))
        await watcher.request("spot.book_ticker", "subscribe", ["ETH_USDT"])
        await watcher.until(is_reply("spot.book_ticker"))
        await watcher.until(is_update("spot.book_ticker"))  # the current best, at once

        trading = await Client.connect(ws_venue.server.ws_url)
        sell = {"currency_pair": "ETH_USDT", "side": "sell", "amount": "1.5", "price": "3000"}
        await trading.send(api_request(maker, "spot.order_place", "s", sell))
        await trading.answer("s")
        best = await watcher.until(
            lambda f: is_update("spot.book_ticker")(f) and f["result"]["a"] == "3000"
        )
        assert best["result"]["A"] == "1.5" and best["result"]["s"] == "ETH_USDT"

        buy = {"currency_pair": "ETH_USDT", "side": "buy", "amount": "0.5", "price": "3000"}
        await trading.send(api_request(taker, "spot.order_place", "b", buy))
        filled = (await trading.answer("b"))["data"]["result"]
        assert filled["status"] == "closed" and filled["finish_as"] == "filled"
        trade = (await watcher.until(is_update("spot.trades")))["result"]
        assert (trade["side"], trade["amount"], trade["price"]) == ("buy", "0.5", "3000")
        assert trade["currency_pair"] == "ETH_USDT" and isinstance(trade["id"], int)
        best = await watcher.until(
            lambda f: is_update("spot.book_ticker")(f) and f["result"]["A"] == "1"
        )
        assert best["result"]["a"] == "3000"
        await watcher.close()
        await trading.close()

    run(scenario())
