"""Errors raised by the journal. Every one says where and why, so an operator can act on it."""

from __future__ import annotations

from pathlib import Path


class JournalError(Exception):
    """Base class for everything the journal raises on purpose."""


class JournalCorrupted(JournalError):
    """The journal holds damage that is not a torn tail, so it must not be truncated.

    `seq` is the sequence number that should have been at `file`:`offset`.
    """

    def __init__(self, file: Path, offset: int, seq: int, reason: str) -> None:
        super().__init__(file, offset, seq, reason)
        self.file = file
        self.offset = offset
        self.seq = seq
        self.reason = reason

    def __str__(self) -> str:
        return (
            f"journal corrupted at {self.file}:{self.offset} (seq {self.seq}): {self.reason}. "
            "Nothing was modified; restore the damaged segment from a replica or backup"
        )


class PayloadTooLarge(JournalError, ValueError):
    """A payload longer than MAX_PAYLOAD_BYTES was offered; nothing was written."""

    def __init__(self, size_bytes: int, max_bytes: int) -> None:
        super().__init__(size_bytes, max_bytes)
        self.size_bytes = size_bytes
        self.max_bytes = max_bytes

    def __str__(self) -> str:
        return (
            f"payload of {self.size_bytes} bytes exceeds the journal limit of "
            f"{self.max_bytes} bytes; nothing was written"
        )


class JournalLocked(JournalError):
    """Another JournalWriter (in this or another process) already owns the directory."""


class WriterUnusable(JournalError):
    """The writer was closed, or an earlier write/fsync failed.

    After a failed fsync the kernel may have dropped the dirty pages while reporting the error
    only once, so retrying on the same descriptor could acknowledge data that is not on disk.
    The only safe path is to reopen, which re-validates the file and truncates a torn tail.
    """


class SnapshotError(JournalError):
    """A snapshot could not be written (bad arguments or I/O)."""
