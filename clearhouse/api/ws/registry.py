"""Channels and API calls per WebSocket endpoint.

A `Registry` is what one path serves: `/ws/v4/` serves the spot registry; the perpetuals and
options issues add `futures.*` and `options.*` registries for `/v4/ws/usdt` the same way, by
listing their `Channel` subclasses and API handlers. Nothing in the endpoint or the hub knows a
channel by name.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, ClassVar

from clearhouse.api.errors import ApiError, from_rejected
from clearhouse.api.sequencer import VenueBusy, VenueFailed
from clearhouse.api.ws.connection import Connection
from clearhouse.api.ws.hub import Hub
from clearhouse.api.ws.signing import Session
from clearhouse.core.errors import Rejected

logger = logging.getLogger("clearhouse.api.ws.endpoint")


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

    def ack(self, echo: Any) -> None:
        result = {"req_id": self.req_id, "req_header": None, "req_param": echo,
                  "api_key": "", "timestamp": "", "signature": ""}  # fmt: skip
        conn = self.conn
        conn.push(conn.replies.reply(self.req_id, self.channel, 200, self.in_us, result=result,
                                     ack=True))  # fmt: skip

    def ok(self, result: Any) -> None:
        conn = self.conn
        conn.push(conn.replies.reply(self.req_id, self.channel, 200, self.in_us, result=result))

    def fail(self, status: int, label: str, message: str) -> None:
        conn = self.conn
        conn.push(conn.replies.reply(self.req_id, self.channel, status, self.in_us, label=label,
                                     message=message))  # fmt: skip

    def refuse(self, error: Exception) -> None:
        """Answer with what went wrong, in Gate's words (an unexpected error is logged)."""
        if isinstance(error, ApiError):
            self.fail(error.status, error.label, error.message)
        elif isinstance(error, Rejected):
            refused = from_rejected(error)
            self.fail(refused.status, refused.label, refused.message)
        elif isinstance(error, VenueBusy):
            self.fail(503, "TOO_BUSY", "the venue's command queue is full; retry later")
        elif isinstance(error, VenueFailed):
            self.fail(503, "SERVER_ERROR", "the venue stopped accepting commands")
        else:
            logger.error("WebSocket API call %s failed", self.channel, exc_info=error)
            self.fail(500, "SERVER_ERROR", "internal error")

    def answer_later(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run `work` (which answers this call) as a task; whatever it raises is the answer."""
        return asyncio.get_running_loop().create_task(self._answering(work))

    async def _answering(self, work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
        except Exception as error:
            self.refuse(error)


ApiHandler = Callable[[ApiCall], Awaitable[None]]
# Answers the call itself, at once (returns None) or when the future it returns is done; the
# hot order calls are direct so that a request costs no task of its own.
DirectHandler = Callable[[ApiCall], "asyncio.Future[Any] | None"]


@dataclass
class Registry:
    prefix: str  # "spot"
    channels: dict[str, Channel] = field(default_factory=dict)
    api: dict[str, ApiHandler] = field(default_factory=dict)
    direct: dict[str, DirectHandler] = field(default_factory=dict)
    public_api: frozenset[str] = frozenset()  # API channels that need no session (login)

    def add_channel(self, channel: Channel) -> None:
        assert channel.name.startswith(self.prefix + "."), channel.name
        self.channels[channel.name] = channel

    def add_api(self, name: str, handler: ApiHandler, *, public: bool = False) -> None:
        assert name.startswith(self.prefix + "."), name
        self.api[name] = handler
        if public:
            self.public_api = self.public_api | {name}

    def add_direct_api(self, name: str, handler: DirectHandler) -> None:
        assert name.startswith(self.prefix + "."), name
        self.direct[name] = handler

    @property
    def ping(self) -> str:
        return self.prefix + ".ping"

    @property
    def pong(self) -> str:
        return self.prefix + ".pong"
