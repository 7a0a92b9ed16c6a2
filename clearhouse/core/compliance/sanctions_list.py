"""The in-memory shape of a sanctions list, whatever file format it was loaded from.

A list is immutable and carries a ``version`` (SHA-256 of the source bytes) so that every
screening decision can record exactly which publication it was made against.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable

import msgspec


class EntityType(enum.Enum):
    INDIVIDUAL = "individual"
    ENTITY = "entity"
    VESSEL = "vessel"
    AIRCRAFT = "aircraft"


class AliasStrength(enum.Enum):
    """How much an alias can be relied on.

    OFAC calls low-quality aliases "weak AKAs" and says they need not be screened on their own;
    the UN marks them QUALITY=Low. A weak alias therefore never blocks by itself (see screening).
    """

    STRONG = "strong"
    WEAK = "weak"
    UNKNOWN = "unknown"


class Alias(msgspec.Struct, frozen=True):
    name: str
    strength: AliasStrength
    kind: str = "aka"  # aka / fka / nka / original_script, as the source labels it


class WalletAddress(msgspec.Struct, frozen=True):
    chain: str  # the ticker the source used: XBT, ETH, USDT, TRX, ...
    address: str  # exactly as published; normalisation happens at screening time


class SanctionsEntry(msgspec.Struct, frozen=True):
    entry_id: str  # namespaced by source, e.g. "OFAC-SDN:36" or "UN:6907993"
    source: str
    entity_type: EntityType
    primary_name: str
    aliases: tuple[Alias, ...] = ()
    wallets: tuple[WalletAddress, ...] = ()
    programs: tuple[str, ...] = ()


class SanctionsList(msgspec.Struct, frozen=True):
    source: str
    version: str  # hex SHA-256 of the source bytes (or of the component versions, if combined)
    entries: tuple[SanctionsEntry, ...]
    published: str | None = None  # date of issue when the file states one (ISO 8601)
    notes: tuple[str, ...] = ()  # loader diagnostics a reviewer should see (e.g. dropped orphans)

    def entry(self, entry_id: str) -> SanctionsEntry:
        for e in self.entries:
            if e.entry_id == entry_id:
                return e
        raise KeyError(entry_id)


class ListedAddress(msgspec.Struct, frozen=True):
    chain: str
    address: str
    origin: str  # file the address came from, for the evidence trail


class AddressList(msgspec.Struct, frozen=True):
    """A bare list of sanctioned addresses without entities (e.g. the per-ticker OFAC extracts)."""

    source: str
    version: str
    addresses: tuple[ListedAddress, ...]


def sha256_hex(data: bytes) -> str:
    """Version of a single-file list: the plain SHA-256, so ``sha256sum`` reproduces it."""
    return hashlib.sha256(data).hexdigest()


def content_version(parts: Iterable[tuple[str, bytes]]) -> str:
    """SHA-256 over named byte blobs, framed so that moving bytes between files changes it."""
    h = hashlib.sha256()
    for name, data in parts:
        label = name.encode("utf-8")
        h.update(len(label).to_bytes(8, "big"))
        h.update(label)
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


def combined_version(versions: Iterable[tuple[str, str]]) -> str:
    """Version of a combination of lists: a hash of (source, version) pairs in the given order."""
    return content_version((source, version.encode("ascii")) for source, version in versions)


def combine_lists(source: str, lists: Iterable[SanctionsList]) -> SanctionsList:
    """Screen against several publications at once (e.g. OFAC SDN + UN) under one version."""
    parts = tuple(lists)
    seen: set[str] = set()
    entries: list[SanctionsEntry] = []
    for lst in parts:
        for e in lst.entries:
            if e.entry_id in seen:
                raise ValueError(f"duplicate entry id {e.entry_id!r} when combining lists")
            seen.add(e.entry_id)
            entries.append(e)
    notes = tuple(n for lst in parts for n in lst.notes)
    version = combined_version((lst.source, lst.version) for lst in parts)
    return SanctionsList(source=source, version=version, entries=tuple(entries), notes=notes)
