"""Fixtures for the WebSocket tests (helpers live in ws_support.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ws_support import WsVenue, start_ws_venue

from clearhouse.api.ws import WsLimits


@pytest.fixture(scope="module")
def ws_venue() -> Iterator[WsVenue]:
    """The WebSocket gateway with default limits (shared by a module's tests)."""
    running = start_ws_venue(WsLimits())
    yield running
    running.server.stop()
