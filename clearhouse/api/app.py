"""The HTTP application: Gate v4 REST under /api/v4, WebSocket, admin API under
/api/ch/v1/admin, OpenAPI, and /health. Each area contributes its routes from its own module."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from clearhouse.api.runtime import Runtime, Settings
from clearhouse.api.sequencer import AsyncSequencer
from clearhouse.venue import Venue


def create_app(venue: Venue, settings: Settings) -> Starlette:
    runtime = Runtime(venue=venue, sequencer=AsyncSequencer(venue), settings=settings)

    async def health(request: Request) -> JSONResponse:
        state = venue.engine.state
        return JSONResponse(
            {
                "status": "ok" if runtime.sequencer.failed is None else "failed",
                "mode": "demo" if settings.demo else "live",
                "seq": state.seq,
                "markets": sorted(state.markets),
            }
        )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        runtime.sequencer.start()
        try:
            yield
        finally:
            await runtime.sequencer.stop()

    routes: list[BaseRoute] = [Route("/health", health)]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.runtime = runtime
    return app
