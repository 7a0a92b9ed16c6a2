"""A sanctions list as it travels in a journaled command (`LoadSanctionsList`).

The engine keeps lists in its state and journals every version it loads, entries and all, so a
replay needs nothing but the journal to reproduce every screening decision. The shapes here are
plain data (strings, ints, tuples): the journal stays readable without this package's enums,
and the engine validates every field before it believes any of it (`sanctions_lists.py`).

Why the entries and not just a hash: a full OFAC SDN publication is about 15,000-18,000 entries,
3-5 MB as msgpack, well under the journal's 16 MiB record limit, and lists change weekly at
most. Journaling a hash instead would make replay depend on a second store of list files that
must be kept forever and in step with the journal; the journal is already that store.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from clearhouse.core.compliance.sanctions_list import (
    AddressList,
    SanctionsEntry,
    SanctionsList,
)


class ListAlias(msgspec.Struct, frozen=True, array_like=True):
    name: str
    strength: str  # "strong" | "weak" | "unknown" (AliasStrength values)
    kind: str = "aka"


class ListWallet(msgspec.Struct, frozen=True, array_like=True):
    chain: str  # the ticker the source used: XBT, ETH, USDT, TRX, ...
    address: str  # as published; the engine normalises when it indexes


class ListEntry(msgspec.Struct, frozen=True, array_like=True):
    entry_id: str  # namespaced by source, e.g. "OFAC-SDN:36"
    entity_type: str  # "individual" | "entity" | "vessel" | "aircraft" (EntityType values)
    primary_name: str
    aliases: tuple[ListAlias, ...] = ()
    wallets: tuple[ListWallet, ...] = ()
    programs: tuple[str, ...] = ()


def entries_of(sanctions: SanctionsList) -> tuple[ListEntry, ...]:
    """A loaded list's entries in command form (what an operator tool puts in the command)."""
    return tuple(_entry(e) for e in sanctions.entries)


def addresses_of(address_list: AddressList) -> tuple[ListWallet, ...]:
    return tuple(ListWallet(a.chain, a.address) for a in address_list.addresses)


def _entry(entry: SanctionsEntry) -> ListEntry:
    return ListEntry(
        entry_id=entry.entry_id,
        entity_type=entry.entity_type.value,
        primary_name=entry.primary_name,
        aliases=tuple(ListAlias(a.name, a.strength.value, a.kind) for a in entry.aliases),
        wallets=tuple(ListWallet(w.chain, w.address) for w in entry.wallets),
        programs=entry.programs,
    )


def wallet_count(entries: Iterable[ListEntry]) -> int:
    return sum(len(e.wallets) for e in entries)
