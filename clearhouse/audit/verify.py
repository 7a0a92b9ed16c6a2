"""`clearhouse audit verify`: recompute the audit chain and name every record that was edited,
removed, inserted or reordered; check every checkpoint's signature and what it signed; and,
given the journal, check that every audited command in it has its record.

The checks, each naming records by number (and journal seq and action where known):

1. each line is a record, and its content hashes to its `hash` (else: edited);
2. numbers run 1..N without gaps, repeats or going back (else: removed / inserted / reordered);
3. each record's `prev` is the hash of the record before it (else: the one before was replaced);
4. each checkpoint's Ed25519 signature holds, and the record it names still has the signed
   hash (else: the checkpoint was forged, or records up to it were rewritten or truncated);
5. every journal record that the audit log must cover has a record with the same digest.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from clearhouse.audit.chain import CHECKPOINT_FILE, GENESIS, RECORD_FILE, describe, record_hash
from clearhouse.audit.signing import PUBLIC_KEY_FILE, checkpoint_signature_ok, load_public_key

EDITED = "edited"
REMOVED = "removed"
INSERTED = "inserted"
REORDERED = "reordered"
CHAIN = "chain"
CHECKPOINT = "checkpoint"
SIGNATURE = "signature"
JOURNAL = "journal"


@dataclass(frozen=True)
class Problem:
    kind: str
    record: int | None  # the record number it names, when it names one
    message: str


@dataclass
class VerifyReport:
    records: int = 0
    checkpoints: int = 0
    head: str = GENESIS
    journal_checked: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, kind: str, record: int | None, message: str) -> None:
        self.problems.append(Problem(kind, record, message))

    def text(self) -> str:
        lines = [f"{p.kind}: {p.message}" for p in self.problems]
        return "\n".join(lines) if lines else f"ok: {self.records} records"


def _lines(path: Path) -> tuple[list[tuple[int, Any]], str]:
    """(line number, parsed JSON or None) per non-empty line, and a note about a torn tail."""
    data = path.read_bytes()
    torn = ""
    if data and not data.endswith(b"\n"):
        cut = data.rfind(b"\n") + 1
        try:
            complete = isinstance(json.loads(data[cut:]), dict)
        except ValueError:
            complete = False
        if not complete:  # half a line never was a record; a whole one is checked as one
            torn = f"torn tail: an incomplete final write of {len(data) - cut} bytes is ignored"
            data = data[:cut]
    out: list[tuple[int, Any]] = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            out.append((number, json.loads(raw)))
        except ValueError:
            out.append((number, None))
    return out, torn


def _is_record(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("n"), int)
        and isinstance(value.get("prev"), str)
        and isinstance(value.get("hash"), str)
    )


def verify_audit(
    directory: Path,
    public_key: Ed25519PublicKey | None = None,
    journal_dir: Path | None = None,
) -> VerifyReport:
    """Verify the audit log in `directory` (the data dir's `audit/`)."""
    report = VerifyReport()
    path = directory / RECORD_FILE
    if not path.exists():
        report.add(REMOVED, None, f"{path} does not exist")
        return report
    lines, torn = _lines(path)
    if torn:
        report.notes.append(torn)
    records: list[dict[str, Any]] = []
    for number, value in lines:
        if _is_record(value):
            records.append(value)
        else:
            report.add(EDITED, None, f"line {number} of {RECORD_FILE} is not an audit record")
    report.records = len(records)
    _check_content(records, report)
    _check_numbering(records, report)
    _check_links(records, report)
    by_number = {r["n"]: r for r in records}
    if records:
        report.head = records[-1]["hash"]
    key = public_key if public_key is not None else _key_in(directory, report)
    _check_checkpoints(directory, by_number, key, report)
    if journal_dir is not None and journal_dir.is_dir():
        _check_journal(journal_dir, records, report)
    return report


def _check_content(records: list[dict[str, Any]], report: VerifyReport) -> None:
    for record in records:
        if record_hash(record) != record["hash"]:
            report.add(
                EDITED,
                record["n"],
                f"{describe(record)} was edited: its content does not match its hash",
            )


def _check_numbering(records: list[dict[str, Any]], report: VerifyReport) -> None:
    numbers = [r["n"] for r in records]
    seen: set[int] = set()
    for i, n in enumerate(numbers):
        if n in seen:
            report.add(INSERTED, n, f"record {n} appears more than once (a copy was inserted)")
        elif i and n < numbers[i - 1]:
            report.add(
                REORDERED,
                n,
                f"record {n} comes after record {numbers[i - 1]}: records were reordered",
            )
        seen.add(n)
    top = max(numbers, default=0)
    for n in sorted(set(range(1, top + 1)) - seen):
        report.add(REMOVED, n, f"record {n} is missing: it was removed")


def _check_links(records: list[dict[str, Any]], report: VerifyReport) -> None:
    """A link is explained when its records are out of place already; otherwise name the
    record before the break (it was edited and re-hashed, or replaced)."""
    named = {p.record for p in report.problems}
    previous: dict[str, Any] | None = None
    for record in records:
        expected = GENESIS if previous is None else previous["hash"]
        if record["prev"] != expected:
            n = record["n"]
            before = previous["n"] if previous is not None else 0
            if n not in named and before not in named and n - 1 not in named:
                if previous is None:
                    report.add(
                        CHAIN,
                        n,
                        f"record {n} does not start the chain: records before it were removed",
                    )
                else:
                    report.add(
                        CHAIN,
                        before,
                        f"{describe(previous)} was replaced: record {n} links to a different "
                        f"record {before}",
                    )
        previous = record


def _key_in(directory: Path, report: VerifyReport) -> Ed25519PublicKey | None:
    path = directory / PUBLIC_KEY_FILE
    if not path.exists():
        return None
    report.notes.append(
        f"checkpoints checked with {path}; pass --public-key with a key kept elsewhere to rule "
        "out a replaced key pair"
    )
    try:
        return load_public_key(path.read_bytes())
    except ValueError:
        report.add(SIGNATURE, None, f"{path} is not an Ed25519 public key")
        return None


def _check_checkpoints(
    directory: Path,
    by_number: dict[int, dict[str, Any]],
    key: Ed25519PublicKey | None,
    report: VerifyReport,
) -> None:
    path = directory / CHECKPOINT_FILE
    if not path.exists():
        return
    lines, torn = _lines(path)
    if torn:
        report.notes.append(f"{CHECKPOINT_FILE}: {torn}")
    top = max(by_number, default=0)
    for index, (number, checkpoint) in enumerate(lines, start=1):
        report.checkpoints += 1
        if not isinstance(checkpoint, dict) or not isinstance(checkpoint.get("n"), int):
            report.add(CHECKPOINT, None, f"checkpoint line {number} is not a checkpoint")
            continue
        n = checkpoint["n"]
        if key is None:
            report.add(SIGNATURE, None, "no public key to check the checkpoints with")
            return
        if not checkpoint_signature_ok(checkpoint, key):
            report.add(
                SIGNATURE,
                n,
                f"checkpoint {index} (record {n}): the signature does not verify: it was edited "
                "or forged",
            )
            continue
        record = by_number.get(n)
        if record is None:
            if n > top:
                report.add(
                    REMOVED,
                    n,
                    f"records {top + 1}..{n} are missing: checkpoint {index} signed {n} records "
                    "(removed, or the log was truncated)",
                )
            continue
        if record["hash"] != checkpoint.get("head"):
            report.add(
                CHECKPOINT,
                n,
                f"{describe(record)} is not the record checkpoint {index} signed: records up to "
                f"{n} were rewritten",
            )


def _check_journal(journal_dir: Path, records: list[dict[str, Any]], report: VerifyReport) -> None:
    from clearhouse.journal import JournalError, read_records

    by_seq = {r["seq"]: r for r in records if r.get("kind") == "command" and r.get("seq")}
    try:
        for journal_record in read_records(journal_dir, from_seq=1, tolerate_torn_tail=True):
            _check_journal_record(journal_record.payload, by_seq, report)
    except JournalError as exc:
        report.add(JOURNAL, None, f"the journal itself does not verify: {exc}")


def _check_journal_record(
    payload: bytes, by_seq: dict[int, dict[str, Any]], report: VerifyReport
) -> None:
    from clearhouse.audit.recorder import is_audited
    from clearhouse.core.commands import decode_envelope

    envelope = decode_envelope(payload)
    if not is_audited(envelope):
        return
    report.journal_checked += 1
    record = by_seq.get(envelope.seq)
    name = type(envelope.command).__name__
    actor = envelope.facts.actor or "system"
    if record is None:
        report.add(
            JOURNAL, None, f"journal seq {envelope.seq} ({name} by {actor}) has no audit record"
        )
    elif record.get("action") != name or record.get("actor") != actor:
        report.add(
            JOURNAL,
            record["n"],
            f"{describe(record)} disagrees with journal seq {envelope.seq}: {name} by {actor}",
        )
    elif record.get("digest") != hashlib.sha256(payload).hexdigest():
        report.add(
            JOURNAL, record["n"], f"{describe(record)} does not match journal seq {envelope.seq}"
        )
