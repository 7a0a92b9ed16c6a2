"""Words the identity and jurisdiction rulebook tests are written in."""

from __future__ import annotations

from typing import Final

from core_harness import Venue, of_type

from clearhouse.core.commands import (
    DecideKyc,
    Facts,
    RegisterParty,
    RequestWithdrawal,
)
from clearhouse.core.compliance.identity_eligibility import recompute_all
from clearhouse.core.events import Event, PartyRegistered, WithdrawalRequested
from clearhouse.core.ledger import KYC_HELD

OFFICER: Final = Facts(channel="admin", actor="officer-1", reason="rulebook")
SECOND_OFFICER: Final = Facts(channel="admin", actor="officer-2", reason="rulebook")
A: Final = 10**8  # one whole unit of an asset at scale 8


def rest(ip: str, country: str, step_up: str = "", device: str = "") -> Facts:
    """A customer request as the gateway observed it."""
    return Facts(channel="rest", ip=ip, country=country, step_up=step_up, device=device)


def unverified(venue: Venue, name: str, country: str = "DE", facts: Facts | None = None) -> int:
    events = venue.ok(RegisterParty("person", name, country), facts)
    return of_type(events, PartyRegistered)[0].party


def kyc(
    party: int,
    tier: int = 1,
    country: str = "DE",
    document: str = "",
    devices: tuple[str, ...] = (),
) -> DecideKyc:
    return DecideKyc(
        party,
        tier,
        "test-kyc",
        (f"check-{party}-{tier}",) if tier else (),
        country if tier else "",
        (document or f"doc-{party}") if tier else "",
        "kyc-officer",
        devices,
    )


def sub_account(venue: Venue, master: int, beneficial_owner: int) -> int:
    owner = venue.state.accounts[master].owner
    return venue.account(owner, parent=master, beneficial_owner=beneficial_owner)


def withdraw(account: int, units: int, client_id: str, asset: str = "USDT") -> RequestWithdrawal:
    return RequestWithdrawal(account, asset, units, client_id, "0xabc")


def withdrawal_id(events: list[Event]) -> int:
    return of_type(events, WithdrawalRequested)[0].withdrawal_id


def held_for_kyc(venue: Venue, account: int, code: str) -> int:
    return venue.state.ledger.balance(account, venue.asset(code), KYC_HELD)


def assert_eligibility_consistent(venue: Venue) -> None:
    """The live eligible set is what a recomputation from scratch says, and no ineligible
    account has an open order or a waiting trigger order."""
    state = venue.state
    assert state.identity.eligible_accounts == recompute_all(state)
    for account_id, account in state.accounts.items():
        if account_id not in state.identity.eligible_accounts:
            assert account.open_order_count == 0, account_id
    for trigger in state.triggers_by_id.values():
        assert trigger.account in state.identity.eligible_accounts
