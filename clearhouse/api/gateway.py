"""The request pipeline every REST and admin route runs through, in this order:

    client IP (trusted proxies) -> per-IP rate limit -> query and body size limits
    -> authentication (Gate v4 signature, or the admin bearer token) -> per-key rate limit
    -> IP allow-list for reads -> parameters -> handler -> JSON response

Writes are commands: the handler submits them with `Facts` (channel, IP, country, key, actor), and
the engine's policy gate decides permissions and allow-lists again, so the decision and its
evidence are in the journal. Nothing is submitted before the request has passed every check here.
"""

from __future__ import annotations

import functools
import hmac
import logging
import re
import time
from collections.abc import Callable, Coroutine
from typing import Any, Final

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from clearhouse.api import geofence, signing, step_up
from clearhouse.api.client_ip import country_of
from clearhouse.api.endpoint import Call, Endpoint
from clearhouse.api.errors import (
    FORBIDDEN,
    INVALID_CONTENT_TYPE,
    INVALID_CREDENTIALS,
    INVALID_KEY,
    INVALID_PARAM_VALUE,
    INVALID_SIGNATURE,
    MISSING_REQUIRED_HEADER,
    REQUEST_EXPIRED,
    REQUEST_TOO_LARGE,
    SERVER_ERROR,
    TOO_MANY_REQUESTS,
    ApiError,
    error_response,
    from_rejected,
)
from clearhouse.api.params import parse_body, parse_path, parse_query, parse_query_and_body
from clearhouse.api.routing import EndpointDispatch, EndpointRoute
from clearhouse.api.runtime import Runtime
from clearhouse.api.sealing import SealError
from clearhouse.core import api_keys
from clearhouse.core.commands import Facts
from clearhouse.core.errors import Rejected

log = logging.getLogger("clearhouse.api")

REST_CHANNEL: Final = "rest"
ADMIN_CHANNEL: Final = "admin"
MAX_ACTOR_CHARS: Final = 128
MAX_REASON_CHARS: Final = 512
_TIMESTAMP = re.compile(r"^\d{1,12}(\.\d{1,9})?$")
_encoder = msgspec.json.Encoder()


def build_routes(runtime: Runtime, endpoints: list[Endpoint]) -> list[BaseRoute]:
    routes = [
        EndpointRoute(
            e.path, _pipeline(runtime, e), methods=[e.method], name=f"{e.method} {e.path}"
        )
        for e in endpoints
    ]
    return [EndpointDispatch(routes), *routes]


def _pipeline(
    runtime: Runtime, endpoint: Endpoint
) -> Callable[[Request], Coroutine[Any, Any, Response]]:
    async def handle(request: Request) -> Response:
        headers: dict[str, str] = {}
        try:
            call = await _admit(runtime, endpoint, request, headers)
            result = await endpoint.handler(call)
        except ApiError as error:
            return error_response(error, headers)
        except Rejected as rejected:
            return error_response(from_rejected(rejected), headers)
        except Exception:
            log.exception("unhandled error in %s %s", endpoint.method, endpoint.path)
            return error_response(ApiError(SERVER_ERROR, "internal error"), headers)
        return Response(
            _encoder.encode(result),
            status_code=endpoint.status,
            headers=headers,
            media_type="application/json",
        )

    return handle


async def _admit(
    runtime: Runtime, endpoint: Endpoint, request: Request, headers: dict[str, str]
) -> Call:
    settings = runtime.settings
    now = time.time()
    peer = request.client.host if request.client is not None else ""
    header = _header_map(request)
    ip = runtime.client_address.resolve(peer, header.get("x-forwarded-for"))
    verdict = runtime.ip_limiter.take(ip, now)
    headers.update(verdict.headers())
    if not verdict.allowed:
        raise ApiError(TOO_MANY_REQUESTS, "too many requests from this address")
    url_path, raw_query = _url_path_and_query(request)
    if len(raw_query) > settings.max_query_chars:
        raise ApiError(INVALID_PARAM_VALUE, f"query longer than {settings.max_query_chars}")
    body = await _read_body(request, header, settings.max_body_bytes)
    country = country_of(ip)
    geofence.admit(runtime, ip, country)  # 403 for a blocked or unknown country, every call
    account = 0
    key = ""
    actor = ""
    reason = ""
    stepped_up = ""
    if endpoint.access == "signed":
        key, account = _authenticate(runtime, request, header, url_path, raw_query, body, now)
        stepped_up = step_up.verify(runtime, header.get("x-ch-totp"), account)
        verdict = runtime.key_limiter.take(key, now)
        headers.update(verdict.headers())
        if not verdict.allowed:
            raise ApiError(TOO_MANY_REQUESTS, "too many requests with this API key")
        if endpoint.method == "GET":
            # reads never reach the engine, so the key's allow-list is enforced here
            stored = runtime.venue.engine.state.api_keys[key]
            if not api_keys.ip_allowed(stored.ip_allowlist, ip):
                raise ApiError(FORBIDDEN, f"IP {ip} not in the key's allow-list")
    elif endpoint.access == "admin":
        actor, reason = _admit_admin(runtime, request)
        if endpoint.demo_only and not settings.demo:
            raise ApiError(FORBIDDEN, "available in demo mode only")
    if body and (endpoint.body is not None or endpoint.query_and_body):
        _require_json(header)
    path_values = dict(request.path_params)
    if endpoint.query_and_body:
        query = parse_query_and_body(raw_query, body, endpoint.query)
        parsed_body = None
    else:
        query = parse_query(raw_query, endpoint.query)
        parsed_body = parse_body(body, endpoint.body)
    channel = ADMIN_CHANNEL if endpoint.access == "admin" else REST_CHANNEL
    facts = Facts(
        channel=channel, ip=ip, country=country, api_key=key, actor=actor, reason=reason,
        step_up=stepped_up,
    )  # fmt: skip
    return Call(
        runtime=runtime,
        request=request,
        query=query,
        path=parse_path(path_values, endpoint.path_params),
        body=parsed_body,
        facts=facts,
        account=account,
        api_key=key,
    )


def _header_map(request: Request) -> dict[str, str]:
    """The request's headers by (lower-case) name, decoded once; of a repeated header the first,
    as Starlette's `Headers.get` answers."""
    out: dict[str, str] = {}
    for name, value in request.scope["headers"]:
        key = name.decode("latin-1")
        if key not in out:
            out[key] = value.decode("latin-1")
    return out


def _url_path_and_query(request: Request) -> tuple[str, str]:
    """`request.url.path` and `.query` (what clients sign), read straight from the scope when
    rebuilding the URL cannot change them: nothing Starlette escapes (? # \\) or urlsplit drops
    (control characters, trailing blanks), and a path that cannot be read as an authority."""
    scope = request.scope
    path: str = scope["path"]
    query: str = scope["query_string"].decode()
    if (
        path.startswith("/")
        and not path.startswith("//")
        and path.isprintable()
        and "?" not in path
        and "#" not in path
        and "\\" not in path
        and not path.endswith(" ")
        and query.isprintable()
        and "#" not in query
        and not query.endswith(" ")
    ):
        return path, query
    url = request.url
    return url.path, url.query


async def _read_body(request: Request, header: dict[str, str], limit: int) -> bytes:
    declared = header.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise ApiError(INVALID_PARAM_VALUE, "Content-Length is not a number")
        if int(declared) > limit:
            raise ApiError(REQUEST_TOO_LARGE, f"request body larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(REQUEST_TOO_LARGE, f"request body larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _require_json(header: dict[str, str]) -> None:
    content_type = header.get("content-type", "application/json")
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise ApiError(INVALID_CONTENT_TYPE, "request bodies are application/json")


def _authenticate(
    runtime: Runtime, request: Request, header: dict[str, str], path: str, raw_query: str,
    body: bytes, now: float,
) -> tuple[str, int]:  # fmt: skip
    """Gate v4: KEY, Timestamp and SIGN headers; returns (key, account)."""
    key = header.get("key", "")
    timestamp = header.get("timestamp", "")
    signature = header.get("sign", "")
    if not key or not timestamp or not signature:
        raise ApiError(MISSING_REQUIRED_HEADER, "KEY, Timestamp and SIGN headers are required")
    window = runtime.settings.timestamp_window_s
    if not _TIMESTAMP.match(timestamp) or abs(now - float(timestamp)) > window:
        raise ApiError(REQUEST_EXPIRED, f"Timestamp is not within {window}s of server time")
    stored = runtime.venue.engine.state.api_keys.get(key)
    if stored is None or not stored.active:
        raise ApiError(INVALID_KEY, "Invalid key provided")
    secrets = runtime.key_secrets
    try:
        secrets.secret(stored)  # unsealed once, then cached
    except SealError as exc:
        log.error("API key %s cannot be unsealed with this venue's master key", key)
        raise ApiError(INVALID_KEY, "Invalid key provided") from exc
    mac = functools.partial(secrets.sign, stored)
    method = request.scope["method"]
    if not signing.verify_mac(mac, signature, method, path, raw_query, body, timestamp):
        raise ApiError(INVALID_SIGNATURE, "Signature mismatch")
    return key, stored.account


def _admit_admin(runtime: Runtime, request: Request) -> tuple[str, str]:
    """Bearer token; returns (actor, reason) from X-Actor / X-Reason."""
    token = runtime.settings.admin_token
    if not token:
        raise ApiError(FORBIDDEN, "the admin API is disabled: no admin token configured")
    given = request.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        value.strip().encode(), token.encode()
    ):
        raise ApiError(INVALID_CREDENTIALS, "a valid admin bearer token is required")
    actor = request.headers.get("x-actor", "admin")
    reason = request.headers.get("x-reason", "")
    if not actor.isprintable() or len(actor) > MAX_ACTOR_CHARS:
        raise ApiError(INVALID_PARAM_VALUE, f"X-Actor: printable, at most {MAX_ACTOR_CHARS}")
    if not reason.isprintable() or len(reason) > MAX_REASON_CHARS:
        raise ApiError(INVALID_PARAM_VALUE, f"X-Reason: printable, at most {MAX_REASON_CHARS}")
    return actor, reason
