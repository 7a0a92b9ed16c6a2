"""The HTTP application: Gate v4 REST under /api/v4, WebSocket, admin API under
/api/ch/v1/admin, OpenAPI, and /health. Each area contributes its routes from its own module."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

import msgspec
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from clearhouse.api import geofence, openapi, rest
from clearhouse.api.admin import cases as admin_cases
from clearhouse.api.admin import routes as admin_routes
from clearhouse.api.client_ip import ClientAddress
from clearhouse.api.errors import METHOD_NOT_ALLOWED, NOT_FOUND, ApiError, error_response
from clearhouse.api.gateway import build_routes
from clearhouse.api.rate_limit import RateLimiter
from clearhouse.api.runtime import Runtime, Settings
from clearhouse.api.sealing import MasterKey
from clearhouse.api.sequencer import AsyncSequencer
from clearhouse.api.sim_clock import SimClock
from clearhouse.api.ws import websocket_routes
from clearhouse.projections import Projections
from clearhouse.surveillance.service import ComplianceMonitoring
from clearhouse.venue import Venue

RouteFactory = Callable[[Runtime], Sequence[BaseRoute]]


def _install_clock(venue: Venue, settings: Settings) -> SimClock | None:
    """In demo mode the venue runs on a simulated clock the admin API can move forward."""
    if not settings.demo:
        return venue.clock if isinstance(venue.clock, SimClock) else None
    clock = venue.clock if isinstance(venue.clock, SimClock) else SimClock(venue.clock)
    clock.catch_up(venue.engine.state.time_ns)
    venue.clock = clock
    return clock


def create_app(
    venue: Venue, settings: Settings, extra_routes: Sequence[RouteFactory] = ()
) -> Starlette:
    """Build the application. Read models are rebuilt from the journal (when the venue has a
    data dir) and registered as a venue listener here, before any traffic."""
    clock = _install_clock(venue, settings)
    projections = Projections()
    venue.replay_into(projections)
    venue.listeners.append(projections)
    # AML and market surveillance, cases and the audit log: a listener rebuilt from the journal
    monitoring = ComplianceMonitoring.start(
        venue, settings.data_dir or venue.data_dir, settings.rules_dir
    )
    geofence.apply_local_policy(venue, settings)  # journaled, so the engine decides the same
    runtime = Runtime(
        venue=venue,
        sequencer=AsyncSequencer(venue),
        settings=settings,
        projections=projections,
        master_key=MasterKey.load(settings.data_dir or venue.data_dir),
        client_address=ClientAddress(settings.trusted_proxies),
        ip_limiter=RateLimiter(settings.ip_rate_per_s, settings.ip_burst),
        key_limiter=RateLimiter(settings.key_rate_per_s, settings.key_burst),
        clock=clock,
        monitoring=monitoring,
    )
    endpoints = rest.endpoints() + admin_routes.endpoints() + admin_cases.endpoints()
    document = msgspec.json.encode(openapi.document(endpoints))

    async def health(request: Request) -> JSONResponse:
        state = venue.engine.state
        return JSONResponse(
            {
                "status": "ok" if runtime.sequencer.failed is None else "failed",
                "mode": "demo" if settings.demo else "live",
                "seq": state.seq,
                "markets": sorted(state.markets),
                "projection_failures": projections.failures,
            }
        )

    async def openapi_json(request: Request) -> Response:
        return Response(document, media_type="application/json")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        runtime.sequencer.start()
        monitoring.start_case_task(runtime.sequencer.submit)
        try:
            yield
        finally:
            await monitoring.stop()
            await runtime.sequencer.stop()
            monitoring.close()

    routes: list[BaseRoute] = [
        Route("/health", health),
        Route(openapi.OPENAPI_PATH, openapi_json),
        *build_routes(runtime, endpoints),
    ]
    routes += websocket_routes(runtime)
    for factory in extra_routes:
        routes.extend(factory(runtime))
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={404: _not_found, 405: _not_allowed},
    )
    app.state.runtime = runtime
    return app


async def _not_found(request: Request, exc: Exception) -> Response:
    return error_response(ApiError(NOT_FOUND, f"no route {request.url.path}"))


async def _not_allowed(request: Request, exc: Exception) -> Response:
    allow = exc.headers.get("Allow", "") if isinstance(exc, HTTPException) and exc.headers else ""
    headers = {"Allow": allow} if allow else None
    return error_response(ApiError(METHOD_NOT_ALLOWED, f"{request.method} not allowed"), headers)
