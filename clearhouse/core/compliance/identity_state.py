"""What the engine knows about identities and jurisdictions, beyond `Party` and `Account`.

Records (append-only, part of the snapshot):

- ``kyc_records``: every verification result, in order (a party's current tier is the last).
- ``country_records``: every verified country. The first comes from KYC; later ones are four-eyes
  corrections that point at the record they supersede. Nothing is ever overwritten.
- ``corrections``: proposed country corrections and how they ended.
- ``structures``: each business's declared owners and controllers, newest last.

Policy (set by commands, part of the snapshot): the blocked and restricted jurisdiction lists,
whether local (loopback / private) client addresses are let through, the withdrawal allowance
per KYC tier, the VPN / Tor / hosting address lists, and the parties' sealed TOTP secrets.

``eligible_accounts`` (in the snapshot too, so a restored venue matches exactly what the live one
would): the accounts that may trade right now. The gate and the matcher read it with one set
lookup; every command that can change eligibility refreshes the accounts it touches.

Everything else here is an index derived from the above (rebuilt on load, never snapshotted).
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any, Final

import msgspec

from clearhouse.core.accounts import BUSINESS

if TYPE_CHECKING:
    from clearhouse.core.compliance.network_risk import NetworkIndex
    from clearhouse.core.state import State

# Comprehensively sanctioned jurisdictions (OFAC country programs) and the occupied regions of
# Ukraine as ISO 3166-2 subdivisions: Crimea (UA-43), Sevastopol (UA-40), and the Donetsk (UA-14)
# and Luhansk (UA-09) oblasts, the nearest codes to the so-called DNR and LNR. An IP lookup only
# yields alpha-2 countries, so subdivisions apply to verified KYC countries.
DEFAULT_BLOCKED: Final = frozenset({"CU", "IR", "KP", "SY", "UA-43", "UA-40", "UA-14", "UA-09"})

PENDING: Final = "pending"
APPROVED: Final = "approved"
REJECTED: Final = "rejected"

SOURCE_KYC: Final = "kyc"
SOURCE_CORRECTION: Final = "correction"


class KycRecord(msgspec.Struct, frozen=True, array_like=True):
    record_id: int
    party: int
    tier: int
    provider: str
    evidence_refs: tuple[str, ...]
    verified_country: str
    document_hash: str
    devices: tuple[str, ...]
    decided_by: str
    actor: str  # who submitted it (the admin API's X-Actor)
    reason: str
    time_ns: int


class CountryRecord(msgspec.Struct, frozen=True, array_like=True):
    record_id: int
    party: int
    country: str
    source: str  # kyc or correction
    ref: int  # the KYC record or the correction that established it
    supersedes: int  # the country record this one replaces; 0 for the first
    recorded_by: str  # KYC: who decided; correction: who proposed
    approved_by: str  # correction: the second pair of eyes; "" for KYC
    time_ns: int


class CountryCorrection(msgspec.Struct, frozen=True, array_like=True):
    correction_id: int
    party: int
    country: str
    evidence_ref: str
    reason: str
    proposed_by: str
    proposed_ns: int
    status: str = PENDING
    decided_by: str = ""
    decided_ns: int = 0


class BusinessStructure(msgspec.Struct, frozen=True, array_like=True):
    business: int
    owners: tuple[tuple[int, int], ...]  # (person party, basis points)
    controllers: tuple[int, ...]
    declared_by: str
    time_ns: int

    def people(self) -> tuple[int, ...]:
        return tuple(sorted({party for party, _ in self.owners} | set(self.controllers)))


class NetworkRiskList(msgspec.Struct, frozen=True, array_like=True):
    kind: str
    action: str
    cidrs: tuple[str, ...]  # normalised, sorted
    source: str
    version: str
    time_ns: int


class IdentityRegistry:
    __slots__ = (
        "kyc_records",
        "country_records",
        "corrections",
        "next_correction_id",
        "structures",
        "registration_devices",
        "blocked_jurisdictions",
        "restricted_jurisdictions",
        "local_addresses_allowed",
        "withdrawal_limits",
        "network_lists",
        "step_up_secrets",
        "eligible_accounts",
        # derived
        "verified_country",
        "country_record_of",
        "marks",
        "accounts_of_party",
        "businesses_of_person",
        "network_index",
        "withdrawal_cursor",
        "recent_withdrawals",
    )

    def __init__(self) -> None:
        self.kyc_records: list[KycRecord] = []
        self.country_records: list[CountryRecord] = []
        self.corrections: dict[int, CountryCorrection] = {}
        self.next_correction_id = 1
        self.structures: dict[int, list[BusinessStructure]] = {}
        self.registration_devices: dict[int, str] = {}  # party -> device seen at registration
        self.blocked_jurisdictions: frozenset[str] = DEFAULT_BLOCKED
        self.restricted_jurisdictions: frozenset[str] = frozenset()
        # The engine alone has no network, so it lets local addresses through by default; the
        # gateway sets this from Settings at start-up (live mode: refused). See api/geofence.py.
        self.local_addresses_allowed = True
        self.withdrawal_limits: dict[int, dict[str, int]] = {}  # tier -> asset -> units / 24 h
        self.network_lists: dict[str, NetworkRiskList] = {}
        self.step_up_secrets: dict[int, bytes] = {}
        self.eligible_accounts: set[int] = set()
        self.verified_country: dict[int, str] = {}
        self.country_record_of: dict[int, int] = {}  # party -> current country record id
        self.marks: dict[str, list[int]] = {}  # document / device / name mark -> parties
        self.accounts_of_party: dict[int, list[int]] = {}  # as owner or beneficial owner
        self.businesses_of_person: dict[int, list[int]] = {}
        self.network_index: NetworkIndex | None = None  # built on first use after a change
        self.withdrawal_cursor = 1  # next withdrawal id to index into recent_withdrawals
        self.recent_withdrawals: dict[tuple[int, str], deque[int]] = {}

    # --- reads --------------------------------------------------------------------------------
    def structure(self, business: int) -> BusinessStructure | None:
        history = self.structures.get(business)
        return history[-1] if history else None

    def country_history(self, party: int) -> list[CountryRecord]:
        return [r for r in self.country_records if r.party == party]

    def kyc_history(self, party: int) -> list[KycRecord]:
        return [r for r in self.kyc_records if r.party == party]

    # --- derived indexes ----------------------------------------------------------------------
    def add_mark(self, mark: str, party: int) -> None:
        holders = self.marks.setdefault(mark, [])
        if party not in holders:
            holders.append(party)

    def link_account(self, party: int, account: int) -> None:
        accounts = self.accounts_of_party.setdefault(party, [])
        if account not in accounts:
            accounts.append(account)

    def set_structure_links(self, old: BusinessStructure | None, new: BusinessStructure) -> None:
        if old is not None:
            for person in old.people():
                self.businesses_of_person[person].remove(old.business)
        for person in new.people():
            self.businesses_of_person.setdefault(person, []).append(new.business)

    def record_country(self, record: CountryRecord) -> None:
        self.country_records.append(record)
        self.verified_country[record.party] = record.country
        self.country_record_of[record.party] = record.record_id


def name_mark(name: str, country: str) -> str:
    """A person's identity as far as registration tells it: name (case and spacing folded) and
    declared country. A blocked person registering again under it is held for review."""
    return "name:" + " ".join(name.casefold().split()) + "|" + country


def document_mark(document_hash: str) -> str:
    return "document:" + document_hash


def device_mark(device: str) -> str:
    return "device:" + device


# --- snapshot -------------------------------------------------------------------------------------
def dump(registry: IdentityRegistry) -> dict[str, Any]:
    return {
        "kyc_records": [msgspec.to_builtins(r) for r in registry.kyc_records],
        "country_records": [msgspec.to_builtins(r) for r in registry.country_records],
        "corrections": [
            msgspec.to_builtins(registry.corrections[i]) for i in sorted(registry.corrections)
        ],
        "next_correction_id": registry.next_correction_id,
        "structures": [
            msgspec.to_builtins(s)
            for business in sorted(registry.structures)
            for s in registry.structures[business]
        ],
        "registration_devices": sorted([p, d] for p, d in registry.registration_devices.items()),
        "blocked": sorted(registry.blocked_jurisdictions),
        "restricted": sorted(registry.restricted_jurisdictions),
        "local_addresses_allowed": registry.local_addresses_allowed,
        "withdrawal_limits": [
            [tier, sorted([a, u] for a, u in registry.withdrawal_limits[tier].items())]
            for tier in sorted(registry.withdrawal_limits)
        ],
        "network_lists": [
            msgspec.to_builtins(registry.network_lists[k]) for k in sorted(registry.network_lists)
        ],
        "step_up_secrets": sorted([p, s.hex()] for p, s in registry.step_up_secrets.items()),
        "eligible_accounts": sorted(registry.eligible_accounts),
    }


def load(raw: dict[str, Any] | None, state: State) -> IdentityRegistry:
    """The registry from a snapshot; `state` already holds the parties and accounts."""
    registry = IdentityRegistry()
    if raw is not None:
        registry.kyc_records = [msgspec.convert(r, KycRecord) for r in raw["kyc_records"]]
        for r in raw["country_records"]:
            registry.record_country(msgspec.convert(r, CountryRecord))
        for r in raw["corrections"]:
            correction = msgspec.convert(r, CountryCorrection)
            registry.corrections[correction.correction_id] = correction
        registry.next_correction_id = raw["next_correction_id"]
        for r in raw["structures"]:
            structure = msgspec.convert(r, BusinessStructure)
            registry.structures.setdefault(structure.business, []).append(structure)
        registry.registration_devices = {p: d for p, d in raw["registration_devices"]}
        registry.blocked_jurisdictions = frozenset(raw["blocked"])
        registry.restricted_jurisdictions = frozenset(raw["restricted"])
        registry.local_addresses_allowed = raw["local_addresses_allowed"]
        registry.withdrawal_limits = {
            tier: {a: u for a, u in limits} for tier, limits in raw["withdrawal_limits"]
        }
        for r in raw["network_lists"]:
            loaded = msgspec.convert(r, NetworkRiskList)
            registry.network_lists[loaded.kind] = loaded
        registry.step_up_secrets = {p: bytes.fromhex(s) for p, s in raw["step_up_secrets"]}
        registry.eligible_accounts = set(raw["eligible_accounts"])
    rebuild_indexes(registry, state)
    return registry


def rebuild_indexes(registry: IdentityRegistry, state: State) -> None:
    """The derived indexes, exactly as the commands that built the records maintained them."""
    for party in state.parties.values():
        registry.add_mark(name_mark(party.name, party.country), party.party_id)
        device = registry.registration_devices.get(party.party_id)
        if device:
            registry.add_mark(device_mark(device), party.party_id)
    for record in registry.kyc_records:
        if record.document_hash:
            registry.add_mark(document_mark(record.document_hash), record.party)
        for device in record.devices:
            registry.add_mark(device_mark(device), record.party)
    for account_id in sorted(state.accounts):
        account = state.accounts[account_id]
        registry.link_account(account.owner, account_id)
        registry.link_account(account.beneficial_owner, account_id)
    for business in sorted(registry.structures):
        if state.parties[business].kind == BUSINESS:
            registry.set_structure_links(None, registry.structures[business][-1])
