"""Channels and API calls per WebSocket endpoint.

A `Registry` is what one path serves: `/ws/v4/` serves the spot registry; the perpetuals and
options issues add `futures.*` and `options.*` registries for `/v4/ws/usdt` the same way, by
listing their `Channel` subclasses and API handlers. Nothing in the endpoint or the hub knows a
channel by name.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from clearhouse.api.ws.connection import Connection
from clearhouse.api.ws.frames import api_frame, api_header
from clearhouse.api.ws.hub import Hub
from clearhouse.api.ws.signing import Session


class Channel:
    """A subscribable channel. Subclasses turn a request payload into topic keys and may send a
    first snapshot to a new subscriber."""

    name: ClassVar[str]
    private: ClassVar[bool] = False
    reject_duplicates: ClassVar[bool] = False  # Gate's order book v2: "Alert sub <topic>"

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    def keys(self, topics: list[str] | None, session: Session | None) -> list[str]:
        """Validate the payload; raise `FrameError(ERR_BAD_ARGUMENT, ...)` on a bad topic."""
        raise NotImplementedError

    def on_subscribed(self, conn: Connection, key: str) -> None:
        """Called after `conn` joined `key` (a snapshot goes here)."""


@dataclass
class ApiCall:
    """One `event: "api"` request and the means to answer it."""

    conn: Connection
    channel: str
    req_id: str
    req_param: bytes  # raw JSON as sent ("" when absent)
    in_us: int
    session: Session | None  # from a per-request signature or the connection's login
    signed: bool = False  # the request carried its own api_key and signature

    def _header(self, status: int) -> dict[str, Any]:
        conn = self.conn
        return api_header(self.channel, status, conn.conn_id, conn.client_id, self.in_us)

    def ack(self, echo: Any) -> None:
        result = {"req_id": self.req_id, "req_header": None, "req_param": echo,
                  "api_key": "", "timestamp": "", "signature": ""}  # fmt: skip
        self.conn.push(api_frame(self.req_id, self._header(200), result=result, ack=True))

    def ok(self, result: Any) -> None:
        self.conn.push(api_frame(self.req_id, self._header(200), result=result))

    def fail(self, status: int, label: str, message: str) -> None:
        self.conn.push(api_frame(self.req_id, self._header(status), label=label, message=message))


ApiHandler = Callable[[ApiCall], Awaitable[None]]


@dataclass
class Registry:
    prefix: str  # "spot"
    channels: dict[str, Channel] = field(default_factory=dict)
    api: dict[str, ApiHandler] = field(default_factory=dict)
    public_api: frozenset[str] = frozenset()  # API channels that need no session (login)

    def add_channel(self, channel: Channel) -> None:
        assert channel.name.startswith(self.prefix + "."), channel.name
        self.channels[channel.name] = channel

    def add_api(self, name: str, handler: ApiHandler, *, public: bool = False) -> None:
        assert name.startswith(self.prefix + "."), name
        self.api[name] = handler
        if public:
            self.public_api = self.public_api | {name}

    @property
    def ping(self) -> str:
        return self.prefix + ".ping"

    @property
    def pong(self) -> str:
        return self.prefix + ".pong"
