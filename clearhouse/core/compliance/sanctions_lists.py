"""From a `LoadSanctionsList` command to a list the engine can screen against.

Everything in the command is checked before the engine believes it: a list is refused whole,
with the entry that is wrong named, or accepted whole. Nothing here writes state.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from clearhouse.core.commands import LoadSanctionsList
from clearhouse.core.compliance.addresses import normalize_address
from clearhouse.core.compliance.sanctions_list import (
    AddressList,
    Alias,
    AliasStrength,
    EntityType,
    ListedAddress,
    SanctionsEntry,
    SanctionsList,
    WalletAddress,
)
from clearhouse.core.compliance.sanctions_payload import ListEntry, ListWallet
from clearhouse.core.compliance.sanctions_state import LoadedList
from clearhouse.core.errors import INVALID_PARAM_VALUE, NO_CHANGE, Rejected

if TYPE_CHECKING:
    from clearhouse.core.compliance.sanctions_state import SanctionsState

MAX_LISTS: Final = 16  # sources loaded at once
MAX_LIST_ENTRIES: Final = 200_000  # the full OFAC SDN list is about 18,000
MAX_LIST_ADDRESSES: Final = 1_000_000
MAX_ALIASES_PER_ENTRY: Final = 2_000
MAX_PROGRAMS_PER_ENTRY: Final = 100
MAX_LISTED_NAME_CHARS: Final = 1_000
MAX_VERSION_CHARS: Final = 128
MAX_CHAIN_CHARS: Final = 16
MAX_PUBLISHED_CHARS: Final = 32

_SOURCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:+-]{0,63}$")
_ENTRY_ID = re.compile(r"^[!-~]{1,128}$")  # printable ASCII, no spaces
_ENTITY_TYPES: Final = {t.value: t for t in EntityType}
_STRENGTHS: Final = {s.value: s for s in AliasStrength}


def _name(entry_id: str, name: str) -> str:
    if not name.strip() or len(name) > MAX_LISTED_NAME_CHARS:
        raise Rejected(
            INVALID_PARAM_VALUE,
            f"entry {entry_id}: a name must be 1..{MAX_LISTED_NAME_CHARS} characters",
        )
    return name


def _wallet(where: str, wallet: ListWallet) -> WalletAddress:
    if not 0 < len(wallet.chain) <= MAX_CHAIN_CHARS or not wallet.chain.isprintable():
        raise Rejected(
            INVALID_PARAM_VALUE, f"{where}: chain must be 1..{MAX_CHAIN_CHARS} printable characters"
        )
    try:
        normalize_address(wallet.address)
    except ValueError:
        raise Rejected(
            INVALID_PARAM_VALUE, f"{where}: {wallet.address[:80]!r} is not an address"
        ) from None
    return WalletAddress(wallet.chain, wallet.address)


def _entry(entry: ListEntry, source: str) -> SanctionsEntry:
    entry_id = entry.entry_id
    if not _ENTRY_ID.match(entry_id):
        raise Rejected(
            INVALID_PARAM_VALUE,
            f"entry id {entry_id[:40]!r}: 1..128 printable characters without spaces",
        )
    entity_type = _ENTITY_TYPES.get(entry.entity_type)
    if entity_type is None:
        raise Rejected(
            INVALID_PARAM_VALUE,
            f"entry {entry_id}: entity type must be one of {', '.join(_ENTITY_TYPES)}",
        )
    if len(entry.aliases) > MAX_ALIASES_PER_ENTRY:
        raise Rejected(
            INVALID_PARAM_VALUE, f"entry {entry_id}: at most {MAX_ALIASES_PER_ENTRY} aliases"
        )
    if len(entry.programs) > MAX_PROGRAMS_PER_ENTRY:
        raise Rejected(
            INVALID_PARAM_VALUE, f"entry {entry_id}: at most {MAX_PROGRAMS_PER_ENTRY} programs"
        )
    aliases = []
    for alias in entry.aliases:
        strength = _STRENGTHS.get(alias.strength)
        if strength is None:
            raise Rejected(
                INVALID_PARAM_VALUE,
                f"entry {entry_id}: alias strength must be one of {', '.join(_STRENGTHS)}",
            )
        aliases.append(Alias(_name(entry_id, alias.name), strength, alias.kind[:16]))
    return SanctionsEntry(
        entry_id=entry_id,
        source=source,
        entity_type=entity_type,
        primary_name=_name(entry_id, entry.primary_name),
        aliases=tuple(aliases),
        wallets=tuple(_wallet(f"entry {entry_id}", w) for w in entry.wallets),
        programs=tuple(p[:64] for p in entry.programs),
    )


def validate_load(sanctions: SanctionsState, cmd: LoadSanctionsList) -> LoadedList:
    """The list the command loads, or `Rejected` naming what is wrong with it."""
    if not _SOURCE.match(cmd.source):
        raise Rejected(INVALID_PARAM_VALUE, "source must be 1..64 letters, digits or _ . : + -")
    if not 0 < len(cmd.version) <= MAX_VERSION_CHARS or not cmd.version.isprintable():
        raise Rejected(
            INVALID_PARAM_VALUE, f"version must be 1..{MAX_VERSION_CHARS} printable characters"
        )
    if len(cmd.published) > MAX_PUBLISHED_CHARS or not cmd.published.isprintable():
        raise Rejected(
            INVALID_PARAM_VALUE,
            f"published must be at most {MAX_PUBLISHED_CHARS} printable characters",
        )
    current = sanctions.lists.get(cmd.source)
    if current is not None and current.version == cmd.version:
        raise Rejected(NO_CHANGE, f"{cmd.source} version {cmd.version} is already loaded")
    if current is None and len(sanctions.lists) >= MAX_LISTS:
        raise Rejected(INVALID_PARAM_VALUE, f"at most {MAX_LISTS} lists can be loaded at once")
    if len(cmd.entries) > MAX_LIST_ENTRIES:
        raise Rejected(INVALID_PARAM_VALUE, f"at most {MAX_LIST_ENTRIES} entries in one list")
    wallets = sum(len(e.wallets) for e in cmd.entries) + len(cmd.addresses)
    if wallets > MAX_LIST_ADDRESSES:
        raise Rejected(
            INVALID_PARAM_VALUE, f"at most {MAX_LIST_ADDRESSES} listed addresses in one list"
        )
    # entry ids are unique across every loaded list: decisions name entries by id alone
    taken = {
        e.entry_id
        for source, loaded in sanctions.lists.items()
        if source != cmd.source
        for e in loaded.names.entries
    }
    entries = []
    for raw in cmd.entries:
        entry = _entry(raw, cmd.source)
        if entry.entry_id in taken:
            raise Rejected(
                INVALID_PARAM_VALUE,
                f"entry id {entry.entry_id} appears twice (in this or another list)",
            )
        taken.add(entry.entry_id)
        entries.append(entry)
    bare = tuple(
        ListedAddress(w.chain, w.address, cmd.source)
        for w in (_wallet(f"address {i}", raw) for i, raw in enumerate(cmd.addresses, start=1))
    )
    return LoadedList(
        source=cmd.source,
        version=cmd.version,
        published=cmd.published,
        names=SanctionsList(source=cmd.source, version=cmd.version, entries=tuple(entries)),
        addresses=AddressList(source=cmd.source, version=cmd.version, addresses=bare),
    )
