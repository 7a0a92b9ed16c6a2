"""Putting isolated positions and cross accounts into their contracts' liquidation index
(see liquidation_index.py for why the keys are safe)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clearhouse.core.products.perpetual_contract import PPM
from clearhouse.core.products.perpetual_fills import unindex_position
from clearhouse.core.products.perpetual_state import PerpAccount, PerpMarket, Position
from clearhouse.core.risk.account_margin import cross_buffer_scaled
from clearhouse.core.risk.liquidation_index import cross_tag, isolated_tag
from clearhouse.core.risk.margin import (
    NEVER,
    fall_key,
    rise_key,
    search_fall,
    search_rise,
)

if TYPE_CHECKING:
    from clearhouse.core.state import State


def isolated_key(pm: PerpMarket, pos: Position) -> tuple[int, bool]:
    """(exact key, rising) of an isolated position; key NEVER/0 when nothing liquidates it."""
    margin_scaled = PPM * pos.margin_units
    if pos.size > 0:
        return fall_key(pm.tiers, pos.size, pos.cost_units, margin_scaled, pm.k), False
    return rise_key(pm.tiers, pos.size, pos.cost_units, margin_scaled, pm.k), True


def rekey_isolated(pm: PerpMarket, pos: Position) -> None:
    unindex_position(pm, pos)
    if pos.size == 0 or pos.leverage == 0:
        return
    key, rising = isolated_key(pm, pos)
    if rising and key > 0:
        pos.index_item = pm.index.rise.add(key, isolated_tag(pos.position_id))
        pos.index_rising = True
    elif not rising and key != NEVER:
        pos.index_item = pm.index.fall.add(key, isolated_tag(pos.position_id))
        pos.index_rising = False


def _contract_terms(pm: PerpMarket, positions: list[Position], mark: int) -> int:
    """PPM x (value - cost) - MM x PPM of one contract's cross positions at `mark`."""
    total = 0
    for pos in positions:
        value = pos.size * mark * pm.k
        total += PPM * (value - pos.cost_units) - pm.tiers.mm_scaled(abs(value))
    return total


def cross_keys(pm: PerpMarket, positions: list[Position], share_scaled: int) -> tuple[int, int]:
    """(fall key, rise key) of one contract's cross positions given their budget: the marks at
    which this contract alone would use up `share_scaled` of the account's buffer."""
    mark = pm.mark_ticks
    base = _contract_terms(pm, positions, mark)
    if len(positions) == 1:
        pos = positions[0]
        margin_eff = share_scaled - base
        if pos.size > 0:
            return fall_key(pm.tiers, pos.size, pos.cost_units, margin_eff, pm.k), 0
        return NEVER, rise_key(pm.tiers, pos.size, pos.cost_units, margin_eff, pm.k)
    target = base - share_scaled

    def pred(m: int) -> bool:
        return _contract_terms(pm, positions, m) < target

    return search_fall(pred, mark), search_rise(pred, mark, pm.spec.max_price_ticks)


def unindex_cross(state: State, acct: PerpAccount) -> None:
    contracts = state.perps.contracts
    for contract, rising, item in acct.cross_items:
        pm = contracts[contract]
        (pm.index.rise if rising else pm.index.fall).items.discard(item)
    acct.cross_items = []


def rearm_cross(state: State, acct: PerpAccount) -> None:
    """Re-index a (safe) cross account: each contract gets buffer / n of the budget."""
    unindex_cross(state, acct)
    by_contract: dict[str, list[Position]] = {}
    contracts = state.perps.contracts
    for pos in acct.positions.values():
        if pos.leverage == 0 and pos.size and contracts[pos.contract].mark_ticks:
            by_contract.setdefault(pos.contract, []).append(pos)
    if not by_contract:
        return
    buffer = cross_buffer_scaled(state, acct)
    share = max(buffer, 0) // len(by_contract)
    tag = cross_tag(acct.account_id)
    for contract in sorted(by_contract):
        pm = contracts[contract]
        fall, rise = cross_keys(pm, by_contract[contract], share)
        if fall != NEVER:
            acct.cross_items.append((contract, False, pm.index.fall.add(fall, tag)))
        if rise > 0:
            acct.cross_items.append((contract, True, pm.index.rise.add(rise, tag)))
