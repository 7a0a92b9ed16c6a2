"""Read models: what the gateway serves that the engine does not keep (history, candles, ...).

Every projection is fed only by the venue's `(envelope, events)` stream, so it can be rebuilt
from the journal at any time (`Venue.replay_into`). `Projections` is the one listener the venue
calls: it walks a command's events once and hands each to the projections that asked for its
type. Every buffer is bounded by a named constant; history beyond it is dropped oldest first.

Projections hold integers and names only. Turning them into Gate's decimal strings happens at the
API edge, with the market's units from the engine state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from clearhouse.core.commands import Envelope
from clearhouse.core.events import Event
from clearhouse.projections.book_times import BookTimes
from clearhouse.projections.candles import Candles
from clearhouse.projections.orders import OrderHistory
from clearhouse.projections.public_trades import PublicTrades
from clearhouse.projections.triggers import TriggerHistory
from clearhouse.projections.user_trades import UserTrades
from clearhouse.projections.wallet import WalletHistory

EventHandler = Callable[[Envelope, Event], None]

log = logging.getLogger("clearhouse.projections")


class Projections:
    """All read models, fed as a single venue listener."""

    def __init__(self) -> None:
        self.orders = OrderHistory()
        self.user_trades = UserTrades(self.orders)
        self.public_trades = PublicTrades()
        self.candles = Candles()
        self.wallet = WalletHistory()
        self.triggers = TriggerHistory()
        self.book_times = BookTimes()
        self.last_seq = 0
        self.failures = 0  # handler errors; a read model must never stop the venue's write path
        # Order matters where one projection reads another: user trades read the order's text
        # from the order history, so the order history sees each event first.
        parts = (
            self.orders,
            self.user_trades,
            self.public_trades,
            self.candles,
            self.wallet,
            self.triggers,
            self.book_times,
        )
        table: dict[type[Event], list[EventHandler]] = {}
        for part in parts:
            for event_type, handler in part.handlers().items():
                table.setdefault(event_type, []).append(handler)
        self._table = {event_type: tuple(hs) for event_type, hs in table.items()}

    def __call__(self, envelope: Envelope, events: list[Event]) -> None:
        """Called by the venue on its write path, after each command is applied: it must not
        raise, so a failing handler is logged and counted (and /health reports it)."""
        table = self._table
        for event in events:
            handlers = table.get(type(event))
            if handlers is not None:
                for handler in handlers:
                    try:
                        handler(envelope, event)
                    except Exception:
                        self.failures += 1
                        log.exception("projection failed on %s at seq %d", event, envelope.seq)
        self.last_seq = envelope.seq
