"""Order history: what each order was, for as long as the engine no longer knows it.

The engine forgets an order when it leaves the book. This projection keeps the static facts of
every live order (from `OrderAccepted`, updated by `OrderAmended`) and, when the order closes,
files it with its final fill, fee and `finish_as` in its account's ring of finished orders.
Open orders are served from the engine itself; finished ones from here.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, Final

from clearhouse.core.commands import Command, Envelope, PlaceOrder
from clearhouse.core.events import Event, OrderAccepted, OrderAmended, OrderClosed

MAX_FINISHED_ORDERS_PER_ACCOUNT: Final = 2_000
OPEN: Final = "open"


class OrderRecord:
    """An order's facts as plain ints and words; also the neutral shape the API formats."""

    __slots__ = (
        "order_id",
        "account",
        "market",
        "side",
        "price_ticks",
        "size_lots",
        "quote_units",
        "tif",
        "display_lots",
        "stp_act",
        "text",
        "create_time_ns",
        "update_time_ns",
        "remaining_lots",
        "filled_lots",
        "filled_quote_units",
        "fee_units",
        "finish_as",
    )

    def __init__(
        self,
        order_id: int,
        account: int,
        market: str,
        side: int,
        price_ticks: int,
        size_lots: int,
        quote_units: int,
        tif: int,
        display_lots: int,
        stp_act: int,
        text: str,
        create_time_ns: int,
    ) -> None:
        self.order_id = order_id
        self.account = account
        self.market = market
        self.side = side
        self.price_ticks = price_ticks
        self.size_lots = size_lots
        self.quote_units = quote_units  # market buys: the budget in quote units
        self.tif = tif
        self.display_lots = display_lots
        self.stp_act = stp_act
        self.text = text
        self.create_time_ns = create_time_ns
        self.update_time_ns = create_time_ns
        self.remaining_lots = size_lots
        self.filled_lots = 0
        self.filled_quote_units = 0
        self.fee_units = 0
        self.finish_as = OPEN


def _stp_act(command: Command, event: OrderAccepted) -> int:
    """`OrderAccepted` does not carry the STP action; take it from the command when that command
    is the order itself (not another command whose trade fired a trigger order)."""
    if (
        type(command) is PlaceOrder
        and command.account == event.account
        and command.market == event.market
        and command.side == event.side
        and command.price_ticks == event.price_ticks
        and command.size_lots == event.size_lots
        and command.quote_units == event.quote_units
        and command.text == event.text
    ):
        return command.stp_act
    return 0


class OrderHistory:
    def __init__(self, capacity: int = MAX_FINISHED_ORDERS_PER_ACCOUNT) -> None:
        self.capacity = capacity
        self.live: dict[int, OrderRecord] = {}
        self.finished: dict[int, OrderRecord] = {}
        self.finished_by_account: dict[int, deque[OrderRecord]] = {}

    def handlers(self) -> dict[type[Event], Callable[[Envelope, Any], None]]:
        return {
            OrderAccepted: self._on_accepted,
            OrderAmended: self._on_amended,
            OrderClosed: self._on_closed,
        }

    def _on_accepted(self, envelope: Envelope, event: OrderAccepted) -> None:
        self.live[event.order_id] = OrderRecord(
            event.order_id,
            event.account,
            event.market,
            event.side,
            event.price_ticks,
            event.size_lots,
            event.quote_units,
            event.tif,
            event.display_lots,
            _stp_act(envelope.command, event),
            event.text,
            event.time_ns,
        )

    def _on_amended(self, envelope: Envelope, event: OrderAmended) -> None:
        record = self.live.get(event.order_id)
        if record is not None:
            record.price_ticks = event.price_ticks
            record.size_lots = event.size_lots
            record.remaining_lots = event.remaining_lots
            record.update_time_ns = envelope.time_ns

    def _on_closed(self, envelope: Envelope, event: OrderClosed) -> None:
        record = self.live.pop(event.order_id, None)
        if record is None:  # pragma: no cover - every close follows an accept
            return
        record.filled_lots = event.filled_lots
        record.filled_quote_units = event.filled_quote_units
        record.fee_units = event.fee_units
        record.finish_as = event.finish_as
        record.update_time_ns = event.time_ns
        if record.size_lots:
            record.remaining_lots = record.size_lots - event.filled_lots
        ring = self.finished_by_account.get(record.account)
        if ring is None:
            ring = self.finished_by_account[record.account] = deque()
        if len(ring) >= self.capacity:
            del self.finished[ring.popleft().order_id]
        ring.append(record)
        self.finished[record.order_id] = record

    # --- reads ---------------------------------------------------------------------------------
    def finished_order(self, account: int, order_id: int) -> OrderRecord | None:
        record = self.finished.get(order_id)
        return record if record is not None and record.account == account else None

    def finished_newest_first(self, account: int) -> Iterator[OrderRecord]:
        return reversed(self.finished_by_account.get(account, ()))

    def live_record(self, order_id: int) -> OrderRecord | None:
        return self.live.get(order_id)
