"""Commands on jurisdictions: the lists, the local-address policy, and country corrections.

A verified country is write-once. Changing it takes two people: one proposes a correction with
evidence, a different one approves it. The approval appends a new country record that points at
the one it supersedes; the old record stays, so the history (and who changed what, when, on what
evidence) is never lost and a report can never silently remap a country.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from clearhouse.core.commands import (
    ApproveCountryCorrection,
    ProposeCountryCorrection,
    RejectCountryCorrection,
    SetJurisdictionList,
    SetLocalAddressPolicy,
)
from clearhouse.core.compliance import identity_eligibility
from clearhouse.core.compliance.identity_state import (
    APPROVED,
    PENDING,
    REJECTED,
    SOURCE_CORRECTION,
    CountryCorrection,
    CountryRecord,
)
from clearhouse.core.compliance.jurisdiction import (
    BLOCKED_LIST,
    LIST_NAMES,
    MAX_CODES,
    require_code,
)
from clearhouse.core.compliance.kyc import MAX_REF_CHARS, party_changed
from clearhouse.core.context import Context
from clearhouse.core.errors import (
    FORBIDDEN,
    INVALID_PARAM_VALUE,
    NO_CHANGE,
    USER_NOT_FOUND,
    Rejected,
)
from clearhouse.core.events import (
    CountryCorrected,
    CountryCorrectionProposed,
    CountryCorrectionRejected,
    JurisdictionListSet,
    LocalAddressPolicySet,
)

if TYPE_CHECKING:
    from clearhouse.core.state import State

MAX_PENDING_CORRECTIONS: Final = 1  # per party: one proposal at a time


# --- lists ----------------------------------------------------------------------------------------
def set_jurisdiction_list(state: State, cmd: SetJurisdictionList, ctx: Context) -> None:
    if cmd.list_name not in LIST_NAMES:
        raise Rejected(INVALID_PARAM_VALUE, f"list_name must be one of {', '.join(LIST_NAMES)}")
    if len(cmd.codes) > MAX_CODES:
        raise Rejected(INVALID_PARAM_VALUE, f"at most {MAX_CODES} codes")
    for code in cmd.codes:
        require_code(code)
    codes = frozenset(cmd.codes)
    registry = state.identity
    blocked = cmd.list_name == BLOCKED_LIST
    if codes == (registry.blocked_jurisdictions if blocked else registry.restricted_jurisdictions):
        raise Rejected(NO_CHANGE, f"the {cmd.list_name} list already holds exactly these codes")
    # --- nothing above this line writes ---
    if blocked:
        registry.blocked_jurisdictions = codes
    else:
        registry.restricted_jurisdictions = codes
    ctx.events.append(JurisdictionListSet(cmd.list_name, tuple(sorted(codes))))
    reason = f"{cmd.list_name} jurisdictions changed"
    identity_eligibility.refresh(state, state.accounts, ctx, reason)


def set_local_address_policy(state: State, cmd: SetLocalAddressPolicy, ctx: Context) -> None:
    registry = state.identity
    if registry.local_addresses_allowed == cmd.allowed:
        raise Rejected(NO_CHANGE, "the local-address policy is already so")
    # --- nothing above this line writes ---
    registry.local_addresses_allowed = cmd.allowed
    ctx.events.append(LocalAddressPolicySet(cmd.allowed))


# --- four-eyes country corrections ---------------------------------------------------------------
def _actor(ctx: Context) -> str:
    actor = ctx.facts.actor
    if not actor:
        raise Rejected(FORBIDDEN, "a country correction needs an attributed actor")
    return actor


def propose_country_correction(state: State, cmd: ProposeCountryCorrection, ctx: Context) -> None:
    actor = _actor(ctx)
    if cmd.party not in state.parties:
        raise Rejected(USER_NOT_FOUND, f"party {cmd.party} not found")
    registry = state.identity
    current = registry.verified_country.get(cmd.party)
    if current is None:
        raise Rejected(INVALID_PARAM_VALUE, "no verified country to correct; decide KYC first")
    require_code(cmd.country)
    if cmd.country == current:
        raise Rejected(NO_CHANGE, f"the verified country already is {current}")
    if not cmd.evidence_ref.strip() or len(cmd.evidence_ref) > MAX_REF_CHARS:
        raise Rejected(INVALID_PARAM_VALUE, f"evidence_ref must be 1..{MAX_REF_CHARS} characters")
    pending = sum(
        1 for c in registry.corrections.values() if c.party == cmd.party and c.status == PENDING
    )
    if pending >= MAX_PENDING_CORRECTIONS:
        raise Rejected(INVALID_PARAM_VALUE, "a correction for this party is already pending")
    # --- nothing above this line writes ---
    correction_id = registry.next_correction_id
    registry.next_correction_id += 1
    registry.corrections[correction_id] = CountryCorrection(
        correction_id, cmd.party, cmd.country, cmd.evidence_ref, ctx.facts.reason, actor,
        ctx.time_ns,
    )  # fmt: skip
    ctx.events.append(CountryCorrectionProposed(correction_id, cmd.party, cmd.country, actor))


def _pending(state: State, correction_id: int) -> CountryCorrection:
    correction = state.identity.corrections.get(correction_id)
    if correction is None:
        raise Rejected(INVALID_PARAM_VALUE, f"correction {correction_id} not found")
    if correction.status != PENDING:
        raise Rejected(NO_CHANGE, f"correction {correction_id} is already {correction.status}")
    return correction


def approve_country_correction(state: State, cmd: ApproveCountryCorrection, ctx: Context) -> None:
    actor = _actor(ctx)
    correction = _pending(state, cmd.correction_id)
    if actor == correction.proposed_by:
        raise Rejected(FORBIDDEN, "four eyes: the approver must not be the proposer")
    # --- nothing above this line writes ---
    registry = state.identity
    party = correction.party
    old_country = registry.verified_country[party]
    registry.record_country(
        CountryRecord(
            len(registry.country_records) + 1,
            party,
            correction.country,
            SOURCE_CORRECTION,
            correction.correction_id,
            registry.country_record_of[party],
            correction.proposed_by,
            actor,
            ctx.time_ns,
        )
    )
    registry.corrections[correction.correction_id] = _decided(correction, APPROVED, actor, ctx)
    ctx.events.append(
        CountryCorrected(
            correction.correction_id,
            party,
            old_country,
            correction.country,
            correction.proposed_by,
            actor,
        )
    )
    party_changed(state, party, ctx, "verified country corrected")


def reject_country_correction(state: State, cmd: RejectCountryCorrection, ctx: Context) -> None:
    actor = _actor(ctx)
    correction = _pending(state, cmd.correction_id)
    # --- nothing above this line writes ---
    registry = state.identity
    registry.corrections[correction.correction_id] = _decided(correction, REJECTED, actor, ctx)
    ctx.events.append(CountryCorrectionRejected(correction.correction_id, correction.party, actor))


def _decided(
    correction: CountryCorrection, status: str, actor: str, ctx: Context
) -> CountryCorrection:
    return CountryCorrection(
        correction.correction_id, correction.party, correction.country, correction.evidence_ref,
        correction.reason, correction.proposed_by, correction.proposed_ns, status, actor,
        ctx.time_ns,
    )  # fmt: skip
