"""Request and response shapes of the identity, KYC and jurisdiction admin API."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from clearhouse.api.rest.shapes import Body, CurrencyId, DecimalText, Query

PartyId = Annotated[int, Meta(ge=1, le=2**53)]
Uid = Annotated[int, Meta(ge=1, le=2**53)]
Jurisdiction = Annotated[
    str, Meta(pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$", description="ISO 3166 code: DE, UA-43")
]
Ref = Annotated[str, Meta(min_length=1, max_length=256)]
Name = Annotated[str, Meta(min_length=1, max_length=128)]


class PartyPath(Query):
    party: PartyId


class UserPath(Query):
    uid: Uid


class CorrectionPath(Query):
    correction_id: Annotated[int, Meta(ge=1, le=2**53)]


class ListPath(Query):
    list_name: Literal["blocked", "restricted"]


class TierPath(Query):
    tier: Annotated[int, Meta(ge=0, le=9)]  # the engine decides which tiers may have limits


class KindPath(Query):
    kind: Literal["vpn", "tor", "hosting"]


# --- requests -------------------------------------------------------------------------------------
class KycDecision(Body):
    tier: Annotated[int, Meta(ge=0, le=9)]
    provider: Name
    decided_by: Name
    evidence_refs: Annotated[list[Ref], Meta(max_length=16)] = msgspec.field(default_factory=list)
    verified_country: Jurisdiction | Literal[""] = ""
    document_hash: Annotated[str, Meta(max_length=256)] = ""
    devices: Annotated[list[Ref], Meta(max_length=16)] = msgspec.field(default_factory=list)


class Owner(Body):
    party: PartyId
    share_bp: Annotated[int, Meta(ge=0, le=10_000, description="basis points: 2500 = 25 %")]


class BusinessStructureBody(Body):
    owners: Annotated[list[Owner], Meta(max_length=16)]
    controllers: Annotated[list[PartyId], Meta(max_length=32)]


class PartyStatusBody(Body):
    status: Literal["active", "review", "blocked"]


class AccountStatusBody(Body):
    status: Literal["active", "frozen"]


class CorrectionProposal(Body):
    country: Jurisdiction
    evidence_ref: Ref


class JurisdictionListBody(Body):
    codes: Annotated[list[Jurisdiction], Meta(max_length=300)]


class KycLimitsBody(Body):
    withdrawal_limits: Annotated[dict[CurrencyId, DecimalText], Meta(max_length=256)]


class NetworkRiskBody(Body):
    """The list as networks, or as the text of a list file (one CIDR a line, # comments)."""

    action: Literal["step_up", "deny"]
    source: Ref
    cidrs: Annotated[list[Annotated[str, Meta(max_length=64)]], Meta(max_length=50_000)] = (
        msgspec.field(default_factory=list)
    )
    text: Annotated[str, Meta(max_length=4_000_000)] = ""


# --- responses ------------------------------------------------------------------------------------
class KycRecordView(msgspec.Struct):
    record_id: int
    tier: int
    provider: str
    evidence_refs: list[str]
    verified_country: str
    document_hash: str
    devices: list[str]
    decided_by: str
    actor: str
    reason: str
    timestamp: str


class CountryRecordView(msgspec.Struct):
    record_id: int
    country: str
    source: Literal["kyc", "correction"]
    supersedes: int
    recorded_by: str
    approved_by: str
    timestamp: str


class CorrectionView(msgspec.Struct):
    id: int
    party: int
    country: str
    evidence_ref: str
    reason: str
    status: Literal["pending", "approved", "rejected"]
    proposed_by: str
    decided_by: str


class OwnerView(msgspec.Struct):
    party: int
    share_bp: int


class PartyIdentity(msgspec.Struct):
    party: int
    kind: str
    name: str
    declared_country: str
    verified_country: str
    kyc_tier: int
    status: str
    kyc_records: list[KycRecordView]
    country_records: list[CountryRecordView]
    corrections: list[CorrectionView]
    owners: list[OwnerView]
    controllers: list[int]
    accounts: list[int]
    step_up_enrolled: bool


class AccountEligibility(msgspec.Struct):
    uid: int
    owner: int
    beneficial_owner: int
    status: str
    may_trade: bool
    may_withdraw: bool
    label: str  # the refusal a trade would get, "" when it may trade
    reason: str


class Jurisdictions(msgspec.Struct):
    blocked: list[str]
    restricted: list[str]
    local_addresses_allowed: bool


class KycLimits(msgspec.Struct):
    tiers: dict[str, dict[str, str]]  # tier -> asset -> allowance per 24 h


class NetworkRiskView(msgspec.Struct):
    kind: str
    action: str
    entries: int
    version: str
    source: str


class StepUpEnrolment(msgspec.Struct):
    party: int
    secret: str  # shown once; the venue keeps it only sealed
    otpauth_uri: str
