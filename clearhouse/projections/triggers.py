"""Trigger (price) orders: open ones and each account's finished ones.

A trigger's details are only in the command that placed it; this projection keeps them so the
API can show a trigger after the engine has fired, cancelled or expired it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, Final

from clearhouse.core.commands import Envelope, PlaceOrder, PlaceTriggerOrder
from clearhouse.core.events import Event, TriggerClosed, TriggerFired, TriggerPlaced

MAX_FINISHED_TRIGGERS_PER_ACCOUNT: Final = 1_000

OPEN: Final = "open"
FIRED: Final = "finish"  # Gate's word for a trigger that placed its order
FAILED: Final = "failed"  # fired, but the order it placed was refused
CANCELLED: Final = "cancelled"
EXPIRED: Final = "expired"


class TriggerRecord:
    __slots__ = (
        "trigger_id",
        "account",
        "market",
        "trigger_price_ticks",
        "rule",
        "expires_at_ns",
        "order",
        "create_time_ns",
        "finish_time_ns",
        "status",
        "fired_order_id",
        "reason",
    )

    def __init__(self, command: PlaceTriggerOrder, trigger_id: int, time_ns: int) -> None:
        self.trigger_id = trigger_id
        self.account = command.account
        self.market = command.market
        self.trigger_price_ticks = command.trigger_price_ticks
        self.rule = command.rule
        self.expires_at_ns = command.expires_at_ns
        self.order: PlaceOrder = command.order
        self.create_time_ns = time_ns
        self.finish_time_ns = 0
        self.status = OPEN
        self.fired_order_id = 0
        self.reason = ""


class TriggerHistory:
    def __init__(self, capacity: int = MAX_FINISHED_TRIGGERS_PER_ACCOUNT) -> None:
        self.capacity = capacity
        self.open: dict[int, TriggerRecord] = {}
        self.open_by_account: dict[int, dict[int, TriggerRecord]] = {}
        self.finished: dict[int, TriggerRecord] = {}
        self.finished_by_account: dict[int, deque[TriggerRecord]] = {}

    def handlers(self) -> dict[type[Event], Callable[[Envelope, Any], None]]:
        return {
            TriggerPlaced: self._on_placed,
            TriggerFired: self._on_fired,
            TriggerClosed: self._on_closed,
        }

    def _on_placed(self, envelope: Envelope, event: TriggerPlaced) -> None:
        command = envelope.command
        assert isinstance(command, PlaceTriggerOrder), "only PlaceTriggerOrder places triggers"
        record = TriggerRecord(command, event.trigger_id, envelope.time_ns)
        self.open[event.trigger_id] = record
        self.open_by_account.setdefault(record.account, {})[event.trigger_id] = record

    def _on_fired(self, envelope: Envelope, event: TriggerFired) -> None:
        status = FIRED if event.order_id else FAILED
        self._finish(event.trigger_id, status, envelope.time_ns, event.order_id, event.reject_label)

    def _on_closed(self, envelope: Envelope, event: TriggerClosed) -> None:
        status = CANCELLED if event.reason == "cancelled" else EXPIRED
        self._finish(event.trigger_id, status, envelope.time_ns, 0, event.reason)

    def _finish(
        self, trigger_id: int, status: str, time_ns: int, order_id: int, reason: str
    ) -> None:
        record = self.open.pop(trigger_id, None)
        if record is None:  # pragma: no cover - every close follows a placement
            return
        mine = self.open_by_account[record.account]
        del mine[trigger_id]
        if not mine:
            del self.open_by_account[record.account]
        record.status = status
        record.finish_time_ns = time_ns
        record.fired_order_id = order_id
        record.reason = reason
        ring = self.finished_by_account.get(record.account)
        if ring is None:
            ring = self.finished_by_account[record.account] = deque()
        if len(ring) >= self.capacity:
            del self.finished[ring.popleft().trigger_id]
        ring.append(record)
        self.finished[trigger_id] = record

    def find(self, account: int, trigger_id: int) -> TriggerRecord | None:
        record = self.open.get(trigger_id) or self.finished.get(trigger_id)
        return record if record is not None and record.account == account else None

    def open_for(self, account: int) -> list[TriggerRecord]:
        mine = self.open_by_account.get(account, {})
        return [mine[trigger_id] for trigger_id in sorted(mine, reverse=True)]

    def finished_newest_first(self, account: int) -> Iterator[TriggerRecord]:
        return reversed(self.finished_by_account.get(account, ()))
