"""OFAC SDN list in the "advanced" XML format (sdn_advanced.xml, optionally .bz2-compressed).

Structure used here (namespace .../PublicationPreview/exports/ADVANCED_XML):
- ReferenceValueSets: id -> label tables (FeatureType, AliasType, PartySubType, ...). They come
  first in the file, so later records can be decoded while streaming.
- DistinctParties/DistinctParty[@FixedRef]: the listed party; FixedRef is the legacy ent_num,
  so entry ids match the legacy CSV ("OFAC-SDN:<ent_num>"). Profile/@PartySubTypeID gives the
  type; Identity/Alias (AliasTypeID, Primary, LowQuality) holds DocumentedName(s) whose
  NamePartValues make the name; the primary alias's first "Primary Latin" name is the primary
  name, its other-script names become aliases. LowQuality="true" is OFAC's weak AKA.
  Feature elements whose type is "Digital Currency Address - <TICKER>" carry wallet addresses.
- SanctionsEntries/SanctionsEntry[@ProfileID]: programmes, as SanctionsMeasure comments whose
  SanctionsType is "Program".

The file is streamed (121 MB uncompressed) and each party's subtree is cleared once read.
The version is the SHA-256 of the *uncompressed* XML: the value OFAC publishes beside the file
(sdn_advanced_checksum.txt), so the same publication has the same version however it is stored.
"""

from __future__ import annotations

import bz2
import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from clearhouse.core.compliance.sanctions_list import (
    Alias,
    AliasStrength,
    EntityType,
    SanctionsEntry,
    SanctionsList,
    WalletAddress,
)
from clearhouse.sanctions.errors import ListFormatError

SOURCE = "OFAC-SDN"
WALLET_FEATURE_PREFIX = "Digital Currency Address - "
_READ_CHUNK = 1 << 20
_ALIAS_KINDS = {"A.K.A.": "aka", "F.K.A.": "fka", "N.K.A.": "nka", "Name": "name"}
_PARTY_TYPES = {"Individual": EntityType.INDIVIDUAL, "Entity": EntityType.ENTITY}
_SUBTYPES = {"Vessel": EntityType.VESSEL, "Aircraft": EntityType.AIRCRAFT}


class _HashingReader:
    """File-like wrapper that hashes every byte the XML parser consumes."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.sha256 = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size if size and size > 0 else _READ_CHUNK)
        self.sha256.update(data)
        if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
            raise ValueError("DTDs and entity declarations are not accepted")
        return data


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(el: ET.Element, name: str) -> Iterator[ET.Element]:
    return (c for c in el if _local(c.tag) == name)


def _descendants(el: ET.Element, name: str) -> Iterator[ET.Element]:
    return (c for c in el.iter() if _local(c.tag) == name)


class _Tables:
    def __init__(self) -> None:
        self.feature_types: dict[str, str] = {}
        self.alias_types: dict[str, str] = {}
        self.party_types: dict[str, str] = {}
        self.party_subtypes: dict[str, tuple[str, str]] = {}
        self.sanctions_types: dict[str, str] = {}
        self.doc_name_status: dict[str, str] = {}

    def load(self, ref: ET.Element) -> None:
        for el in ref.iter():
            name = _local(el.tag)
            ident = el.get("ID", "")
            text = (el.text or "").strip()
            if name == "FeatureType":
                self.feature_types[ident] = text
            elif name == "AliasType":
                self.alias_types[ident] = text
            elif name == "PartyType":
                self.party_types[ident] = text
            elif name == "PartySubType":
                self.party_subtypes[ident] = (text, el.get("PartyTypeID", ""))
            elif name == "SanctionsType":
                self.sanctions_types[ident] = text
            elif name == "DocNameStatus":
                self.doc_name_status[ident] = text

    def entity_type(self, subtype_id: str) -> EntityType | None:
        sub = self.party_subtypes.get(subtype_id)
        if sub is None:
            return None
        label, party_type_id = sub
        if label in _SUBTYPES:
            return _SUBTYPES[label]
        return _PARTY_TYPES.get(self.party_types.get(party_type_id, ""))


def _documented_name(doc: ET.Element) -> str:
    parts = [(v.text or "").strip() for v in _descendants(doc, "NamePartValue")]
    return " ".join(p for p in parts if p)


class _Party:
    __slots__ = ("aliases", "entity_type", "fixed_ref", "primary_name", "profile_id", "wallets")

    def __init__(self, fixed_ref: str, profile_id: str, entity_type: EntityType) -> None:
        self.fixed_ref = fixed_ref
        self.profile_id = profile_id
        self.entity_type = entity_type
        self.primary_name = ""
        self.aliases: list[Alias] = []
        self.wallets: list[WalletAddress] = []


def _party(path: Path, el: ET.Element, tables: _Tables) -> _Party:
    fixed_ref = el.get("FixedRef", "")
    where = f"DistinctParty FixedRef={fixed_ref or '?'}"
    if not fixed_ref.isdigit():
        raise ListFormatError(path, where, f"FixedRef must be an integer, got {fixed_ref!r}")
    profiles = list(_children(el, "Profile"))
    if len(profiles) != 1:
        raise ListFormatError(path, where, f"expected one Profile, got {len(profiles)}")
    profile = profiles[0]
    entity_type = tables.entity_type(profile.get("PartySubTypeID", ""))
    if entity_type is None:
        raise ListFormatError(
            path, where, f"unknown PartySubTypeID {profile.get('PartySubTypeID')!r}"
        )
    party = _Party(fixed_ref, profile.get("ID", ""), entity_type)
    for identity in _children(profile, "Identity"):
        for alias in _children(identity, "Alias"):
            kind = _ALIAS_KINDS.get(tables.alias_types.get(alias.get("AliasTypeID", ""), ""))
            if kind is None:
                raise ListFormatError(
                    path, where, f"unknown AliasTypeID {alias.get('AliasTypeID')!r}"
                )
            weak = alias.get("LowQuality") == "true"
            strength = AliasStrength.WEAK if weak else AliasStrength.STRONG
            primary = alias.get("Primary") == "true" and identity.get("Primary") == "true"
            for doc in _children(alias, "DocumentedName"):
                name = _documented_name(doc)
                if not name:
                    raise ListFormatError(path, where, "DocumentedName without name parts")
                latin = tables.doc_name_status.get(doc.get("DocNameStatusID", "")) == (
                    "Primary Latin"
                )
                if primary and latin and not party.primary_name:
                    party.primary_name = name
                elif primary:
                    party.aliases.append(Alias(name, AliasStrength.STRONG, "original_script"))
                else:
                    party.aliases.append(Alias(name, strength, kind))
    if not party.primary_name:
        raise ListFormatError(path, where, "no primary Latin name")
    for feature in _children(profile, "Feature"):
        label = tables.feature_types.get(feature.get("FeatureTypeID", ""))
        if label is None:
            raise ListFormatError(
                path, where, f"unknown FeatureTypeID {feature.get('FeatureTypeID')!r}"
            )
        if not label.startswith(WALLET_FEATURE_PREFIX):
            continue
        chain = label[len(WALLET_FEATURE_PREFIX) :].strip()
        for detail in _descendants(feature, "VersionDetail"):
            address = (detail.text or "").strip()
            if not address:
                raise ListFormatError(path, where, f"empty {label}")
            party.wallets.append(WalletAddress(chain=chain, address=address))
    return party


def _programs(entry: ET.Element, tables: _Tables) -> list[str]:
    out = []
    for measure in _children(entry, "SanctionsMeasure"):
        if tables.sanctions_types.get(measure.get("SanctionsTypeID", "")) == "Program":
            comment = "".join(c.text or "" for c in _children(measure, "Comment")).strip()
            if comment:
                out.append(comment)
    return out


def load_ofac_advanced_xml(path: Path, *, expected_sha256: str | None = None) -> SanctionsList:
    """Stream-parse sdn_advanced.xml or sdn_advanced.xml.bz2.

    ``expected_sha256`` (e.g. from sdn_advanced_checksum.txt) is checked against the
    uncompressed bytes; a mismatch is an error, so a truncated download is never loaded.
    """
    opener = bz2.open if path.suffix == ".bz2" else open
    tables = _Tables()
    parties: dict[str, _Party] = {}
    programs: dict[str, list[str]] = {}
    published: list[str] = []
    with opener(path, "rb") as raw:
        reader = _HashingReader(raw)
        try:
            for _event, el in ET.iterparse(reader, events=("end",)):
                name = _local(el.tag)
                if name == "ReferenceValueSets":
                    tables.load(el)
                    el.clear()
                elif name == "DateOfIssue":
                    parts = [el.findtext(f"{{*}}{p}") or "" for p in ("Year", "Month", "Day")]
                    if all(p.isdigit() for p in parts):
                        published.append(f"{parts[0]}-{int(parts[1]):02d}-{int(parts[2]):02d}")
                elif name == "DistinctParty":
                    party = _party(path, el, tables)
                    if party.profile_id in parties:
                        raise ListFormatError(
                            path, f"Profile ID={party.profile_id}", "duplicate profile"
                        )
                    parties[party.profile_id] = party
                    el.clear()
                elif name == "SanctionsEntry":
                    programs.setdefault(el.get("ProfileID", ""), []).extend(_programs(el, tables))
                    el.clear()
                elif name in ("Location", "IDRegDocument", "ProfileRelationship"):
                    el.clear()  # not used for screening; freed to keep memory flat
        except ET.ParseError as exc:
            line, col = exc.position
            raise ListFormatError(path, f"line {line}", f"malformed XML at column {col}") from exc
        except (ValueError, OSError, EOFError) as exc:
            if isinstance(exc, ListFormatError):
                raise
            raise ListFormatError(path, "stream", str(exc)) from exc
        # Drain anything the parser did not ask for, so the hash covers the whole file.
        while reader.read(_READ_CHUNK):
            pass
    version = reader.sha256.hexdigest()
    if expected_sha256 is not None and version != expected_sha256.lower():
        raise ListFormatError(
            path, "checksum", f"SHA-256 {version} does not match expected {expected_sha256}"
        )
    orphans = sorted(set(programs) - set(parties))
    if orphans:
        raise ListFormatError(path, f"SanctionsEntry ProfileID={orphans[0]}", "unknown profile")
    entries = tuple(
        SanctionsEntry(
            entry_id=f"{SOURCE}:{p.fixed_ref}",
            source=SOURCE,
            entity_type=p.entity_type,
            primary_name=p.primary_name,
            aliases=tuple(p.aliases),
            wallets=tuple(p.wallets),
            programs=tuple(dict.fromkeys(programs.get(p.profile_id, ()))),
        )
        for p in parties.values()
    )
    return SanctionsList(
        source=SOURCE,
        version=version,
        entries=entries,
        published=published[0] if published else None,
    )


def read_checksum_file(path: Path) -> str:
    """Parse OFAC's 'SHA256(sdn_advanced.xml) = <hex>' line."""
    text = path.read_text(encoding="utf-8").strip()
    _, sep, value = text.partition("=")
    value = value.strip().lower()
    if not sep or len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise ListFormatError(path, "line 1", f"not a SHA-256 checksum line: {text!r}")
    return value
