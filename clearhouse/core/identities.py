"""Registering parties and opening accounts and sub-accounts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clearhouse.core.accounts import MAX_NAME_CHARS, MAX_SUB_ACCOUNTS, PARTY_KINDS, Account, Party
from clearhouse.core.commands import OpenAccount, RegisterParty, SetFeeTier, SetStpGroup
from clearhouse.core.context import Context
from clearhouse.core.errors import (
    INVALID_PARAM_VALUE,
    SUB_ACCOUNT_NOT_FOUND,
    USER_NOT_FOUND,
    Rejected,
)
from clearhouse.core.events import (
    AccountOpened,
    AlreadyApplied,
    FeeTierSet,
    PartyRegistered,
    StpGroupSet,
)
from clearhouse.core.listing import MAX_FEE_TIERS

if TYPE_CHECKING:
    from clearhouse.core.state import State

MAX_STP_GROUP = 2**31 - 1


def register_party(state: State, cmd: RegisterParty, ctx: Context) -> None:
    if cmd.external_ref:
        seen = state.party_refs.get(cmd.external_ref)
        if seen is not None:
            ctx.events.append(AlreadyApplied("party:" + cmd.external_ref, seen))
            return
    if cmd.kind not in PARTY_KINDS:
        raise Rejected(INVALID_PARAM_VALUE, f"kind must be one of {', '.join(PARTY_KINDS)}")
    if not cmd.name.strip() or len(cmd.name) > MAX_NAME_CHARS:
        raise Rejected(INVALID_PARAM_VALUE, f"name must be 1..{MAX_NAME_CHARS} characters")
    if cmd.country and (
        len(cmd.country) != 2 or not cmd.country.isalpha() or not cmd.country.isupper()
    ):
        raise Rejected(INVALID_PARAM_VALUE, "country must be an ISO 3166 alpha-2 code")
    # --- nothing above this line writes ---
    party_id = state.next_party_id
    state.next_party_id += 1
    state.parties[party_id] = Party(party_id, cmd.kind, cmd.name, cmd.country, cmd.external_ref)
    if cmd.external_ref:
        state.party_refs[cmd.external_ref] = party_id
    ctx.events.append(PartyRegistered(party_id, cmd.kind, cmd.name))


def open_account(state: State, cmd: OpenAccount, ctx: Context) -> None:
    if cmd.owner not in state.parties:
        raise Rejected(USER_NOT_FOUND, f"party {cmd.owner} not found")
    beneficial_owner = cmd.beneficial_owner or cmd.owner
    if beneficial_owner not in state.parties:
        raise Rejected(USER_NOT_FOUND, f"beneficial owner {beneficial_owner} not found")
    if len(cmd.label) > MAX_NAME_CHARS:
        raise Rejected(INVALID_PARAM_VALUE, "label too long")
    parent: Account | None = None
    if cmd.parent:
        parent = state.accounts.get(cmd.parent)
        if parent is None:
            raise Rejected(SUB_ACCOUNT_NOT_FOUND, f"parent account {cmd.parent} not found")
        if parent.parent:
            raise Rejected(INVALID_PARAM_VALUE, "a sub-account cannot have sub-accounts")
        if parent.owner != cmd.owner:
            raise Rejected(INVALID_PARAM_VALUE, "a sub-account is owned by its master's owner")
        if len(parent.sub_accounts) >= MAX_SUB_ACCOUNTS:
            raise Rejected(INVALID_PARAM_VALUE, f"at most {MAX_SUB_ACCOUNTS} sub-accounts")
    elif cmd.beneficial_owner and cmd.beneficial_owner != cmd.owner:
        raise Rejected(INVALID_PARAM_VALUE, "a master account's beneficial owner is its owner")
    # --- nothing above this line writes ---
    account_id = state.next_account_id
    state.next_account_id += 1
    state.accounts[account_id] = Account(
        account_id, cmd.owner, cmd.parent, beneficial_owner, cmd.label
    )
    if parent is not None:
        parent.sub_accounts.append(account_id)
    ctx.events.append(AccountOpened(account_id, cmd.owner, cmd.parent, beneficial_owner))


def set_fee_tier(state: State, cmd: SetFeeTier, ctx: Context) -> None:
    account = state.require_account(cmd.account)
    if not 0 <= cmd.tier < MAX_FEE_TIERS:
        raise Rejected(INVALID_PARAM_VALUE, f"fee tier must be 0..{MAX_FEE_TIERS - 1}")
    # --- nothing above this line writes ---
    account.fee_tier = cmd.tier
    ctx.events.append(FeeTierSet(cmd.account, cmd.tier))


def set_stp_group(state: State, cmd: SetStpGroup, ctx: Context) -> None:
    account = state.require_account(cmd.account)
    if not 0 <= cmd.group <= MAX_STP_GROUP:
        raise Rejected(INVALID_PARAM_VALUE, "stp group out of range")
    # --- nothing above this line writes ---
    account.stp_group = cmd.group
    ctx.events.append(StpGroupSet(cmd.account, cmd.group))
