"""WebSocket requests answered by the REST handlers.

Gate's WebSocket API is its REST API over another transport ("function as api below: POST
/spot/orders"), so `spot.order_place` runs the very handler behind `POST /api/v4/spot/orders`:
same validation, same commands, same labels, same order object. This module builds the `Call`
those handlers take; the REST handlers read only its runtime, parameters, facts and account.
"""

from __future__ import annotations

from typing import Any, Final

from starlette.requests import Request

from clearhouse.api.endpoint import Call
from clearhouse.api.runtime import Runtime
from clearhouse.core.commands import Facts

# The REST handlers never read the HTTP request itself; a WebSocket call has none to give.
_NO_HTTP_REQUEST: Final = Request(
    {"type": "http", "method": "GET", "path": "/ws/v4/", "headers": [], "query_string": b""}
)


def rest_call(
    runtime: Runtime,
    facts: Facts,
    account: int = 0,
    *,
    query: Any = None,
    path: Any = None,
    body: Any = None,
) -> Call:
    return Call(
        runtime=runtime,
        request=_NO_HTTP_REQUEST,
        query=query,
        path=path,
        body=body,
        facts=facts,
        account=account,
        api_key=facts.api_key,
    )
