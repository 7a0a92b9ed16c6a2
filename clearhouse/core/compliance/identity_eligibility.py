"""Who may trade and who may move money, and keeping `eligible_accounts` true at every step.

A party is in good standing when it is active (not held for review, not blocked), verified
(KYC tier 1 or more, with a verified country), its verified country is not blocked and, for a
business, every declared owner and controller is in good standing too.

An account may move money (withdraw, transfer) when it is active and both its owner and its
beneficial owner are in good standing: a sub-account never borrows its master's verification;
the person it is run for is verified and screened as themself. It may trade when, in addition,
neither party's verified country is restricted, nor (for a business) any of its owners' and
controllers' countries: an offshore company owned from a restricted country is restricted too.

`eligible_accounts` holds exactly the accounts that may trade. Every command that can change an
account's eligibility calls `refresh` for the accounts it touches, which cancels the resting
orders and trigger orders of an account the moment it stops being eligible (in that same
command), so the book never offers a counterparty who may not trade; the matcher still skips and
cancels any maker outside the set (one set lookup per maker), as a second line of defence.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from clearhouse.core.accounts import ACTIVE, BLOCKED, BUSINESS, REVIEW
from clearhouse.core.compliance.jurisdiction import listed
from clearhouse.core.context import Context
from clearhouse.core.errors import (
    ACCOUNT_LOCKED,
    JURISDICTION_BLOCKED,
    JURISDICTION_RESTRICTED,
    KYC_REQUIRED,
)
from clearhouse.core.events import AccountEligibilityChanged
from clearhouse.core.products import spot, spot_triggers
from clearhouse.core.triggers import CANCELLED

if TYPE_CHECKING:
    from clearhouse.core.state import State

Problem = tuple[str, str]  # (label, message) of the refusal it would cause


def party_problem(state: State, party_id: int) -> Problem | None:
    party = state.parties[party_id]
    if party.status == BLOCKED:
        return ACCOUNT_LOCKED, f"party {party_id} is blocked"
    if party.status == REVIEW:
        return ACCOUNT_LOCKED, f"party {party_id} is held for a compliance review"
    registry = state.identity
    country = registry.verified_country.get(party_id, "")
    if party.kyc_tier < 1 or not country:
        return KYC_REQUIRED, f"party {party_id} is not KYC-verified"
    if listed(registry.blocked_jurisdictions, country):
        return JURISDICTION_BLOCKED, f"party {party_id}'s verified country {country} is blocked"
    if party.kind == BUSINESS:
        structure = registry.structure(party_id)
        if structure is None:
            return KYC_REQUIRED, f"business {party_id} has no declared owners and controllers"
        for person in structure.people():
            problem = party_problem(state, person)
            if problem is not None:
                return problem[0], f"business {party_id}: owner or controller {problem[1]}"
    return None


def _parties(state: State, account_id: int) -> tuple[int, ...]:
    account = state.accounts[account_id]
    if account.owner == account.beneficial_owner:
        return (account.owner,)
    return (account.owner, account.beneficial_owner)


def funds_problem(state: State, account_id: int) -> Problem | None:
    """Why this account may not withdraw or transfer, or None."""
    account = state.accounts[account_id]
    if account.status != ACTIVE:
        return ACCOUNT_LOCKED, f"account {account_id} is {account.status}"
    for party_id in _parties(state, account_id):
        problem = party_problem(state, party_id)
        if problem is not None:
            return problem
    return None


def trade_problem(state: State, account_id: int) -> Problem | None:
    """Why this account may not trade, or None."""
    problem = funds_problem(state, account_id)
    if problem is not None:
        return problem
    registry = state.identity
    restricted = registry.restricted_jurisdictions
    if not restricted:
        return None
    for party_id in _parties(state, account_id):
        people: tuple[int, ...] = (party_id,)
        structure = registry.structure(party_id)
        if structure is not None:  # a shell company does not launder its owners' country
            people += structure.people()
        for person in people:
            country = registry.verified_country[person]
            if listed(restricted, country):
                return (
                    JURISDICTION_RESTRICTED,
                    f"trading is not offered in {country} (party {person})",
                )
    return None


def account_verified(state: State, account_id: int) -> bool:
    """Are both parties behind the account past tier 0? (Deposits are held until they are.)"""
    parties = state.parties
    return all(parties[p].kyc_tier >= 1 for p in _parties(state, account_id))


def accounts_of(state: State, party_id: int) -> set[int]:
    """Every account whose eligibility depends on this party: as owner or beneficial owner,
    or as owner or controller of a business that owns or benefits from the account."""
    registry = state.identity
    out = set(registry.accounts_of_party.get(party_id, ()))
    for business in registry.businesses_of_person.get(party_id, ()):
        out.update(registry.accounts_of_party.get(business, ()))
    return out


def refresh(state: State, account_ids: Iterable[int], ctx: Context, reason: str) -> None:
    """Recompute these accounts' eligibility; cancel the orders of any that lost it."""
    eligible = state.identity.eligible_accounts
    lost: list[int] = []
    for account_id in sorted(set(account_ids)):
        now = trade_problem(state, account_id) is None
        if now == (account_id in eligible):
            continue
        if now:
            eligible.add(account_id)
        else:
            eligible.discard(account_id)
            lost.append(account_id)
        ctx.events.append(AccountEligibilityChanged(account_id, now, reason))
    if lost:
        cancel_everything(state, lost, ctx)


def cancel_everything(state: State, account_ids: list[int], ctx: Context) -> None:
    """Cancel the resting orders and the waiting trigger orders of these accounts."""
    for account_id in account_ids:
        for order in state.accounts[account_id].iter_open_orders():
            market = state.markets[order.market]
            market.book.remove(order)
            spot._close_resting(state, market, order, "cancelled", ctx)
    doomed = set(account_ids)
    waiting = sorted(t for t, trigger in state.triggers_by_id.items() if trigger.account in doomed)
    for trigger_id in waiting:
        spot_triggers._close(state, state.triggers_by_id[trigger_id], CANCELLED, ctx)


def recompute_all(state: State) -> set[int]:
    """The eligible set computed from scratch (tests compare it with the live one)."""
    return {a for a in state.accounts if trade_problem(state, a) is None}
