"""Whole-state invariants, checked exhaustively in tests, the crash test and the soak script.

Cheap versions of these run inside the engine as assertions where they could break; here each
is recomputed from scratch."""

from __future__ import annotations

from clearhouse.core.book import BUY
from clearhouse.core.compliance.sanctions_engine import frozen_totals
from clearhouse.core.ledger import FROZEN, HOLD, ledger_key
from clearhouse.core.products import perpetual_invariants
from clearhouse.core.state import State
from clearhouse.core.wallet import PENDING


def open_reservations(state: State) -> dict[int, int]:
    """What the HOLD buckets must contain, recomputed from open orders and pending withdrawals."""
    expected: dict[int, int] = {}
    for market in state.markets.values():
        units = market.units
        for order in market.book.orders.values():
            if order.side == BUY:
                key = ledger_key(order.account, market.quote_asset, HOLD)
                need = order.price_ticks * order.remaining_lots * units.quote_units_per_tick_lot
            else:
                key = ledger_key(order.account, market.base_asset, HOLD)
                need = order.remaining_lots * units.base_units_per_lot
            assert order.remaining_units == need and order.hold_key == key and not order.closed, (
                f"order {order.order_id} holds {order.remaining_units}, needs {need}"
            )
            expected[key] = expected.get(key, 0) + need
    for key, held in perpetual_invariants.open_reservations(state).items():
        expected[key] = expected.get(key, 0) + held
    for withdrawal in state.withdrawals.values():
        if withdrawal.status == PENDING:
            key = withdrawal.hold.hold_key
            expected[key] = expected.get(key, 0) + withdrawal.hold.remaining_units
    return {k: v for k, v in expected.items() if v}


def assert_holds_match_reservations(state: State) -> None:
    actual = state.ledger.hold_totals()
    expected = open_reservations(state)
    assert actual == expected, f"holds {actual} != reservations {expected}"


def assert_books_sound(state: State) -> None:
    for market in state.markets.values():
        market.book.assert_not_crossed()
        market.book.assert_consistent()
        for order in market.book.orders.values():
            assert state.accounts[order.account].open_orders.get(order.order_id) is order
    for account in state.accounts.values():
        linked = account.iter_open_orders()
        assert len(linked) == account.open_order_count
        per_market: dict[str, int] = {}
        for order in linked:
            per_market[order.market] = per_market.get(order.market, 0) + 1
        assert per_market == {m: n for m, n in account.open_orders_by_market.items() if n}
        for order in linked:
            assert state.markets[order.market].book.orders.get(order.order_id) is order


def assert_frozen_matches_records(state: State) -> None:
    """FROZEN buckets hold exactly the deposits frozen by sanctions screening, nothing else."""
    actual = {
        key: units for key, units in state.ledger.balances.items() if key & 3 == FROZEN and units
    }
    expected = {
        ledger_key(account, state.asset_index[asset], FROZEN): units
        for (account, asset), units in frozen_totals(state.sanctions).items()
        if units
    }
    assert actual == expected, f"frozen {actual} != frozen deposits {expected}"


def assert_all(state: State) -> None:
    state.ledger.assert_balanced()
    state.ledger.assert_no_negative_user_balance()
    assert_books_sound(state)
    assert_holds_match_reservations(state)
    perpetual_invariants.assert_positions_sound(state)
    assert_frozen_matches_records(state)
