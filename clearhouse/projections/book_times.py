"""When each market's book last changed (Gate's order book `update` field, in ms)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from clearhouse.core.commands import Envelope
from clearhouse.core.events import Event, OrderAccepted, OrderAmended, OrderClosed, Traded


class BookTimes:
    def __init__(self) -> None:
        self.updated_ns: dict[str, int] = {}

    def handlers(self) -> dict[type[Event], Callable[[Envelope, Any], None]]:
        # Any order event may have touched the visible book; an over-approximation is harmless
        # (the time can only be later than the true last change, never earlier).
        return {
            OrderAccepted: self._touch,
            OrderAmended: self._touch,
            OrderClosed: self._touch,
            Traded: self._touch,
        }

    def _touch(self, envelope: Envelope, event: OrderAccepted) -> None:
        self.updated_ns[event.market] = envelope.time_ns
