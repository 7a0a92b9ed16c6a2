"""Identity, KYC and jurisdiction controls under /api/ch/v1/admin.

Every change is an engine command carrying the operator's `X-Actor` and `X-Reason` (the engine
refuses an operator command without a reason), so it is decided by the policy gate, journaled
with who did it and why, and replayed exactly:

- KYC decisions from an external verification result, business owners and controllers, party
  and account status (blocking cancels the orders of every account it touches);
- country corrections: one operator proposes, a different one approves (four eyes);
- the blocked and restricted jurisdiction lists, the withdrawal limits per KYC tier (tier 0 can
  have none), and the VPN / Tor / hosting address lists;
- enrolment of a party's second factor (TOTP) for step-up.
"""

from __future__ import annotations

from typing import Any, Final

from clearhouse.api.admin import kyc_shapes as shapes
from clearhouse.api.endpoint import Call, Endpoint, Handler
from clearhouse.api.errors import INVALID_PARAM_VALUE, NOT_FOUND, ApiError
from clearhouse.api.rest.common import state_of
from clearhouse.api.rest.views import seconds_text
from clearhouse.api.step_up import new_secret, provisioning_uri, sealing_id
from clearhouse.core.commands import (
    ApproveCountryCorrection,
    DecideKyc,
    DeclareBusinessStructure,
    EnrolStepUp,
    LoadNetworkRiskList,
    ProposeCountryCorrection,
    RejectCountryCorrection,
    SetAccountStatus,
    SetJurisdictionList,
    SetKycLimits,
    SetPartyStatus,
)
from clearhouse.core.compliance.identity_eligibility import funds_problem, trade_problem
from clearhouse.core.compliance.identity_state import CountryCorrection
from clearhouse.core.compliance.network_risk import parse_list
from clearhouse.core.errors import USER_NOT_FOUND
from clearhouse.core.events import CountryCorrectionProposed
from clearhouse.core.state import State
from clearhouse.core.units import format_units, to_units

ADMIN: Final = "/api/ch/v1/admin"
TAG: Final = "compliance: identities"


# --- views ----------------------------------------------------------------------------------------
def _correction_view(correction: CountryCorrection) -> shapes.CorrectionView:
    return shapes.CorrectionView(
        correction.correction_id,
        correction.party,
        correction.country,
        correction.evidence_ref,
        correction.reason,
        correction.status,  # type: ignore[arg-type]
        correction.proposed_by,
        correction.decided_by,
    )


def party_identity(state: State, party_id: int) -> shapes.PartyIdentity:
    party = state.parties.get(party_id)
    if party is None:
        raise ApiError(USER_NOT_FOUND, f"party {party_id} not found")
    registry = state.identity
    structure = registry.structure(party_id)
    return shapes.PartyIdentity(
        party=party_id,
        kind=party.kind,
        name=party.name,
        declared_country=party.country,
        verified_country=registry.verified_country.get(party_id, ""),
        kyc_tier=party.kyc_tier,
        status=party.status,
        kyc_records=[
            shapes.KycRecordView(
                r.record_id,
                r.tier,
                r.provider,
                list(r.evidence_refs),
                r.verified_country,
                r.document_hash,
                list(r.devices),
                r.decided_by,
                r.actor,
                r.reason,
                seconds_text(r.time_ns),
            )
            for r in registry.kyc_history(party_id)
        ],
        country_records=[
            shapes.CountryRecordView(
                r.record_id,
                r.country,
                r.source,  # type: ignore[arg-type]
                r.supersedes,
                r.recorded_by,
                r.approved_by,
                seconds_text(r.time_ns),
            )
            for r in registry.country_history(party_id)
        ],
        corrections=[
            _correction_view(c)
            for _, c in sorted(registry.corrections.items())
            if c.party == party_id
        ],
        owners=[shapes.OwnerView(p, bp) for p, bp in structure.owners] if structure else [],
        controllers=list(structure.controllers) if structure else [],
        accounts=sorted(registry.accounts_of_party.get(party_id, ())),
        step_up_enrolled=party_id in registry.step_up_secrets,
    )


def account_eligibility(state: State, uid: int) -> shapes.AccountEligibility:
    account = state.accounts.get(uid)
    if account is None:
        raise ApiError(USER_NOT_FOUND, f"user {uid} not found")
    trade = trade_problem(state, uid)
    return shapes.AccountEligibility(
        uid=uid,
        owner=account.owner,
        beneficial_owner=account.beneficial_owner,
        status=account.status,
        may_trade=uid in state.identity.eligible_accounts,
        may_withdraw=funds_problem(state, uid) is None,
        label=trade[0] if trade else "",
        reason=trade[1] if trade else "",
    )


def _jurisdictions(state: State) -> shapes.Jurisdictions:
    registry = state.identity
    return shapes.Jurisdictions(
        sorted(registry.blocked_jurisdictions),
        sorted(registry.restricted_jurisdictions),
        registry.local_addresses_allowed,
    )


def _limits(state: State) -> shapes.KycLimits:
    limits = state.identity.withdrawal_limits
    return shapes.KycLimits(
        {
            str(tier): {
                asset: format_units(units, state.assets[asset].scale)
                for asset, units in sorted(limits[tier].items())
            }
            for tier in sorted(limits)
        }
    )


def _network_lists(state: State) -> list[shapes.NetworkRiskView]:
    lists = state.identity.network_lists
    return [
        shapes.NetworkRiskView(n.kind, n.action, len(n.cidrs), n.version, n.source)
        for n in (lists[kind] for kind in sorted(lists))
    ]


# --- parties and accounts -------------------------------------------------------------------------
async def get_party(call: Call) -> shapes.PartyIdentity:
    return party_identity(state_of(call), call.path.party)


async def decide_kyc(call: Call) -> shapes.PartyIdentity:
    body: shapes.KycDecision = call.body
    command = DecideKyc(
        call.path.party,
        body.tier,
        body.provider,
        tuple(body.evidence_refs),
        body.verified_country,
        body.document_hash,
        body.decided_by,
        tuple(body.devices),
    )
    await call.submit(command)
    return party_identity(state_of(call), call.path.party)


async def declare_structure(call: Call) -> shapes.PartyIdentity:
    body: shapes.BusinessStructureBody = call.body
    owners = tuple((owner.party, owner.share_bp) for owner in body.owners)
    await call.submit(DeclareBusinessStructure(call.path.party, owners, tuple(body.controllers)))
    return party_identity(state_of(call), call.path.party)


async def set_party_status(call: Call) -> shapes.PartyIdentity:
    body: shapes.PartyStatusBody = call.body
    await call.submit(SetPartyStatus(call.path.party, body.status))
    return party_identity(state_of(call), call.path.party)


async def get_eligibility(call: Call) -> shapes.AccountEligibility:
    return account_eligibility(state_of(call), call.path.uid)


async def set_account_status(call: Call) -> shapes.AccountEligibility:
    body: shapes.AccountStatusBody = call.body
    await call.submit(SetAccountStatus(call.path.uid, body.status))
    return account_eligibility(state_of(call), call.path.uid)


async def enrol_step_up(call: Call) -> shapes.StepUpEnrolment:
    party = call.path.party
    if party not in state_of(call).parties:
        raise ApiError(USER_NOT_FOUND, f"party {party} not found")
    secret = new_secret()
    await call.submit(EnrolStepUp(party, call.runtime.master_key.seal(secret, sealing_id(party))))
    return shapes.StepUpEnrolment(party, secret, provisioning_uri(secret, party))


# --- country corrections --------------------------------------------------------------------------
async def propose_correction(call: Call) -> shapes.CorrectionView:
    body: shapes.CorrectionProposal = call.body
    events = await call.submit(
        ProposeCountryCorrection(call.path.party, body.country, body.evidence_ref)
    )
    proposed = next(e for e in events if type(e) is CountryCorrectionProposed)
    return _correction_view(state_of(call).identity.corrections[proposed.correction_id])


async def _decide_correction(call: Call, approve: bool) -> shapes.CorrectionView:
    correction_id = call.path.correction_id
    if correction_id not in state_of(call).identity.corrections:
        raise ApiError(NOT_FOUND, f"correction {correction_id} not found")
    command = (ApproveCountryCorrection if approve else RejectCountryCorrection)(correction_id)
    await call.submit(command)
    return _correction_view(state_of(call).identity.corrections[correction_id])


async def approve_correction(call: Call) -> shapes.CorrectionView:
    return await _decide_correction(call, approve=True)


async def reject_correction(call: Call) -> shapes.CorrectionView:
    return await _decide_correction(call, approve=False)


# --- venue policy ---------------------------------------------------------------------------------
async def get_jurisdictions(call: Call) -> shapes.Jurisdictions:
    return _jurisdictions(state_of(call))


async def set_jurisdiction_list(call: Call) -> shapes.Jurisdictions:
    body: shapes.JurisdictionListBody = call.body
    await call.submit(SetJurisdictionList(call.path.list_name, tuple(body.codes)))
    return _jurisdictions(state_of(call))


async def get_limits(call: Call) -> shapes.KycLimits:
    return _limits(state_of(call))


def _units(state: State, asset: str, text: str) -> int:
    state.require_asset(asset)
    if not text.strip("0."):
        return 0
    return to_units(text, state.assets[asset].scale, f"{asset} limit")


async def set_limits(call: Call) -> shapes.KycLimits:
    body: shapes.KycLimitsBody = call.body
    state = state_of(call)
    limits = tuple(
        (asset, _units(state, asset, text))
        for asset, text in sorted(body.withdrawal_limits.items())
    )
    await call.submit(SetKycLimits(call.path.tier, limits))
    return _limits(state_of(call))


async def get_network_lists(call: Call) -> list[shapes.NetworkRiskView]:
    return _network_lists(state_of(call))


async def load_network_list(call: Call) -> list[shapes.NetworkRiskView]:
    body: shapes.NetworkRiskBody = call.body
    cidrs = list(body.cidrs)
    if body.text:
        try:
            cidrs += parse_list(body.text)
        except ValueError as exc:
            raise ApiError(INVALID_PARAM_VALUE, f"network list: {exc}") from exc
    await call.submit(LoadNetworkRiskList(call.path.kind, body.action, tuple(cidrs), body.source))
    return _network_lists(state_of(call))


def _ep(method: str, path: str, handler: Handler, summary: str, **kwargs: Any) -> Endpoint:
    return Endpoint(method, ADMIN + path, handler, "admin", summary, TAG, **kwargs)


def endpoints() -> list[Endpoint]:
    party = {"path_params": shapes.PartyPath}
    return [
        _ep("GET", "/parties/{party}", get_party,
            "A party's identity: KYC and country records, status, business structure",
            response=shapes.PartyIdentity, **party),
        _ep("POST", "/parties/{party}/kyc", decide_kyc,
            "Record an external KYC verification result (tier, provider, evidence)",
            body=shapes.KycDecision, response=shapes.PartyIdentity, **party),
        _ep("PUT", "/parties/{party}/business_structure", declare_structure,
            "Declare a business's owners (25 % or more) and controllers",
            body=shapes.BusinessStructureBody, response=shapes.PartyIdentity, **party),
        _ep("POST", "/parties/{party}/status", set_party_status,
            "Block, hold for review or reactivate a party (blocking cancels its orders)",
            body=shapes.PartyStatusBody, response=shapes.PartyIdentity, **party),
        _ep("POST", "/parties/{party}/country_corrections", propose_correction,
            "Propose a correction of the verified country (first pair of eyes)",
            body=shapes.CorrectionProposal, response=shapes.CorrectionView, status=201,
            **party),
        _ep("POST", "/parties/{party}/step_up", enrol_step_up,
            "Enrol the party's second factor (TOTP); the secret is shown once",
            response=shapes.StepUpEnrolment, status=201, **party),
        _ep("POST", "/country_corrections/{correction_id}/approve", approve_correction,
            "Approve a country correction (a different operator than the proposer)",
            path_params=shapes.CorrectionPath, response=shapes.CorrectionView),
        _ep("POST", "/country_corrections/{correction_id}/reject", reject_correction,
            "Reject a pending country correction", path_params=shapes.CorrectionPath,
            response=shapes.CorrectionView),
        _ep("GET", "/users/{uid}/eligibility", get_eligibility,
            "Whether an account may trade and withdraw now, and why not",
            path_params=shapes.UserPath, response=shapes.AccountEligibility),
        _ep("POST", "/users/{uid}/status", set_account_status,
            "Freeze or reactivate an account (freezing cancels its orders)",
            path_params=shapes.UserPath, body=shapes.AccountStatusBody,
            response=shapes.AccountEligibility),
        _ep("GET", "/jurisdictions", get_jurisdictions,
            "Blocked and restricted jurisdictions and the local-address policy",
            response=shapes.Jurisdictions),
        _ep("PUT", "/jurisdictions/{list_name}", set_jurisdiction_list,
            "Replace the blocked or restricted jurisdiction list",
            path_params=shapes.ListPath, body=shapes.JurisdictionListBody,
            response=shapes.Jurisdictions),
        _ep("GET", "/kyc_limits", get_limits,
            "Withdrawal allowance per person per rolling 24 h, by KYC tier",
            response=shapes.KycLimits),
        _ep("PUT", "/kyc_limits/{tier}", set_limits,
            "Replace a KYC tier's withdrawal limits (tier 0 can have none)",
            path_params=shapes.TierPath, body=shapes.KycLimitsBody, response=shapes.KycLimits),
        _ep("GET", "/network_risk", get_network_lists, "Loaded VPN, Tor and hosting lists",
            response=list[shapes.NetworkRiskView]),
        _ep("PUT", "/network_risk/{kind}", load_network_list,
            "Load (replace) a VPN, Tor or hosting address list and its action",
            path_params=shapes.KindPath, body=shapes.NetworkRiskBody,
            response=list[shapes.NetworkRiskView]),
    ]  # fmt: skip
