"""Who trades: every account has an owner; a sub-account has a parent (its master) and a
beneficial owner; every order carries its account's beneficial owner into matching and out on
the wire (`OrderAccepted.owner`, `Traded.maker_owner` / `taker_owner`)."""

from __future__ import annotations

import pytest
from core_harness import Venue, of_type, trades

from clearhouse.core.book import BUY, SELL
from clearhouse.core.commands import OnboardUser, OpenAccount, RegisterParty
from clearhouse.core.errors import INVALID_PARAM_VALUE, SUB_ACCOUNT_NOT_FOUND, USER_NOT_FOUND
from clearhouse.core.events import (
    AccountOpened,
    AlreadyApplied,
    ApiKeyCreated,
    OrderAccepted,
    PartyRegistered,
)
from clearhouse.core.ledger import FIRST_USER_ACCOUNT

KEY = "K" * 32


@pytest.fixture
def venue() -> Venue:
    return Venue()


def test_user_accounts_are_numbered_from_the_first_user_account(venue: Venue) -> None:
    assert venue.account(venue.party("Alice")) == FIRST_USER_ACCOUNT


def test_a_master_account_is_its_owners_and_they_are_its_beneficial_owner(venue: Venue) -> None:
    alice = venue.party("Alice")
    events = venue.ok(OpenAccount(alice))
    assert of_type(events, AccountOpened) == [AccountOpened(FIRST_USER_ACCOUNT, alice, 0, alice)]


def test_a_sub_account_has_a_parent_and_a_beneficial_owner(venue: Venue) -> None:
    alice = venue.party("Alice")
    carol = venue.party("Carol")
    master = venue.account(alice)
    own_sub = of_type(venue.ok(OpenAccount(alice, parent=master)), AccountOpened)[0]
    assert (own_sub.owner, own_sub.parent, own_sub.beneficial_owner) == (alice, master, alice)
    carols = of_type(
        venue.ok(OpenAccount(alice, parent=master, beneficial_owner=carol)), AccountOpened
    )[0]
    assert (carols.owner, carols.parent, carols.beneficial_owner) == (alice, master, carol)
    assert venue.state.accounts[master].sub_accounts == [own_sub.account, carols.account]


def test_a_sub_account_is_owned_by_its_masters_owner(venue: Venue) -> None:
    alice = venue.party("Alice")
    bob = venue.party("Bob")
    master = venue.account(alice)
    assert venue.reject(OpenAccount(bob, parent=master)) == INVALID_PARAM_VALUE


def test_a_sub_account_cannot_have_sub_accounts(venue: Venue) -> None:
    alice = venue.party("Alice")
    sub = venue.account(alice, parent=venue.account(alice))
    assert venue.reject(OpenAccount(alice, parent=sub)) == INVALID_PARAM_VALUE


def test_a_master_account_cannot_name_another_beneficial_owner(venue: Venue) -> None:
    alice = venue.party("Alice")
    carol = venue.party("Carol")
    assert venue.reject(OpenAccount(alice, beneficial_owner=carol)) == INVALID_PARAM_VALUE


def test_accounts_need_known_parties_and_parents(venue: Venue) -> None:
    alice = venue.party("Alice")
    assert venue.reject(OpenAccount(404)) == USER_NOT_FOUND
    assert venue.reject(OpenAccount(alice, beneficial_owner=404)) == USER_NOT_FOUND
    assert venue.reject(OpenAccount(alice, parent=404)) == SUB_ACCOUNT_NOT_FOUND


def test_a_party_is_registered_once_per_external_reference(venue: Venue) -> None:
    first = venue.ok(RegisterParty("person", "Alice", "DE", external_ref="crm-1"))
    party = of_type(first, PartyRegistered)[0].party
    again = venue.ok(RegisterParty("person", "Alice Again", "FR", external_ref="crm-1"))
    assert again == [AlreadyApplied("party:crm-1", party)]
    assert venue.state.parties[party].name == "Alice"


def test_every_order_and_trade_carries_the_beneficial_owner(venue: Venue) -> None:
    alice = venue.party("Alice")
    carol = venue.party("Carol")
    master = venue.account(alice)
    carols_sub = venue.account(alice, parent=master, beneficial_owner=carol)
    alices_sub = venue.account(alice, parent=master)
    venue.fund(carols_sub, BTC=1)
    venue.fund(alices_sub, USDT=100_000)
    maker = venue.ok(venue.limit(carols_sub, SELL, "60000", "0.1"))
    assert of_type(maker, OrderAccepted)[0].owner == carol
    taker = venue.ok(venue.limit(alices_sub, BUY, "60000", "0.1"))
    assert of_type(taker, OrderAccepted)[0].owner == alice
    (trade,) = trades(taker)
    assert (trade.maker_owner, trade.taker_owner) == (carol, alice)
    assert (trade.maker_account, trade.taker_account) == (carols_sub, alices_sub)


def test_onboarding_creates_party_account_and_key_in_one_step(venue: Venue) -> None:
    events = venue.ok(
        OnboardUser("Alice", "alice@example.com", "DE", 1, KEY, b"sealed", ("read", "spot"))
    )
    party = of_type(events, PartyRegistered)[0].party
    (opened,) = of_type(events, AccountOpened)
    assert (opened.owner, opened.parent, opened.beneficial_owner) == (party, 0, party)
    assert of_type(events, ApiKeyCreated)[0].account == opened.account
    assert venue.state.parties[party].kyc_tier == 1


def test_onboarding_a_sub_account_for_someone_else_names_its_beneficial_owner(
    venue: Venue,
) -> None:
    alice = venue.party("Alice")
    master = venue.account(alice)
    events = venue.ok(
        OnboardUser(
            "Desk 1",
            "",
            "DE",
            0,
            KEY,
            b"sealed",
            ("spot",),
            parent=master,
            beneficial_owner_name="Carol",
            beneficial_owner_country="IT",
        )
    )
    (opened,) = of_type(events, AccountOpened)
    carol = of_type(events, PartyRegistered)[-1].party
    assert (opened.owner, opened.parent, opened.beneficial_owner) == (alice, master, carol)
    assert venue.state.parties[carol].name == "Carol"


def test_a_failed_onboarding_leaves_nothing_behind(venue: Venue) -> None:
    venue.ok(OnboardUser("Alice", "", "DE", 0, KEY, b"sealed", ("spot",)))
    # the key is taken: no party, no account may be created for Bob either
    label = venue.reject(OnboardUser("Bob", "", "FR", 0, KEY, b"sealed", ("spot",)))
    assert label == "NO_CHANGE"
