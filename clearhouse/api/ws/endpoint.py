"""The WebSocket endpoint: accept, read requests, answer them, and clean up.

Requests are read one at a time. Subscriptions and pings are answered at once. API calls
(orders) run as tasks so a client can pipeline them, at most `max_inflight_requests` per
connection; past that the endpoint stops reading, so a fast sender is slowed down by TCP instead
of being buffered.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from starlette.websockets import WebSocket

from clearhouse.api import geofence
from clearhouse.api.client_ip import ClientAddress, country_of
from clearhouse.api.ws.connection import Connection
from clearhouse.api.ws.frames import (
    ERR_AUTH,
    ERR_BAD_ARGUMENT,
    ERR_BAD_REQUEST,
    FrameError,
    Request,
    api_frame,
    api_header,
    api_payload_decoder,
    reply,
    request_decoder,
    topics_decoder,
)
from clearhouse.api.ws.hub import Hub
from clearhouse.api.ws.limits import CLOSE_POLICY
from clearhouse.api.ws.registry import ApiCall, DirectHandler, Registry
from clearhouse.api.ws.signing import AuthFailed, Session

logger = logging.getLogger(__name__)

_EMPTY_REQUEST = Request()


def make_endpoint(
    hub: Hub, registry: Registry, addresses: ClientAddress
) -> Callable[[WebSocket], Awaitable[None]]:
    async def endpoint(websocket: WebSocket) -> None:
        peer = websocket.client.host if websocket.client is not None else ""
        ip = addresses.resolve(peer, websocket.headers.get("x-forwarded-for"))
        country = country_of(ip)
        if geofence.refusal(hub.runtime.venue.engine.state, ip, country):
            await websocket.close(CLOSE_POLICY)  # before the handshake: answered with HTTP 403
            return
        refusal = hub.admit(ip)
        await websocket.accept()
        if refusal:
            await websocket.close(CLOSE_POLICY, refusal)
            return
        conn = Connection(websocket, hub.new_connection_id(), ip, country, hub.limits, hub.remove)
        hub.add(conn)
        conn.start()
        try:
            await _Session(hub, registry, conn).serve()
        finally:
            hub.remove(conn)
            await conn.finish()

    return endpoint


class _Session:
    def __init__(self, hub: Hub, registry: Registry, conn: Connection) -> None:
        self.hub = hub
        self.registry = registry
        self.conn = conn
        self.tasks: set[asyncio.Task[None]] = set()

    async def serve(self) -> None:
        conn = self.conn
        receive = conn.websocket.receive
        max_bytes = self.hub.limits.max_frame_bytes
        try:
            while not conn.dead:
                message = await receive()
                if message["type"] != "websocket.receive":
                    break
                data: str | bytes | None = message.get("text")
                if data is None:
                    data = message.get("bytes") or b""
                if len(data) > max_bytes:
                    self._error(_EMPTY_REQUEST, ERR_BAD_REQUEST, f"frame over {max_bytes} bytes")
                    continue
                await self.handle(data)
        finally:
            for task in list(self.tasks):
                task.cancel()

    async def handle(self, data: str | bytes) -> None:
        in_us = time.time_ns() // 1000
        try:
            request = request_decoder.decode(data)
        except msgspec.DecodeError as exc:
            self._error(_EMPTY_REQUEST, ERR_BAD_REQUEST, f"Invalid request body format: {exc}")
            return
        registry = self.registry
        if request.channel == registry.ping:
            self.conn.push(reply(request, self.conn.conn_id, channel=registry.pong))
            return
        event = request.event
        if event == "api":
            await self.api(request, in_us)
        elif event == "subscribe" or event == "unsubscribe":
            try:
                self.subscription(request)
            except FrameError as error:
                self._error(request, error.code, error.message)
        else:
            self._error(request, ERR_BAD_REQUEST, f"unknown event {event!r}")

    # --- subscribe / unsubscribe -------------------------------------------------------------
    def subscription(self, request: Request) -> None:
        channel = self.registry.channels.get(request.channel)
        if channel is None:
            raise FrameError(ERR_BAD_ARGUMENT, f"unknown channel {request.channel}")
        try:
            topics = topics_decoder.decode(request.payload)
        except msgspec.DecodeError as exc:
            raise FrameError(ERR_BAD_ARGUMENT, "payload must be a list of strings") from exc
        session = self.channel_session(request) if channel.private else None
        keys = channel.keys(topics, session)
        conn = self.conn
        hub = self.hub
        if request.event == "unsubscribe":
            for key in keys:
                hub.unsubscribe(conn, key)
            conn.push(reply(request, conn.conn_id, result={"status": "success"}, payload=topics))
            return
        if len(conn.topics | set(keys)) > hub.limits.max_subscriptions:
            raise FrameError(
                ERR_BAD_ARGUMENT,
                f"too many subscriptions on this connection (max {hub.limits.max_subscriptions})",
            )
        fresh = [key for key in keys if key not in conn.topics]
        if channel.reject_duplicates and len(fresh) < len(keys):
            again = [key.partition("|")[2] for key in keys if key in conn.topics]
            raise FrameError(ERR_BAD_ARGUMENT, f"Alert sub {', '.join(again)}")
        for key in fresh:
            hub.subscribe(conn, key)
        conn.push(reply(request, conn.conn_id, result={"status": "success"}, payload=topics))
        for key in fresh:
            channel.on_subscribed(conn, key)

    def channel_session(self, request: Request) -> Session:
        auth = request.auth
        conn = self.conn
        checker = self.hub.checker
        try:
            if auth is not None and auth.KEY:
                if auth.method != "api_key":
                    raise AuthFailed("INVALID_KEY", "auth method must be api_key")
                return checker.verify_channel(
                    auth.KEY, auth.SIGN, request.channel, request.event, request.time, conn.ip
                )
            if conn.session is not None:  # logged in with spot.login
                checker.active_key(conn.session.key, conn.ip, frozenset())
                return conn.session
            raise AuthFailed("INVALID_KEY", "private channel needs auth")
        except AuthFailed as failed:
            label = json.dumps({"label": failed.label, "message": failed.message})
            raise FrameError(ERR_AUTH, label + "\n") from failed

    def _error(self, request: Request, code: int, message: str) -> None:
        self.conn.push(reply(request, self.conn.conn_id, error=FrameError(code, message)))

    # --- event "api" ---------------------------------------------------------------------------
    async def api(self, request: Request, in_us: int) -> None:
        conn = self.conn
        channel = request.channel
        try:
            payload = api_payload_decoder.decode(request.payload)
        except msgspec.DecodeError as exc:
            header = api_header(channel, 400, conn.conn_id, conn.client_id, in_us)
            conn.push(api_frame("", header, label="INVALID_PARAM", message=f"payload: {exc}"))
            return
        call = ApiCall(conn, channel, payload.req_id, bytes(payload.req_param), in_us, None)
        registry = self.registry
        direct = registry.direct.get(channel)
        handler = registry.api.get(channel)
        if handler is None and direct is None:
            call.fail(400, "INVALID_PARAM", f"unknown API channel {channel}")
            return
        if payload.api_key:
            try:
                call.session = self.hub.checker.verify_api(
                    payload.api_key, payload.signature, channel, call.req_param,
                    payload.timestamp, conn.ip,
                )  # fmt: skip
            except AuthFailed as failed:
                call.fail(401, failed.label, failed.message)
                return
            call.signed = True
        else:
            call.session = conn.session
        if call.session is None and channel not in registry.public_api:
            call.fail(401, "AUTHENTICATION_FAILED", "Not login")
            return
        if conn.inflight >= conn.limits.max_inflight_requests:
            conn.room.clear()
            await conn.room.wait()  # stop reading: TCP slows the client down
        conn.inflight += 1
        if direct is not None:
            self._run_direct(direct, call)
            return
        assert handler is not None
        task = asyncio.get_running_loop().create_task(self._run(handler, call))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _run(self, handler: Callable[[ApiCall], Awaitable[None]], call: ApiCall) -> None:
        try:
            await handler(call)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            call.refuse(error)
        finally:
            self._answered()

    def _run_direct(self, handler: DirectHandler, call: ApiCall) -> None:
        try:
            pending = handler(call)
        except Exception as error:
            call.refuse(error)
            pending = None
        if pending is None:
            self._answered()
            return
        if isinstance(pending, asyncio.Task):
            self.tasks.add(pending)
            pending.add_done_callback(self.tasks.discard)
        pending.add_done_callback(self._answered_later)

    def _answered_later(self, done: asyncio.Future[Any]) -> None:
        self._answered()

    def _answered(self) -> None:
        conn = self.conn
        conn.inflight -= 1
        if conn.inflight < conn.limits.max_inflight_requests:
            conn.room.set()
