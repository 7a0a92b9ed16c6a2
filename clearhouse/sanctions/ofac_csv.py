"""OFAC SDN list in the legacy CSV format (sdn.csv, add.csv, alt.csv, sdn_comments.csv).

Format facts (OFAC's own files; column names as modelled by moov-io/watchman):
- no header row; records end with CRLF; the literal ``-0-`` (often followed by a space) means
  empty; a file may end with a 0x1A (Ctrl-Z) end-of-file byte, after which nothing may follow.
- sdn.csv:  ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type, Tonnage, GRT,
  Vess_flag, Vess_owner, Remarks. SDN_Type is individual / vessel / aircraft, or empty for an
  entity. Program holds several programs as ``SDGT] [IFSR`` (outer brackets stripped).
- alt.csv:  ent_num, alt_num, alt_type (aka/fka/nka), alt_name, alt_remarks.
- add.csv:  ent_num, add_num, address, city/state/postal, country, add_remarks.
- sdn_comments.csv: ent_num, Remarks_Extended -- the continuation of a Remarks field that was
  cut at the column limit, to be appended verbatim (it may start mid-word).
- Weak aliases are not in alt.csv: OFAC writes them into Remarks as ``a.k.a. 'NAME'``, which is
  why alt.csv aliases are strong and Remarks aliases weak.
- Digital currency addresses sit in Remarks as ``Digital Currency Address - XBT 1ABC...;``.
"""

from __future__ import annotations

import csv
import enum
import io
import re
from collections.abc import Iterator
from pathlib import Path

from clearhouse.core.compliance.sanctions_list import (
    Alias,
    AliasStrength,
    EntityType,
    SanctionsEntry,
    SanctionsList,
    WalletAddress,
    content_version,
)
from clearhouse.sanctions.errors import ListFormatError

SOURCE = "OFAC-SDN"
NULL = "-0-"
EOF_BYTE = b"\x1a"

# OFAC cuts Remarks at this many characters and continues them in sdn_comments.csv.
REMARKS_LIMIT = 1000

SDN_COLUMNS = 12
ADD_COLUMNS = 6
ALT_COLUMNS = 5
COMMENTS_COLUMNS = 2

_SDN_TYPES = {
    "individual": EntityType.INDIVIDUAL,
    "vessel": EntityType.VESSEL,
    "aircraft": EntityType.AIRCRAFT,
    None: EntityType.ENTITY,
}
_ALT_KINDS = {"aka": "aka", "fka": "fka", "nka": "nka"}
_WALLET = re.compile(r"Digital Currency Address - ([A-Za-z0-9]+)\s+([^\s;]+)")
_WEAK_AKA = re.compile(r"\b([afn])\.k\.a\.\s+'([^']+)'")
_PROGRAM_SPLIT = re.compile(r"\]\s*\[")


class OrphanPolicy(enum.Enum):
    """What to do with add/alt/comments rows whose ent_num is not in sdn.csv."""

    ERROR = "error"  # default: a mismatched set of files is a publishing or download fault
    DROP = "drop"  # keep going, and say how many were dropped in SanctionsList.notes


def _read(path: Path) -> tuple[bytes, str]:
    data = path.read_bytes()
    body = data
    cut = data.find(EOF_BYTE)
    if cut >= 0:
        if data[cut + 1 :].strip():
            line = data[:cut].count(b"\n") + 1
            raise ListFormatError(path, f"line {line}", "data after the Ctrl-Z end-of-file byte")
        body = data[:cut]
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        raise ListFormatError(path, f"line {line}", f"not valid UTF-8 ({exc.reason})") from exc
    return data, text


def _field(value: str) -> str | None:
    value = value.strip()
    return None if value == NULL or value == "" else value


def _rows(path: Path, text: str, columns: int) -> Iterator[tuple[int, list[str | None], list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank lines (the CRLF before Ctrl-Z) carry no record
            if len(row) != columns:
                raise ListFormatError(
                    path, f"line {reader.line_num}", f"expected {columns} fields, got {len(row)}"
                )
            yield reader.line_num, [_field(v) for v in row], row
    except csv.Error as exc:
        raise ListFormatError(path, f"line {reader.line_num}", f"bad CSV: {exc}") from exc


def _ent_num(path: Path, line: int, value: str | None) -> int:
    if value is None or not value.isdigit():
        raise ListFormatError(path, f"line {line}", f"ent_num must be an integer, got {value!r}")
    return int(value)


def _programs(value: str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(p.strip(" []") for p in _PROGRAM_SPLIT.split(value) if p.strip(" []"))


def wallets_from_remarks(remarks: str, *, cut: bool = False) -> tuple[WalletAddress, ...]:
    """Wallets in a Remarks text; with ``cut``, one running into the end may be partial: dropped."""
    out: list[WalletAddress] = []
    for m in _WALLET.finditer(remarks):
        if cut and m.end() == len(remarks):
            continue
        address = m.group(2).rstrip(".,)")
        out.append(WalletAddress(chain=m.group(1).upper(), address=address))
    return tuple(out)


def weak_aliases_from_remarks(remarks: str) -> tuple[Alias, ...]:
    # A quoted alias cut by the Remarks limit has no closing quote, so it never matches.
    return tuple(
        Alias(name=m.group(2).strip(), strength=AliasStrength.WEAK, kind=f"{m.group(1)}ka")
        for m in _WEAK_AKA.finditer(remarks)
        if m.group(2).strip()
    )


def load_ofac_legacy_csv(
    sdn_path: Path,
    *,
    alt_path: Path | None = None,
    add_path: Path | None = None,
    comments_path: Path | None = None,
    on_orphan: OrphanPolicy = OrphanPolicy.ERROR,
) -> SanctionsList:
    """Load an SDN legacy CSV set. Only sdn.csv is required; pass the companions you have."""
    sdn_bytes, sdn_text = _read(sdn_path)
    blobs: list[tuple[str, bytes]] = [("sdn.csv", sdn_bytes)]
    notes: list[str] = []

    records: dict[int, list[str | None]] = {}
    remarks_len: dict[int, int] = {}
    for line, row, raw in _rows(sdn_path, sdn_text, SDN_COLUMNS):
        ent = _ent_num(sdn_path, line, row[0])
        if ent in records:
            raise ListFormatError(sdn_path, f"line {line}", f"duplicate ent_num {ent}")
        if row[1] is None:
            raise ListFormatError(sdn_path, f"line {line}", f"ent_num {ent} has no name")
        sdn_type = row[2].lower() if row[2] is not None else None
        if sdn_type not in _SDN_TYPES:
            raise ListFormatError(sdn_path, f"line {line}", f"unknown SDN_Type {row[2]!r}")
        records[ent] = row
        remarks_len[ent] = len(raw[11])  # before stripping: a cut can end in a space

    def orphan(path: Path, line: int, ent: int, dropped: dict[str, int]) -> bool:
        if ent in records:
            return False
        if on_orphan is OrphanPolicy.ERROR:
            raise ListFormatError(path, f"line {line}", f"ent_num {ent} is not in sdn.csv")
        dropped[path.name] = dropped.get(path.name, 0) + 1
        return True

    dropped: dict[str, int] = {}
    overflow: dict[int, str] = {}
    if comments_path is not None:
        data, text = _read(comments_path)
        blobs.append(("sdn_comments.csv", data))
        for line, row, _ in _rows(comments_path, text, COMMENTS_COLUMNS):
            ent = _ent_num(comments_path, line, row[0])
            if not orphan(comments_path, line, ent, dropped):
                overflow[ent] = overflow.get(ent, "") + (row[1] or "")

    aliases: dict[int, list[Alias]] = {}
    if alt_path is not None:
        data, text = _read(alt_path)
        blobs.append(("alt.csv", data))
        for line, row, _ in _rows(alt_path, text, ALT_COLUMNS):
            ent = _ent_num(alt_path, line, row[0])
            kind = _ALT_KINDS.get((row[2] or "").lower())
            if kind is None:
                raise ListFormatError(alt_path, f"line {line}", f"unknown alt_type {row[2]!r}")
            if row[3] is None:
                raise ListFormatError(alt_path, f"line {line}", "alias without a name")
            if not orphan(alt_path, line, ent, dropped):
                aliases.setdefault(ent, []).append(
                    Alias(name=row[3], strength=AliasStrength.STRONG, kind=kind)
                )

    if add_path is not None:
        # Postal addresses are not screened here, but the file is validated and versioned so
        # that a broken companion file is caught at load time rather than ignored.
        data, text = _read(add_path)
        blobs.append(("add.csv", data))
        for line, row, _ in _rows(add_path, text, ADD_COLUMNS):
            orphan(add_path, line, _ent_num(add_path, line, row[0]), dropped)

    for name, count in sorted(dropped.items()):
        notes.append(f"{name}: dropped {count} rows whose ent_num is not in sdn.csv")

    cut = sorted(ent for ent, n in remarks_len.items() if n >= REMARKS_LIMIT)
    if comments_path is not None:
        missing = [ent for ent in cut if ent not in overflow]
        if missing:
            raise ListFormatError(
                sdn_path,
                f"ent_num {missing[0]}",
                f"Remarks cut at {REMARKS_LIMIT} characters with no continuation in "
                f"{comments_path.name}",
            )
    elif cut:
        shown = ", ".join(str(e) for e in cut[:10]) + (", ..." if len(cut) > 10 else "")
        notes.append(
            f"sdn.csv: Remarks of {len(cut)} entries are cut at {REMARKS_LIMIT} characters and "
            f"sdn_comments.csv was not given; wallets and weak aliases past the cut are missing "
            f"(ent_num {shown})"
        )
    truncated = set(cut) - set(overflow)

    entries = []
    for ent, row in records.items():
        remarks = (row[11] or "") + overflow.get(ent, "")
        sdn_type = row[2].lower() if row[2] is not None else None
        entries.append(
            SanctionsEntry(
                entry_id=f"{SOURCE}:{ent}",
                source=SOURCE,
                entity_type=_SDN_TYPES[sdn_type],
                primary_name=row[1] or "",
                aliases=tuple(aliases.get(ent, ())) + weak_aliases_from_remarks(remarks),
                wallets=wallets_from_remarks(remarks, cut=ent in truncated),
                programs=_programs(row[3]),
            )
        )
    return SanctionsList(
        source=SOURCE,
        version=content_version(blobs),
        entries=tuple(entries),
        notes=tuple(notes),
    )


def load_ofac_legacy_csv_dir(
    directory: Path, *, on_orphan: OrphanPolicy = OrphanPolicy.ERROR
) -> SanctionsList:
    """Load sdn.csv plus whichever of alt.csv, add.csv, sdn_comments.csv sit beside it."""

    def opt(name: str) -> Path | None:
        p = directory / name
        return p if p.is_file() else None

    return load_ofac_legacy_csv(
        directory / "sdn.csv",
        alt_path=opt("alt.csv"),
        add_path=opt("add.csv"),
        comments_path=opt("sdn_comments.csv"),
        on_orphan=on_orphan,
    )
