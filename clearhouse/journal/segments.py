"""Segment files: naming and listing. A journal directory holds `journal-<first_seq:020d>.log`
files; the zero-padded first seq makes lexical order equal seq order and lets a reader jump to
the segment holding a given seq without opening the others."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SEGMENT_BYTES = 256 * 1024 * 1024

_NAME = re.compile(r"journal-(\d{20})\.log")


@dataclass(frozen=True, slots=True)
class Segment:
    first_seq: int
    path: Path


def segment_name(first_seq: int) -> str:
    return f"journal-{first_seq:020d}.log"


def list_segments(directory: Path) -> list[Segment]:
    """Segments sorted by first seq. Other entries (snapshots/, the lock file) are ignored."""
    found: list[Segment] = []
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return []
    for name in names:
        match = _NAME.fullmatch(name)
        if match is not None:
            found.append(Segment(int(match.group(1)), directory / name))
    found.sort(key=lambda segment: segment.first_seq)
    return found


def fsync_directory(directory: Path) -> None:
    """Make a created, renamed or deleted directory entry durable (a file fsync does not)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
