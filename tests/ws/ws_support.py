"""Test support: a real venue behind a real uvicorn server on a free port, funded traders.

Traders are onboarded and funded by submitting `OnboardUser` and `CreditDeposit` commands to the
venue before the server starts; after that only the server's event loop touches the venue, and
tests read engine state through `ServerThread.call`, which runs on that loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import uvicorn
from starlette.applications import Starlette

from clearhouse.api.client_ip import ClientAddress
from clearhouse.api.rate_limit import RateLimiter
from clearhouse.api.runtime import Runtime, Settings
from clearhouse.api.sealing import MasterKey, new_api_key
from clearhouse.api.sequencer import AsyncSequencer
from clearhouse.api.ws import WsGateway, WsLimits
from clearhouse.core.commands import CreditDeposit, OnboardUser
from clearhouse.core.events import AccountOpened
from clearhouse.projections import Projections
from clearhouse.venue import Venue

T = TypeVar("T")

MASTER_KEY_HEX = "5e" * 32
FUNDING = {"USDT": 10_000_000 * 10**8, "BTC": 1_000 * 10**8, "ETH": 10_000 * 10**8}


@dataclass(frozen=True)
class Trader:
    uid: int
    key: str
    secret: str


def onboard(
    venue: Venue,
    master: MasterKey,
    count: int,
    permissions: tuple[str, ...] = ("spot",),
    ip_allowlist: tuple[str, ...] = (),
) -> list[Trader]:
    traders = []
    for i in range(count):
        key, secret = new_api_key()
        n = len(venue.engine.state.accounts)
        events = venue.submit_one(
            OnboardUser(
                name=f"Trader {n}",
                email=f"trader{n}@example.com",
                country="DE",
                kyc_tier=2,
                key=key,
                secret_sealed=master.seal(secret, key),
                permissions=permissions,
                ip_allowlist=ip_allowlist,
            )
        )
        uid = next(e.account for e in events if isinstance(e, AccountOpened))
        for asset, units in FUNDING.items():
            venue.submit_one(CreditDeposit(uid, asset, units, txid=f"fund-{uid}-{asset}-{i}"))
        traders.append(Trader(uid, key, secret))
    return traders


def ws_app(venue: Venue, limits: WsLimits, master: MasterKey) -> tuple[Starlette, WsGateway]:
    """The WebSocket gateway alone, with its own limits (the full app uses the defaults)."""
    settings = Settings(demo=True)
    runtime = Runtime(
        venue=venue,
        sequencer=AsyncSequencer(venue),
        settings=settings,
        projections=Projections(),
        master_key=master,
        client_address=ClientAddress(()),
        ip_limiter=RateLimiter(0, 1),
        key_limiter=RateLimiter(0, 1),
    )
    venue.listeners.append(runtime.projections)
    gateway = WsGateway(runtime, limits)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        runtime.sequencer.start()
        try:
            yield
        finally:
            await gateway.hub.close()
            await runtime.sequencer.stop()

    return Starlette(routes=gateway.routes(), lifespan=lifespan), gateway


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServerThread:
    """uvicorn serving `app` on 127.0.0.1:<free port> in a thread with its own event loop."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self.server.serve())

    def start(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/v4/"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def call(self, fn: Callable[[], T]) -> T:
        """Run `fn` on the server's event loop (the venue's only thread) and return its result."""

        async def run() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(timeout=20)


@dataclass
class WsVenue:
    server: ServerThread
    venue: Venue
    gateway: WsGateway
    traders: list[Trader]


def start_ws_venue(limits: WsLimits, traders: int = 3) -> WsVenue:
    master = MasterKey(bytes.fromhex(MASTER_KEY_HEX))
    venue = Venue(None)
    people = onboard(venue, master, traders)
    app, gateway = ws_app(venue, limits, master)
    return WsVenue(ServerThread(app).start(), venue, gateway, people)


# --- Gate's WebSocket signing, as a client computes it ----------------------------------------
def channel_auth(trader: Trader, channel: str, event: str, time_s: int) -> dict[str, str]:
    message = f"channel={channel}&event={event}&time={time_s}"
    sign = hmac.new(trader.secret.encode(), message.encode(), hashlib.sha512).hexdigest()
    return {"method": "api_key", "KEY": trader.key, "SIGN": sign}


def api_request(
    trader: Trader,
    channel: str,
    req_id: str,
    param: Any | None,
    signed: bool = True,
    time_s: int | None = None,
) -> str:
    now = int(time.time()) if time_s is None else time_s
    payload: dict[str, Any] = {"req_id": req_id}
    raw = "" if param is None else json.dumps(param, separators=(",", ":"))
    if param is not None:
        payload["req_param"] = param
    if signed:
        message = f"api\n{channel}\n{raw}\n{now}"
        payload["api_key"] = trader.key
        payload["timestamp"] = str(now)
        payload["signature"] = hmac.new(
            trader.secret.encode(), message.encode(), hashlib.sha512
        ).hexdigest()
    return json.dumps(
        {"time": now, "channel": channel, "event": "api", "payload": payload}, separators=(",", ":")
    )
