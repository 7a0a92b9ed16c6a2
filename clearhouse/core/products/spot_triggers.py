"""Spot trigger orders (Gate `price_orders`): stop and take-profit on the last trade price.

Funds are not reserved while a trigger waits (as at Gate); when it fires, its order goes through
the same policy gate and checks as any new order, and may be refused then (recorded on the
trigger). Firing is bounded per command so a cascade cannot run away.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING, Final

from clearhouse.core.commands import CancelTriggerOrder, Facts, PlaceTriggerOrder
from clearhouse.core.context import Context
from clearhouse.core.errors import (
    INVALID_PARAM_VALUE,
    ORDER_NOT_FOUND,
    TOO_MANY_ORDERS,
    Rejected,
)
from clearhouse.core.events import OrderAccepted, TriggerClosed, TriggerFired, TriggerPlaced
from clearhouse.core.products import spot
from clearhouse.core.triggers import (
    CANCELLED,
    EXPIRED,
    FIRED,
    MAX_FIRED_PER_COMMAND,
    MAX_TRIGGERS_PER_ACCOUNT,
    RULE_GE,
    RULE_LE,
    Trigger,
)

if TYPE_CHECKING:
    from clearhouse.core.policy import PolicyGate
    from clearhouse.core.state import State

TRIGGER_FACTS: Final = Facts(channel="trigger")


def place_trigger_order(state: State, cmd: PlaceTriggerOrder, ctx: Context) -> None:
    market = state.require_market(cmd.market)
    state.require_account(cmd.account)
    if cmd.rule != RULE_GE and cmd.rule != RULE_LE:
        raise Rejected(INVALID_PARAM_VALUE, "rule must be >= or <=")
    if not 0 < cmd.trigger_price_ticks <= market.spec.max_price_ticks:
        raise Rejected(INVALID_PARAM_VALUE, "trigger price out of range")
    if cmd.expires_at_ns and cmd.expires_at_ns <= ctx.time_ns:
        raise Rejected(INVALID_PARAM_VALUE, "expiration is in the past")
    order = cmd.order
    if order.account != cmd.account or order.market != cmd.market:
        raise Rejected(INVALID_PARAM_VALUE, "the order must be for the same account and market")
    held = sum(1 for t in market.triggers.triggers.values() if t.account == cmd.account)
    if held >= MAX_TRIGGERS_PER_ACCOUNT:
        raise Rejected(TOO_MANY_ORDERS, "too many open trigger orders")
    # Dry-run the order's own validation now so a malformed trigger is refused at once, not
    # when it fires; balance is checked only at firing time.
    spot.validate_shape(market, order)
    # --- nothing above this line writes ---
    trigger_id = state.next_trigger_id
    state.next_trigger_id += 1
    trigger = Trigger(
        trigger_id,
        cmd.account,
        cmd.market,
        cmd.trigger_price_ticks,
        cmd.rule,
        cmd.expires_at_ns,
        order,
        ctx.time_ns,
    )
    market.triggers.add(trigger)
    state.triggers_by_id[trigger_id] = trigger
    if cmd.expires_at_ns:
        heapq.heappush(state.trigger_expiries, (cmd.expires_at_ns, trigger_id))
    ctx.events.append(TriggerPlaced(trigger_id, cmd.account, cmd.market))


def cancel_trigger_order(state: State, cmd: CancelTriggerOrder, ctx: Context) -> None:
    market = state.require_market(cmd.market)
    trigger = market.triggers.triggers.get(cmd.trigger_id)
    if trigger is None or trigger.account != cmd.account:
        raise Rejected(ORDER_NOT_FOUND, f"trigger order {cmd.trigger_id} not found")
    # --- nothing above this line writes ---
    _close(state, trigger, CANCELLED, ctx)


def _close(state: State, trigger: Trigger, status: str, ctx: Context) -> None:
    trigger.status = status
    state.markets[trigger.market].triggers.discard(trigger.trigger_id)
    del state.triggers_by_id[trigger.trigger_id]
    ctx.events.append(TriggerClosed(trigger.trigger_id, trigger.account, trigger.market, status))


def expire_due(state: State, ctx: Context) -> None:
    expiries = state.trigger_expiries
    now = ctx.time_ns
    fired = 0
    while expiries and expiries[0][0] <= now and fired < MAX_FIRED_PER_COMMAND:
        _, trigger_id = heapq.heappop(expiries)
        trigger = state.triggers_by_id.get(trigger_id)
        if trigger is not None and trigger.status == "open":
            _close(state, trigger, EXPIRED, ctx)
            fired += 1


def fire_due(state: State, gate: PolicyGate, ctx: Context, markets: list[str]) -> None:
    """Fire every trigger the last price has crossed in the markets that traded."""
    budget = MAX_FIRED_PER_COMMAND
    pending = list(markets)
    while pending and budget > 0:
        name = pending.pop()
        market = state.markets[name]
        last = market.book.last_price_ticks
        for trigger in market.triggers.due(last, budget):
            budget -= 1
            before = market.book.last_price_ticks
            _fire(state, gate, trigger, ctx)
            if market.book.last_price_ticks != before and name not in pending:
                pending.append(name)


def _fire(state: State, gate: PolicyGate, trigger: Trigger, ctx: Context) -> None:
    trigger.status = FIRED
    state.markets[trigger.market].triggers.discard(trigger.trigger_id)
    del state.triggers_by_id[trigger.trigger_id]
    mark = len(ctx.events)
    try:
        gate.check(state, trigger.order, TRIGGER_FACTS)
        spot.place_order(state, trigger.order, ctx)
    except Rejected as rejected:
        del ctx.events[mark:]
        trigger.reject_label = rejected.label
        ctx.events.append(
            TriggerFired(trigger.trigger_id, trigger.account, trigger.market, 0, rejected.label)
        )
        return
    accepted = ctx.events[mark]
    assert isinstance(accepted, OrderAccepted)
    trigger.fired_order_id = accepted.order_id
    ctx.events.append(
        TriggerFired(trigger.trigger_id, trigger.account, trigger.market, accepted.order_id, "")
    )
