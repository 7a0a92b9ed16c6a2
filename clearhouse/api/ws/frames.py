"""Gate v4 WebSocket frames: what a client sends and the shapes the server answers with.

Requests (subscribe, unsubscribe, ping):
    {"time": 1611541000, "id": 7, "channel": "spot.trades", "event": "subscribe",
     "payload": ["BTC_USDT"], "auth": {"method": "api_key", "KEY": "...", "SIGN": "..."}}
Responses and pushes:
    {"time": ..., "time_ms": ..., "id": 7, "conn_id": "...", "channel": "spot.trades",
     "event": "subscribe" | "update", "result": ..., "error": {"code": 2, "message": "..."}}
WebSocket API requests (event "api": login, order_place, ...) carry
    "payload": {"req_id", "req_param", "api_key", "signature", "timestamp", "req_header"}
and are answered with {"request_id", "ack"?, "header": {...}, "data": {"result" | "errs"}}.

`req_param` is kept as the raw bytes the client sent, because the API signature is computed over
exactly those bytes (Gate: `"api\\n<channel>\\n<req_param>\\n<timestamp>"`).
"""

from __future__ import annotations

import time
from typing import Any, Final

import msgspec

# Gate's subscription error codes.
ERR_BAD_REQUEST: Final = 1  # Invalid request body format
ERR_BAD_ARGUMENT: Final = 2  # Invalid argument provided
ERR_SERVER: Final = 3  # Server side error happened
ERR_AUTH: Final = 4  # Authentication fail


class Auth(msgspec.Struct, frozen=True):
    method: str = ""
    KEY: str = ""
    SIGN: str = ""


class Request(msgspec.Struct, frozen=True):
    time: int = 0
    id: int | str | None = None
    channel: str = ""
    event: str = ""
    payload: msgspec.Raw = msgspec.Raw(b"null")
    auth: Auth | None = None


class ApiPayload(msgspec.Struct, frozen=True):
    req_id: str = ""
    req_param: msgspec.Raw = msgspec.Raw(b"")
    req_header: dict[str, Any] | None = None
    api_key: str = ""
    signature: str = ""
    timestamp: str = ""


class FrameError(Exception):
    """A request that cannot be answered as asked; becomes an `error` object in the reply."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


request_decoder: Final = msgspec.json.Decoder(Request)
api_payload_decoder: Final = msgspec.json.Decoder(ApiPayload)
topics_decoder: Final = msgspec.json.Decoder(list[str] | None)
_encoder: Final = msgspec.json.Encoder()
MAX_CACHED_HEADERS: Final = 64  # (channel, status) header middles kept per connection
_ACK_FLAG: Final = ',"ack":true'


def encode(frame: dict[str, Any]) -> str:
    return _encoder.encode(frame).decode()


def now_s_ms() -> tuple[int, int]:
    ms = time.time_ns() // 1_000_000
    return ms // 1000, ms


def reply(
    request: Request,
    conn_id: str,
    *,
    result: Any = None,
    error: FrameError | None = None,
    channel: str | None = None,
    payload: list[str] | None = None,
) -> str:
    """Answer to a subscribe/unsubscribe/ping request."""
    seconds, ms = now_s_ms()
    frame: dict[str, Any] = {"time": seconds, "time_ms": ms}
    if request.id is not None:
        frame["id"] = request.id
    frame["conn_id"] = conn_id
    frame["channel"] = request.channel if channel is None else channel
    frame["event"] = request.event
    if payload is not None:
        frame["payload"] = payload
    if error is not None:
        frame["error"] = {"code": error.code, "message": error.message}
        frame["result"] = {"status": "fail"}
    else:
        frame["error"] = None
        frame["result"] = result
    return encode(frame)


def update(channel: str, result: Any, event: str = "update") -> str:
    """A server push; the same text goes to every subscriber."""
    seconds, ms = now_s_ms()
    return encode(
        {"time": seconds, "time_ms": ms, "channel": channel, "event": event, "result": result}
    )


def api_header(
    channel: str, status: int, conn_id: str, client_id: str, in_us: int
) -> dict[str, Any]:
    out_us = time.time_ns() // 1000
    return {
        "response_time": str(out_us // 1000),
        "status": str(status),
        "channel": channel,
        "event": "api",
        "client_id": client_id,
        "x_in_time": in_us,
        "x_out_time": out_us,
        "conn_id": conn_id,
        "conn_trace_id": conn_id,
        "trace_id": f"{conn_id}-{in_us}",
    }


class ApiReplies:
    """Answers to one connection's API requests, as `api_frame(req_id, api_header(...), ...)`
    would write them, character for character, but spliced from pieces: what is the same for
    every answer on the connection (its ids) or on a channel is encoded once."""

    __slots__ = ("conn_json", "trace_prefix", "client_json", "_middles")

    def __init__(self, conn_id: str, client_id: str) -> None:
        self.conn_json = encode_str(conn_id)
        self.trace_prefix = self.conn_json[:-1] + "-"  # "<conn_id>-<in_us>" without its digits
        self.client_json = encode_str(client_id)
        self._middles: dict[tuple[str, int], str] = {}

    def _middle(self, channel: str, status: int) -> str:
        """The header from "status" to "x_in_time":, for one channel and status."""
        middle = self._middles.get((channel, status))
        if middle is None:
            middle = (
                f'","status":"{status}","channel":{encode_str(channel)},"event":"api",'
                f'"client_id":{self.client_json},"x_in_time":'
            )
            if len(self._middles) < MAX_CACHED_HEADERS:
                self._middles[(channel, status)] = middle
        return middle

    def reply(
        self,
        req_id: str,
        channel: str,
        status: int,
        in_us: int,
        *,
        result: Any = None,
        label: str = "",
        message: str = "",
        ack: bool = False,
    ) -> str:
        out_us = time.time_ns() // 1000
        if label:
            data = f'{{"errs":{{"label":{encode_str(label)},"message":{encode_str(message)}}}}}'
        else:
            data = '{"result":' + _encoder.encode(result).decode() + "}"
        conn = self.conn_json
        flag = _ACK_FLAG if ack else ""
        return (
            f'{{"request_id":{encode_str(req_id)}{flag},"header":'
            f'{{"response_time":"{out_us // 1000}{self._middle(channel, status)}{in_us},'
            f'"x_out_time":{out_us},"conn_id":{conn},"conn_trace_id":{conn},'
            f'"trace_id":{self.trace_prefix}{in_us}"}},"data":{data}}}'
        )


def encode_str(text: str) -> str:
    """A string as JSON, as msgspec writes it inside a frame."""
    return _encoder.encode(text).decode()


def api_frame(
    req_id: str,
    header: dict[str, Any],
    *,
    result: Any = None,
    label: str = "",
    message: str = "",
    ack: bool = False,
) -> str:
    frame: dict[str, Any] = {"request_id": req_id}
    if ack:
        frame["ack"] = True
    frame["header"] = header
    frame["data"] = {"errs": {"label": label, "message": message}} if label else {"result": result}
    return encode(frame)
