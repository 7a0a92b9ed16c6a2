"""Money crossing the venue's edge and moving inside one family of accounts: deposits credited
once per txid, withdrawals held until approved (posted out) or rejected (voided), idempotent by
client id, and transfers only between a master account and its own sub-accounts."""

from __future__ import annotations

import pytest
from core_harness import Venue, of_type, travel_rule_data

from clearhouse.core.book import BUY
from clearhouse.core.commands import (
    ApproveWithdrawal,
    CreditDeposit,
    RejectWithdrawal,
    RequestWithdrawal,
    TransferBetweenAccounts,
)
from clearhouse.core.errors import (
    BALANCE_NOT_ENOUGH,
    FORBIDDEN,
    INVALID_PARAM_VALUE,
    ORDER_CLOSED,
)
from clearhouse.core.events import (
    AlreadyApplied,
    Deposited,
    Transferred,
    WithdrawalApproved,
    WithdrawalRejected,
    WithdrawalRequested,
)
from clearhouse.core.ledger import EXTERNAL

BTC = 10**8  # units per BTC


@pytest.fixture
def venue() -> Venue:
    return Venue()


def external(venue: Venue, code: str) -> int:
    return venue.state.ledger.balance(EXTERNAL, venue.asset(code))


def request(venue: Venue, account: int, units: int, client_id: str = "w-1") -> int:
    # BTC has no USD price here, so the Travel Rule asks for IVMS101 data whatever the amount
    data = travel_rule_data("bc1qexample")
    events = venue.ok(RequestWithdrawal(account, "BTC", units, client_id, "bc1qexample", "", data))
    return int(of_type(events, WithdrawalRequested)[0].withdrawal_id)


# --- deposits --------------------------------------------------------------------------------
def test_a_deposit_credits_available_from_the_outside_world(venue: Venue) -> None:
    alice = venue.trader("Alice")
    events = venue.ok(CreditDeposit(alice, "BTC", 2 * BTC, "txid-1"))
    assert of_type(events, Deposited)[0].amount_units == 2 * BTC
    assert venue.available(alice, "BTC") == 2 * BTC
    assert external(venue, "BTC") == -2 * BTC


def test_a_deposit_is_credited_once_per_txid(venue: Venue) -> None:
    alice = venue.trader("Alice")
    bob = venue.trader("Bob")
    first = venue.ok(CreditDeposit(alice, "BTC", 2 * BTC, "txid-1"))
    deposit_id = of_type(first, Deposited)[0].deposit_id
    for again in (
        CreditDeposit(alice, "BTC", 2 * BTC, "txid-1"),
        CreditDeposit(bob, "USDT", 5, "txid-1"),  # whatever else it says
    ):
        events = venue.ok(again)
        assert events == [AlreadyApplied("deposit:txid-1", deposit_id)]
    assert venue.available(alice, "BTC") == 2 * BTC
    assert venue.available(bob, "USDT") == 0


# --- withdrawals -----------------------------------------------------------------------------
def test_a_withdrawal_request_holds_the_amount(venue: Venue) -> None:
    alice = venue.trader("Alice", BTC=2)
    request(venue, alice, BTC)
    assert venue.available(alice, "BTC") == BTC
    assert venue.held(alice, "BTC") == BTC


def test_an_approved_withdrawal_posts_the_hold_to_the_outside_world(venue: Venue) -> None:
    alice = venue.trader("Alice", BTC=2)
    withdrawal = request(venue, alice, BTC)
    events = venue.ok(ApproveWithdrawal(withdrawal, "chain-tx-9"))
    assert of_type(events, WithdrawalApproved)[0].txid == "chain-tx-9"
    assert (venue.available(alice, "BTC"), venue.held(alice, "BTC")) == (BTC, 0)
    assert external(venue, "BTC") == -BTC


def test_a_rejected_withdrawal_voids_the_hold(venue: Venue) -> None:
    alice = venue.trader("Alice", BTC=2)
    withdrawal = request(venue, alice, BTC)
    events = venue.ok(RejectWithdrawal(withdrawal, "travel rule data missing"))
    assert of_type(events, WithdrawalRejected)[0].reason == "travel rule data missing"
    assert (venue.available(alice, "BTC"), venue.held(alice, "BTC")) == (2 * BTC, 0)


def test_a_withdrawal_cannot_be_approved_twice_or_rejected_after_approval(venue: Venue) -> None:
    alice = venue.trader("Alice", BTC=2)
    withdrawal = request(venue, alice, BTC)
    venue.ok(ApproveWithdrawal(withdrawal))
    assert venue.reject(ApproveWithdrawal(withdrawal)) == ORDER_CLOSED
    assert venue.reject(RejectWithdrawal(withdrawal)) == ORDER_CLOSED


def test_a_rejected_withdrawal_cannot_be_approved(venue: Venue) -> None:
    alice = venue.trader("Alice", BTC=2)
    withdrawal = request(venue, alice, BTC)
    venue.ok(RejectWithdrawal(withdrawal))
    assert venue.reject(ApproveWithdrawal(withdrawal)) == ORDER_CLOSED


def test_an_unknown_withdrawal_cannot_be_decided(venue: Venue) -> None:
    assert venue.reject(ApproveWithdrawal(404)) == INVALID_PARAM_VALUE
    assert venue.reject(RejectWithdrawal(404)) == INVALID_PARAM_VALUE


def test_a_withdrawal_is_idempotent_by_client_id_per_account(venue: Venue) -> None:
    alice = venue.trader("Alice", BTC=2)
    bob = venue.trader("Bob", BTC=2)
    withdrawal = request(venue, alice, BTC, "same")
    events = venue.ok(RequestWithdrawal(alice, "BTC", BTC, "same", "bc1qexample"))
    assert events == [AlreadyApplied("withdrawal:same", withdrawal)]
    assert venue.held(alice, "BTC") == BTC  # held once, not twice
    request(venue, bob, BTC, "same")  # another account's client ids are its own


def test_a_withdrawal_of_more_than_is_available_is_refused(venue: Venue) -> None:
    alice = venue.trader("Alice", BTC=2, USDT=100_000)
    venue.place(alice, BUY, "60000", "1")  # holds 60,000 USDT
    command = RequestWithdrawal(alice, "USDT", venue.quote("40000.00000001"), "w", "addr")
    assert venue.reject(command) == BALANCE_NOT_ENOUGH


# --- transfers inside one family -------------------------------------------------------------
def test_money_moves_between_a_master_and_its_sub_accounts(venue: Venue) -> None:
    alice_party = venue.party("Alice")
    master = venue.account(alice_party)
    sub_one = venue.account(alice_party, parent=master)
    sub_two = venue.account(alice_party, parent=master)
    venue.fund(master, BTC=2)
    events = venue.ok(TransferBetweenAccounts(master, sub_one, "BTC", BTC))
    assert of_type(events, Transferred) == [Transferred(master, sub_one, "BTC", BTC)]
    venue.ok(TransferBetweenAccounts(sub_one, sub_two, "BTC", BTC // 2))
    venue.ok(TransferBetweenAccounts(sub_two, master, "BTC", BTC // 4))
    assert [venue.available(a, "BTC") for a in (master, sub_one, sub_two)] == [
        BTC + BTC // 4,
        BTC // 2,
        BTC // 4,
    ]


def test_money_never_moves_between_families(venue: Venue) -> None:
    alice = venue.trader("Alice", BTC=2)
    alice_sub = venue.account(venue.state.accounts[alice].owner, parent=alice)
    bob = venue.trader("Bob", BTC=2)
    bob_sub = venue.account(venue.state.accounts[bob].owner, parent=bob)
    venue.fund(alice_sub, BTC=1)
    assert venue.reject(TransferBetweenAccounts(alice, bob, "BTC", 1)) == FORBIDDEN
    assert venue.reject(TransferBetweenAccounts(alice_sub, bob_sub, "BTC", 1)) == FORBIDDEN
    assert venue.reject(TransferBetweenAccounts(alice_sub, bob, "BTC", 1)) == FORBIDDEN


def test_a_transfer_needs_available_funds(venue: Venue) -> None:
    alice = venue.trader("Alice", BTC=1)
    alice_sub = venue.account(venue.state.accounts[alice].owner, parent=alice)
    assert venue.reject(TransferBetweenAccounts(alice, alice_sub, "BTC", BTC + 1)) == (
        BALANCE_NOT_ENOUGH
    )


def test_the_ledger_balances_through_deposits_withdrawals_and_transfers(venue: Venue) -> None:
    alice = venue.trader("Alice", BTC=3)
    alice_sub = venue.account(venue.state.accounts[alice].owner, parent=alice)
    venue.ok(TransferBetweenAccounts(alice, alice_sub, "BTC", BTC))
    venue.ok(ApproveWithdrawal(request(venue, alice_sub, BTC // 2)))
    venue.ok(RejectWithdrawal(request(venue, alice, BTC // 3, "w-2")))
    totals = venue.state.ledger.totals_by_asset()
    assert all(total == 0 for total in totals.values())
    assert external(venue, "BTC") == -(3 * BTC - BTC // 2)
