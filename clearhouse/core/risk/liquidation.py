"""The liquidation engine, run at the end of every command that moved a mark or a position.

1. Candidates: for every contract whose mark moved, the liquidation index returns the entries
   the new mark has crossed (liquidation_index.py); positions and cross accounts changed by
   this command are candidates too. No account is scanned otherwise.
2. Each candidate is checked exactly (equity < maintenance at the current marks), in a fixed
   order (isolated positions by id, then cross accounts by id) so that a replay, or an engine
   restored from a snapshot with freshly built keys, liquidates the same things the same way.
   A safe candidate is re-keyed; an unsafe one is liquidated:
   - its orders in that contract (cross: all its contract orders) are cancelled;
   - partial liquidation: a position above the first risk tier sends a reduce-only IOC to the
     book, limited at the bankruptcy price (isolated) or the mark's price band (cross), for
     the contracts that bring it down one tier; if that makes it safe, it stops there;
   - take-over: the insurance fund takes what is left at the bankruptcy price (isolated) or at
     the mark with the account's remaining cross wallet (cross); the margin left over is the
     fund's surplus, a shortfall is paid by the fund. Each step is a trade of kind
     "liquidation" or "takeover" and a `Liquidated` event.
3. The fund then unwinds what it took (an IOC within the price band, kind "liquidation") and,
   if its equity is below zero, its position is auto-deleveraged (adl.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from clearhouse.core.book import BUY, IOC, SELL
from clearhouse.core.context import Context
from clearhouse.core.events import (
    ContractOrderAccepted,
    ContractTraded,
    InsuranceFundChanged,
    Liquidated,
    PositionUpdated,
)
from clearhouse.core.ledger import AVAILABLE, HOLD, INSURANCE, ledger_key
from clearhouse.core.products.perpetual_contract import PPM
from clearhouse.core.products.perpetual_fills import (
    apply_fill,
    cancel_resting,
    execute,
    finish_position,
    get_or_open_position,
    new_order,
    realise,
    signed,
)
from clearhouse.core.products.perpetual_state import (
    LIQUIDATION,
    MODE_NAMES,
    SINGLE,
    TAKEOVER,
    PerpAccount,
    PerpMarket,
    Position,
)
from clearhouse.core.risk import insurance
from clearhouse.core.risk.account_margin import (
    cross_liquidatable,
    equity_units,
    isolated_liquidatable,
    upnl_units,
    value_units,
)
from clearhouse.core.risk.liquidation_keys import rearm_cross, rekey_isolated
from clearhouse.core.risk.margin import bankruptcy_ticks, zero_equity_ticks

if TYPE_CHECKING:
    from clearhouse.core.state import State

MAX_ROUNDS: Final = 64  # liquidations touch counterparties; bound the re-check rounds


def run(state: State, ctx: Context) -> None:
    """End-of-command risk pass: collect candidates, check exactly, liquidate or re-key."""
    perps = state.perps
    touched = perps.touched
    for name in perps.marks_moved:
        pm = perps.contracts[name]
        if not pm.mark_ticks:
            continue
        for tag in pm.index.crossed(pm.mark_ticks):
            if not tag & 1:
                pos = pm.positions.get(tag >> 1)
                if pos is not None:
                    pos.index_item = 0  # the index already let go of it
            touched.add((name if not tag & 1 else "", tag))
    # the fund's own positions: retry unwinding them and check its solvency on every tick
    fund = perps.fund
    liquidated = [name for name in perps.marks_moved if (name, SINGLE) in fund.positions]
    if liquidated and not touched:
        touched.add(("", 0))  # an empty candidate: runs one round, which ends with the fund
    rounds = 0
    while touched and rounds < MAX_ROUNDS:
        rounds += 1
        batch = sorted(touched, key=lambda entry: (entry[1] & 1, entry[1], entry[0]))
        touched.clear()
        for contract, tag in batch:
            if tag == 0:
                continue
            if tag & 1:
                _check_cross(state, tag >> 1, ctx, liquidated)
            else:
                _check_isolated(state, contract, tag >> 1, ctx, liquidated)
        if not touched and liquidated:
            _report_fund(state, ctx)
            # the fund unwinds and, if it must, deleverages; the positions its fills and ADL
            # changed are candidates in the next round
            for name in sorted(set(liquidated)):
                insurance.after_liquidations(state, perps.contracts[name], ctx)
            liquidated.clear()
    # anything left after MAX_ROUNDS stays in `touched` for the next command
    if perps.taken_over:
        _report_fund(state, ctx)
    if fund.positions or state.ledger.balances.get(fund.wallet_key, 0) < 0:
        insurance.settle_solvency(state, ctx)


def _check_isolated(
    state: State, contract: str, position_id: int, ctx: Context, liquidated: list[str]
) -> None:
    pm = state.perps.contracts[contract]
    pos = pm.positions.get(position_id)
    if pos is None or pos.leverage == 0 or pos.size == 0:
        return
    if pm.mark_ticks and pm.session_open and isolated_liquidatable(pm, pos):
        liquidate_isolated(state, pm, pos, ctx)
        liquidated.append(contract)
    else:
        rekey_isolated(pm, pos)


def _check_cross(state: State, account: int, ctx: Context, liquidated: list[str]) -> None:
    acct = state.perps.accounts.get(account)
    if acct is None:
        return
    if cross_liquidatable(state, acct) and _cross_tradable(state, acct):
        liquidated.extend(liquidate_cross(state, acct, ctx))
    else:
        rearm_cross(state, acct)


def _cross_tradable(state: State, acct: PerpAccount) -> bool:
    contracts = state.perps.contracts
    return all(
        contracts[p.contract].session_open and contracts[p.contract].mark_ticks
        for p in acct.positions.values()
        if p.leverage == 0
    )


def _cancel_orders(state: State, acct: PerpAccount, contract: str, ctx: Context) -> None:
    if not acct.orders:
        return
    contracts = state.perps.contracts
    for order in sorted(acct.orders.values(), key=lambda o: o.order_id):
        if not contract or order.market == contract:
            cancel_resting(state, contracts[order.market], order, "liquidated", ctx)


def _reduce_one_tier(
    state: State, pm: PerpMarket, pos: Position, limit_ticks: int, ctx: Context
) -> bool:
    """Partial liquidation: an IOC for the contracts that take the position one tier down.
    Returns True if it was sent."""
    mark = pm.mark_ticks
    notional = abs(value_units(pm, pos))
    tier = pm.tiers.index(notional)
    if tier == 0:
        return False
    keep = pm.tiers.caps[tier - 1] // (mark * pm.k)
    lots = abs(pos.size) - keep
    if lots <= 0:
        return False
    side = SELL if pos.size > 0 else BUY
    order = new_order(
        state, pm, pos.owner, 0, side, limit_ticks, lots, ctx,
        tif=IOC, slot=pos.slot, reduce_only=True, kind=LIQUIDATION, text="liquidation",
    )  # fmt: skip
    ctx.events.append(
        ContractOrderAccepted(
            order.order_id, pos.account, 0, pm.spec.name, signed(side, lots), limit_ticks, IOC,
            True, False, LIQUIDATION, "liquidation", ctx.time_ns,
        )
    )  # fmt: skip
    filled = execute(state, pm, order, ctx)
    ctx.events.append(
        Liquidated(
            pos.account, pm.spec.name, MODE_NAMES[pos.slot], signed(side, filled), mark,
            limit_ticks, "partial", pos.margin_units, ctx.time_ns,
        )
    )  # fmt: skip
    return True


def liquidate_isolated(state: State, pm: PerpMarket, pos: Position, ctx: Context) -> None:
    acct = pos.owner
    _cancel_orders(state, acct, pm.spec.name, ctx)
    bankrupt = bankruptcy_ticks(
        pos.size, pos.cost_units, pos.margin_units, pm.k, pm.spec.max_price_ticks
    )
    if _reduce_one_tier(state, pm, pos, bankrupt, ctx):
        if pos.size == 0 or not isolated_liquidatable(pm, pos):
            return  # the fills left it safe (or flat); the end-of-command pass re-keys it
        bankrupt = bankruptcy_ticks(
            pos.size, pos.cost_units, pos.margin_units, pm.k, pm.spec.max_price_ticks
        )
    take_over(state, pm, pos, bankrupt, ctx)


def liquidate_cross(state: State, acct: PerpAccount, ctx: Context) -> list[str]:
    """Cancel, reduce tier by tier, then hand the rest and the cross wallet to the fund."""
    _cancel_orders(state, acct, "", ctx)
    contracts = state.perps.contracts
    names: list[str] = []
    for key in sorted(acct.positions):
        pos = acct.positions.get(key)
        if pos is None or pos.leverage or not cross_liquidatable(state, acct):
            continue
        pm = contracts[pos.contract]
        band = pm.mark_ticks * pm.spec.price_deviate_ppm // PPM
        # never beyond the account's bankruptcy for this position (its equity held by the rest)
        others = equity_units(state, acct) - upnl_units(pm, pos)
        bankrupt = zero_equity_ticks(
            pos.size, pos.cost_units, others, pm.k, pm.spec.max_price_ticks
        )
        if pos.size > 0:
            limit = max(pm.mark_ticks - band, bankrupt, 1)
        else:
            limit = min(pm.mark_ticks + band, bankrupt)
        if _reduce_one_tier(state, pm, pos, limit, ctx):
            names.append(pos.contract)
    if not cross_liquidatable(state, acct):
        rearm_cross(state, acct)
        return names
    for key in sorted(acct.positions):
        pos = acct.positions[key]
        if pos.leverage == 0:
            pm = contracts[pos.contract]
            take_over(state, pm, pos, pm.mark_ticks, ctx)
            names.append(pos.contract)
    # the cross wallet left after closing at the marks belongs to the fund (its surplus)
    ledger = state.ledger
    left = ledger.balances.get(acct.wallet_key, 0)
    assert ledger.balances.get(acct.wallet_key | HOLD, 0) == 0, "orders were cancelled"
    if left:
        fund_key = ledger_key(INSURANCE, state.perps.settle_asset, AVAILABLE)
        ledger.transfer(acct.wallet_key, fund_key, left)
        ctx.events.append(
            InsuranceFundChanged(names[-1], left, ledger.balances[fund_key], "surplus")
        )
    rearm_cross(state, acct)
    return names


def take_over(state: State, pm: PerpMarket, pos: Position, price_ticks: int, ctx: Context) -> None:
    """The fund takes the whole position at `price_ticks`; the user's isolated margin left over
    goes to the fund, a loss beyond it is paid by the fund. Hot when a tick crosses many
    positions: the fund's side is added directly when it only grows, and its position update
    and surplus are reported once per contract at the end of the pass (`_report_fund`)."""
    acct = pos.owner
    perps = state.perps
    fund = perps.fund
    name = pm.spec.name
    lots = abs(pos.size)
    long = pos.size > 0
    value = lots * price_ticks * pm.k
    pnl = value - pos.cost_units if long else -pos.cost_units - value
    margin_before = pos.margin_units
    pos.size = 0
    pos.cost_units = 0
    realise(state, pm, pos, pnl, 0, ctx)
    left = pos.margin_units
    if left:
        state.ledger.transfer(acct.margin_key, fund.wallet_key, left)
        pos.margin_units = 0
    perps.taken_over[name] = perps.taken_over.get(name, 0) + left
    pos.update_time_ns = ctx.time_ns
    finish_position(state, pm, pos, ctx)
    fund_pos = fund.positions.get((name, SINGLE))
    if fund_pos is None or (fund_pos.size > 0) == long:
        fund_pos = get_or_open_position(state, pm, fund, SINGLE, ctx)
        fund_pos.size += lots if long else -lots
        fund_pos.cost_units += value if long else -value
        fund_pos.update_time_ns = ctx.time_ns
    else:
        apply_fill(state, pm, fund, SINGLE, BUY if long else SELL, lots, price_ticks, 0, False, ctx)
    taker_side = SELL if long else BUY
    trade_id = state.next_trade_id
    state.next_trade_id = trade_id + 1
    ctx.events.append(
        ContractTraded(
            trade_id, name, price_ticks, signed(taker_side, lots), 0, 0, INSURANCE,
            acct.account_id, 0, 0, 0, 0, TAKEOVER, ctx.time_ns,
        )
    )  # fmt: skip
    ctx.events.append(
        Liquidated(
            acct.account_id, name, MODE_NAMES[pos.slot], signed(taker_side, lots),
            pm.mark_ticks, price_ticks, "takeover", margin_before, ctx.time_ns,
        )
    )  # fmt: skip


def _report_fund(state: State, ctx: Context) -> None:
    """What the fund took over in this pass: its positions and the margin surplus it kept."""
    perps = state.perps
    fund = perps.fund
    balance = state.ledger.balances.get(fund.wallet_key, 0)
    for name in sorted(perps.taken_over):
        surplus = perps.taken_over[name]
        pos = fund.positions.get((name, SINGLE))
        if pos is not None:
            ctx.events.append(
                PositionUpdated(
                    INSURANCE, name, MODE_NAMES[SINGLE], pos.size, pos.cost_units, 0, 0,
                    pos.realised_pnl_units, ctx.time_ns,
                )
            )  # fmt: skip
        if surplus:
            ctx.events.append(InsuranceFundChanged(name, surplus, balance, "surplus"))
    perps.taken_over.clear()
