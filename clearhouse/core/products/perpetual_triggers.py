"""Contract trigger orders (Gate futures `price_orders`): when the last, mark or index price
crosses a level (rule >= or <=), place an order; optional expiry; trailing stops.

- Position take-profit / stop-loss: the trigger's order is a close order (size 0 with `close`,
  or `auto_size` in hedge mode), so it closes whatever the position is when it fires.
- Trailing stop (`trail_ppm` > 0): a `<=` trigger follows the highest price seen since it was
  placed and fires when the price falls `trail_ppm` below it; a `>=` trigger follows the lowest.
- Margin is not reserved while a trigger waits (as at Gate); when it fires its order passes the
  policy gate and every check of a new order, and may be refused then (recorded on the event).
- Evaluation: last-price triggers after trades in the contract, mark and index triggers after a
  price update; none while the contract is outside its session, all of them at the reopening.
  Firing is bounded per command so a cascade cannot run away.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING, Final

from clearhouse.core.commands import (
    CancelContractTrigger,
    Facts,
    PlaceContractOrder,
    PlaceContractTrigger,
)
from clearhouse.core.context import Context
from clearhouse.core.errors import INVALID_PARAM_VALUE, ORDER_NOT_FOUND, TOO_MANY_ORDERS, Rejected
from clearhouse.core.events import (
    ContractOrderAccepted,
    ContractTriggerClosed,
    ContractTriggerFired,
    ContractTriggerPlaced,
)
from clearhouse.core.products.perpetual_contract import PPM
from clearhouse.core.triggers import MAX_FIRED_PER_COMMAND, RULE_GE, RULE_LE

if TYPE_CHECKING:
    from clearhouse.core.policy import PolicyGate
    from clearhouse.core.products.perpetual_state import PerpMarket
    from clearhouse.core.state import State

PRICE_LAST: Final = 0
PRICE_MARK: Final = 1
PRICE_INDEX: Final = 2
PRICE_TYPES: Final = (PRICE_LAST, PRICE_MARK, PRICE_INDEX)

MAX_TRIGGERS_PER_ACCOUNT: Final = 100
MAX_TRAILING_PER_CONTRACT: Final = 10_000
TRIGGER_FACTS: Final = Facts(channel="trigger")


class PerpTrigger:
    __slots__ = (
        "trigger_id",
        "account",
        "contract",
        "price_type",
        "rule",
        "trigger_price_ticks",
        "expires_at_ns",
        "order",
        "trail_ppm",
        "extreme_ticks",
        "create_time_ns",
    )

    def __init__(self, trigger_id: int, cmd: PlaceContractTrigger, time_ns: int) -> None:
        self.trigger_id = trigger_id
        self.account = cmd.account
        self.contract = cmd.contract
        self.price_type = cmd.price_type
        self.rule = cmd.rule
        self.trigger_price_ticks = cmd.trigger_price_ticks
        self.expires_at_ns = cmd.expires_at_ns
        self.order = cmd.order
        self.trail_ppm = cmd.trail_ppm
        self.extreme_ticks = 0  # trailing: the best price seen so far
        self.create_time_ns = time_ns

    def trail_level(self) -> int:
        move = self.extreme_ticks * self.trail_ppm // PPM
        return self.extreme_ticks - move if self.rule == RULE_LE else self.extreme_ticks + move


class PerpTriggerBook:
    """One contract's open triggers: per price type a min-heap of `>=` levels and a max-heap
    of `<=` levels (closed triggers are skipped when popped), and the trailing stops."""

    __slots__ = ("triggers", "ge", "le", "trailing")

    def __init__(self) -> None:
        self.triggers: dict[int, PerpTrigger] = {}
        self.ge: list[list[tuple[int, int]]] = [[] for _ in PRICE_TYPES]
        self.le: list[list[tuple[int, int]]] = [[] for _ in PRICE_TYPES]
        self.trailing: dict[int, PerpTrigger] = {}

    def add(self, trigger: PerpTrigger) -> None:
        self.triggers[trigger.trigger_id] = trigger
        if trigger.trail_ppm:
            self.trailing[trigger.trigger_id] = trigger
        elif trigger.rule == RULE_GE:
            heapq.heappush(
                self.ge[trigger.price_type], (trigger.trigger_price_ticks, trigger.trigger_id)
            )
        else:
            heapq.heappush(
                self.le[trigger.price_type], (-trigger.trigger_price_ticks, trigger.trigger_id)
            )

    def discard(self, trigger_id: int) -> None:
        del self.triggers[trigger_id]
        self.trailing.pop(trigger_id, None)
        if sum(len(h) for h in self.ge + self.le) > 2 * len(self.triggers) + 64:
            live = self.triggers
            for heaps in (self.ge, self.le):
                for i, heap in enumerate(heaps):
                    heaps[i] = [e for e in heap if e[1] in live]
                    heapq.heapify(heaps[i])

    def due(self, price_type: int, price_ticks: int, limit: int) -> list[PerpTrigger]:
        out: list[PerpTrigger] = []
        ge, le, live = self.ge[price_type], self.le[price_type], self.triggers
        while ge and ge[0][0] <= price_ticks and len(out) < limit:
            trigger = live.get(heapq.heappop(ge)[1])
            if trigger is not None:
                out.append(trigger)
        while le and -le[0][0] >= price_ticks and len(out) < limit:
            trigger = live.get(heapq.heappop(le)[1])
            if trigger is not None:
                out.append(trigger)
        for trigger in list(self.trailing.values()):
            if trigger.price_type != price_type or len(out) >= limit:
                continue
            if not trigger.extreme_ticks:
                trigger.extreme_ticks = trigger.trigger_price_ticks or price_ticks
            if trigger.rule == RULE_LE:
                trigger.extreme_ticks = max(trigger.extreme_ticks, price_ticks)
                if price_ticks <= trigger.trail_level():
                    out.append(trigger)
            else:
                trigger.extreme_ticks = min(trigger.extreme_ticks, price_ticks)
                if price_ticks >= trigger.trail_level():
                    out.append(trigger)
        out.sort(key=lambda t: t.trigger_id)
        return out


def _validate_order_shape(pm: PerpMarket, cmd: PlaceContractTrigger) -> None:
    order: PlaceContractOrder = cmd.order
    if order.account != cmd.account or order.contract != cmd.contract:
        raise Rejected(INVALID_PARAM_VALUE, "the order must be for the same account and contract")
    if order.size == 0 and not (order.close or order.auto_size):
        raise Rejected(INVALID_PARAM_VALUE, "size 0 is only for close orders")
    if abs(order.size) > pm.spec.max_size or not 0 <= order.price_ticks <= pm.spec.max_price_ticks:
        raise Rejected(INVALID_PARAM_VALUE, "order size or price out of range")
    if order.tif < 0 or order.tif > 3 or order.display_size:
        raise Rejected(INVALID_PARAM_VALUE, "trigger orders are gtc, ioc, fok or poc, not icebergs")


def place_contract_trigger(state: State, cmd: PlaceContractTrigger, ctx: Context) -> None:
    from clearhouse.core.products.perpetual import require_contract

    pm = require_contract(state, cmd.contract)
    state.require_account(cmd.account)
    if cmd.price_type not in PRICE_TYPES:
        raise Rejected(INVALID_PARAM_VALUE, "price_type must be last (0), mark (1) or index (2)")
    if cmd.rule != RULE_GE and cmd.rule != RULE_LE:
        raise Rejected(INVALID_PARAM_VALUE, "rule must be >= or <=")
    if not 0 <= cmd.trail_ppm < PPM:
        raise Rejected(INVALID_PARAM_VALUE, "trail must be 0..100 %")
    if not cmd.trail_ppm and not 0 < cmd.trigger_price_ticks <= pm.spec.max_price_ticks:
        raise Rejected(INVALID_PARAM_VALUE, "trigger price out of range")
    if cmd.expires_at_ns and cmd.expires_at_ns <= ctx.time_ns:
        raise Rejected(INVALID_PARAM_VALUE, "expiration is in the past")
    _validate_order_shape(pm, cmd)
    held = sum(1 for t in pm.triggers.triggers.values() if t.account == cmd.account)
    if held >= MAX_TRIGGERS_PER_ACCOUNT:
        raise Rejected(TOO_MANY_ORDERS, "too many open trigger orders")
    if cmd.trail_ppm and len(pm.triggers.trailing) >= MAX_TRAILING_PER_CONTRACT:
        raise Rejected(TOO_MANY_ORDERS, "too many trailing stops on this contract")
    # --- nothing above this line writes ---
    perps = state.perps
    trigger = PerpTrigger(perps.next_trigger_id, cmd, ctx.time_ns)
    perps.next_trigger_id += 1
    if cmd.trail_ppm:
        trigger.extreme_ticks = cmd.trigger_price_ticks or _price(pm, cmd.price_type)
    pm.triggers.add(trigger)
    perps.triggers_by_contract[trigger.trigger_id] = cmd.contract
    if cmd.expires_at_ns:
        perps.push_expiry(cmd.expires_at_ns, trigger.trigger_id, cmd.contract)
    ctx.events.append(
        ContractTriggerPlaced(
            trigger.trigger_id, cmd.account, cmd.contract, cmd.price_type, cmd.rule,
            cmd.trigger_price_ticks,
        )
    )  # fmt: skip


def cancel_contract_trigger(state: State, cmd: CancelContractTrigger, ctx: Context) -> None:
    from clearhouse.core.products.perpetual import require_contract

    pm = require_contract(state, cmd.contract)
    trigger = pm.triggers.triggers.get(cmd.trigger_id)
    if trigger is None or trigger.account != cmd.account:
        raise Rejected(ORDER_NOT_FOUND, f"trigger order {cmd.trigger_id} not found")
    # --- nothing above this line writes ---
    _close(state, pm, trigger, "cancelled", ctx)


def _close(state: State, pm: PerpMarket, trigger: PerpTrigger, reason: str, ctx: Context) -> None:
    pm.triggers.discard(trigger.trigger_id)
    state.perps.triggers_by_contract.pop(trigger.trigger_id, None)
    ctx.events.append(
        ContractTriggerClosed(trigger.trigger_id, trigger.account, trigger.contract, reason)
    )


def _price(pm: PerpMarket, price_type: int) -> int:
    if price_type == PRICE_LAST:
        return pm.book.last_price_ticks
    if price_type == PRICE_MARK:
        return pm.mark_ticks
    return pm.index_ticks


def expire_due(state: State, ctx: Context) -> None:
    perps = state.perps
    heap = perps.trigger_expiries
    now = ctx.time_ns
    done = 0
    while heap and heap[0][0] <= now and done < MAX_FIRED_PER_COMMAND:
        _, trigger_id, contract = heapq.heappop(heap)
        pm = perps.contracts[contract]
        trigger = pm.triggers.triggers.get(trigger_id)
        if trigger is not None:
            _close(state, pm, trigger, "expired", ctx)
            done += 1


def fire_due(state: State, gate: PolicyGate, ctx: Context) -> None:
    """Fire the triggers crossed by this command's trades and price updates."""
    perps = state.perps
    budget = MAX_FIRED_PER_COMMAND
    pending: list[tuple[str, int]] = [(name, PRICE_LAST) for name in perps.traded]
    for name in perps.marks_moved:
        pending += [(name, PRICE_MARK), (name, PRICE_INDEX)]
    perps.traded.clear()
    seen: set[tuple[str, int]] = set()
    while pending and budget > 0:
        name, price_type = pending.pop(0)
        if (name, price_type) in seen and price_type != PRICE_LAST:
            continue
        seen.add((name, price_type))
        pm = perps.contracts[name]
        price = _price(pm, price_type)
        if not pm.triggers.triggers or not price or not pm.session_open:
            continue
        for trigger in pm.triggers.due(price_type, price, budget):
            budget -= 1
            _fire(state, gate, pm, trigger, ctx)
        for traded in perps.traded:  # fired orders traded: their last price may fire more
            pending.append((traded, PRICE_LAST))
        perps.traded.clear()


def _fire(
    state: State, gate: PolicyGate, pm: PerpMarket, trigger: PerpTrigger, ctx: Context
) -> None:
    from clearhouse.core.products.perpetual import place_contract_order

    pm.triggers.discard(trigger.trigger_id)
    state.perps.triggers_by_contract.pop(trigger.trigger_id, None)
    mark = len(ctx.events)
    try:
        gate.check(state, trigger.order, TRIGGER_FACTS)
        place_contract_order(state, trigger.order, ctx)
    except Rejected as rejected:
        del ctx.events[mark:]
        ctx.events.append(
            ContractTriggerFired(
                trigger.trigger_id, trigger.account, trigger.contract, 0, rejected.label
            )
        )
        return
    accepted = ctx.events[mark]
    assert isinstance(accepted, ContractOrderAccepted)
    ctx.events.append(
        ContractTriggerFired(
            trigger.trigger_id, trigger.account, trigger.contract, accepted.order_id, ""
        )
    )
