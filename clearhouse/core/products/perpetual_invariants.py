"""Perpetual invariants, recomputed from scratch (tests, crash test, soak): sizes per contract
sum to zero, isolated margins and entry values match the ledger, order holds match their
orders, reduce-only orders never exceed what they can close, and hedge slots keep their sign."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clearhouse.core.ledger import (
    AVAILABLE,
    FUNDING_POOL,
    PERP_ISOLATED_MARGIN,
    PERP_SETTLEMENT,
    ledger_key,
)
from clearhouse.core.products.perpetual_fills import closable_lots, position_slot
from clearhouse.core.products.perpetual_state import DUAL_LONG, DUAL_SHORT, PerpOrder

if TYPE_CHECKING:
    from clearhouse.core.state import State


def open_reservations(state: State) -> dict[int, int]:
    """What the futures wallets' HOLD buckets must contain: each order's per-contract hold."""
    expected: dict[int, int] = {}
    for pm in state.perps.contracts.values():
        for order in pm.book.orders.values():
            assert isinstance(order, PerpOrder)
            need = order.hold_per_lot * order.remaining_lots
            assert order.remaining_units == need and not order.closed, (
                f"contract order {order.order_id} holds {order.remaining_units}, needs {need}"
            )
            if need:
                expected[order.hold_key] = expected.get(order.hold_key, 0) + need
    return expected


def assert_positions_sound(state: State) -> None:
    perps = state.perps
    if not perps.contracts:
        return
    balances = state.ledger.balances
    asset = perps.settle_asset
    total_cost = 0
    for name, pm in perps.contracts.items():
        assert sum(p.size for p in pm.positions.values()) == 0, f"{name}: sizes do not net"
        for pos in pm.positions.values():
            assert pos.size != 0 and pos.contract == name
            assert pos.owner.positions[(name, pos.slot)] is pos
            assert pos.slot != DUAL_LONG or pos.size > 0
            assert pos.slot != DUAL_SHORT or pos.size < 0
            assert pos.margin_units >= 0 and (pos.leverage or pos.margin_units == 0)
            total_cost += pos.cost_units
        pm.book.assert_not_crossed()
        pm.book.assert_consistent()
    clearing = balances.get(ledger_key(PERP_SETTLEMENT, asset, AVAILABLE), 0)
    assert clearing == -total_cost, f"settlement {clearing} != -entry values {-total_cost}"
    assert balances.get(ledger_key(FUNDING_POOL, asset, AVAILABLE), 0) == 0
    margins = sum(p.margin_units for pm in perps.contracts.values() for p in pm.positions.values())
    pool = balances.get(ledger_key(PERP_ISOLATED_MARGIN, asset, AVAILABLE), 0)
    assert pool == margins, f"isolated margin {pool} != positions' shares {margins}"
    for acct in perps.accounts.values():
        assert acct.cross_count == sum(p.leverage == 0 for p in acct.positions.values())
        for key, pos in acct.positions.items():
            assert perps.contracts[key[0]].positions.get(pos.position_id) is pos
        reduce_only: dict[tuple[str, int, int], int] = {}
        for order in acct.orders.values():
            assert perps.contracts[order.market].book.orders.get(order.order_id) is order
            if order.reduce_only:
                k = (order.market, position_slot(acct, order.slot), order.side)
                reduce_only[k] = reduce_only.get(k, 0) + order.remaining_lots
        for (contract, slot, side), lots in reduce_only.items():
            assert lots <= closable_lots(acct, contract, slot, side), "reduce-only overshoots"
    for pm in perps.contracts.values():
        for resting in pm.book.orders.values():
            assert perps.accounts[resting.account].orders.get(resting.order_id) is resting
