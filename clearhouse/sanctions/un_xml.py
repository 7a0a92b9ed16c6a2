"""UN Security Council Consolidated List (XML, schema sc-sanctions.xsd).

Individuals carry FIRST_NAME .. FOURTH_NAME (joined in that order, as the UN prints them),
INDIVIDUAL_ALIAS with QUALITY ``Good`` / ``a.k.a.`` (strong), ``Low`` (weak) or ``f.k.a.``,
and NAME_ORIGINAL_SCRIPT. Entities carry FIRST_NAME (sometimes several names joined by " ; ")
and ENTITY_ALIAS. UN_LIST_TYPE is the sanctions regime, used as the programme.
An alias element with an empty ALIAS_NAME is the schema's placeholder for "no alias" and is
ignorable by definition; any other unexpected value is an error.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from clearhouse.core.compliance.sanctions_list import (
    Alias,
    AliasStrength,
    EntityType,
    SanctionsEntry,
    SanctionsList,
    sha256_hex,
)
from clearhouse.sanctions.errors import ListFormatError

SOURCE = "UN"
_QUALITY = {
    "good": (AliasStrength.STRONG, "aka"),
    "a.k.a.": (AliasStrength.STRONG, "aka"),
    "low": (AliasStrength.WEAK, "aka"),
    "f.k.a.": (AliasStrength.STRONG, "fka"),
    "": (AliasStrength.UNKNOWN, "aka"),
}
_NAME_PARTS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")


def _text(el: ET.Element, tag: str) -> str:
    return " ".join((el.findtext(tag) or "").split())


def _aliases(path: Path, record: str, el: ET.Element, alias_tag: str) -> list[Alias]:
    out: list[Alias] = []
    for alias in el.iter(alias_tag):
        name = _text(alias, "ALIAS_NAME")
        if not name:
            continue
        quality = _text(alias, "QUALITY").lower()
        if quality not in _QUALITY:
            raise ListFormatError(path, record, f"unknown alias QUALITY {quality!r}")
        strength, kind = _QUALITY[quality]
        # One ALIAS_NAME sometimes holds several spellings: "Abdul Rehman; Abd Ur-Rehman".
        for part in name.split(";"):
            if part.strip():
                out.append(Alias(name=part.strip(), strength=strength, kind=kind))
    return out


def _entry(path: Path, el: ET.Element, entity_type: EntityType) -> SanctionsEntry:
    data_id = _text(el, "DATAID")
    record = f"{el.tag} DATAID={data_id or '?'}"
    if not data_id.isdigit():
        raise ListFormatError(path, record, f"DATAID must be an integer, got {data_id!r}")
    if entity_type is EntityType.INDIVIDUAL:
        names = [" ".join(p for p in (_text(el, t) for t in _NAME_PARTS) if p)]
        alias_tag = "INDIVIDUAL_ALIAS"
    else:
        # Entities sometimes list two names in one field, separated by " ; ".
        names = [n.strip() for n in _text(el, "FIRST_NAME").split(";") if n.strip()]
        alias_tag = "ENTITY_ALIAS"
    if not names or not names[0]:
        raise ListFormatError(path, record, "record has no name")
    aliases = [Alias(name=n, strength=AliasStrength.STRONG, kind="aka") for n in names[1:]]
    aliases += _aliases(path, record, el, alias_tag)
    original = _text(el, "NAME_ORIGINAL_SCRIPT")
    if original:
        aliases.append(Alias(name=original, strength=AliasStrength.STRONG, kind="original_script"))
    program = _text(el, "UN_LIST_TYPE")
    return SanctionsEntry(
        entry_id=f"{SOURCE}:{data_id}",
        source=SOURCE,
        entity_type=entity_type,
        primary_name=names[0],
        aliases=tuple(aliases),
        programs=(program,) if program else (),
    )


def load_un_consolidated_xml(path: Path) -> SanctionsList:
    data = path.read_bytes()
    # Official files have no DTD; refusing one rules out entity-expansion attacks on the parser.
    if b"<!DOCTYPE" in data[:4096] or b"<!ENTITY" in data:
        raise ListFormatError(path, "prolog", "DTDs and entity declarations are not accepted")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        line, col = exc.position
        raise ListFormatError(
            path, f"line {line}", f"malformed XML at column {col}: {exc}"
        ) from exc
    if root.tag != "CONSOLIDATED_LIST":
        raise ListFormatError(path, "root", f"expected CONSOLIDATED_LIST, got {root.tag}")
    entries: list[SanctionsEntry] = []
    seen: set[str] = set()
    for tag, entity_type in (("INDIVIDUAL", EntityType.INDIVIDUAL), ("ENTITY", EntityType.ENTITY)):
        for el in root.iter(tag):
            entry = _entry(path, el, entity_type)
            if entry.entry_id in seen:
                raise ListFormatError(path, f"{tag} {entry.entry_id}", "duplicate DATAID")
            seen.add(entry.entry_id)
            entries.append(entry)
    return SanctionsList(
        source=SOURCE,
        version=sha256_hex(data),
        entries=tuple(entries),
        published=root.get("dateGenerated"),
    )
