"""Bounded everything: a slow consumer is disconnected with 1008 and a reason instead of being
buffered, while everyone else keeps receiving; subscriptions per connection and connections per
IP are capped with clear errors."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Iterator

import pytest
import websockets
from websockets.exceptions import ConnectionClosed
from ws_support import WsVenue, api_request, start_ws_venue
from wsclient import Client, is_reply, is_update

from clearhouse.api.ws import WsLimits

QUEUE_FRAMES = 64
LIMITS = WsLimits(
    send_queue_frames=QUEUE_FRAMES,
    max_inflight_requests=16,
    max_subscriptions=4,
    connections_per_ip=6,
)


@pytest.fixture(scope="module")
def small_venue() -> Iterator[WsVenue]:
    running = start_ws_venue(LIMITS)
    yield running
    running.server.stop()


def run(coro: object) -> None:
    asyncio.run(coro)  # type: ignore[arg-type]


def gateway_state(venue: WsVenue) -> tuple[int, int]:
    """(connections, most frames queued for any one of them), read on the server's loop."""
    hub = venue.gateway.hub
    return venue.server.call(
        lambda: (len(hub.connections), max((c.queued_frames for c in hub.connections), default=0))
    )


async def tiny_window_client(url: str) -> Client:
    """A client that stops reading: a small kernel receive buffer and a one-frame library
    queue, so the server's writes back up quickly."""
    sock = socket.create_connection(("127.0.0.1", int(url.split(":")[2].split("/")[0])))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    return Client(await websockets.connect(url, sock=sock, max_queue=1, compression=None))


def test_client_that_stops_reading_is_closed_and_memory_stays_bounded(
    small_venue: WsVenue,
) -> None:
    """The slow client subscribes to trades and then keeps sending pings without ever reading
    a pong: its queue fills and it is closed, while a steady subscriber gets every trade."""
    maker, taker = small_venue.traders[0], small_venue.traders[1]

    async def scenario() -> None:
        slow = await tiny_window_client(small_venue.server.ws_url)
        steady = await Client.connect(small_venue.server.ws_url)
        for client in (slow, steady):
            await client.request("spot.trades", "subscribe", ["BTC_USDT"])
        await steady.until(is_reply("spot.trades"))
        api = await Client.connect(small_venue.server.ws_url)  # each request is signed
        ping = json.dumps({"time": int(time.time()), "channel": "spot.ping"})

        trades = 0
        deadline = time.monotonic() + 60
        slow_gone = False
        round_ = 0
        while not slow_gone and time.monotonic() < deadline:
            for _ in range(2_000):
                await slow.ws.send(ping)
            for i in range(5):
                sell = {
                    "currency_pair": "BTC_USDT",
                    "side": "sell",
                    "amount": "0.001",
                    "price": "25000",
                }
                await api.send(api_request(maker, "spot.order_place", f"s{round_}-{i}", sell))
                await api.send(
                    api_request(taker, "spot.order_place", f"b{round_}-{i}", dict(sell, side="buy"))
                )
            await api.answer(f"b{round_}-4", timeout=10)
            for _ in range(5):
                await steady.until(is_update("spot.trades"))
                trades += 1
            round_ += 1
            alive, worst = gateway_state(small_venue)
            assert worst <= QUEUE_FRAMES  # never more than the bound, for anyone
            slow_gone = alive == 2  # steady and api remain

        assert slow_gone, "the slow consumer was never disconnected"
        assert trades == 5 * round_  # the steady subscriber missed nothing
        with pytest.raises(ConnectionClosed) as info:
            while True:
                await slow.recv(timeout=10)
        assert info.value.rcvd is not None
        assert info.value.rcvd.code == 1008
        assert "slow consumer" in info.value.rcvd.reason
        await steady.send({"time": int(time.time()), "channel": "spot.ping"})
        await steady.until(lambda f: f.get("channel") == "spot.pong")
        await api.close()
        await steady.close()

    run(scenario())


def test_subscriptions_per_connection_are_capped(small_venue: WsVenue) -> None:
    async def scenario() -> None:
        client = await Client.connect(small_venue.server.ws_url)
        await client.request("spot.trades", "subscribe", ["BTC_USDT", "ETH_USDT"], id=1)
        assert (await client.until(lambda f: f.get("id") == 1))["error"] is None
        await client.request("spot.book_ticker", "subscribe", ["BTC_USDT", "ETH_USDT"], id=2)
        assert (await client.until(lambda f: f.get("id") == 2))["error"] is None
        await client.request("spot.tickers", "subscribe", ["BTC_USDT"], id=3)
        refused = await client.until(lambda f: f.get("id") == 3)
        assert (
            refused["error"]["code"] == 2
            and "too many subscriptions" in (refused["error"]["message"])
        )
        await client.request("spot.trades", "unsubscribe", ["ETH_USDT"], id=4)
        assert (await client.until(lambda f: f.get("id") == 4))["error"] is None
        await client.request("spot.tickers", "subscribe", ["BTC_USDT"], id=5)
        assert (await client.until(lambda f: f.get("id") == 5))["error"] is None
        await client.close()

    run(scenario())


def test_connections_per_ip_are_capped(small_venue: WsVenue) -> None:
    async def scenario() -> None:
        await asyncio.sleep(0.2)  # connections of earlier tests finish closing
        clients = [await Client.connect(small_venue.server.ws_url) for _ in range(6)]
        extra = await Client.connect(small_venue.server.ws_url)
        with pytest.raises(ConnectionClosed) as info:
            await extra.recv()
        assert info.value.rcvd is not None and info.value.rcvd.code == 1008
        assert "too many connections" in info.value.rcvd.reason
        await clients[0].close()
        await asyncio.sleep(0.2)
        again = await Client.connect(small_venue.server.ws_url)
        await again.send({"time": int(time.time()), "channel": "spot.ping"})
        assert (await again.recv())["channel"] == "spot.pong"
        for client in [*clients[1:], again]:
            await client.close()

    run(scenario())
