"""One declaration per route: method, path, who may call it, and its request and response shapes.

The shapes are msgspec types. The gateway validates requests against them and the OpenAPI
document is generated from them, so the documentation cannot drift from what the code accepts
and returns. Adding a product's routes is a list of `Endpoint`s in one module (see `api/rest/`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from starlette.requests import Request

from clearhouse.api.errors import SERVER_ERROR, TOO_BUSY, ApiError
from clearhouse.api.runtime import Runtime
from clearhouse.api.sequencer import VenueBusy, VenueFailed
from clearhouse.core.commands import AnyCommand, Facts
from clearhouse.core.events import CommandRejected, Event

# public: anyone (rate limited per IP); signed: Gate v4 API key signature; admin: bearer token
Access = Literal["public", "signed", "admin"]


@dataclass
class Call:
    """One validated request, as a handler sees it."""

    runtime: Runtime
    request: Request
    query: Any  # an instance of the endpoint's query type, or None
    path: Any  # an instance of the endpoint's path type, or None
    body: Any  # the decoded body, or None
    facts: Facts  # what the gateway observed; goes into every command this call submits
    account: int = 0  # the API key's account (signed endpoints)
    api_key: str = ""

    async def submit(self, command: AnyCommand) -> list[Event]:
        """Sequence, journal and apply one command; a rejection becomes an `ApiError`."""
        done = self.submit_nowait(command)
        with contextlib.suppress(VenueFailed):  # `settled` words it
            await done
        return settled(done)

    def submit_nowait(self, command: AnyCommand) -> asyncio.Future[list[Event]]:
        """Queue one command; the future resolves once it is durable and applied, and `settled`
        turns it into `submit`'s answer. Raises `ApiError` when the venue cannot take it."""
        try:
            return self.runtime.sequencer.submit_nowait(command, self.facts)
        except VenueBusy as exc:
            raise ApiError(TOO_BUSY, "the venue is busy, retry later") from exc
        except VenueFailed as exc:
            raise ApiError(SERVER_ERROR, "the venue is not accepting commands") from exc


def settled(done: asyncio.Future[list[Event]]) -> list[Event]:
    """The events of a resolved `Call.submit_nowait`; a rejection becomes an `ApiError`."""
    try:
        events = done.result()
    except VenueFailed as exc:
        raise ApiError(SERVER_ERROR, "the venue is not accepting commands") from exc
    if events and type(events[0]) is CommandRejected:
        rejected = events[0]
        raise ApiError(rejected.label, rejected.message)
    return events


Handler = Callable[[Call], Awaitable[Any]]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # full path, e.g. "/api/v4/spot/orders/{order_id}"
    handler: Handler
    access: Access
    summary: str
    tag: str
    query: Any = None  # a msgspec Struct type for the query string (forbids unknown fields)
    path_params: Any = None  # a msgspec Struct type for the path parameters
    body: Any = None  # a msgspec type for the JSON body
    response: Any = None  # a msgspec type the 2xx response conforms to
    status: int = 200
    # PATCH like Gate's amend: ccxt sends the parameters both in the query and as the body
    query_and_body: bool = False
    demo_only: bool = False
    description: str = ""
