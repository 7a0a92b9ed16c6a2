"""Shared builders for the journal tests (a plain module: no conftest by project rule)."""

from __future__ import annotations

from pathlib import Path

from clearhouse.journal import JournalWriter, Record, read_records


def payload_for(seq: int, size_bytes: int = 100) -> bytes:
    stem = f"cmd-{seq}-".encode()
    return (stem * (size_bytes // len(stem) + 1))[:size_bytes]


def write_journal(
    directory: Path, count: int, *, segment_bytes: int = 1 << 20, size_bytes: int = 100
) -> list[Record]:
    """Write `count` records, committing every 3, and return them as read back."""
    with JournalWriter.open(directory, durable=False, segment_bytes=segment_bytes) as writer:
        for seq in range(1, count + 1):
            writer.append(payload_for(seq, size_bytes))
            if seq % 3 == 0:
                writer.commit()
    return list(read_records(directory))


def segment_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("journal-*.log"))


def flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))
