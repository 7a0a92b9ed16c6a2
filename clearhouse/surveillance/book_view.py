"""The resting orders of every market, rebuilt from events, for market surveillance.

Spoofing indicators need the touch (best bid and ask) when an order arrives and an order's
lifetime when it leaves; the engine's book is not visible to a read model, so this view follows
OrderAccepted, Traded, OrderAmended and OrderClosed. Only orders with a limit price can rest;
an order is forgotten when it closes, so memory is bounded by the engine's open-order limits.
"""

from __future__ import annotations

from sortedcontainers import SortedDict

from clearhouse.core.book import BUY
from clearhouse.core.events import Event, OrderAccepted, OrderAmended, OrderClosed, Traded


class TrackedOrder:
    __slots__ = (
        "order_id",
        "account",
        "market",
        "side",
        "price_ticks",
        "remaining_lots",
        "placed_ns",
    )

    def __init__(self, event: OrderAccepted) -> None:
        self.order_id = event.order_id
        self.account = event.account
        self.market = event.market
        self.side = event.side
        self.price_ticks = event.price_ticks
        self.remaining_lots = event.size_lots
        self.placed_ns = event.time_ns


class BookView:
    def __init__(self) -> None:
        self.orders: dict[int, TrackedOrder] = {}
        self._levels: dict[tuple[str, int], SortedDict] = {}  # (market, side) -> ticks -> lots

    def touch(self, market: str, side: int) -> int | None:
        """Best bid (side BUY) or best ask (side SELL), None when that side is empty."""
        levels = self._levels.get((market, side))
        if not levels:
            return None
        ticks: int = levels.peekitem(-1 if side == BUY else 0)[0]
        return ticks

    def learn(self, event: Event) -> None:
        if type(event) is OrderAccepted:
            self._accepted(event)
        elif type(event) is Traded:
            self._traded(event)
        elif type(event) is OrderClosed:
            self._closed(event)
        elif type(event) is OrderAmended:
            self._amended(event)

    def _add(self, order: TrackedOrder, lots: int) -> None:
        key = (order.market, order.side)
        levels = self._levels.get(key)
        if levels is None:
            levels = self._levels[key] = SortedDict()
        total = levels.get(order.price_ticks, 0) + lots
        if total > 0:
            levels[order.price_ticks] = total
        else:
            levels.pop(order.price_ticks, None)

    def _accepted(self, event: OrderAccepted) -> None:
        if event.price_ticks <= 0 or event.size_lots <= 0:
            return  # a market order never rests
        order = TrackedOrder(event)
        self.orders[order.order_id] = order
        self._add(order, order.remaining_lots)

    def _reduce(self, order_id: int, lots: int) -> None:
        order = self.orders.get(order_id)
        if order is not None:
            lots = min(lots, order.remaining_lots)
            order.remaining_lots -= lots
            self._add(order, -lots)

    def _traded(self, event: Traded) -> None:
        self._reduce(event.maker_order, event.size_lots)
        self._reduce(event.taker_order, event.size_lots)

    def _closed(self, event: OrderClosed) -> None:
        order = self.orders.pop(event.order_id, None)
        if order is not None:
            self._add(order, -order.remaining_lots)

    def _amended(self, event: OrderAmended) -> None:
        order = self.orders.get(event.order_id)
        if order is None:
            return
        self._add(order, -order.remaining_lots)
        order.price_ticks = event.price_ticks
        order.remaining_lots = event.remaining_lots
        self._add(order, order.remaining_lots)
