"""The hub: every live connection, every subscription, and the fan-out of venue events.

The venue calls `Hub.on_events(envelope, events)` after each command, on the event-loop thread.
The hub looks at each event once and hands it to the feeds that registered for its type; a feed
that gathered something during the command is told when the command ends (so a sweep through
fifty makers becomes one order-book message, not fifty). Feeds that publish on an interval
(order book snapshots and diffs, tickers, candlesticks) are ticked by one flush task that runs
while at least one client is connected.

Subscriptions are (topic key -> connections); a key names the channel and everything that makes
the stream distinct, e.g. "spot.order_book|BTC_USDT|20|100ms" or "spot.orders|10000001|!all".
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from clearhouse.api.runtime import Runtime
from clearhouse.api.ws.connection import Connection
from clearhouse.api.ws.frames import ERR_BAD_ARGUMENT, FrameError
from clearhouse.api.ws.limits import WsLimits
from clearhouse.api.ws.signing import KeyChecker
from clearhouse.core.commands import Envelope
from clearhouse.core.events import Event

EventHandler = Callable[[Any], None]

logger = logging.getLogger(__name__)


class CommandFeed(Protocol):
    def end_command(self) -> None: ...


class IntervalFeed(Protocol):
    def tick(self, now_s: float) -> None: ...


class TopicWatcher(Protocol):
    def on_first(self, key: str) -> None: ...

    def on_last(self, key: str) -> None: ...


class Hub:
    def __init__(self, runtime: Runtime, limits: WsLimits, checker: KeyChecker) -> None:
        self.runtime = runtime
        self.venue = venue = runtime.venue
        self.limits = limits
        self.checker = checker
        self.connections: set[Connection] = set()
        self.per_ip: dict[str, int] = {}
        self.subs: dict[str, set[Connection]] = {}
        self._watchers: dict[str, TopicWatcher] = {}  # key prefix (channel name) -> watcher
        self._handlers: dict[type[Event], list[EventHandler]] = {}
        self._dirty: list[CommandFeed] = []
        self._interval_feeds: list[IntervalFeed] = []
        self._flusher: asyncio.Task[None] | None = None
        self._ids = itertools.count(1)
        venue.listeners.append(self.on_events)

    # --- wiring, done once by the channel modules ------------------------------------------------
    def on(self, event_type: type[Event], handler: EventHandler) -> None:
        self._handlers.setdefault(event_type, []).append(handler)

    def every_tick(self, feed: IntervalFeed) -> None:
        self._interval_feeds.append(feed)

    def watch(self, channel: str, watcher: TopicWatcher) -> None:
        self._watchers[channel] = watcher

    def mark_dirty(self, feed: CommandFeed) -> None:
        self._dirty.append(feed)

    # --- the venue listener --------------------------------------------------------------------
    def on_events(self, envelope: Envelope, events: list[Event]) -> None:
        handlers = self._handlers
        for event in events:
            fns = handlers.get(type(event))
            if fns is not None:
                for fn in fns:
                    fn(event)
        dirty = self._dirty
        if dirty:
            self._dirty = []
            for feed in dict.fromkeys(dirty):  # once each, in order
                feed.end_command()

    # --- connections ---------------------------------------------------------------------------
    def admit(self, ip: str) -> str:
        """Count a new connection from `ip`; returns "" or why it is refused."""
        if len(self.connections) >= self.limits.max_connections:
            return "too many connections"
        if self.per_ip.get(ip, 0) >= self.limits.connections_per_ip:
            return f"too many connections from {ip}"
        return ""

    def new_connection_id(self) -> str:
        return f"{next(self._ids):016x}"

    def add(self, conn: Connection) -> None:
        self.connections.add(conn)
        self.per_ip[conn.ip] = self.per_ip.get(conn.ip, 0) + 1
        if self._flusher is None:
            self._flusher = asyncio.get_running_loop().create_task(self._flush_loop())

    def remove(self, conn: Connection) -> None:
        """Forget a connection and everything it subscribed to (idempotent)."""
        if conn not in self.connections:
            return
        self.connections.discard(conn)
        left = self.per_ip.get(conn.ip, 1) - 1
        if left:
            self.per_ip[conn.ip] = left
        else:
            self.per_ip.pop(conn.ip, None)
        for key in list(conn.topics):
            self.unsubscribe(conn, key)
        if not self.connections and self._flusher is not None:
            self._flusher.cancel()
            self._flusher = None

    async def close(self) -> None:
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(BaseException):
                await self._flusher
            self._flusher = None

    # --- subscriptions -------------------------------------------------------------------------
    def subscribe(self, conn: Connection, key: str) -> None:
        if key in conn.topics:
            return
        if len(conn.topics) >= self.limits.max_subscriptions:
            raise FrameError(
                ERR_BAD_ARGUMENT,
                f"too many subscriptions on this connection (max {self.limits.max_subscriptions})",
            )
        conn.topics.add(key)
        members = self.subs.get(key)
        if members is None:
            self.subs[key] = {conn}
            watcher = self._watchers.get(key.partition("|")[0])
            if watcher is not None:
                watcher.on_first(key)
        else:
            members.add(conn)

    def unsubscribe(self, conn: Connection, key: str) -> None:
        if key not in conn.topics:
            return
        conn.topics.discard(key)
        members = self.subs.get(key)
        if members is None:
            return
        members.discard(conn)
        if not members:
            del self.subs[key]
            watcher = self._watchers.get(key.partition("|")[0])
            if watcher is not None:
                watcher.on_last(key)

    def publish(self, key: str, text: str) -> None:
        members = self.subs.get(key)
        if members:
            for conn in list(members):  # a push may kill a slow consumer and edit the set
                conn.push(text)

    # --- interval feeds ------------------------------------------------------------------------
    async def _flush_loop(self) -> None:
        interval = self.limits.flush_interval_s
        while True:
            await asyncio.sleep(interval)
            now = time.monotonic()
            for feed in self._interval_feeds:
                try:
                    feed.tick(now)
                except Exception:  # one broken feed must not silence the others
                    logger.exception("interval feed %r failed", feed)
