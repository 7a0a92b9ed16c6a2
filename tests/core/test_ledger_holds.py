"""The double-entry ledger: money moves only by transfers between two ledger accounts, so every
asset sums to zero; holds are reserved, then posted and/or voided, and closed exactly once."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearhouse.core.errors import BALANCE_NOT_ENOUGH, Rejected
from clearhouse.core.ledger import (
    AVAILABLE,
    EXTERNAL,
    FEES,
    FIRST_USER_ACCOUNT,
    HOLD,
    Ledger,
    ledger_key,
    split_key,
)

ALICE = FIRST_USER_ACCOUNT
BOB = FIRST_USER_ACCOUNT + 1
USDT = 1
BTC = 2


def funded(units: int = 1_000) -> Ledger:
    ledger = Ledger()
    ledger.move(EXTERNAL, ALICE, USDT, units)
    return ledger


def test_a_ledger_key_round_trips_to_account_asset_bucket() -> None:
    for account, asset, bucket in ((ALICE, USDT, AVAILABLE), (EXTERNAL, 65_535, HOLD)):
        assert split_key(ledger_key(account, asset, bucket)) == (account, asset, bucket)


def test_a_deposit_is_a_transfer_from_the_outside_world() -> None:
    ledger = funded(1_000)
    assert ledger.balance(ALICE, USDT) == 1_000
    assert ledger.balance(EXTERNAL, USDT) == -1_000
    ledger.assert_balanced()


def test_a_transfer_moves_money_between_two_accounts_and_conserves_it() -> None:
    ledger = funded(1_000)
    ledger.move(ALICE, BOB, USDT, 400)
    assert (ledger.balance(ALICE, USDT), ledger.balance(BOB, USDT)) == (600, 400)
    ledger.assert_balanced()
    ledger.assert_no_negative_user_balance()


def test_a_negative_transfer_is_refused_by_assertion() -> None:
    ledger = funded()
    with pytest.raises(AssertionError):
        ledger.move(ALICE, BOB, USDT, -1)


def test_a_zero_transfer_leaves_no_trace() -> None:
    ledger = funded()
    before = dict(ledger.balances)
    ledger.move(ALICE, BOB, USDT, 0)
    assert ledger.balances == before


def test_require_available_refuses_more_than_the_available_bucket() -> None:
    ledger = funded(1_000)
    ledger.require_available(ALICE, USDT, 1_000)
    with pytest.raises(Rejected) as refused:
        ledger.require_available(ALICE, USDT, 1_001)
    assert refused.value.label == BALANCE_NOT_ENOUGH


def test_held_funds_are_not_available() -> None:
    ledger = funded(1_000)
    ledger.reserve(ALICE, USDT, 700)
    with pytest.raises(Rejected):
        ledger.require_available(ALICE, USDT, 301)


def test_reserve_moves_available_to_hold() -> None:
    ledger = funded(1_000)
    hold = ledger.reserve(ALICE, USDT, 300)
    assert ledger.balance(ALICE, USDT, AVAILABLE) == 700
    assert ledger.balance(ALICE, USDT, HOLD) == 300
    assert split_key(hold.hold_key) == (ALICE, USDT, HOLD)
    assert (hold.asset, hold.remaining_units) == (USDT, 300)
    ledger.assert_balanced()


def test_reserving_more_than_available_is_refused_by_assertion() -> None:
    ledger = funded(100)
    with pytest.raises(AssertionError):
        ledger.reserve(ALICE, USDT, 101)


def test_a_hold_posts_in_parts_to_a_counterparty() -> None:
    ledger = funded(1_000)
    hold = ledger.reserve(ALICE, USDT, 300)
    ledger.post(hold, ledger_key(BOB, USDT, AVAILABLE), 100)
    ledger.post(hold, ledger_key(BOB, USDT, AVAILABLE), 200)
    ledger.close_spent(hold)
    assert ledger.balance(ALICE, USDT, HOLD) == 0
    assert ledger.balance(BOB, USDT) == 300
    assert hold.closed
    ledger.assert_balanced()


def test_a_hold_cannot_post_more_than_it_holds() -> None:
    ledger = funded(1_000)
    hold = ledger.reserve(ALICE, USDT, 300)
    with pytest.raises(AssertionError):
        ledger.post(hold, ledger_key(BOB, USDT, AVAILABLE), 301)


def test_release_returns_part_of_a_hold_and_keeps_it_open() -> None:
    ledger = funded(1_000)
    hold = ledger.reserve(ALICE, USDT, 300)
    ledger.release(hold, 50)
    assert (ledger.balance(ALICE, USDT), ledger.balance(ALICE, USDT, HOLD)) == (750, 250)
    assert not hold.closed and hold.remaining_units == 250


def test_extend_reserves_more_into_an_open_hold() -> None:
    ledger = funded(1_000)
    hold = ledger.reserve(ALICE, USDT, 300)
    ledger.extend(hold, 200)
    assert hold.remaining_units == 500
    assert ledger.balance(ALICE, USDT, HOLD) == 500


def test_void_returns_what_is_left_and_closes_the_hold() -> None:
    ledger = funded(1_000)
    hold = ledger.reserve(ALICE, USDT, 300)
    ledger.post(hold, ledger_key(FEES, USDT, AVAILABLE), 100)
    assert ledger.void(hold) == 200
    assert hold.closed
    assert ledger.balance(ALICE, USDT) == 900
    assert ledger.balance(ALICE, USDT, HOLD) == 0
    ledger.assert_balanced()


def test_a_second_void_asserts() -> None:
    ledger = funded(1_000)
    hold = ledger.reserve(ALICE, USDT, 300)
    ledger.void(hold)
    with pytest.raises(AssertionError, match="exactly once"):
        ledger.void(hold)
    assert ledger.balance(ALICE, USDT) == 1_000  # the failed second void moved nothing


def test_a_closed_hold_cannot_be_posted_released_extended_or_spent() -> None:
    ledger = funded(1_000)
    hold = ledger.reserve(ALICE, USDT, 300)
    ledger.void(hold)
    bob = ledger_key(BOB, USDT, AVAILABLE)
    acts: list[Callable[[], object]] = [
        lambda: ledger.post(hold, bob, 0),
        lambda: ledger.release(hold, 0),
        lambda: ledger.extend(hold, 1),
        lambda: ledger.close_spent(hold),
    ]
    for act in acts:
        with pytest.raises(AssertionError):
            act()


def test_only_a_fully_posted_hold_can_be_closed_as_spent() -> None:
    ledger = funded(1_000)
    hold = ledger.reserve(ALICE, USDT, 300)
    with pytest.raises(AssertionError):
        ledger.close_spent(hold)


def test_an_unbalanced_ledger_is_caught() -> None:
    ledger = funded(1_000)
    ledger.balances[ledger_key(ALICE, USDT, AVAILABLE)] += 1  # a bug that mints money
    with pytest.raises(AssertionError, match="out of balance"):
        ledger.assert_balanced()


def test_a_negative_user_balance_is_caught_but_system_accounts_may_go_negative() -> None:
    ledger = funded(1_000)
    ledger.assert_no_negative_user_balance()  # EXTERNAL is at -1000, and that is fine
    ledger.move(ALICE, BOB, USDT, 1_001)
    with pytest.raises(AssertionError, match="negative user balance"):
        ledger.assert_no_negative_user_balance()


def test_hold_totals_list_only_non_empty_hold_buckets() -> None:
    ledger = funded(1_000)
    hold = ledger.reserve(ALICE, USDT, 300)
    assert ledger.hold_totals() == {ledger_key(ALICE, USDT, HOLD): 300}
    ledger.void(hold)
    assert ledger.hold_totals() == {}


operations = st.lists(
    st.tuples(
        st.sampled_from(("move", "reserve", "post", "release", "void")),
        st.sampled_from((ALICE, BOB)),
        st.sampled_from((USDT, BTC)),
        st.integers(0, 500),
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(ops=operations)
def test_any_sequence_of_transfers_and_holds_conserves_every_asset(
    ops: list[tuple[str, int, int, int]],
) -> None:
    ledger = Ledger()
    for account in (ALICE, BOB):
        for asset in (USDT, BTC):
            ledger.move(EXTERNAL, account, asset, 1_000)
    holds = []
    for op, account, asset, units in ops:
        have = ledger.balance(account, asset)
        if op == "move" and units <= have:
            ledger.move(account, ALICE + BOB - account, asset, units)
        elif op == "reserve" and units <= have:
            holds.append(ledger.reserve(account, asset, units))
        elif holds and op in ("post", "release", "void"):
            hold = holds[units % len(holds)]
            if op == "void":
                ledger.void(hold)
                holds.remove(hold)
            else:
                part = min(units, hold.remaining_units)
                if op == "post":
                    ledger.post(hold, ledger_key(FEES, hold.asset, AVAILABLE), part)
                else:
                    ledger.release(hold, part)
        ledger.assert_balanced()
        ledger.assert_no_negative_user_balance()
        expected_holds: dict[int, int] = {}
        for hold in holds:
            if hold.remaining_units:
                expected_holds[hold.hold_key] = (
                    expected_holds.get(hold.hold_key, 0) + hold.remaining_units
                )
        assert ledger.hold_totals() == expected_holds
