"""KYC: verification results, business structures, party and account status, held deposits.

- `DecideKyc` records an external verification result (provider, evidence references, document
  hash, verified country, who decided). Tier 0 is unverified: no trading and no withdrawal;
  deposits are credited to the owner's KYC_HELD ledger bucket and move to AVAILABLE when the
  verification passes. The first verified country is recorded here and is write-once.
- A person, document or device that belongs to a blocked party, or a document already verified
  for another party (one person, one identity), puts the new party on hold for review: status
  "review", which can neither trade nor withdraw until an officer releases it.
- A business declares owners (each at least 25 %) and controllers, all persons. Blocking any of
  them blocks the business; the business is in good standing only while all of them are.
- Blocking a party or freezing an account cancels the orders of every account it touches, in the
  same command (identity_eligibility.refresh).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from clearhouse.core.accounts import ACTIVE, BLOCKED, BUSINESS, FROZEN, PERSON, REVIEW, Party
from clearhouse.core.commands import (
    CreditDeposit,
    DecideKyc,
    DeclareBusinessStructure,
    EnrolStepUp,
    SetAccountStatus,
    SetPartyStatus,
)
from clearhouse.core.compliance import identity_eligibility
from clearhouse.core.compliance.identity_state import (
    SOURCE_KYC,
    BusinessStructure,
    CountryRecord,
    KycRecord,
    device_mark,
    document_mark,
    name_mark,
)
from clearhouse.core.compliance.jurisdiction import require_code
from clearhouse.core.context import Context
from clearhouse.core.errors import INVALID_PARAM_VALUE, NO_CHANGE, USER_NOT_FOUND, Rejected
from clearhouse.core.events import (
    AccountStatusChanged,
    BusinessStructureDeclared,
    Deposited,
    DepositHeldForKyc,
    KycDecided,
    KycHoldReleased,
    PartyStatusChanged,
    StepUpEnrolled,
)
from clearhouse.core.ledger import AVAILABLE, KYC_HELD, ledger_key
from clearhouse.core.wallet import credit_deposit as credit_deposit_to_wallet

if TYPE_CHECKING:
    from clearhouse.core.accounts import Account
    from clearhouse.core.state import State

MAX_KYC_TIER: Final = 3
PARTY_STATUSES: Final = (ACTIVE, REVIEW, BLOCKED)
ACCOUNT_STATUSES: Final = (ACTIVE, FROZEN)
MAX_EVIDENCE_REFS: Final = 16
MAX_DEVICES: Final = 16
MAX_REF_CHARS: Final = 256
MAX_NAME_CHARS: Final = 128
MAX_OWNERS: Final = 4  # each holds at least 25 %
MIN_OWNER_SHARE_BP: Final = 2_500
FULL_SHARE_BP: Final = 10_000
MAX_CONTROLLERS: Final = 16
MAX_SEALED_SECRET_BYTES: Final = 512


def _text(what: str, value: str, limit: int) -> None:
    if not value.strip() or len(value) > limit or not value.isprintable():
        raise Rejected(INVALID_PARAM_VALUE, f"{what} must be 1..{limit} printable characters")


def _party(state: State, party_id: int) -> Party:
    party = state.parties.get(party_id)
    if party is None:
        raise Rejected(USER_NOT_FOUND, f"party {party_id} not found")
    return party


def _person(state: State, party_id: int) -> None:
    if _party(state, party_id).kind != PERSON:
        raise Rejected(INVALID_PARAM_VALUE, f"party {party_id} is not a person")


# --- verification results -------------------------------------------------------------------------
def _validate_kyc(state: State, cmd: DecideKyc, party: Party) -> None:
    if not 0 <= cmd.tier <= MAX_KYC_TIER:
        raise Rejected(INVALID_PARAM_VALUE, f"tier must be 0..{MAX_KYC_TIER}")
    _text("provider", cmd.provider, MAX_NAME_CHARS)
    _text("decided_by", cmd.decided_by, MAX_NAME_CHARS)
    if len(cmd.evidence_refs) > MAX_EVIDENCE_REFS or len(cmd.devices) > MAX_DEVICES:
        raise Rejected(
            INVALID_PARAM_VALUE, f"at most {MAX_EVIDENCE_REFS} evidence refs and devices"
        )
    for ref in cmd.evidence_refs + cmd.devices:
        _text("an evidence reference or device", ref, MAX_REF_CHARS)
    if cmd.document_hash:
        _text("document_hash", cmd.document_hash, MAX_REF_CHARS)
    if cmd.tier >= 1:
        if not cmd.evidence_refs or not cmd.document_hash or not cmd.verified_country:
            raise Rejected(
                INVALID_PARAM_VALUE,
                "a verified tier needs evidence, the document hash and the verified country: "
                "self-declaration is never enough",
            )
        if party.kind == BUSINESS and state.identity.structure(party.party_id) is None:
            raise Rejected(INVALID_PARAM_VALUE, "declare the business's owners and controllers")
    if cmd.verified_country:
        require_code(cmd.verified_country)
        current = state.identity.verified_country.get(party.party_id, "")
        if current and current != cmd.verified_country:
            raise Rejected(
                INVALID_PARAM_VALUE,
                f"the verified country {current} is write-once; propose a correction instead",
            )


def decide_kyc(state: State, cmd: DecideKyc, ctx: Context) -> None:
    party = _party(state, cmd.party)
    _validate_kyc(state, cmd, party)
    # --- nothing above this line writes ---
    registry = state.identity
    facts = ctx.facts
    record = KycRecord(
        len(registry.kyc_records) + 1, cmd.party, cmd.tier, cmd.provider, cmd.evidence_refs,
        cmd.verified_country, cmd.document_hash, cmd.devices, cmd.decided_by, facts.actor,
        facts.reason, ctx.time_ns,
    )  # fmt: skip
    _record(state, party, record, ctx)
    marks = [device_mark(device) for device in cmd.devices]
    if cmd.document_hash:
        marks.insert(0, document_mark(cmd.document_hash))
    _hold_if_marked(state, party, marks, ctx)
    party_changed(state, cmd.party, ctx, f"KYC tier {cmd.tier}")


def _record(state: State, party: Party, record: KycRecord, ctx: Context) -> None:
    registry = state.identity
    registry.kyc_records.append(record)
    party.kyc_tier = record.tier
    if record.verified_country and party.party_id not in registry.verified_country:
        registry.record_country(
            CountryRecord(
                len(registry.country_records) + 1,
                party.party_id,
                record.verified_country,
                SOURCE_KYC,
                record.record_id,
                0,
                record.decided_by,
                "",
                ctx.time_ns,
            )
        )
    ctx.events.append(
        KycDecided(
            record.record_id,
            party.party_id,
            record.tier,
            record.verified_country,
            record.provider,
            record.decided_by,
        )
    )


def record_onboarding(state: State, party: Party, tier: int, country: str, ctx: Context) -> None:
    """`OnboardUser` with a verified tier: the operator attests the verification (the evidence
    is the attributed onboarding command itself; the country it names is the verified one)."""
    if tier < 1:
        party.kyc_tier = tier
        return
    actor = ctx.facts.actor or "onboarding"
    record = KycRecord(
        len(state.identity.kyc_records) + 1, party.party_id, tier, "onboarding",
        (f"onboarding:{actor}",), country, "", (), actor, ctx.facts.actor, ctx.facts.reason,
        ctx.time_ns,
    )  # fmt: skip
    _record(state, party, record, ctx)


def _held_reason(state: State, party_id: int, marks: list[str]) -> str:
    registry = state.identity
    parties = state.parties
    for mark in marks:
        for other in registry.marks.get(mark, ()):
            if other == party_id:
                continue
            kind = mark.partition(":")[0]
            if parties[other].status == BLOCKED:
                return f"{kind} of blocked party {other}"
            if kind == "document":
                return f"document already verified for party {other}"
    return ""


def _hold_if_marked(state: State, party: Party, marks: list[str], ctx: Context) -> None:
    """Re-onboarding what was blocked (or a second identity on one document) waits for review."""
    reason = _held_reason(state, party.party_id, marks)
    for mark in marks:
        state.identity.add_mark(mark, party.party_id)
    if reason and party.status == ACTIVE:
        party.status = REVIEW
        ctx.events.append(PartyStatusChanged(party.party_id, REVIEW, reason, ctx.facts.actor))


def party_registered(state: State, party: Party, ctx: Context) -> None:
    """Called for every new party (RegisterParty, OnboardUser)."""
    marks = [name_mark(party.name, party.country)]
    device = ctx.facts.device
    if device and len(device) <= MAX_REF_CHARS:
        state.identity.registration_devices[party.party_id] = device
        marks.append(device_mark(device))
    _hold_if_marked(state, party, marks, ctx)


def account_opened(state: State, account: Account, ctx: Context) -> None:
    """Called for every new account (OpenAccount, OnboardUser)."""
    registry = state.identity
    registry.link_account(account.owner, account.account_id)
    registry.link_account(account.beneficial_owner, account.account_id)
    identity_eligibility.refresh(state, (account.account_id,), ctx, "account opened")


def party_changed(state: State, party_id: int, ctx: Context, reason: str) -> None:
    """After anything that can change a party's standing: release held deposits of accounts
    that are now verified, and refresh the eligibility of every account the party touches."""
    touched = identity_eligibility.accounts_of(state, party_id)
    release_kyc_holds(state, touched, ctx)
    identity_eligibility.refresh(state, touched, ctx, reason)


# --- deposits -------------------------------------------------------------------------------------
def credit_deposit(state: State, cmd: CreditDeposit, ctx: Context) -> None:
    """Deposits are always credited (the money arrived); to an unverified owner they are held."""
    credit_deposit_to_wallet(state, cmd, ctx)
    # the credit is the last event unless screening froze it (then it stays frozen)
    deposited = ctx.events[-1] if ctx.events else None
    if type(deposited) is not Deposited or identity_eligibility.account_verified(
        state, cmd.account
    ):
        return
    asset = state.asset_index[cmd.asset]
    state.ledger.transfer(
        ledger_key(cmd.account, asset, AVAILABLE),
        ledger_key(cmd.account, asset, KYC_HELD),
        cmd.amount_units,
    )
    ctx.events.append(
        DepositHeldForKyc(deposited.deposit_id, cmd.account, cmd.asset, cmd.amount_units)
    )


def release_kyc_holds(state: State, account_ids: set[int], ctx: Context) -> None:
    balances = state.ledger.balances
    for account_id in sorted(account_ids):
        if not identity_eligibility.account_verified(state, account_id):
            continue
        for code in state.asset_codes:
            asset = state.asset_index[code]
            held_key = ledger_key(account_id, asset, KYC_HELD)
            units = balances.get(held_key, 0)
            if units:
                state.ledger.transfer(held_key, ledger_key(account_id, asset, AVAILABLE), units)
                ctx.events.append(KycHoldReleased(account_id, code, units))


# --- status -------------------------------------------------------------------------------------
def set_party_status(state: State, cmd: SetPartyStatus, ctx: Context) -> None:
    party = _party(state, cmd.party)
    if cmd.status not in PARTY_STATUSES:
        raise Rejected(INVALID_PARAM_VALUE, f"status must be one of {', '.join(PARTY_STATUSES)}")
    if cmd.status == party.status:
        raise Rejected(NO_CHANGE, f"party {cmd.party} is already {cmd.status}")
    # --- nothing above this line writes ---
    actor = ctx.facts.actor
    party.status = cmd.status
    ctx.events.append(PartyStatusChanged(cmd.party, cmd.status, ctx.facts.reason, actor))
    if cmd.status == BLOCKED:
        for business in sorted(state.identity.businesses_of_person.get(cmd.party, ())):
            _block_business(state, business, cmd.party, ctx)
    party_changed(state, cmd.party, ctx, f"party {cmd.party} {cmd.status}")


def _block_business(state: State, business_id: int, person: int, ctx: Context) -> None:
    business = state.parties[business_id]
    if business.status != BLOCKED:
        business.status = BLOCKED
        reason = f"owner or controller {person} is blocked"
        ctx.events.append(PartyStatusChanged(business_id, BLOCKED, reason, ctx.facts.actor))


def set_account_status(state: State, cmd: SetAccountStatus, ctx: Context) -> None:
    account = state.require_account(cmd.account)
    if cmd.status not in ACCOUNT_STATUSES:
        raise Rejected(INVALID_PARAM_VALUE, f"status must be one of {', '.join(ACCOUNT_STATUSES)}")
    if cmd.status == account.status:
        raise Rejected(NO_CHANGE, f"account {cmd.account} is already {cmd.status}")
    # --- nothing above this line writes ---
    account.status = cmd.status
    facts = ctx.facts
    ctx.events.append(AccountStatusChanged(cmd.account, cmd.status, facts.reason, facts.actor))
    identity_eligibility.refresh(state, (cmd.account,), ctx, f"account {cmd.status}")


# --- businesses -----------------------------------------------------------------------------------
def _validate_structure(state: State, cmd: DeclareBusinessStructure) -> None:
    if _party(state, cmd.business).kind != BUSINESS:
        raise Rejected(INVALID_PARAM_VALUE, f"party {cmd.business} is not a business")
    if len(cmd.owners) > MAX_OWNERS:
        raise Rejected(INVALID_PARAM_VALUE, f"at most {MAX_OWNERS} owners of 25 % or more")
    if not 1 <= len(cmd.controllers) <= MAX_CONTROLLERS:
        raise Rejected(INVALID_PARAM_VALUE, f"1..{MAX_CONTROLLERS} controllers")
    total = 0
    for person, share_bp in cmd.owners:
        _person(state, person)
        if not MIN_OWNER_SHARE_BP <= share_bp <= FULL_SHARE_BP:
            raise Rejected(INVALID_PARAM_VALUE, "an owner listed holds 25 % (2,500 bp) or more")
        total += share_bp
    if total > FULL_SHARE_BP:
        raise Rejected(INVALID_PARAM_VALUE, "owners' shares add up to more than 100 %")
    for person in cmd.controllers:
        _person(state, person)
    owners = [person for person, _ in cmd.owners]
    if len(set(owners)) < len(owners) or len(set(cmd.controllers)) < len(cmd.controllers):
        raise Rejected(INVALID_PARAM_VALUE, "an owner or controller is listed twice")


def declare_business_structure(state: State, cmd: DeclareBusinessStructure, ctx: Context) -> None:
    _validate_structure(state, cmd)
    # --- nothing above this line writes ---
    registry = state.identity
    actor = ctx.facts.actor
    structure = BusinessStructure(cmd.business, cmd.owners, cmd.controllers, actor, ctx.time_ns)
    old = registry.structure(cmd.business)
    registry.structures.setdefault(cmd.business, []).append(structure)
    registry.set_structure_links(old, structure)
    ctx.events.append(BusinessStructureDeclared(cmd.business, cmd.owners, cmd.controllers, actor))
    for person in structure.people():
        if state.parties[person].status == BLOCKED:
            _block_business(state, cmd.business, person, ctx)
            break
    party_changed(state, cmd.business, ctx, "business structure declared")


# --- step-up --------------------------------------------------------------------------------------
def enrol_step_up(state: State, cmd: EnrolStepUp, ctx: Context) -> None:
    _party(state, cmd.party)
    if not 0 < len(cmd.secret_sealed) <= MAX_SEALED_SECRET_BYTES:
        raise Rejected(INVALID_PARAM_VALUE, "the sealed secret is empty or too long")
    # --- nothing above this line writes ---
    state.identity.step_up_secrets[cmd.party] = cmd.secret_sealed
    ctx.events.append(StepUpEnrolled(cmd.party))
