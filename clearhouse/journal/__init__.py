"""Append-only, durable, hash-chained command journal, plus snapshots.

Payloads are opaque bytes: this package knows nothing about the engine. See record.py for the
on-disk format, writer.py for group commit and recovery, reader.py for replay and verify.
"""

from clearhouse.journal.errors import (
    JournalCorrupted,
    JournalError,
    JournalLocked,
    PayloadTooLarge,
    SnapshotError,
    WriterUnusable,
)
from clearhouse.journal.reader import BadRecord, VerifyReport, read_records, verify
from clearhouse.journal.record import GENESIS_HASH, MAX_PAYLOAD_BYTES, Record
from clearhouse.journal.segments import DEFAULT_SEGMENT_BYTES
from clearhouse.journal.snapshots import SkippedSnapshot, Snapshot, SnapshotStore
from clearhouse.journal.writer import DEFAULT_MAX_BUFFERED_BYTES, JournalWriter, RecoveryReport

__all__ = [
    "DEFAULT_MAX_BUFFERED_BYTES",
    "DEFAULT_SEGMENT_BYTES",
    "GENESIS_HASH",
    "MAX_PAYLOAD_BYTES",
    "BadRecord",
    "JournalCorrupted",
    "JournalError",
    "JournalLocked",
    "JournalWriter",
    "PayloadTooLarge",
    "Record",
    "RecoveryReport",
    "SkippedSnapshot",
    "Snapshot",
    "SnapshotError",
    "SnapshotStore",
    "VerifyReport",
    "WriterUnusable",
    "read_records",
    "verify",
]
