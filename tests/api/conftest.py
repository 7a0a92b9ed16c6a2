"""Fixtures for the gateway tests (helpers live in api_support.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_support import Admin, LiveServer, settings

from clearhouse.venue import Venue


@pytest.fixture(scope="module")
def live() -> Iterator[LiveServer]:
    """One demo venue per test module (in memory), rate limits off."""
    with LiveServer(Venue(None), settings()) as server:
        yield server


@pytest.fixture(scope="module")
def admin(live: LiveServer) -> Admin:
    return Admin(live)
