"""Trigger (price) orders: place an order when the last price crosses a level, or expire.

Each market keeps two heaps so a price move touches only the triggers it fires:
rule GE fires when last >= trigger (min-heap on trigger price), rule LE when last <= trigger
(max-heap). Cancelled or expired triggers stay in the heaps and are skipped when popped.
"""

from __future__ import annotations

import heapq
from typing import Final

from clearhouse.core.commands import PlaceOrder

RULE_GE: Final = 0
RULE_LE: Final = 1

OPEN: Final = "open"
FIRED: Final = "finished"
CANCELLED: Final = "cancelled"
EXPIRED: Final = "expired"

MAX_TRIGGERS_PER_ACCOUNT: Final = 100
MAX_FIRED_PER_COMMAND: Final = 1_000  # bounds a cascade of triggers firing triggers


class Trigger:
    __slots__ = (
        "trigger_id",
        "account",
        "market",
        "trigger_price_ticks",
        "rule",
        "expires_at_ns",
        "order",
        "status",
        "fired_order_id",
        "create_time_ns",
        "reject_label",
    )

    def __init__(
        self,
        trigger_id: int,
        account: int,
        market: str,
        trigger_price_ticks: int,
        rule: int,
        expires_at_ns: int,
        order: PlaceOrder,
        time_ns: int,
    ) -> None:
        self.trigger_id = trigger_id
        self.account = account
        self.market = market
        self.trigger_price_ticks = trigger_price_ticks
        self.rule = rule
        self.expires_at_ns = expires_at_ns
        self.order = order
        self.status = OPEN
        self.fired_order_id = 0
        self.create_time_ns = time_ns
        self.reject_label = ""


class TriggerBook:
    """The open triggers of one market."""

    __slots__ = ("triggers", "ge_heap", "le_heap")

    def __init__(self) -> None:
        self.triggers: dict[int, Trigger] = {}
        self.ge_heap: list[tuple[int, int]] = []  # (trigger price, id)
        self.le_heap: list[tuple[int, int]] = []  # (-trigger price, id)

    def add(self, trigger: Trigger) -> None:
        self.triggers[trigger.trigger_id] = trigger
        if trigger.rule == RULE_GE:
            heapq.heappush(self.ge_heap, (trigger.trigger_price_ticks, trigger.trigger_id))
        else:
            heapq.heappush(self.le_heap, (-trigger.trigger_price_ticks, trigger.trigger_id))

    def discard(self, trigger_id: int) -> None:
        del self.triggers[trigger_id]
        # closed triggers linger in the heaps until popped; bound that to the open ones
        if len(self.ge_heap) + len(self.le_heap) > 2 * len(self.triggers) + 64:
            self.compact()

    def due(self, last_price_ticks: int, limit: int) -> list[Trigger]:
        """Pop up to `limit` open triggers the last price has crossed, oldest id first per side."""
        out: list[Trigger] = []
        ge, le, triggers = self.ge_heap, self.le_heap, self.triggers
        while ge and ge[0][0] <= last_price_ticks and len(out) < limit:
            trigger = triggers.get(heapq.heappop(ge)[1])
            if trigger is not None:
                out.append(trigger)
        while le and -le[0][0] >= last_price_ticks and len(out) < limit:
            trigger = triggers.get(heapq.heappop(le)[1])
            if trigger is not None:
                out.append(trigger)
        out.sort(key=lambda t: t.trigger_id)
        return out

    def compact(self) -> None:
        """Drop heap entries of closed triggers (keeps memory bounded by open triggers)."""
        live = self.triggers
        self.ge_heap = [e for e in self.ge_heap if e[1] in live]
        self.le_heap = [e for e in self.le_heap if e[1] in live]
        heapq.heapify(self.ge_heap)
        heapq.heapify(self.le_heap)
