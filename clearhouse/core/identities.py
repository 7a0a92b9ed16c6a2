"""Registering parties and opening accounts and sub-accounts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clearhouse.core.accounts import (
    MAX_NAME_CHARS,
    MAX_SUB_ACCOUNTS,
    PARTY_KINDS,
    PERSON,
    Account,
    Party,
)
from clearhouse.core.api_keys import add_key, validate_key_spec
from clearhouse.core.commands import (
    OnboardUser,
    OpenAccount,
    RegisterParty,
    SetFeeTier,
    SetStpGroup,
)
from clearhouse.core.compliance import kyc, sanctions_engine
from clearhouse.core.context import Context
from clearhouse.core.errors import (
    INVALID_PARAM_VALUE,
    NO_CHANGE,
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


MAX_KYC_TIER = 3
MAX_EMAIL_CHARS = 254


def _validate_party(kind: str, name: str, country: str) -> None:
    if kind not in PARTY_KINDS:
        raise Rejected(INVALID_PARAM_VALUE, f"kind must be one of {', '.join(PARTY_KINDS)}")
    if not name.strip() or len(name) > MAX_NAME_CHARS:
        raise Rejected(INVALID_PARAM_VALUE, f"name must be 1..{MAX_NAME_CHARS} characters")
    if country and (len(country) != 2 or not country.isalpha() or not country.isupper()):
        raise Rejected(INVALID_PARAM_VALUE, "country must be an ISO 3166 alpha-2 code")


def _new_party(
    state: State, kind: str, name: str, country: str, external_ref: str, ctx: Context
) -> Party:
    party_id = state.next_party_id
    state.next_party_id += 1
    party = Party(party_id, kind, name, country, external_ref)
    state.parties[party_id] = party
    if external_ref:
        state.party_refs[external_ref] = party_id
    ctx.events.append(PartyRegistered(party_id, kind, name))
    sanctions_engine.screen_new_party(state, party, ctx)
    kyc.party_registered(state, party, ctx)  # a blocked identity coming back is held
    return party


def _validate_parent(state: State, parent_id: int, owner: int) -> Account:
    parent = state.accounts.get(parent_id)
    if parent is None:
        raise Rejected(SUB_ACCOUNT_NOT_FOUND, f"parent account {parent_id} not found")
    if parent.parent:
        raise Rejected(INVALID_PARAM_VALUE, "a sub-account cannot have sub-accounts")
    if parent.owner != owner:
        raise Rejected(INVALID_PARAM_VALUE, "a sub-account is owned by its master's owner")
    if len(parent.sub_accounts) >= MAX_SUB_ACCOUNTS:
        raise Rejected(INVALID_PARAM_VALUE, f"at most {MAX_SUB_ACCOUNTS} sub-accounts")
    return parent


def _new_account(
    state: State, owner: int, parent: Account | None, beneficial_owner: int, label: str,
    ctx: Context,
) -> Account:  # fmt: skip
    account_id = state.next_account_id
    state.next_account_id += 1
    parent_id = parent.account_id if parent is not None else 0
    account = Account(account_id, owner, parent_id, beneficial_owner, label)
    state.accounts[account_id] = account
    if parent is not None:
        parent.sub_accounts.append(account_id)
    ctx.events.append(AccountOpened(account_id, owner, parent_id, beneficial_owner))
    kyc.account_opened(state, account, ctx)  # eligible to trade only if its parties are
    return account


def register_party(state: State, cmd: RegisterParty, ctx: Context) -> None:
    if cmd.external_ref:
        seen = state.party_refs.get(cmd.external_ref)
        if seen is not None:
            ctx.events.append(AlreadyApplied("party:" + cmd.external_ref, seen))
            return
    _validate_party(cmd.kind, cmd.name, cmd.country)
    # --- nothing above this line writes ---
    _new_party(state, cmd.kind, cmd.name, cmd.country, cmd.external_ref, ctx)


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
        parent = _validate_parent(state, cmd.parent, cmd.owner)
    elif cmd.beneficial_owner and cmd.beneficial_owner != cmd.owner:
        raise Rejected(INVALID_PARAM_VALUE, "a master account's beneficial owner is its owner")
    # --- nothing above this line writes ---
    _new_account(state, cmd.owner, parent, beneficial_owner, cmd.label, ctx)


def onboard_user(state: State, cmd: OnboardUser, ctx: Context) -> None:
    """Party + account (or sub-account) + first API key, all or nothing.

    A top-level account is owned by the named party. A sub-account is owned by its master's
    owner and its beneficial owner is the named party (or the separately named beneficial
    owner), who is a person the venue knows and screens in their own right."""
    _validate_party(cmd.kind, cmd.name, cmd.country)
    if len(cmd.email) > MAX_EMAIL_CHARS or (cmd.email and "@" not in cmd.email):
        raise Rejected(INVALID_PARAM_VALUE, "email is not an address")
    if not 0 <= cmd.kyc_tier <= MAX_KYC_TIER:
        raise Rejected(INVALID_PARAM_VALUE, f"kyc_tier must be 0..{MAX_KYC_TIER}")
    if cmd.kyc_tier and not cmd.country:
        raise Rejected(INVALID_PARAM_VALUE, "a verified kyc_tier needs the verified country")
    validate_key_spec(cmd.key, cmd.permissions, cmd.ip_allowlist)
    if cmd.key in state.api_keys:
        raise Rejected(NO_CHANGE, "key already exists")
    parent: Account | None = None
    if cmd.parent:
        master = state.accounts.get(cmd.parent)
        if master is None:
            raise Rejected(SUB_ACCOUNT_NOT_FOUND, f"parent account {cmd.parent} not found")
        parent = _validate_parent(state, cmd.parent, master.owner)
        if cmd.beneficial_owner_name:
            _validate_party(PERSON, cmd.beneficial_owner_name, cmd.beneficial_owner_country)
    elif cmd.beneficial_owner_name:
        raise Rejected(INVALID_PARAM_VALUE, "only a sub-account names a separate beneficial owner")
    # --- nothing above this line writes ---
    party = _new_party(state, cmd.kind, cmd.name, cmd.country, "", ctx)
    party.email = cmd.email
    kyc.record_onboarding(state, party, cmd.kyc_tier, cmd.country, ctx)
    if parent is None:
        account = _new_account(state, party.party_id, None, party.party_id, "", ctx)
    else:
        beneficial = party
        if cmd.beneficial_owner_name:
            beneficial = _new_party(
                state, PERSON, cmd.beneficial_owner_name, cmd.beneficial_owner_country, "", ctx
            )
        account = _new_account(state, parent.owner, parent, beneficial.party_id, "", ctx)
    add_key(
        state, account.account_id, cmd.key, cmd.secret_sealed, cmd.permissions,
        cmd.ip_allowlist, "", ctx,
    )  # fmt: skip


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
