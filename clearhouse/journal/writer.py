"""The single writer: append commands, make them durable in groups.

`append` only encodes into an in-memory buffer; `commit` hands the whole buffer to the kernel
with one write() and makes it durable with one fdatasync(). The sequencer appends a batch,
commits once, then acknowledges every command in the batch: that is group commit, and it is
what lets one fsync (~ms) cover thousands of commands.
"""

from __future__ import annotations

import fcntl
import os
import struct
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path
from types import TracebackType
from zlib import crc32

from clearhouse.journal.errors import (
    JournalCorrupted,
    JournalLocked,
    PayloadTooLarge,
    WriterUnusable,
)
from clearhouse.journal.reader import JournalScan
from clearhouse.journal.record import (
    CRC,
    HEADER_BYTES,
    MAGIC,
    MAX_PAYLOAD_BYTES,
    PREFIX,
)
from clearhouse.journal.segments import DEFAULT_SEGMENT_BYTES, fsync_directory, segment_name

DEFAULT_MAX_BUFFERED_BYTES = 64 * 1024 * 1024
"""Bound on appended-but-uncommitted bytes. When an append would exceed it, the writer commits
the buffer first (a forced group commit) rather than refusing: records only become durable
earlier than asked, which is always safe, and the caller never has to handle a full buffer.
Must hold at least one maximum-size record."""

MIN_SEGMENT_BYTES = 4096
LOCK_FILE = "journal.lock"

_HASH_INPUT = struct.Struct("<32sQ")  # prev chain hash || seq, the payload is appended
# Copying a fresh hasher is ~0.1 us cheaper than hashlib.sha256(data) on CPython 3.11 with
# OpenSSL 3 (context setup dominates for 140-byte inputs), and SHA-256 is half the append cost.
_SHA256_EMPTY = sha256()

# fdatasync also flushes the file size, which is all a reader needs; macOS lacks it.
_sync_data = getattr(os, "fdatasync", os.fsync)


@dataclass(frozen=True, slots=True)
class RecoveryReport:
    """What `JournalWriter.open` cut off: a torn tail left by a crash mid-write."""

    file: Path
    truncated_at: int  # byte offset in `file`; everything from here on was dropped
    bytes_dropped: int
    reason: str


class JournalWriter:
    """Appends records to the journal in `directory`. One per directory (enforced by flock).

    Not thread-safe. One thread at a time may call append or commit; commit may run in a worker
    thread (so the fsync does not block an event loop) as long as nothing appends until it
    returns. An append caught during a commit is refused rather than silently dropped.
    """

    # Slots: the hot path reads and writes five attributes per append.
    __slots__ = (
        "_buf",
        "_committing",
        "_durable_seq",
        "_fd",
        "_last_hash",
        "_last_seq",
        "_lock_fd",
        "_rolls",
        "_room",
        "_segment_buf_start",
        "_segment_disk",
        "_unusable",
        "directory",
        "durable",
        "max_buffered_bytes",
        "recovery",
        "segment_bytes",
    )

    def __init__(
        self,
        directory: Path,
        *,
        durable: bool,
        segment_bytes: int,
        max_buffered_bytes: int,
        lock_fd: int,
        fd: int,
        segment_fill: int,
        last_seq: int,
        last_hash: bytes,
        recovery: RecoveryReport | None,
    ) -> None:
        # Use JournalWriter.open(); this only stores state that open() has validated.
        self.directory = directory
        self.durable = durable
        self.segment_bytes = segment_bytes
        self.max_buffered_bytes = max_buffered_bytes
        self.recovery = recovery
        self._lock_fd = lock_fd
        self._fd = fd
        self._last_seq = last_seq
        self._last_hash = last_hash
        self._durable_seq = last_seq
        self._buf = bytearray()
        # (buffer offset, first seq) where a new segment starts inside the buffer.
        self._rolls: list[tuple[int, int]] = []
        # The current segment holds _segment_disk bytes on disk plus buf[_segment_buf_start:].
        self._segment_disk = segment_fill
        self._segment_buf_start = 0
        # Bytes that can still be appended before the segment or buffer limit needs attention.
        # One subtraction and compare on the hot path instead of two limit checks; going
        # negative sends append to _make_room. Zero while unusable, so append always lands there.
        self._room = self._compute_room()
        self._unusable: str | None = None
        self._committing = False

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(
        cls,
        directory: Path | str,
        *,
        durable: bool = True,
        segment_bytes: int = DEFAULT_SEGMENT_BYTES,
        max_buffered_bytes: int = DEFAULT_MAX_BUFFERED_BYTES,
    ) -> JournalWriter:
        """Open (creating if missing) and validate every record.

        A torn tail is truncated and described in `recovery`; any other damage raises
        JournalCorrupted and leaves the files untouched.
        """
        if segment_bytes < MIN_SEGMENT_BYTES:
            raise ValueError(f"segment_bytes must be >= {MIN_SEGMENT_BYTES}, got {segment_bytes}")
        if max_buffered_bytes < HEADER_BYTES + MAX_PAYLOAD_BYTES:
            raise ValueError(
                f"max_buffered_bytes must hold one maximum record "
                f"({HEADER_BYTES + MAX_PAYLOAD_BYTES} bytes), got {max_buffered_bytes}"
            )
        path = Path(directory)
        _make_directory(path, durable)
        lock_fd = _lock(path)
        try:
            return cls._open_locked(path, durable, segment_bytes, max_buffered_bytes, lock_fd)
        except BaseException:
            os.close(lock_fd)  # closing the descriptor releases the flock
            raise

    @classmethod
    def _open_locked(
        cls,
        directory: Path,
        durable: bool,
        segment_bytes: int,
        max_buffered_bytes: int,
        lock_fd: int,
    ) -> JournalWriter:
        scan = JournalScan(directory)
        for _ in scan:
            pass
        recovery: RecoveryReport | None = None
        if scan.bad is not None:
            bad = scan.bad
            if not bad.torn_tail:
                raise JournalCorrupted(bad.file, bad.offset, bad.seq, bad.reason)
            recovery = _truncate(bad.file, bad.offset, bad.reason, durable)
        if scan.end_file is None:
            segment = directory / segment_name(scan.last_seq + 1)
            fd = os.open(segment, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o644)
            if durable:
                fsync_directory(directory)
            fill = 0
        else:
            fd = os.open(scan.end_file, os.O_WRONLY | os.O_APPEND)
            fill = scan.end_offset
        return cls(
            directory,
            durable=durable,
            segment_bytes=segment_bytes,
            max_buffered_bytes=max_buffered_bytes,
            lock_fd=lock_fd,
            fd=fd,
            segment_fill=fill,
            last_seq=scan.last_seq,
            last_hash=scan.last_hash,
            recovery=recovery,
        )

    # ------------------------------------------------------------------ state

    @property
    def last_seq(self) -> int:
        """Seq of the last appended record (durable or not)."""
        return self._last_seq

    @property
    def last_hash(self) -> bytes:
        """Chain hash of the last appended record."""
        return self._last_hash

    @property
    def durable_seq(self) -> int:
        """Seq of the last record known to be on disk: safe to acknowledge up to here."""
        return self._durable_seq

    @property
    def buffered_bytes(self) -> int:
        return len(self._buf)

    # ------------------------------------------------------------------ writing

    def append(self, payload: bytes) -> int:
        """Assign the next seq and buffer the record. NOT durable until `commit` returns.

        This is the hot path (budget: well under 2 us for 100 bytes), so the limit checks are
        folded into one counter and nothing is allocated beyond the record's own pieces.
        Raises PayloadTooLarge (and changes nothing) for a payload over MAX_PAYLOAD_BYTES.
        """
        length = len(payload)
        if length > MAX_PAYLOAD_BYTES:
            raise PayloadTooLarge(length, MAX_PAYLOAD_BYTES)
        size = HEADER_BYTES + length
        room = self._room - size
        if room < 0:
            room = self._make_room(size) - size
        seq = self._last_seq + 1
        hasher = _SHA256_EMPTY.copy()
        hasher.update(_HASH_INPUT.pack(self._last_hash, seq))
        hasher.update(payload)
        digest = hasher.digest()
        prefix = PREFIX.pack(MAGIC, length, seq, digest)
        buf = self._buf
        buf += prefix
        buf += CRC.pack(crc32(prefix + payload))
        buf += payload
        self._room = room
        self._last_seq = seq
        self._last_hash = digest
        return seq

    def _make_room(self, size: int) -> int:
        """Slow path of append: force a commit when the buffer bound would be crossed, and mark
        a segment roll when the segment limit would be. Returns the room before this record."""
        if self._unusable is not None:
            raise WriterUnusable(self._unusable)
        if self._committing:
            raise RuntimeError("append during commit: JournalWriter is not thread-safe")
        if len(self._buf) + size > self.max_buffered_bytes:
            self.commit()
        buffered = len(self._buf)
        fill = self._segment_disk + buffered - self._segment_buf_start
        if fill and fill + size > self.segment_bytes:
            # Roll before this record, so a segment only exceeds the limit when one record
            # alone is larger than the limit.
            self._rolls.append((buffered, self._last_seq + 1))
            self._segment_disk = 0
            self._segment_buf_start = buffered
        return self._compute_room()

    def _compute_room(self) -> int:
        buffered = len(self._buf)
        fill = self._segment_disk + buffered - self._segment_buf_start
        return min(self.segment_bytes - fill, self.max_buffered_bytes - buffered)

    def commit(self) -> int:
        """Write everything buffered with one write() per segment touched and one fdatasync()
        each, then return the last durable seq. With durable=False the sync is skipped
        (benchmarks, tests): the data then survives a process crash but not a power loss."""
        if self._unusable is not None:
            raise WriterUnusable(self._unusable)
        buf = self._buf
        if not buf:
            return self._durable_seq
        # Send any append racing this commit to the slow path, which refuses it: otherwise it
        # could land in the buffer just before clear() and vanish with its seq already taken.
        self._committing = True
        self._room = -1 << 62
        try:
            with memoryview(buf) as view:
                start = 0
                for offset, first_seq in self._rolls:
                    self._write_and_sync(view[start:offset])
                    self._roll(first_seq)
                    start = offset
                self._write_and_sync(view[start:])
        except BaseException as error:
            # The file may now hold part of the buffer and the page cache may lie about it
            # (a failed fsync is reported once). Reopening re-validates and truncates.
            self._make_unusable(f"an earlier commit failed ({error!r}); reopen the journal")
            raise
        finally:
            self._committing = False
        self._segment_disk += len(buf) - self._segment_buf_start
        self._segment_buf_start = 0
        # A fresh buffer rather than clear(): clear() fails while any slice of the old one is
        # still referenced (say, from a traceback), and that must not fail a durable commit.
        self._buf = bytearray()
        self._rolls.clear()
        self._room = self._compute_room()
        self._durable_seq = self._last_seq
        return self._durable_seq

    def _make_unusable(self, reason: str) -> None:
        self._unusable = reason
        self._room = 0

    def _write_and_sync(self, data: memoryview) -> None:
        fd = self._fd
        written = 0
        total = len(data)
        # A regular-file write is normally complete in one call; the loop covers the kernel's
        # per-call cap (~2 GiB) and signals, so a short write can never be mistaken for success.
        while written < total:
            written += os.write(fd, data[written:])
        if self.durable:
            _sync_data(fd)

    def _roll(self, first_seq: int) -> None:
        path = self.directory / segment_name(first_seq)
        # O_EXCL: a file already carrying this name would mean two writers or a stale file;
        # either way appending to it would corrupt the chain.
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o644)
        os.close(self._fd)
        self._fd = fd
        if self.durable:
            fsync_directory(self.directory)

    # ------------------------------------------------------------------ closing

    def close(self) -> None:
        """Commit anything still buffered, then release the files. Idempotent."""
        if self._fd < 0:
            return
        try:
            if self._unusable is None and self._buf:
                self.commit()
        finally:
            os.close(self._fd)
            os.close(self._lock_fd)
            self._fd = -1
            self._lock_fd = -1
            if self._unusable is None:
                self._make_unusable("the writer is closed")

    def __enter__(self) -> JournalWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _make_directory(directory: Path, durable: bool) -> None:
    if directory.is_dir():
        return
    directory.mkdir(parents=True, exist_ok=True)
    if durable:
        fsync_directory(directory.parent)


def _lock(directory: Path) -> int:
    fd = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise JournalLocked(f"{directory} is already open by another JournalWriter") from None
    return fd


def _truncate(file: Path, offset: int, reason: str, durable: bool) -> RecoveryReport:
    fd = os.open(file, os.O_WRONLY)
    try:
        size = os.fstat(fd).st_size
        os.ftruncate(fd, offset)
        if durable:
            os.fsync(fd)
    finally:
        os.close(fd)
    return RecoveryReport(file, offset, size - offset, reason)
