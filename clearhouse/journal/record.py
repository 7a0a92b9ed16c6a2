"""The on-disk record format, shared by the writer and the reader.

Layout (little-endian), one record per command:

    offset  size  field
         0     4  magic b"CHJ1"
         4     4  payload length (u32)
         8     8  seq (u64), 1-based and contiguous across the whole journal
        16    32  chain hash = SHA-256(prev chain hash || seq as u64 LE || payload)
        48     4  CRC-32 (zlib) over bytes 0..47 and the payload
        52     n  payload

The CRC catches torn and bit-rotted writes cheaply; the chain hash makes an edit, deletion or
reordering detectable even when someone recomputes the CRC.
"""

from __future__ import annotations

import struct
from hashlib import sha256
from pathlib import Path
from typing import NamedTuple
from zlib import crc32

MAGIC = b"CHJ1"
GENESIS_HASH = bytes(32)
"""The "previous hash" of seq 1."""

MAX_PAYLOAD_BYTES = 16 * 1024 * 1024
"""Largest payload accepted on write and on read. A command is small; anything near this is a
bug upstream, and a bound keeps a garbage length field from making the reader allocate GiBs."""

HEADER = struct.Struct("<4sIQ32sI")
PREFIX = struct.Struct("<4sIQ32s")  # the part of the header the CRC covers
CRC = struct.Struct("<I")
SEQ = struct.Struct("<Q")
HEADER_BYTES = HEADER.size  # 52
PREFIX_BYTES = PREFIX.size  # 48
assert PREFIX_BYTES + CRC.size == HEADER_BYTES


class Record(NamedTuple):
    """One validated record as read back from disk.

    A NamedTuple rather than a frozen dataclass: replay builds millions of these, and a frozen
    dataclass's __init__ (object.__setattr__ per field) costs several times more."""

    seq: int
    payload: bytes
    file: Path
    offset: int
    chain_hash: bytes


def chain_hash(prev_hash: bytes, seq: int, payload: bytes) -> bytes:
    return sha256(prev_hash + SEQ.pack(seq) + payload).digest()


def encode_record(prev_hash: bytes, seq: int, payload: bytes) -> tuple[bytes, bytes]:
    """Return (record bytes, its chain hash). The writer inlines this for speed; tools and tests
    use this readable version, and a test pins the two to the same bytes."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD_BYTES}")
    digest = chain_hash(prev_hash, seq, payload)
    prefix = PREFIX.pack(MAGIC, len(payload), seq, digest)
    return prefix + CRC.pack(crc32(prefix + payload)) + payload, digest
