"""Withdrawal limits belong to the verified person: all their accounts and sub-accounts share one
rolling-24 h allowance per asset, so more accounts never mean more limit (the Binance finding);
no configuration can give tier 0 any allowance."""

from __future__ import annotations

import pytest
from core_harness import STEP_NS, Venue
from identity_support import OFFICER, A, kyc, sub_account, withdraw, withdrawal_id

from clearhouse.core.commands import (
    OpenAccount,
    RejectWithdrawal,
    SetKycLimits,
    TransferBetweenAccounts,
)
from clearhouse.core.errors import INVALID_PARAM_VALUE, WITHDRAWAL_OVER_LIMIT
from clearhouse.core.events import AccountOpened

DAY_NS = 24 * 3_600 * 10**9
LIMIT = 300 * A  # USDT per person per 24 h at tier 1 here (below the Travel Rule threshold)


@pytest.fixture
def venue() -> Venue:
    venue = Venue()
    venue.ok(SetKycLimits(1, (("USDT", LIMIT),)), OFFICER)
    return venue


def _funded(venue: Venue, name: str) -> int:
    return venue.trader(name, USDT=100_000)


def test_a_person_withdraws_up_to_the_limit_and_not_a_unit_more(venue: Venue) -> None:
    alice = _funded(venue, "Alice")
    venue.ok(withdraw(alice, LIMIT - 1, "w-1"))
    venue.ok(withdraw(alice, 1, "w-2"))
    assert venue.reject(withdraw(alice, 1, "w-3")) == WITHDRAWAL_OVER_LIMIT


def test_sub_accounts_of_one_person_share_the_persons_allowance(venue: Venue) -> None:
    alice = _funded(venue, "Alice")
    party = venue.state.accounts[alice].owner
    subs = [sub_account(venue, alice, party) for _ in range(3)]
    for sub in subs:
        venue.ok(TransferBetweenAccounts(alice, sub, "USDT", 10_000 * A))
    venue.ok(withdraw(subs[0], 120 * A, "w-1"))
    venue.ok(withdraw(subs[1], 120 * A, "w-1"))
    assert venue.reject(withdraw(subs[2], 120 * A, "w-1")) == WITHDRAWAL_OVER_LIMIT
    assert venue.reject(withdraw(alice, 61 * A, "w-1")) == WITHDRAWAL_OVER_LIMIT
    venue.ok(withdraw(alice, 60 * A, "w-1"))


def test_a_second_account_does_not_add_allowance(venue: Venue) -> None:
    alice = _funded(venue, "Alice")
    party = venue.state.accounts[alice].owner
    second = [e for e in venue.ok(OpenAccount(party)) if isinstance(e, AccountOpened)][0].account
    venue.fund(second, USDT=100_000)
    venue.ok(withdraw(alice, LIMIT, "w-1"))
    assert venue.reject(withdraw(second, A, "w-1")) == WITHDRAWAL_OVER_LIMIT


def test_a_sub_account_run_for_someone_else_uses_that_persons_own_allowance(
    venue: Venue,
) -> None:
    broker = _funded(venue, "Broker")
    client = venue.party("Client", "IT")
    desk = sub_account(venue, broker, client)
    venue.ok(TransferBetweenAccounts(broker, desk, "USDT", 10_000 * A))
    venue.ok(withdraw(broker, LIMIT, "w-1"))
    venue.ok(withdraw(desk, LIMIT, "w-1"))  # the client's allowance, not the broker's


def test_the_allowance_comes_back_as_the_24_hours_roll_on(venue: Venue) -> None:
    alice = _funded(venue, "Alice")
    venue.ok(withdraw(alice, LIMIT, "w-1"))
    taken_ns = venue.time_ns
    party = venue.state.accounts[alice].owner
    venue.apply(OpenAccount(party), advance_ns=DAY_NS - 2 * STEP_NS)  # the clock moves on
    assert venue.reject(withdraw(alice, A, "w-2")) == WITHDRAWAL_OVER_LIMIT
    assert venue.time_ns == taken_ns + DAY_NS - STEP_NS  # still inside the 24 h
    venue.ok(withdraw(alice, A, "w-3"))  # exactly 24 h later: the first one no longer counts


def test_a_rejected_withdrawal_gives_its_allowance_back(venue: Venue) -> None:
    alice = _funded(venue, "Alice")
    first = withdrawal_id(venue.ok(withdraw(alice, LIMIT, "w-1")))
    assert venue.reject(withdraw(alice, A, "w-2")) == WITHDRAWAL_OVER_LIMIT
    venue.ok(RejectWithdrawal(first, "address typo"))
    venue.ok(withdraw(alice, LIMIT, "w-3"))


def test_a_retried_withdrawal_is_answered_with_its_original_effect_not_a_limit(
    venue: Venue,
) -> None:
    alice = _funded(venue, "Alice")
    venue.ok(withdraw(alice, LIMIT, "w-1"))
    events = venue.ok(withdraw(alice, LIMIT, "w-1"))
    assert type(events[0]).__name__ == "AlreadyApplied"


def test_an_asset_without_a_limit_has_no_allowance(venue: Venue) -> None:
    alice = venue.trader("Alice", BTC=1)
    # the fixture replaced tier 1's table with USDT only
    assert venue.reject(withdraw(alice, 1, "w-1", "BTC")) == WITHDRAWAL_OVER_LIMIT


def test_a_higher_tier_has_its_own_limit(venue: Venue) -> None:
    alice = _funded(venue, "Alice")
    venue.ok(SetKycLimits(2, (("USDT", 3 * LIMIT),)), OFFICER)
    venue.ok(kyc(venue.state.accounts[alice].owner, tier=2, document=f"doc-{1}"))
    venue.ok(withdraw(alice, 3 * LIMIT, "w-1"))


@pytest.mark.parametrize("units", [0, 1, 10**20])
def test_no_configuration_gives_tier_0_any_allowance(venue: Venue, units: int) -> None:
    assert venue.reject(SetKycLimits(0, (("USDT", units),)), OFFICER) == INVALID_PARAM_VALUE
    assert venue.reject(SetKycLimits(0, ()), OFFICER) == INVALID_PARAM_VALUE
    assert 0 not in venue.state.identity.withdrawal_limits


def test_the_genesis_limits_cover_every_default_asset_for_every_verified_tier() -> None:
    limits = Venue().state.identity.withdrawal_limits
    assert sorted(limits) == [1, 2, 3]
    assert all(set(limits[tier]) == {"USDT", "BTC", "ETH", "GT"} for tier in limits)
