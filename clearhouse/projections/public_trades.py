"""The most recent public trades of each market, newest last, in a ring buffer."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any, Final

from clearhouse.core.commands import Envelope
from clearhouse.core.events import Event, Traded

MAX_PUBLIC_TRADES_PER_MARKET: Final = 10_000


class PublicTrades:
    def __init__(self, capacity: int = MAX_PUBLIC_TRADES_PER_MARKET) -> None:
        self.capacity = capacity
        self.by_market: dict[str, deque[Traded]] = {}

    def handlers(self) -> dict[type[Event], Callable[[Envelope, Any], None]]:
        return {Traded: self._on_traded}

    def _on_traded(self, envelope: Envelope, event: Traded) -> None:
        ring = self.by_market.get(event.market)
        if ring is None:
            ring = self.by_market[event.market] = deque(maxlen=self.capacity)
        ring.append(event)

    def newest_first(self, market: str) -> Iterator[Traded]:
        return reversed(self.by_market.get(market, ()))

    def query(
        self,
        market: str,
        limit: int,
        last_id: int = 0,
        reverse: bool = False,
        from_ns: int = 0,
        to_ns: int = 0,
    ) -> list[Traded]:
        """Gate's `GET /spot/trades`: newest first; `last_id` pages (ids above it, or below it
        with `reverse`); `from_ns`/`to_ns` bound the trade time (0 = open)."""

        def keep(trade: Traded) -> bool:
            if last_id and (trade.trade_id >= last_id if reverse else trade.trade_id <= last_id):
                return False
            if from_ns and trade.time_ns < from_ns:
                return False
            return not (to_ns and trade.time_ns > to_ns)

        if not last_id or reverse:
            return list(islice(filter(keep, self.newest_first(market)), limit))
        # ids above last_id: the `limit` oldest of them, still returned newest first
        ring = self.by_market.get(market, ())
        oldest_first = list(islice(filter(keep, ring), limit))
        oldest_first.reverse()
        return oldest_first
