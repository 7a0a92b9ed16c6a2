"""A small raw-protocol client for the tests: send Gate frames, wait for the ones we want."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

Frame = dict[str, Any]


class Client:
    def __init__(self, connection: ClientConnection) -> None:
        self.ws = connection
        self.seen: list[Frame] = []

    @classmethod
    async def connect(cls, url: str, **kwargs: Any) -> Client:
        return cls(await websockets.connect(url, **kwargs))

    async def send(self, frame: Frame | str) -> None:
        await self.ws.send(frame if isinstance(frame, str) else json.dumps(frame))

    async def request(self, channel: str, event: str, payload: Any = None, **extra: Any) -> None:
        frame: Frame = {"time": int(time.time()), "channel": channel, "event": event}
        if payload is not None:
            frame["payload"] = payload
        frame.update(extra)
        await self.send(frame)

    async def recv(self, timeout: float = 5.0) -> Frame:
        frame: Frame = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        self.seen.append(frame)
        return frame

    async def until(self, match: Callable[[Frame], bool], timeout: float = 5.0) -> Frame:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no matching frame; last seen: {self.seen[-3:]}")
            frame = await self.recv(left)
            if match(frame):
                return frame

    async def answer(self, req_id: str, timeout: float = 5.0) -> Frame:
        """The result (not the ack) of a WebSocket API call."""
        return await self.until(
            lambda f: f.get("request_id") == req_id and not f.get("ack"), timeout
        )

    async def close(self) -> None:
        await self.ws.close()


def is_update(channel: str) -> Callable[[Frame], bool]:
    return lambda f: f.get("channel") == channel and f.get("event") == "update"


def is_reply(channel: str, event: str = "subscribe") -> Callable[[Frame], bool]:
    return lambda f: f.get("channel") == channel and f.get("event") == event
