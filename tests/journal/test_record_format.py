from __future__ import annotations

import struct
import zlib
from hashlib import sha256
from pathlib import Path

from journal_helpers import segment_files

from clearhouse.journal import GENESIS_HASH, JournalWriter, read_records
from clearhouse.journal.record import HEADER_BYTES, MAGIC, encode_record


def test_record_layout_is_magic_length_seq_chain_hash_crc_then_payload(tmp_path: Path) -> None:
    with JournalWriter.open(tmp_path, durable=False) as writer:
        assert writer.append(b"hello") == 1
        writer.commit()
    (segment,) = segment_files(tmp_path)
    assert segment.name == "journal-00000000000000000001.log"
    data = segment.read_bytes()
    assert len(data) == HEADER_BYTES + 5
    magic, length, seq, digest, crc = struct.unpack_from("<4sIQ32sI", data)
    assert (magic, length, seq) == (MAGIC, 5, 1)
    assert digest == sha256(GENESIS_HASH + struct.pack("<Q", 1) + b"hello").digest()
    assert crc == zlib.crc32(data[:48] + b"hello")
    assert data[52:] == b"hello"


def test_writer_bytes_equal_the_reference_encoder(tmp_path: Path) -> None:
    payloads = [b"", b"a", bytes(range(256)) * 3]
    with JournalWriter.open(tmp_path, durable=False) as writer:
        for payload in payloads:
            writer.append(payload)
    expected = bytearray()
    prev = GENESIS_HASH
    for seq, payload in enumerate(payloads, start=1):
        encoded, prev = encode_record(prev, seq, payload)
        expected += encoded
    assert segment_files(tmp_path)[0].read_bytes() == bytes(expected)
    assert [record.chain_hash for record in read_records(tmp_path)][-1] == prev
