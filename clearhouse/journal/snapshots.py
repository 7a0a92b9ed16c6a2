"""Snapshots of engine state, so recovery is "load the newest snapshot, replay the journal
after its seq" instead of replaying from genesis.

File `snapshots/snapshot-<seq:020d>.snap`, little-endian:

    magic b"CHS1" | seq u64 | state_hash length u16 | payload length u64
    | state_hash (UTF-8) | payload | SHA-256 over everything before it (32 bytes)

A snapshot appears under its final name only by rename after fsync, so a crash leaves either
the old set or the new set, never a half-written file under a valid name. The checksum is there
for what rename cannot prevent: bit rot and hands.
"""

from __future__ import annotations

import logging
import os
import re
import struct
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path

from clearhouse.journal.errors import SnapshotError
from clearhouse.journal.segments import fsync_directory

SNAPSHOT_DIR = "snapshots"
DEFAULT_KEEP = 3
MAX_STATE_HASH_CHARS = 256
MAX_SNAPSHOT_PAYLOAD_BYTES = 8 * 1024 * 1024 * 1024
"""Sanity bound: a corrupt length field must not make `latest` try to allocate exabytes."""

_MAGIC = b"CHS1"
_HEADER = struct.Struct("<4sQHQ")
_DIGEST_BYTES = 32
_NAME = re.compile(r"snapshot-(\d{20})\.snap")
_TMP_SUFFIX = ".tmp"

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Snapshot:
    seq: int  # the journal seq this state includes; replay resumes at seq + 1
    state_hash: str
    payload: bytes
    path: Path


@dataclass(frozen=True, slots=True)
class SkippedSnapshot:
    path: Path
    reason: str


class SnapshotStore:
    """Snapshots in `<journal dir>/snapshots/`, keeping the newest `keep` files."""

    def __init__(self, journal_directory: Path | str, *, keep: int = DEFAULT_KEEP) -> None:
        if keep < 1:
            raise ValueError(f"keep must be >= 1, got {keep}")
        self.directory = Path(journal_directory) / SNAPSHOT_DIR
        self.keep = keep
        self.skipped: tuple[SkippedSnapshot, ...] = ()
        """Invalid snapshots passed over by the last `latest()` call, newest first."""

    def write(self, seq: int, state_hash: str, payload: bytes) -> Path:
        """Atomically write a snapshot of the state after `seq`, then prune old ones."""
        encoded_hash = state_hash.encode()
        if seq < 1:
            raise SnapshotError(f"snapshot seq must be >= 1, got {seq}")
        if not 0 < len(state_hash) <= MAX_STATE_HASH_CHARS:
            raise SnapshotError(f"state_hash must be 1..{MAX_STATE_HASH_CHARS} characters")
        if len(payload) > MAX_SNAPSHOT_PAYLOAD_BYTES:
            raise SnapshotError(
                f"snapshot payload of {len(payload)} bytes exceeds {MAX_SNAPSHOT_PAYLOAD_BYTES}"
            )
        self.directory.mkdir(parents=True, exist_ok=True)
        body = _HEADER.pack(_MAGIC, seq, len(encoded_hash), len(payload)) + encoded_hash
        digest = sha256(body)
        digest.update(payload)
        final = self.directory / f"snapshot-{seq:020d}.snap"
        tmp = final.with_name(final.name + _TMP_SUFFIX)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            for part in (body, payload, digest.digest()):
                _write_all(fd, part)
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            tmp.unlink(missing_ok=True)
            raise
        os.close(fd)
        os.replace(tmp, final)
        fsync_directory(self.directory)
        self._prune(final)
        return final

    def latest(self) -> Snapshot | None:
        """The newest valid snapshot; invalid newer ones are skipped, logged and recorded in
        `skipped`, so recovery falls back to an older snapshot and replays more journal."""
        skipped: list[SkippedSnapshot] = []
        try:
            for seq, path in reversed(self._listing()):
                try:
                    return _load(path, seq)
                except (_Invalid, OSError) as problem:
                    log.warning("skipping snapshot %s: %s", path, problem)
                    skipped.append(SkippedSnapshot(path, str(problem)))
            return None
        finally:
            self.skipped = tuple(skipped)

    def _listing(self) -> list[tuple[int, Path]]:
        try:
            names = os.listdir(self.directory)
        except FileNotFoundError:
            return []
        found = []
        for name in names:
            match = _NAME.fullmatch(name)
            if match is not None:
                found.append((int(match.group(1)), self.directory / name))
        found.sort()
        return found

    def _prune(self, just_written: Path) -> None:
        # Only snapshot files and our own leftover temp files are ever deleted; the file just
        # written is kept even if an out-of-order older seq was requested.
        listing = self._listing()
        doomed = [path for _, path in listing[: max(0, len(listing) - self.keep)]]
        doomed += [
            self.directory / name
            for name in os.listdir(self.directory)
            if name.endswith(_TMP_SUFFIX) and _NAME.fullmatch(name[: -len(_TMP_SUFFIX)])
        ]
        removed = False
        for path in doomed:
            if path != just_written:
                path.unlink(missing_ok=True)
                removed = True
        if removed:
            fsync_directory(self.directory)


class _Invalid(Exception):
    pass


def _write_all(fd: int, data: bytes) -> None:
    with memoryview(data) as view:
        written = 0
        while written < len(view):
            written += os.write(fd, view[written:])


def _load(path: Path, seq_from_name: int) -> Snapshot:
    data = path.read_bytes()
    if len(data) < _HEADER.size + _DIGEST_BYTES:
        raise _Invalid(f"too short ({len(data)} bytes) to be a snapshot")
    magic, seq, hash_length, payload_length = _HEADER.unpack_from(data)
    if magic != _MAGIC:
        raise _Invalid(f"bad magic {magic!r}")
    expected_size = _HEADER.size + hash_length + payload_length + _DIGEST_BYTES
    if len(data) != expected_size:
        raise _Invalid(f"size is {len(data)} bytes, header implies {expected_size}")
    body_end = len(data) - _DIGEST_BYTES
    if sha256(data[:body_end]).digest() != data[body_end:]:
        raise _Invalid("checksum mismatch: contents changed after writing")
    if seq != seq_from_name:
        raise _Invalid(f"file name says seq {seq_from_name} but the snapshot holds seq {seq}")
    hash_start = _HEADER.size
    try:
        state_hash = data[hash_start : hash_start + hash_length].decode()
    except UnicodeDecodeError as error:
        raise _Invalid(f"state hash is not UTF-8: {error}") from None
    return Snapshot(seq, state_hash, data[hash_start + hash_length : body_end], path)
