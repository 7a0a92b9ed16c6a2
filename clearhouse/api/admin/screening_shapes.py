"""Request and response shapes of the screening and Travel Rule routes of the operator API."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from clearhouse.api.rest.shapes import Body, DecimalText, Query

Decision = Literal["clear", "review", "block"]
PartyStatus = Literal["clear", "review", "blocked"]
ListFormat = Literal["ofac_csv", "ofac_advanced_xml", "un_xml", "ofac_crypto_addresses"]
Reason = Annotated[str, Meta(min_length=1, max_length=512)]
Chain = Annotated[str, Meta(max_length=16, description="network or ticker, e.g. ETH, XBT, TRX")]


# --- ad-hoc screening ----------------------------------------------------------------------------
class NameScreenRequest(Body):
    name: Annotated[str, Meta(min_length=1, max_length=512)]


class AddressScreenRequest(Body):
    address: Annotated[str, Meta(min_length=1, max_length=256)]
    chain: Chain = ""


class MatchedEntry(msgspec.Struct):
    entry_id: str
    source: str  # the list it is on: OFAC-SDN, UN, OFAC-DCA, ...
    name: str  # the entry's primary name ("" for a bare listed address)
    matched: str  # the name or address that matched
    entity_type: str
    programs: list[str]
    score: float  # 0..1


class NameScreening(msgspec.Struct):
    name: str
    decision: Decision
    score: float  # best score over the lists, 0..1
    matched_entry: MatchedEntry | None  # the best match at or above the review threshold
    matches: list[MatchedEntry]  # every entry at or above the review threshold, best first
    list_version: str
    review_threshold: float
    block_threshold: float


class AddressScreening(msgspec.Struct):
    address: str
    chain: str
    normalized: str  # the spelling the lists are searched in (EVM hex lower-cased, ...)
    decision: Decision
    score: float  # 1 when listed, else 0: addresses match exactly or not at all
    reason: str  # listed, not_listed, unknown_chain, unrecognised_format
    matched_entry: MatchedEntry | None
    list_version: str


# --- lists ---------------------------------------------------------------------------------------
class LoadedListView(msgspec.Struct):
    source: str
    version: str
    published: str
    entries: int
    addresses: int


class ListsView(msgspec.Struct):
    list_version: str  # the screening version every decision records
    lists: list[LoadedListView]


class LoadListFromServer(Body):
    format: ListFormat
    path: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=512,
            description="relative to $CLEARHOUSE_SANCTIONS_DIR, <data dir>/sanctions or the "
            "shared sanctions data directory, searched in that order",
        ),
    ]
    drop_orphans: bool = False  # ofac_csv: skip companion rows whose entry is not in sdn.csv


class UploadAlias(Body):
    name: Annotated[str, Meta(min_length=1, max_length=1000)]
    strength: Literal["strong", "weak", "unknown"] = "strong"
    kind: Annotated[str, Meta(max_length=16)] = "aka"


class UploadWallet(Body):
    chain: Annotated[str, Meta(min_length=1, max_length=16)]
    address: Annotated[str, Meta(min_length=1, max_length=256)]


class UploadEntry(Body):
    entry_id: Annotated[str, Meta(pattern=r"^[!-~]{1,128}$")]
    primary_name: Annotated[str, Meta(min_length=1, max_length=1000)]
    entity_type: Literal["individual", "entity", "vessel", "aircraft"] = "individual"
    aliases: Annotated[list[UploadAlias], Meta(max_length=2000)] = msgspec.field(
        default_factory=list
    )
    wallets: Annotated[list[UploadWallet], Meta(max_length=10_000)] = msgspec.field(
        default_factory=list
    )
    programs: Annotated[list[Annotated[str, Meta(max_length=64)]], Meta(max_length=100)] = (
        msgspec.field(default_factory=list)
    )


class UploadList(Body):
    """A list sent in the request body. Its version is the SHA-256 of the body as received
    after canonical re-encoding, so the same upload always gets the same version."""

    source: Annotated[str, Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:+-]{0,63}$")]
    entries: list[UploadEntry] = msgspec.field(default_factory=list)
    addresses: list[UploadWallet] = msgspec.field(default_factory=list)
    published: Annotated[str, Meta(max_length=32)] = ""


class ListLoaded(msgspec.Struct):
    source: str
    version: str
    entries: int
    addresses: int
    list_version: str
    parties_screened: int
    parties_changed: int
    deposits_released: int


# --- parties and their hits ----------------------------------------------------------------------
class PartiesQuery(Query):
    status: Literal["review", "blocked", "all"] = "all"
    limit: Annotated[int, Meta(ge=1, le=1000)] = 100


class PartyPath(Query):
    party: Annotated[int, Meta(ge=1, le=2**53)]


class HitView(msgspec.Struct):
    entry_id: str
    matched_name: str
    score: float
    decision: Decision
    cleared: bool  # a reviewer found this is not the party
    confirmed: bool  # a reviewer confirmed the match


class PartyScreeningView(msgspec.Struct):
    party: int
    name: str
    kind: str
    status: PartyStatus
    accounts: list[int]  # uids the party owns or is the beneficial owner of
    hits: list[HitView]
    reviewed_by: str
    review_reason: str
    list_version: str


class ReviewDecision(Body):
    outcome: Literal["clear", "block"]
    reason: Reason


# --- frozen deposits -----------------------------------------------------------------------------
class DepositPath(Query):
    deposit_id: Annotated[int, Meta(ge=1, le=2**53)]


class FrozenDepositView(msgspec.Struct):
    deposit_id: int
    uid: int
    currency: str
    amount: str
    chain: str
    address: str
    entry_id: str
    list_version: str


class Release(Body):
    reason: Reason


class Released(msgspec.Struct):
    deposit_id: int
    uid: int
    currency: str
    amount: str


# --- Travel Rule ---------------------------------------------------------------------------------
class TravelRuleSettings(msgspec.Struct):
    threshold_usd: str  # withdrawals worth this much or more need IVMS101 data; "0" = all


class TravelRuleUpdate(Body):
    threshold_usd: DecimalText
