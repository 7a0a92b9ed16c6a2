"""Auto-deleveraging: when the insurance fund cannot absorb a loss, its position in the contract
is closed against the highest-ranked opposite positions, at the price where the fund's equity
returns to zero (its bankruptcy price). Each such fill is a trade of kind "adl" and an
`AutoDeleveraged` event for the position that was reduced.

Ranking (BitMEX, REFERENCE.md §2): a profitable position ranks by `PnL% x effective leverage`,
a losing one by `PnL% / effective leverage` (always below every profitable one), where
PnL% = unrealised PnL / margin and effective leverage = notional / (margin + unrealised PnL);
margin is the isolated margin, or for cross positions the account's futures wallet. Ties go to
the older position (lower id). ADL is rare, so ranking looks at the contract's opposite
positions when it happens rather than keeping a live order.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

from clearhouse.core.book import BUY, SELL
from clearhouse.core.context import Context
from clearhouse.core.events import AutoDeleveraged, ContractTraded, InsuranceFundDepleted
from clearhouse.core.ledger import INSURANCE
from clearhouse.core.products.perpetual_fills import apply_fill, signed, trim_reduce_only
from clearhouse.core.products.perpetual_state import ADL, MODE_NAMES, SINGLE, PerpMarket, Position
from clearhouse.core.risk.account_margin import (
    fund_equity_units,
    upnl_units,
    value_units,
    wallet_units,
)
from clearhouse.core.risk.margin import zero_equity_ticks

if TYPE_CHECKING:
    from clearhouse.core.state import State


def rank(state: State, pm: PerpMarket, pos: Position) -> Fraction:
    upnl = upnl_units(pm, pos)
    margin = pos.margin_units if pos.leverage else wallet_units(state, pos.owner)
    margin = max(margin, 1)
    equity = max(margin + upnl, 1)
    pnl_ratio = Fraction(upnl, margin)
    leverage = Fraction(abs(value_units(pm, pos)), equity)
    if upnl >= 0:
        return pnl_ratio * leverage
    return pnl_ratio / max(leverage, Fraction(1, 10**9))


def ranked_opposites(state: State, pm: PerpMarket, long_side: bool) -> list[Position]:
    """Positions on the `long_side` (True: longs) ranked for ADL, best first."""
    candidates = [
        p for p in pm.positions.values()
        if not p.owner.is_fund and p.size and (p.size > 0) == long_side
    ]  # fmt: skip
    candidates.sort(key=lambda p: (-rank(state, pm, p), p.position_id))
    return candidates


def bankruptcy_of_fund(state: State, pm: PerpMarket, pos: Position) -> int:
    """Price at which closing the fund's position here brings its equity back to zero."""
    others = fund_equity_units(state) - upnl_units(pm, pos)  # balance + other contracts' PnL
    return zero_equity_ticks(pos.size, pos.cost_units, others, pm.k, pm.spec.max_price_ticks)


def deleverage_fund(state: State, pm: PerpMarket, ctx: Context) -> None:
    fund = state.perps.fund
    pos = fund.positions.get((pm.spec.name, SINGLE))
    if pos is None:
        ctx.events.append(InsuranceFundDepleted(pm.spec.name, -fund_equity_units(state)))
        return
    price = bankruptcy_of_fund(state, pm, pos)
    fund_long = pos.size > 0
    remaining = abs(pos.size)
    fund_side = SELL if fund_long else BUY
    counter_side = BUY if fund_long else SELL
    for other in ranked_opposites(state, pm, not fund_long):
        if remaining == 0:
            break
        lots = min(remaining, abs(other.size))
        remaining -= lots
        account = other.account
        slot = other.slot
        apply_fill(state, pm, other.owner, slot, counter_side, lots, price, 0, False, ctx)
        trim_reduce_only(state, pm, other.owner, ctx)  # its closing orders shrink with it
        apply_fill(state, pm, fund, SINGLE, fund_side, lots, price, 0, False, ctx)
        trade_id = state.next_trade_id
        state.next_trade_id = trade_id + 1
        ctx.events.append(
            ContractTraded(
                trade_id, pm.spec.name, price, signed(counter_side, lots), 0, 0, INSURANCE,
                account, 0, 0, 0, 0, ADL, ctx.time_ns,
            )
        )  # fmt: skip
        ctx.events.append(
            AutoDeleveraged(
                account, pm.spec.name, MODE_NAMES[slot], signed(counter_side, lots), price,
                ctx.time_ns,
            )
        )  # fmt: skip
    equity = fund_equity_units(state)
    if equity < 0:
        ctx.events.append(InsuranceFundDepleted(pm.spec.name, -equity))
