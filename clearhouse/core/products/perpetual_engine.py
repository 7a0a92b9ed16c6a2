"""What the engine does for perpetuals after every command, in this order:

    expire trigger orders -> funding and session edges due by now -> liquidation pass ->
    trigger orders crossed by trades and price updates -> liquidation pass for what they did

Cheap when there is nothing to do: `PerpState.has_work` is a few comparisons.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clearhouse.core.context import Context
from clearhouse.core.products import perpetual_prices, perpetual_triggers
from clearhouse.core.risk import liquidation

if TYPE_CHECKING:
    from clearhouse.core.policy import PolicyGate
    from clearhouse.core.state import State


def has_work(state: State, time_ns: int) -> bool:
    perps = state.perps
    return bool(
        perps.marks_moved
        or perps.touched
        or perps.traded
        or (perps.next_due_ns and perps.next_due_ns <= time_ns)
        or (perps.trigger_expiries and perps.trigger_expiries[0][0] <= time_ns)
    )


def after_command(state: State, gate: PolicyGate, ctx: Context) -> None:
    perps = state.perps
    now = ctx.time_ns
    if perps.trigger_expiries and perps.trigger_expiries[0][0] <= now:
        perpetual_triggers.expire_due(state, ctx)
    if perps.next_due_ns and perps.next_due_ns <= now:
        perpetual_prices.run_due(state, ctx)
    if perps.marks_moved or perps.touched:
        liquidation.run(state, ctx)
    if perps.traded or perps.marks_moved:
        perpetual_triggers.fire_due(state, gate, ctx)
        perps.marks_moved.clear()
        if perps.touched:
            liquidation.run(state, ctx)
    perps.marks_moved.clear()
    perps.traded.clear()
    # `touched` keeps what a bounded liquidation pass could not reach: the next command goes on
