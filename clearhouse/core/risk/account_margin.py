"""Equity and margin of positions and cross accounts at the current marks.

A position without a mark yet is valued at its entry (no unrealised PnL). Cross-margin equity
counts the whole futures wallet (free and held for orders) plus the cross positions' PnL;
isolated positions are backed by their own margin only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clearhouse.core.ledger import HOLD
from clearhouse.core.products.perpetual_contract import PPM
from clearhouse.core.products.perpetual_state import PerpAccount, PerpMarket, Position
from clearhouse.core.risk.margin import initial_margin_units

if TYPE_CHECKING:
    from clearhouse.core.state import State


def value_units(pm: PerpMarket, pos: Position) -> int:
    """Signed value at mark (the entry value while the contract has no mark)."""
    mark = pm.mark_ticks
    return pos.size * mark * pm.k if mark else pos.cost_units


def upnl_units(pm: PerpMarket, pos: Position) -> int:
    return value_units(pm, pos) - pos.cost_units


def mm_scaled(pm: PerpMarket, pos: Position) -> int:
    return pm.tiers.mm_scaled(abs(value_units(pm, pos)))


def isolated_liquidatable(pm: PerpMarket, pos: Position) -> bool:
    value = value_units(pm, pos)
    return PPM * (pos.margin_units + value - pos.cost_units) < pm.tiers.mm_scaled(abs(value))


def wallet_units(state: State, acct: PerpAccount) -> int:
    balances = state.ledger.balances
    return balances.get(acct.wallet_key, 0) + balances.get(acct.wallet_key | HOLD, 0)


def equity_units(state: State, acct: PerpAccount) -> int:
    """Cross equity: the futures wallet plus the cross positions' unrealised PnL."""
    contracts = state.perps.contracts
    total = wallet_units(state, acct)
    for pos in acct.positions.values():
        if pos.leverage == 0:
            total += upnl_units(contracts[pos.contract], pos)
    return total


def cross_buffer_scaled(state: State, acct: PerpAccount) -> int:
    """PPM x (cross equity) - sum of cross maintenance margins (x PPM): below zero liquidates."""
    contracts = state.perps.contracts
    total = PPM * wallet_units(state, acct)
    for pos in acct.positions.values():
        if pos.leverage == 0:
            pm = contracts[pos.contract]
            value = value_units(pm, pos)
            total += PPM * (value - pos.cost_units) - pm.tiers.mm_scaled(abs(value))
    return total


def cross_liquidatable(state: State, acct: PerpAccount) -> bool:
    return acct.has_cross() and cross_buffer_scaled(state, acct) < 0


def free_collateral(state: State, acct: PerpAccount) -> int:
    """What new orders, isolated margin and transfers out may use: the free wallet, less cross
    positions' losses and their initial margin (profits are not spendable until realised)."""
    free = state.ledger.balances.get(acct.wallet_key, 0)
    contracts = state.perps.contracts
    for pos in acct.positions.values():
        if pos.leverage == 0:
            pm = contracts[pos.contract]
            value = value_units(pm, pos)
            free += min(0, value - pos.cost_units)
            limit = acct.cross_limit_for(pos.contract)
            free -= initial_margin_units(pm.tiers, abs(value), limit)
    return free


def fund_equity_units(state: State) -> int:
    """The insurance fund's balance plus the unrealised PnL of the positions it holds."""
    fund = state.perps.fund
    contracts = state.perps.contracts
    equity = state.ledger.balances.get(fund.wallet_key, 0)
    for pos in fund.positions.values():
        equity += upnl_units(contracts[pos.contract], pos)
    return equity
