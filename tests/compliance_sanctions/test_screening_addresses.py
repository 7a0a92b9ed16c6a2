"""Crypto addresses: a deposit from a listed address is credited and frozen (the ledger stays
balanced) with a hit for compliance; a withdrawal to a listed address is refused and changes
nothing; delisting releases frozen funds. Chain-specific normalisation decides what "the same
address" is. The Tornado Cash tests use the shared OFAC snapshots and skip without them."""

from __future__ import annotations

from pathlib import Path

import pytest
from screening_support import (
    CLEAN_ETH,
    LISTED_ETH,
    OFFICER,
    STILL_LISTED_ETH,
    TORNADO,
    Venue,
    address_list,
    fixture_list,
    of_type,
    onboard,
    state_fingerprint,
)

from clearhouse.core import invariants
from clearhouse.core.commands import (
    ApproveWithdrawal,
    CreditDeposit,
    ReleaseFrozenDeposit,
    RequestWithdrawal,
)
from clearhouse.core.errors import ADDRESS_SANCTIONED, INVALID_PARAM_VALUE
from clearhouse.core.events import (
    CommandRejected,
    Deposited,
    FundsFrozen,
    FundsReleased,
    SanctionsHit,
    WithdrawalRequested,
)
from clearhouse.core.ledger import EXTERNAL, FROZEN
from clearhouse.sanctions.commands import load_command
from clearhouse.sanctions.paths import sanctions_data_dir

ETH = 10**8  # units per ETH


def frozen(venue: Venue, account: int, code: str) -> int:
    return venue.state.ledger.balance(account, venue.asset(code), FROZEN)


def test_a_deposit_from_a_listed_address_is_credited_frozen_and_raises_a_hit() -> None:
    venue = Venue()
    venue.ok(fixture_list())
    version = venue.state.sanctions.version
    alice = onboard(venue, "Alice Smith")
    lower = LISTED_ETH.lower()  # EVM hex is case-insensitive: same address, other spelling

    events = venue.ok(CreditDeposit(alice, "ETH", 2 * ETH, "tx-1", "ETH", lower))

    deposit_id = of_type(events, Deposited)[0].deposit_id
    assert of_type(events, FundsFrozen) == [
        FundsFrozen(deposit_id, alice, "ETH", 2 * ETH, "ETH", lower, "TEST:2", version)
    ]
    [hit] = of_type(events, SanctionsHit)
    assert (hit.kind, hit.account, hit.entry_id, hit.list_version) == (
        "deposit_address",
        alice,
        "TEST:2",
        version,
    )
    assert venue.available(alice, "ETH") == 0 and frozen(venue, alice, "ETH") == 2 * ETH
    assert venue.state.ledger.balance(EXTERNAL, venue.asset("ETH")) == -2 * ETH
    venue.state.ledger.assert_balanced()
    assert venue.reject(RequestWithdrawal(alice, "ETH", 1, "w-1", CLEAN_ETH)) == (
        "BALANCE_NOT_ENOUGH"
    )


def test_a_deposit_from_a_clean_address_is_credited_normally() -> None:
    venue = Venue()
    venue.ok(fixture_list())
    alice = onboard(venue, "Alice Smith")
    events = venue.ok(CreditDeposit(alice, "ETH", ETH, "tx-1", "ETH", CLEAN_ETH))
    assert not of_type(events, FundsFrozen) and not of_type(events, SanctionsHit)
    assert venue.available(alice, "ETH") == ETH


def test_a_listed_evm_address_is_a_hit_on_every_evm_chain() -> None:
    venue = Venue()
    venue.ok(fixture_list())
    alice = onboard(venue, "Alice Smith")
    events = venue.ok(CreditDeposit(alice, "USDT", 10**8, "tx-1", "BSC", LISTED_ETH))
    assert of_type(events, FundsFrozen)[0].entry_id == "TEST:2"


def test_a_deposit_with_an_address_that_is_not_one_is_refused_and_changes_nothing() -> None:
    venue = Venue()
    venue.ok(fixture_list())
    alice = onboard(venue, "Alice Smith")
    assert venue.reject(CreditDeposit(alice, "ETH", ETH, "tx-1", "ETH", "x" * 300)) == (
        INVALID_PARAM_VALUE
    )
    assert "tx-1" not in venue.state.deposit_txids


def test_a_withdrawal_to_a_listed_address_is_refused_and_changes_nothing() -> None:
    venue = Venue()
    venue.ok(fixture_list())
    alice = onboard(venue, "Alice Smith", USDT=500)
    before = state_fingerprint(venue.state)
    shouted = "0x" + LISTED_ETH[2:].upper()  # EVM hex in another case: the same address
    command = RequestWithdrawal(alice, "USDT", 100 * 10**8, "w-1", shouted, "ETH")
    assert venue.reject(command) == ADDRESS_SANCTIONED
    [refusal] = venue.apply(command)
    assert isinstance(refusal, CommandRejected)
    assert "TEST:2" in refusal.message and venue.state.sanctions.version in refusal.message
    assert state_fingerprint(venue.state) == before
    assert venue.state.withdrawals == {}


def test_a_bare_address_list_blocks_withdrawals_with_the_address_as_its_entry() -> None:
    venue = Venue()
    venue.ok(address_list("v1", ("XBT", "12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h")))
    alice = onboard(venue, "Alice Smith", USDT=500)
    command = RequestWithdrawal(alice, "USDT", 10**8, "w-1", "12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h")
    assert venue.reject(command) == ADDRESS_SANCTIONED
    # base58 keeps its case: a different case is a different (and here unlisted) address
    other = RequestWithdrawal(alice, "USDT", 10**8, "w-2", "12qtd5bfwrsdnsazy76uve1xycgntojh9h")
    venue.ok(other)


def test_approving_a_withdrawal_whose_address_was_listed_since_is_refused() -> None:
    venue = Venue()
    alice = onboard(venue, "Alice Smith", USDT=500)
    events = venue.ok(RequestWithdrawal(alice, "USDT", 10**8, "w-1", LISTED_ETH, "ETH"))
    withdrawal_id = of_type(events, WithdrawalRequested)[0].withdrawal_id
    venue.ok(fixture_list())
    assert venue.reject(ApproveWithdrawal(withdrawal_id, "0xtx")) == ADDRESS_SANCTIONED
    assert venue.state.withdrawals[withdrawal_id].status == "pending"


def test_delisting_the_address_releases_the_frozen_funds() -> None:
    venue = Venue()
    venue.ok(fixture_list("v1"))
    alice = onboard(venue, "Alice Smith")
    venue.ok(CreditDeposit(alice, "ETH", ETH, "tx-1", "ETH", LISTED_ETH))
    without_wallets = tuple(e for e in fixture_list().entries if e.entry_id != "TEST:2")
    events = venue.ok(fixture_list("v2", without_wallets))
    [released] = of_type(events, FundsReleased)
    assert (released.reason, released.amount_units, released.list_version) == (
        "delisted",
        ETH,
        venue.state.sanctions.version,
    )
    assert venue.available(alice, "ETH") == ETH and frozen(venue, alice, "ETH") == 0
    assert venue.state.sanctions.frozen == {}


def test_a_compliance_officer_can_release_frozen_funds_with_a_reason() -> None:
    venue = Venue()
    venue.ok(fixture_list())
    alice = onboard(venue, "Alice Smith")
    events = venue.ok(CreditDeposit(alice, "ETH", ETH, "tx-1", "ETH", LISTED_ETH))
    deposit_id = of_type(events, Deposited)[0].deposit_id
    assert venue.reject(ReleaseFrozenDeposit(deposit_id, "licence")) == INVALID_PARAM_VALUE
    assert venue.reject(ReleaseFrozenDeposit(deposit_id, ""), OFFICER) == INVALID_PARAM_VALUE
    assert venue.reject(ReleaseFrozenDeposit(404, "licence"), OFFICER) == INVALID_PARAM_VALUE
    events = venue.ok(ReleaseFrozenDeposit(deposit_id, "OFAC licence GL-1"), OFFICER)
    assert [(e.reason, e.actor) for e in of_type(events, FundsReleased)] == [
        ("OFAC licence GL-1", "compliance-officer")
    ]
    assert venue.available(alice, "ETH") == ETH
    invariants.assert_all(venue.state)


# --- Tornado Cash: listed in the 2024 snapshot, delisted in the 2025 one ------------------------
def shared_lists() -> Path:
    path = sanctions_data_dir()
    if path is None:
        pytest.skip("shared sanctions data not present (../shared/data or CLEARHOUSE_SHARED_DATA)")
    return path


def test_tornado_cash_is_frozen_under_the_2024_list_and_released_by_the_2025_list() -> None:
    data = shared_lists()
    venue = Venue()
    venue.ok(load_command("ofac_crypto_addresses", data / "ofac_crypto_addresses_2024-09-27"))
    listed_2024 = venue.state.sanctions.version
    alice = onboard(venue, "Alice Smith", USDT=5_000)
    events = venue.ok(CreditDeposit(alice, "ETH", ETH, "tx-tc", "ETH", TORNADO))
    assert of_type(events, FundsFrozen)[0].list_version == listed_2024
    assert venue.reject(RequestWithdrawal(alice, "USDT", 10**8, "w-1", TORNADO)) == (
        ADDRESS_SANCTIONED
    )

    events = venue.ok(
        load_command("ofac_crypto_addresses", data / "ofac_crypto_addresses_2025-11-19")
    )

    [released] = of_type(events, FundsReleased)
    assert released.reason == "delisted" and released.list_version != listed_2024
    assert venue.available(alice, "ETH") == ETH
    venue.ok(RequestWithdrawal(alice, "USDT", 10**8, "w-1", TORNADO))
    # an address on both snapshots stays listed
    assert venue.reject(RequestWithdrawal(alice, "USDT", 10**8, "w-2", STILL_LISTED_ETH)) == (
        ADDRESS_SANCTIONED
    )
