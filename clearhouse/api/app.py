"""The HTTP application. The venue core serves `/health`; the API layer adds the rest."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from clearhouse.venue import Venue


def create_app(venue: Venue, *, demo: bool) -> Starlette:
    async def health(request: Request) -> JSONResponse:
        state = venue.engine.state
        return JSONResponse(
            {
                "status": "ok",
                "mode": "demo" if demo else "live",
                "seq": state.seq,
                "markets": sorted(state.markets),
            }
        )

    return Starlette(routes=[Route("/health", health)])
