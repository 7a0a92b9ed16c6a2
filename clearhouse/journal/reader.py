"""Reading the journal back: `read_records` for replay, `verify` for audit, and the scan that
`JournalWriter.open` runs before it appends anything.

Every record is checked in this order, and the first failure stops the walk:
frame (magic, length bound, completeness, CRC) -> seq is the next one -> chain hash follows.
A frame failure in the last segment with no intact frame anywhere after it is a *torn tail*
(a crash mid-write); anything else is corruption in the middle, which is never truncated.

Known limit of that rule: on power loss the pages of one multi-page group commit can reach the
disk out of order, leaving an intact record after a hole inside the last, never-acknowledged
commit. That is refused as mid-journal damage (safe, but needs an operator) because the format
has no commit markers to tell "inside the unsynced tail" from "in the middle".
"""

from __future__ import annotations

import os
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path
from typing import BinaryIO
from zlib import crc32

from clearhouse.journal.errors import JournalCorrupted
from clearhouse.journal.record import (
    GENESIS_HASH,
    HEADER,
    HEADER_BYTES,
    MAGIC,
    MAX_PAYLOAD_BYTES,
    PREFIX_BYTES,
    SEQ,
    Record,
)
from clearhouse.journal.segments import Segment, list_segments

_READ_BUFFER_BYTES = 1 << 20
_SHA256_EMPTY = sha256()  # copied per record: cheaper than a fresh hashlib.sha256() (see writer)
_SCAN_CHUNK_BYTES = 1 << 20  # forward search for an intact frame reads this much at a time


_CHAIN_BROKEN = (
    "chain hash mismatch at seq {seq}: the stored hash does not follow from the previous "
    "record; this record was edited (CRC recomputed) or the record before it was replaced"
)


@dataclass(frozen=True, slots=True)
class BadRecord:
    """The first place the journal stops being valid. `seq` is the seq that belongs there."""

    file: Path
    offset: int
    seq: int
    reason: str
    torn_tail: bool  # True: nothing valid follows; JournalWriter.open truncates it here


@dataclass(frozen=True, slots=True)
class VerifyReport:
    ok: bool
    records: int  # valid records before first_bad (all of them when ok)
    last_seq: int  # seq of the last valid record, 0 when there is none
    last_hash: bytes  # its chain hash, GENESIS_HASH when there is none
    first_bad: BadRecord | None


class JournalScan:
    """One validating pass over a journal directory.

    Iterate it to get records; afterwards `bad`, `last_seq`, `last_hash`, `end_file` and
    `end_offset` (just past the last valid record) describe where it stopped. Records before
    `from_seq` are validated but not yielded.

    Starting past the first segment trusts the chain hash of that segment's first record, since
    checking it needs the previous segment; this keeps a seek O(segment), and `verify` always
    walks the whole chain from genesis.
    """

    def __init__(self, directory: Path, from_seq: int = 1) -> None:
        self.directory = directory
        self.segments = list_segments(directory)
        self.from_seq = from_seq
        starts = [segment.first_seq for segment in self.segments]
        self._start = max(0, bisect_right(starts, from_seq) - 1)
        self.last_seq = 0
        self.last_hash = GENESIS_HASH
        self.records = 0
        self.bad: BadRecord | None = None
        self.end_file: Path | None = None
        self.end_offset = 0

    def __iter__(self) -> Iterator[Record]:
        segments = self.segments
        prev_hash: bytes | None = GENESIS_HASH
        for index in range(self._start, len(segments)):
            segment = segments[index]
            if index == self._start and index > 0:
                self.last_seq = segment.first_seq - 1
                prev_hash = None  # anchored start: see the class docstring
            elif segment.first_seq != self.last_seq + 1:
                self._fail(segment.path, 0, self._boundary_reason(index), torn_tail=False)
                return
            yield from self._segment(index, prev_hash)
            if self.bad is not None:
                return
            prev_hash = self.last_hash

    def _boundary_reason(self, index: int) -> str:
        segment = self.segments[index]
        expected = self.last_seq + 1
        if index == 0:
            return (
                f"journal starts at seq {segment.first_seq}, not 1: "
                "the earliest segment file(s) are missing"
            )
        previous = self.segments[index - 1].path.name
        return (
            f"segment boundary broken: {previous} ends at seq {self.last_seq} but "
            f"{segment.path.name} starts at seq {segment.first_seq} (expected {expected}): "
            "a segment file is missing, renamed or truncated"
        )

    def _segment(self, index: int, prev_hash: bytes | None) -> Iterator[Record]:
        path = self.segments[index].path
        self.end_file = path
        self.end_offset = 0
        expected = self.last_seq + 1
        copy_sha256 = _SHA256_EMPTY.copy
        pack_seq = SEQ.pack
        with open(path, "rb", buffering=_READ_BUFFER_BYTES) as f:
            size = os.fstat(f.fileno()).st_size
            offset = 0
            while offset < size:
                frame = _read_frame(f)
                if isinstance(frame, str):
                    self._frame_damage(index, offset, size, frame)
                    return
                seq, payload, digest = frame
                if seq != expected:
                    self._fail(path, offset, self._order_reason(index, offset, seq, expected))
                    return
                if prev_hash is not None:  # None only at an anchored start (class docstring)
                    hasher = copy_sha256()
                    hasher.update(prev_hash)
                    hasher.update(pack_seq(seq))
                    hasher.update(payload)
                    if hasher.digest() != digest:
                        self._fail(path, offset, _CHAIN_BROKEN.format(seq=seq))
                        return
                record = Record(seq, payload, path, offset, digest)
                offset += HEADER_BYTES + len(payload)
                self.last_seq = seq
                self.last_hash = digest
                self.records += 1
                self.end_offset = offset
                expected = seq + 1
                prev_hash = digest
                if seq >= self.from_seq:
                    yield record

    def _fail(self, file: Path, offset: int, reason: str, *, torn_tail: bool = False) -> None:
        self.bad = BadRecord(file, offset, self.last_seq + 1, reason, torn_tail)

    def _frame_damage(self, index: int, offset: int, size: int, problem: str) -> None:
        path = self.segments[index].path
        if index != len(self.segments) - 1:
            self._fail(
                path,
                offset,
                f"{problem}, in a segment that is not the last one: damage in the middle, "
                "refusing to truncate",
            )
            return
        later = _intact_frame_after(path, offset + 1)
        if later is None:
            self._fail(
                path,
                offset,
                f"torn tail: {problem}; no intact record follows, so opening a JournalWriter "
                f"truncates the last {size - offset} bytes",
                torn_tail=True,
            )
        else:
            self._fail(
                path,
                offset,
                f"{problem}, but an intact record follows at offset {later}: damage in the "
                "middle, refusing to truncate",
            )

    def _order_reason(self, index: int, offset: int, seq: int, expected: int) -> str:
        if seq < expected:
            return (
                f"seq {seq} found where seq {expected} belongs: a record was duplicated or "
                "records are out of order"
            )
        where = _locate_seq(self.segments[index:], offset, expected)
        if where is not None:
            file, at = where
            return (
                f"records out of order: seq {seq} found where seq {expected} belongs, and "
                f"seq {expected} sits later at {file.name}:{at}"
            )
        if seq == expected + 1:
            missing = f"record {expected} is"
        else:
            missing = f"records {expected}..{seq - 1} are"
        return (
            f"seq gap: seq {seq} found where seq {expected} belongs; {missing} missing (deleted?)"
        )


def _read_frame(f: BinaryIO) -> tuple[int, bytes, bytes] | str:
    """Read one frame at the file position: (seq, payload, chain hash) if magic, length bound,
    completeness and CRC hold, else a description of what is wrong with it."""
    head = f.read(HEADER_BYTES)
    if len(head) < HEADER_BYTES:
        return f"incomplete header: {len(head)} of {HEADER_BYTES} bytes present"
    magic, length, seq, digest, crc = HEADER.unpack(head)
    if magic != MAGIC:
        return f"bad magic {magic!r} (expected {MAGIC!r}): not a record start"
    if length > MAX_PAYLOAD_BYTES:
        return f"payload length {length} exceeds the limit of {MAX_PAYLOAD_BYTES}"
    payload = f.read(length)
    if len(payload) < length:
        return f"incomplete record: header says {length} payload bytes, only {len(payload)} present"
    if crc32(payload, crc32(head[:PREFIX_BYTES])) != crc:
        return "CRC mismatch: the record's bytes changed after writing"
    return seq, payload, digest


def _frame_at(fd: int, offset: int, size: int) -> tuple[int, int] | None:
    """(seq, end offset) if an intact frame (magic, bounded length, CRC) starts at offset."""
    if offset + HEADER_BYTES > size:
        return None
    head = os.pread(fd, HEADER_BYTES, offset)
    magic, length, seq, _digest, crc = HEADER.unpack(head)
    end = offset + HEADER_BYTES + length
    if magic != MAGIC or length > MAX_PAYLOAD_BYTES or end > size:
        return None
    payload = os.pread(fd, length, offset + HEADER_BYTES)
    if len(payload) != length or crc32(payload, crc32(head[:PREFIX_BYTES])) != crc:
        return None
    return seq, end


def _intact_frame_after(path: Path, start: int) -> int | None:
    """Offset of the first intact frame at or after `start`, found by searching for the magic.

    This is what separates a torn tail from mid-file damage: a crash can only leave garbage
    after the last good record, never a good record after garbage. Only runs on the error path.
    """
    with open(path, "rb") as f:
        fd = f.fileno()
        size = os.fstat(fd).st_size
        position = start
        while position + HEADER_BYTES <= size:
            chunk = os.pread(fd, min(_SCAN_CHUNK_BYTES, size - position), position)
            hit = chunk.find(MAGIC)
            while hit != -1:
                if _frame_at(fd, position + hit, size) is not None:
                    return position + hit
                hit = chunk.find(MAGIC, hit + 1)
            # Overlap by len(MAGIC) - 1 so a magic split across two chunks is still found.
            position += len(chunk) - (len(MAGIC) - 1)
    return None


def _locate_seq(segments: list[Segment], offset: int, seq: int) -> tuple[Path, int] | None:
    """Where an intact frame carrying `seq` sits, walking frames by length from `offset` in the
    first segment onwards. Tells "deleted" apart from "moved" in the error message."""
    for number, segment in enumerate(segments):
        with open(segment.path, "rb") as f:
            fd = f.fileno()
            size = os.fstat(fd).st_size
            position = offset if number == 0 else 0
            while (frame := _frame_at(fd, position, size)) is not None:
                if frame[0] == seq:
                    return segment.path, position
                position = frame[1]
    return None


def read_records(
    directory: Path | str, from_seq: int = 1, *, tolerate_torn_tail: bool = False
) -> Iterator[Record]:
    """Yield validated records with seq >= from_seq, in order.

    Raises JournalCorrupted at the first bad record. A torn tail raises too (a reader must not
    silently treat half a write as the end), unless `tolerate_torn_tail`, which a projection
    tailing a live journal needs: the writer may be mid-write when the reader reaches the end.
    """
    if from_seq < 1:
        raise ValueError(f"from_seq must be >= 1, got {from_seq}")
    return _read(JournalScan(Path(directory), from_seq), tolerate_torn_tail)


def _read(scan: JournalScan, tolerate_torn_tail: bool) -> Iterator[Record]:
    yield from scan
    bad = scan.bad
    if bad is not None and not (bad.torn_tail and tolerate_torn_tail):
        raise JournalCorrupted(bad.file, bad.offset, bad.seq, bad.reason)


def verify(directory: Path | str) -> VerifyReport:
    """Validate the whole journal from genesis. Read-only: never truncates or repairs."""
    scan = JournalScan(Path(directory))
    for _ in scan:
        pass
    return VerifyReport(
        ok=scan.bad is None,
        records=scan.records,
        last_seq=scan.last_seq,
        last_hash=scan.last_hash,
        first_bad=scan.bad,
    )
