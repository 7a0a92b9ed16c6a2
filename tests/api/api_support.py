"""Helpers for the gateway tests: a live server, an admin client, ccxt and raw signed clients.

Each server is a real uvicorn on a free loopback port, in a thread of the test process; clients
talk to it over HTTP only (ccxt, httpx). The tests may *read* the venue's state while the server
is idle, to prove that a refused request changed nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import ccxt  # type: ignore[import-untyped]
import httpx
import uvicorn

from clearhouse.api.app import create_app
from clearhouse.api.runtime import Settings
from clearhouse.venue import Venue

ADMIN_TOKEN = "test-admin-token"
STARTUP_TIMEOUT_S = 10.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LiveServer:
    """A venue served by uvicorn in a background thread."""

    def __init__(self, venue: Venue, settings: Settings) -> None:
        self.venue = venue
        self.settings = settings
        self.app = create_app(venue, settings)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            proxy_headers=False,  # the gateway decides whom to believe, not uvicorn
            lifespan="on",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=STARTUP_TIMEOUT_S)
        self.venue.close()

    @property
    def state_seq(self) -> int:
        return self.venue.engine.state.seq


def settings(**overrides: Any) -> Settings:
    base: dict[str, Any] = {"admin_token": ADMIN_TOKEN, "ip_rate_per_s": 0, "key_rate_per_s": 0}
    base.update(overrides)
    return Settings(**base)


# --- clients -------------------------------------------------------------------------------------
class Admin:
    def __init__(self, server: LiveServer, token: str = ADMIN_TOKEN) -> None:
        self.server = server
        headers = {"X-Actor": "tests"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.http = httpx.Client(
            base_url=server.url + "/api/ch/v1/admin", headers=headers, timeout=10
        )

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.request(method, path, **kwargs)

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        assert response.status_code < 300, response.text
        return response.json()

    def user(self, permissions: tuple[str, ...] = ("read", "spot", "wallet"), **extra: Any) -> User:
        body = {"name": "Test User", "email": "t@example.com", "country": "DE", "kyc_tier": 2}
        body.update(extra)
        body["permissions"] = list(permissions)
        created = self.ok("POST", "/users", json=body)
        return User(created["uid"], created["api_key"], created["api_secret"])

    def deposit(self, uid: int, currency: str, amount: str) -> None:
        self.ok("POST", "/deposits", json={"uid": uid, "currency": currency, "amount": amount})


@dataclass(frozen=True)
class User:
    uid: int
    key: str
    secret: str


def gate_client(server: LiveServer, user: User | None = None, **options: Any) -> Any:
    """Real ccxt.gate; the only change is the base URL (plus the market-buy-in-quote option)."""
    config: dict[str, Any] = {
        "enableRateLimit": False,  # client-side pacing only; keeps the suite fast
        "options": {"createMarketBuyOrderRequiresPrice": False, **options},
    }
    if user is not None:
        config["apiKey"] = user.key
        config["secret"] = user.secret
    exchange = ccxt.gate(config)
    base = server.url + "/api/v4"
    for access in ("public", "private"):
        for section in list(exchange.urls["api"][access]):
            exchange.urls["api"][access][section] = base
    return exchange


class Signed:
    """Gate v4 signing written out independently of the server's code, for raw requests."""

    def __init__(self, server: LiveServer | str, user: User) -> None:
        self.user = user
        base_url = server if isinstance(server, str) else server.url
        self.http = httpx.Client(base_url=base_url, timeout=10)

    def headers(
        self, method: str, path: str, query: str = "", body: bytes = b"", ts: float | None = None,
        secret: str | None = None,
    ) -> dict[str, str]:  # fmt: skip
        timestamp = str(int(time.time() if ts is None else ts))
        body_hash = hashlib.sha512(body).hexdigest()
        message = f"{method}\n/api/v4{path}\n{query}\n{body_hash}\n{timestamp}"
        sign = hmac.new(
            (secret or self.user.secret).encode(), message.encode(), hashlib.sha512
        ).hexdigest()
        return {
            "KEY": self.user.key,
            "Timestamp": timestamp,
            "SIGN": sign,
            "Content-Type": "application/json",
        }

    def request(
        self, method: str, path: str, query: str = "", body: Any = None,
        extra_headers: dict[str, str] | None = None, **sign_options: Any,
    ) -> httpx.Response:  # fmt: skip
        raw = b"" if body is None else json.dumps(body).encode()
        headers = self.headers(method, path, query, raw, **sign_options)
        headers.update(extra_headers or {})
        url = "/api/v4" + path + (f"?{query}" if query else "")
        return self.http.request(method, url, content=raw, headers=headers)


# --- "nothing changed" ---------------------------------------------------------------------------
def observable(venue: Venue) -> tuple[Any, ...]:
    """Everything a refused request must leave untouched: balances, books, withdrawals, keys,
    triggers, accounts. (The sequence number moves when the engine journals a rejection.)"""
    state = venue.engine.state
    return (
        dict(state.ledger.balances),
        {
            name: sorted(
                (o.order_id, o.price_ticks, o.remaining_lots) for o in m.book.orders.values()
            )
            for name, m in state.markets.items()
        },
        {w.withdrawal_id: w.status for w in state.withdrawals.values()},
        {k.key: (k.active, k.permissions) for k in state.api_keys.values()},
        sorted(state.triggers_by_id),
        sorted(state.accounts),
        {name: (m.enabled, m.spec.fees) for name, m in state.markets.items()},
    )
