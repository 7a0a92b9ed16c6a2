"""One client connection: its bounded send queue, the task that drains it, and how it ends.

Fan-out runs inside the venue listener, which must never wait; it appends already-encoded frames
to the connection's queue. A writer task sends them in order. When a client reads slower than the
venue produces, TCP backs up, the writer waits, the queue grows to its bound, and the connection
is closed with 1008 and a reason: the server never holds more than `send_queue_*` for anyone.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from typing import Any, Final

from starlette.websockets import WebSocket

from clearhouse.api.ws.frames import ApiReplies
from clearhouse.api.ws.limits import CLOSE_POLICY, WsLimits
from clearhouse.api.ws.signing import Session
from clearhouse.core.commands import Facts

WS_CHANNEL: Final = "ws"


class Connection:
    __slots__ = (
        "websocket",
        "conn_id",
        "ip",
        "limits",
        "topics",
        "session",
        "inflight",
        "room",
        "dead",
        "close_code",
        "close_reason",
        "frames_sent",
        "_queue",
        "_queued_bytes",
        "_wakeup",
        "_writer",
        "_on_dead",
        "_closer",
        "country",
        "_facts",
        "client_id",
        "replies",
    )

    def __init__(
        self,
        websocket: WebSocket,
        conn_id: str,
        ip: str,
        country: str,
        limits: WsLimits,
        on_dead: Callable[[Connection], None],
    ) -> None:
        self.websocket = websocket
        self.conn_id = conn_id
        self.ip = ip
        self.country = country  # of the IP, "" when unknown
        self._facts: Facts | None = None
        self.limits = limits
        self.topics: set[str] = set()  # subscription keys, for cleanup
        self.session: Session | None = None  # set by spot.login
        self.inflight = 0  # API requests submitted and not yet answered
        self.room = asyncio.Event()  # set whenever inflight is below the limit
        self.room.set()
        self.dead = False
        self.close_code = 0
        self.close_reason = ""
        self.frames_sent = 0
        self._queue: deque[str] = deque()
        self._queued_bytes = 0
        self._wakeup = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._on_dead = on_dead
        self._closer: asyncio.Task[None] | None = None
        self.client_id = f"{ip}-{conn_id}"  # Gate's header field
        self.replies = ApiReplies(conn_id, self.client_id)

    @property
    def queued_frames(self) -> int:
        return len(self._queue)

    def facts(self, api_key: str) -> Facts:
        """What the gateway observed, for the commands this connection submits."""
        facts = self._facts
        if facts is None or facts.api_key != api_key:
            facts = self._facts = Facts(WS_CHANNEL, self.ip, self.country, api_key)
        return facts

    def start(self) -> None:
        self._writer = asyncio.get_running_loop().create_task(self._write_loop())

    def push(self, text: str) -> None:
        """Queue a frame; a client whose queue is full is disconnected, not waited for."""
        if self.dead:
            return
        queue = self._queue
        if (
            len(queue) >= self.limits.send_queue_frames
            or self._queued_bytes + len(text) > self.limits.send_queue_bytes
        ):
            self.kill(CLOSE_POLICY, f"slow consumer: send queue full ({len(queue)} frames)")
            return
        queue.append(text)
        self._queued_bytes += len(text)
        if len(queue) == 1:
            self._wakeup.set()

    async def _write_loop(self) -> None:
        queue = self._queue
        send = self.websocket.send
        message: dict[str, Any] = {"type": "websocket.send", "text": ""}
        try:
            while True:
                while queue:
                    text = queue.popleft()
                    self._queued_bytes -= len(text)
                    message = {"type": "websocket.send", "text": text}
                    await send(message)
                    self.frames_sent += 1
                self._wakeup.clear()
                await self._wakeup.wait()
        except asyncio.CancelledError:
            raise
        except Exception:  # the peer went away mid-send
            self.kill(CLOSE_POLICY, "send failed")

    def kill(self, code: int, reason: str) -> None:
        """Stop serving this client now (memory is released at once) and close it politely,
        giving the close handshake a bounded time."""
        if self.dead:
            return
        self.dead = True
        self.close_code = code
        self.close_reason = reason
        self._queue.clear()
        self._queued_bytes = 0
        self._on_dead(self)
        self._closer = asyncio.get_running_loop().create_task(self._close(code, reason))

    async def _close(self, code: int, reason: str) -> None:
        writer = self._writer
        if writer is not None and writer is not asyncio.current_task():
            writer.cancel()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(
                self.websocket.close(code, reason[:120]), self.limits.close_timeout_s
            )

    async def finish(self) -> None:
        """The receive side ended: stop the writer and wait for a pending close."""
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(BaseException):
                await self._writer
        if self._closer is not None:
            with contextlib.suppress(BaseException):
                await self._closer
