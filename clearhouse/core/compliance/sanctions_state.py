"""What the engine knows about sanctions: the loaded lists, who has a hit, what is frozen.

- ``lists``: one loaded version per source ("OFAC-SDN", "UN", "OFAC-DCA", ...). Loading a new
  version of a source replaces the old one; the others stay.
- ``version``: the screening version, a hash over every loaded (source, version) pair. Every
  screening decision records it; with no list loaded it is the hash of nothing.
- ``screenings``: parties with at least one name hit, with the reviewers' decisions. Every other
  party was screened clear against the current version: each change to a list with names
  rescreens everyone (a list of bare addresses cannot change a name decision), and a new party
  is screened as it is registered.
- ``held``: party -> "review" or "blocked", the policy gate's O(1) view of ``screenings``.
- ``frozen``: deposits credited from a listed address, whose funds sit in the owner's FROZEN
  ledger bucket until the address is delisted or a compliance officer releases them.

The screeners are derived from ``lists`` (built on first use after a change, in the same way
live and on replay), so they are not part of the snapshot.
"""

from __future__ import annotations

from typing import Any, Final

import msgspec

from clearhouse.core.compliance.addresses import AddressScreener
from clearhouse.core.compliance.sanctions_list import (
    AddressList,
    SanctionsEntry,
    SanctionsList,
    combine_lists,
    combined_version,
)
from clearhouse.core.compliance.screening import NameScreener, Thresholds

CLEAR: Final = "clear"
REVIEW: Final = "review"
BLOCKED: Final = "blocked"

# What one match decides on its own (Decision values of the screening library).
DECIDE_REVIEW: Final = "review"
DECIDE_BLOCK: Final = "block"

PPM: Final = 1_000_000  # scores are journaled as integer parts per million, never as floats


class LoadedList(msgspec.Struct, frozen=True):
    source: str
    version: str
    published: str
    names: SanctionsList  # entries (names and their wallets); may be empty
    addresses: AddressList  # bare listed addresses without entities; may be empty


class NameHit(msgspec.Struct, frozen=True, array_like=True):
    entry_id: str
    matched_name: str
    score_ppm: int
    decision: str  # what this match alone decides: "review" or "block"


class FrozenDeposit(msgspec.Struct, frozen=True, array_like=True):
    deposit_id: int
    account: int
    asset: str
    amount_units: int
    chain: str
    address: str
    entry_id: str
    list_version: str


class PartyScreening:
    """A party's name hits and what reviewers decided about them."""

    __slots__ = ("party", "hits", "cleared", "confirmed", "status", "reviewed_by", "review_reason")

    def __init__(self, party: int, hits: tuple[NameHit, ...]) -> None:
        self.party = party
        self.hits = hits  # best first
        self.cleared: frozenset[str] = frozenset()  # entry ids a reviewer found not to be them
        self.confirmed: frozenset[str] = frozenset()  # entry ids a reviewer confirmed
        self.status = CLEAR
        self.reviewed_by = ""
        self.review_reason = ""

    def open_hits(self) -> tuple[NameHit, ...]:
        return tuple(h for h in self.hits if h.entry_id not in self.cleared)

    def decide(self) -> str:
        """The party's status: a confirmed or block-level open hit blocks; any other open hit
        holds the party for review; cleared hits count for nothing."""
        live = self.open_hits()
        if any(h.decision == DECIDE_BLOCK or h.entry_id in self.confirmed for h in live):
            return BLOCKED
        return REVIEW if live else CLEAR

    def top_hit(self) -> NameHit | None:
        live = self.open_hits()
        if live:
            return live[0]
        return self.hits[0] if self.hits else None


class SanctionsState:
    __slots__ = (
        "lists",
        "version",
        "thresholds",
        "screenings",
        "held",
        "frozen",
        "_names",
        "_addresses",
        "_built",
        "_entries",
    )

    def __init__(self) -> None:
        self.lists: dict[str, LoadedList] = {}
        self.version = combined_version(())
        self.thresholds = Thresholds()
        self.screenings: dict[int, PartyScreening] = {}
        self.held: dict[int, str] = {}
        self.frozen: dict[int, FrozenDeposit] = {}
        self._names: NameScreener | None = None
        self._addresses: AddressScreener | None = None
        self._built = True
        self._entries: dict[str, SanctionsEntry] | None = None

    # --- lists and screeners ---------------------------------------------------------------------
    def install(
        self,
        lists: dict[str, LoadedList],
        screeners: tuple[NameScreener | None, AddressScreener | None] | None = None,
    ) -> None:
        """Make ``lists`` the loaded lists; ``screeners`` if already built from exactly them."""
        self.lists = lists
        self.version = screening_version(lists)
        self._entries = None
        if screeners is None:
            self._names, self._addresses, self._built = None, None, False
        else:
            (self._names, self._addresses), self._built = screeners, True

    def screeners(self) -> tuple[NameScreener | None, AddressScreener | None]:
        if not self._built:
            self._names, self._addresses = build_screeners(self.lists, self.thresholds)
            self._built = True
        return self._names, self._addresses

    def entry(self, entry_id: str) -> SanctionsEntry | None:
        """A listed entry by id (for showing what a decision matched)."""
        if self._entries is None:
            self._entries = {
                e.entry_id: e for loaded in self.lists.values() for e in loaded.names.entries
            }
        return self._entries.get(entry_id)

    def status_of(self, party: int) -> str:
        return self.held.get(party, CLEAR)

    def set_status(self, record: PartyScreening, status: str) -> None:
        record.status = status
        if status == CLEAR:
            self.held.pop(record.party, None)
        else:
            self.held[record.party] = status


def screening_version(lists: dict[str, LoadedList]) -> str:
    return combined_version((s, lists[s].version) for s in sorted(lists))


def build_name_screener(
    lists: dict[str, LoadedList], thresholds: Thresholds
) -> NameScreener | None:
    """One screener over the names of every loaded list, sources in sorted order (so it depends
    on the lists alone, not on the order they were loaded in)."""
    named = [lists[s].names for s in sorted(lists) if lists[s].names.entries]
    return NameScreener(combine_lists("engine", named), thresholds) if named else None


def build_address_screener(lists: dict[str, LoadedList]) -> AddressScreener | None:
    ordered = [lists[s] for s in sorted(lists)]
    named = [loaded.names for loaded in ordered if loaded.names.entries]
    bare = [loaded.addresses for loaded in ordered if loaded.addresses.addresses]
    return AddressScreener(named, bare) if named or bare else None


def build_screeners(
    lists: dict[str, LoadedList], thresholds: Thresholds
) -> tuple[NameScreener | None, AddressScreener | None]:
    return build_name_screener(lists, thresholds), build_address_screener(lists)


# --- snapshot ----------------------------------------------------------------------------------
def dump(sanctions: SanctionsState) -> dict[str, Any]:
    return {
        "lists": [msgspec.to_builtins(sanctions.lists[s]) for s in sorted(sanctions.lists)],
        "screenings": [
            [
                r.party,
                msgspec.to_builtins(r.hits),
                sorted(r.cleared),
                sorted(r.confirmed),
                r.status,
                r.reviewed_by,
                r.review_reason,
            ]
            for r in (sanctions.screenings[p] for p in sorted(sanctions.screenings))
        ],
        "frozen": [msgspec.to_builtins(sanctions.frozen[d]) for d in sorted(sanctions.frozen)],
    }


def load(raw: dict[str, Any] | None) -> SanctionsState:
    sanctions = SanctionsState()
    if raw is None:  # a snapshot from before sanctions were in the engine
        return sanctions
    lists = [msgspec.convert(item, LoadedList) for item in raw["lists"]]
    sanctions.install({loaded.source: loaded for loaded in lists})
    for party, hits, cleared, confirmed, status, by, reason in raw["screenings"]:
        record = PartyScreening(party, msgspec.convert(hits, tuple[NameHit, ...]))
        record.cleared = frozenset(cleared)
        record.confirmed = frozenset(confirmed)
        record.reviewed_by = by
        record.review_reason = reason
        sanctions.screenings[party] = record
        sanctions.set_status(record, status)
    for item in raw["frozen"]:
        frozen = msgspec.convert(item, FrozenDeposit)
        sanctions.frozen[frozen.deposit_id] = frozen
    return sanctions
