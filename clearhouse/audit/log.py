"""The append-only audit log: hash-chained records and signed checkpoints in the data dir.

    <data dir>/audit/audit.log          one record per line (chain.py)
    <data dir>/audit/checkpoints.log    one signed checkpoint per line (signing.py)
    <data dir>/audit/audit_ed25519.*    the venue's audit key pair

There is no delete, truncate or rewrite operation: the file is only ever opened for appending,
within and beyond the retention period (archiving old years elsewhere is an operator's job and
leaves the chain verifiable from its last checkpoint). Opening an existing log verifies it
first; a log that fails verification refuses to open, so the venue does not start on top of a
tampered trail.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Final

from clearhouse.audit.chain import CHECKPOINT_FILE, GENESIS, RECORD_FILE, seal
from clearhouse.audit.signing import Signer

RETENTION_YEARS: Final = 5  # BSA/AMLD record keeping; nothing in the log has a delete path
CHECKPOINT_EVERY: Final = 256  # records between automatic checkpoints
MAX_TEXT_CHARS: Final = 4_096  # actor, reason and free text are cut to this in a record


class AuditTampered(Exception):
    """The existing audit log does not verify; the report names the records."""


class AuditLog:
    def __init__(self, directory: Path | None, signer: Signer | None = None) -> None:
        self.directory = directory
        self.signer = signer or (
            Signer.load_or_create(directory) if directory is not None else Signer.ephemeral()
        )
        self.count = 0
        self.head = GENESIS
        self.last_seq = 0  # the newest journal seq recorded
        self.checkpointed = 0  # records covered by the newest checkpoint
        self._memory: list[dict[str, Any]] = []  # the log itself when there is no directory
        self._checkpoints: list[dict[str, Any]] = []
        self._file: IO[bytes] | None = None
        self._checkpoint_file: IO[bytes] | None = None
        self._torn = b""
        if directory is not None:
            self._resume(directory)
            self._file = open(directory / RECORD_FILE, "ab")  # noqa: SIM115 - held open
            self._checkpoint_file = open(directory / CHECKPOINT_FILE, "ab")  # noqa: SIM115
            if self._torn:
                # a crash mid-write left half a line that was never a record: it is cut off, and
                # that this happened (and what the half line was) is itself recorded
                self.append(
                    {
                        "kind": "repair",
                        "action": "torn_tail_cut",
                        "actor": "system",
                        "reason": "incomplete final write after a crash",
                        "time_ns": 0,
                        "detail": {
                            "bytes": len(self._torn),
                            "sha256": hashlib.sha256(self._torn).hexdigest(),
                        },
                    },
                    durable=True,
                )

    @classmethod
    def open(cls, directory: Path | None) -> AuditLog:
        """Open (verifying) or create the log in `directory`; in memory when it is None."""
        if directory is not None and (directory / RECORD_FILE).exists():
            from clearhouse.audit.verify import verify_audit

            report = verify_audit(directory)
            if not report.ok:
                raise AuditTampered(report.text())
        return cls(directory)

    def _resume(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / RECORD_FILE
        if path.exists():
            self._torn = _cut_torn_tail(path)
            for record in read_lines(path):
                self.count = record["n"]
                self.head = record["hash"]
                self.last_seq = max(self.last_seq, record.get("seq", 0))
        checkpoints = directory / CHECKPOINT_FILE
        if checkpoints.exists():
            for checkpoint in read_lines(checkpoints):
                self.checkpointed = max(self.checkpointed, checkpoint["n"])

    # --- writing ------------------------------------------------------------------------------
    def append(self, fields: dict[str, Any], durable: bool = False) -> dict[str, Any]:
        """Add a record (kind, action, actor, reason, time_ns, ... ) at the end of the chain.

        `durable` fsyncs it: for records that exist nowhere else (exports, look-backs, rule
        loads). Records derived from journaled commands are rebuilt from the journal after a
        crash, so a flush is enough for them."""
        record = {k: _cut(v) for k, v in fields.items()}
        record["n"] = self.count + 1
        record["prev"] = self.head
        record = seal(record)
        line = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        if self._file is not None:
            self._file.write(line.encode() + b"\n")
            self._file.flush()
            if durable:
                os.fsync(self._file.fileno())
        else:
            self._memory.append(record)
        self.count = record["n"]
        self.head = record["hash"]
        self.last_seq = max(self.last_seq, int(record.get("seq", 0)))
        if self.count - self.checkpointed >= CHECKPOINT_EVERY:
            self.checkpoint(int(record.get("time_ns", 0)))
        return record

    def checkpoint(self, time_ns: int) -> dict[str, Any] | None:
        """Sign the current head; None when nothing was added since the last checkpoint."""
        if self.count == self.checkpointed:
            return None
        checkpoint = self.signer.checkpoint(self.count, self.head, self.last_seq, time_ns)
        if self._checkpoint_file is not None:
            assert self._file is not None
            os.fsync(self._file.fileno())  # what the checkpoint signs is on disk first
            self._checkpoint_file.write(json.dumps(checkpoint, sort_keys=True).encode() + b"\n")
            self._checkpoint_file.flush()
            os.fsync(self._checkpoint_file.fileno())
        else:
            self._checkpoints.append(checkpoint)
        self.checkpointed = self.count
        return checkpoint

    def close(self, time_ns: int) -> None:
        self.checkpoint(time_ns)
        for file in (self._file, self._checkpoint_file):
            if file is not None:
                file.close()
        self._file = self._checkpoint_file = None

    # --- reading ------------------------------------------------------------------------------
    def records(self) -> Iterator[dict[str, Any]]:
        if self.directory is None:
            return iter(list(self._memory))
        return read_lines(self.directory / RECORD_FILE)

    def checkpoints(self) -> list[dict[str, Any]]:
        if self.directory is None:
            return list(self._checkpoints)
        path = self.directory / CHECKPOINT_FILE
        return list(read_lines(path)) if path.exists() else []


def _cut_torn_tail(path: Path) -> bytes:
    """Cut an incomplete last line (no newline: the write never finished); return it."""
    with path.open("rb+") as file:
        data = file.read()
        if not data or data.endswith(b"\n"):
            return b""
        keep = data.rfind(b"\n") + 1
        if _complete(data[keep:]):
            file.write(b"\n")  # a whole record that only lost its newline stays a record
            file.flush()
            os.fsync(file.fileno())
            return b""
        file.truncate(keep)
        file.flush()
        os.fsync(file.fileno())
        return data[keep:]


def _complete(line: bytes) -> bool:
    try:
        value = json.loads(line)
    except ValueError:
        return False
    return isinstance(value, dict) and "hash" in value


def read_lines(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("rb") as file:
        for line in file:
            if line.strip():
                yield json.loads(line)


def _cut(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_TEXT_CHARS:
        return value[:MAX_TEXT_CHARS] + "…"
    return value
