"""Crash recovery and tamper detection: a torn tail is cut, anything else is refused."""

from __future__ import annotations

import os
import struct
import zlib
from hashlib import sha256
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from journal_helpers import flip_byte, payload_for, segment_files, write_journal

from clearhouse.journal import JournalCorrupted, JournalWriter, Record, read_records, verify
from clearhouse.journal.record import HEADER_BYTES

RECORD_BYTES = HEADER_BYTES + 100


def snapshot_bytes(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in segment_files(directory)}


@pytest.mark.parametrize("kept_bytes", range(1, RECORD_BYTES))
def test_torn_last_record_at_every_byte_is_truncated_and_reopen_continues(
    tmp_path: Path, kept_bytes: int
) -> None:
    records = write_journal(tmp_path, 3)
    last = records[-1]
    os.truncate(last.file, last.offset + kept_bytes)

    report = verify(tmp_path)
    assert not report.ok and report.records == 2
    assert report.first_bad is not None and report.first_bad.torn_tail
    assert (report.first_bad.file, report.first_bad.offset) == (last.file, last.offset)

    with JournalWriter.open(tmp_path, durable=True) as writer:
        assert writer.recovery is not None
        assert (writer.recovery.file, writer.recovery.truncated_at) == (last.file, last.offset)
        assert writer.recovery.bytes_dropped == kept_bytes
        assert writer.last_seq == 2 and writer.last_hash == records[1].chain_hash
        assert writer.append(b"replacement") == 3
    assert [r.payload for r in read_records(tmp_path)][-1] == b"replacement"
    assert verify(tmp_path).ok


def test_torn_tail_in_a_rolled_over_segment_is_truncated(tmp_path: Path) -> None:
    records = write_journal(tmp_path, 70, segment_bytes=30 * RECORD_BYTES)
    last = records[-1]
    assert last.file == segment_files(tmp_path)[-1] and last.offset > 0
    os.truncate(last.file, last.offset + 10)
    with JournalWriter.open(tmp_path) as writer:
        assert writer.last_seq == 69
        assert writer.recovery is not None and writer.recovery.file == last.file


def test_a_torn_first_record_of_a_new_segment_leaves_an_empty_segment(tmp_path: Path) -> None:
    records = write_journal(tmp_path, 31, segment_bytes=30 * RECORD_BYTES)
    os.truncate(records[-1].file, 7)
    with JournalWriter.open(tmp_path, segment_bytes=30 * RECORD_BYTES) as writer:
        assert writer.last_seq == 30
        writer.append(b"again")
    assert verify(tmp_path).last_seq == 31


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(garbage=st.binary(min_size=1, max_size=600))
def test_garbage_after_the_last_record_is_a_torn_tail(tmp_path: Path, garbage: bytes) -> None:
    directory = tmp_path / os.urandom(6).hex()
    records = write_journal(directory, 4)
    with open(records[-1].file, "ab") as f:
        f.write(garbage)
    with JournalWriter.open(directory, durable=False) as writer:
        assert writer.last_seq == 4
        assert writer.recovery is not None and writer.recovery.bytes_dropped == len(garbage)
    assert verify(directory).ok


def test_garbage_that_looks_like_a_header_is_still_a_torn_tail(tmp_path: Path) -> None:
    records = write_journal(tmp_path, 2)
    with open(records[-1].file, "ab") as f:
        f.write(b"CHJ1" + struct.pack("<IQ", 100, 3) + bytes(40))  # header, no payload
    with JournalWriter.open(tmp_path) as writer:
        assert writer.last_seq == 2 and writer.recovery is not None
        assert "incomplete record" in writer.recovery.reason


@settings(max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_flipped_byte_in_any_middle_record_is_refused_at_that_record(
    tmp_path: Path, data: st.DataObject
) -> None:
    directory = tmp_path / os.urandom(6).hex()
    records = write_journal(directory, 6)
    victim = records[data.draw(st.integers(min_value=0, max_value=4))]
    flip_byte(victim.file, victim.offset + data.draw(st.integers(0, RECORD_BYTES - 1)))
    before = snapshot_bytes(directory)

    report = verify(directory)
    assert report.first_bad is not None and not report.first_bad.torn_tail
    assert (report.first_bad.offset, report.first_bad.seq) == (victim.offset, victim.seq)
    assert report.records == victim.seq - 1
    with pytest.raises(JournalCorrupted) as raised:
        JournalWriter.open(directory)
    assert (raised.value.offset, raised.value.seq) == (victim.offset, victim.seq)
    assert snapshot_bytes(directory) == before  # refused loudly, truncated nothing


def test_crc_mismatch_is_named(tmp_path: Path) -> None:
    records = write_journal(tmp_path, 4)
    flip_byte(records[1].file, records[1].offset + HEADER_BYTES + 5)  # a payload byte
    report = verify(tmp_path)
    assert report.first_bad is not None
    assert "CRC mismatch" in report.first_bad.reason
    assert "intact record follows" in report.first_bad.reason


def _rewrite_payload_keeping_crc_valid(path: Path, offset: int, new_payload: bytes) -> None:
    data = bytearray(path.read_bytes())
    length = struct.unpack_from("<I", data, offset + 4)[0]
    assert len(new_payload) == length
    data[offset + HEADER_BYTES : offset + HEADER_BYTES + length] = new_payload
    crc = zlib.crc32(bytes(data[offset : offset + 48]) + new_payload)
    struct.pack_into("<I", data, offset + 48, crc)
    path.write_bytes(bytes(data))


def test_an_edited_record_with_a_recomputed_crc_breaks_the_hash_chain(tmp_path: Path) -> None:
    records = write_journal(tmp_path, 5)
    _rewrite_payload_keeping_crc_valid(records[2].file, records[2].offset, b"Z" * 100)
    report = verify(tmp_path)
    assert report.first_bad is not None
    assert (report.first_bad.offset, report.first_bad.seq) == (records[2].offset, 3)
    assert "chain hash mismatch" in report.first_bad.reason


def test_an_edit_to_the_last_record_with_a_recomputed_crc_is_not_a_torn_tail(
    tmp_path: Path,
) -> None:
    records = write_journal(tmp_path, 3)
    _rewrite_payload_keeping_crc_valid(records[-1].file, records[-1].offset, b"Z" * 100)
    with pytest.raises(JournalCorrupted, match="chain hash mismatch"):
        JournalWriter.open(tmp_path)


def test_an_edit_that_also_forges_the_hash_is_caught_at_the_next_record(tmp_path: Path) -> None:
    records = write_journal(tmp_path, 5)
    victim = records[2]
    data = bytearray(victim.file.read_bytes())
    forged = sha256(records[1].chain_hash + struct.pack("<Q", 3) + b"Z" * 100).digest()
    data[victim.offset + 16 : victim.offset + 48] = forged
    victim.file.write_bytes(bytes(data))
    _rewrite_payload_keeping_crc_valid(victim.file, victim.offset, b"Z" * 100)
    report = verify(tmp_path)
    assert report.first_bad is not None
    assert (report.first_bad.offset, report.first_bad.seq) == (records[3].offset, 4)


def _remove_record(records: list[Record], index: int) -> None:
    record = records[index]
    data = record.file.read_bytes()
    record.file.write_bytes(data[: record.offset] + data[record.offset + RECORD_BYTES :])


def test_a_deleted_middle_record_is_named_as_missing(tmp_path: Path) -> None:
    records = write_journal(tmp_path, 6)
    _remove_record(records, 2)
    report = verify(tmp_path)
    assert report.first_bad is not None
    assert (report.first_bad.offset, report.first_bad.seq) == (records[2].offset, 3)
    assert "seq gap" in report.first_bad.reason and "record 3 is missing" in report.first_bad.reason
    with pytest.raises(JournalCorrupted, match="seq gap"):
        JournalWriter.open(tmp_path)


def test_a_deleted_last_record_is_just_a_shorter_journal(tmp_path: Path) -> None:
    # Without an external anchor (the sequencer's acks, a snapshot) a clean cut at a record
    # boundary cannot be told from a journal that never had the record.
    records = write_journal(tmp_path, 4)
    os.truncate(records[-1].file, records[-1].offset)
    assert verify(tmp_path).ok and verify(tmp_path).last_seq == 3


def test_two_swapped_records_are_named_as_out_of_order(tmp_path: Path) -> None:
    records = write_journal(tmp_path, 6)
    data = records[0].file.read_bytes()
    a, b = records[2].offset, records[3].offset
    swapped = data[:a] + data[b : b + RECORD_BYTES] + data[a:b] + data[b + RECORD_BYTES :]
    records[0].file.write_bytes(swapped)
    report = verify(tmp_path)
    assert report.first_bad is not None
    assert (report.first_bad.offset, report.first_bad.seq) == (a, 3)
    assert "out of order" in report.first_bad.reason
    assert f"seq 3 sits later at {records[0].file.name}:{a + RECORD_BYTES}" in (
        report.first_bad.reason
    )
    with pytest.raises(JournalCorrupted, match="out of order"):
        JournalWriter.open(tmp_path)


def test_a_duplicated_record_is_named(tmp_path: Path) -> None:
    records = write_journal(tmp_path, 4)
    data = records[0].file.read_bytes()
    start = records[1].offset
    records[0].file.write_bytes(data[: start + RECORD_BYTES] + data[start:])
    report = verify(tmp_path)
    assert report.first_bad is not None and "duplicated" in report.first_bad.reason


def test_a_deleted_middle_segment_is_named(tmp_path: Path) -> None:
    write_journal(tmp_path, 90, segment_bytes=30 * RECORD_BYTES)
    middle = segment_files(tmp_path)[1]
    middle.unlink()
    report = verify(tmp_path)
    assert report.first_bad is not None and report.records == 30
    assert report.first_bad.file.name == f"journal-{61:020d}.log"
    assert "segment boundary broken" in report.first_bad.reason
    with pytest.raises(JournalCorrupted, match="segment"):
        JournalWriter.open(tmp_path)


def test_a_missing_first_segment_is_named(tmp_path: Path) -> None:
    write_journal(tmp_path, 60, segment_bytes=30 * RECORD_BYTES)
    segment_files(tmp_path)[0].unlink()
    report = verify(tmp_path)
    assert report.first_bad is not None and "not 1" in report.first_bad.reason


def test_damage_at_the_end_of_a_non_last_segment_is_not_a_torn_tail(tmp_path: Path) -> None:
    records = write_journal(tmp_path, 60, segment_bytes=30 * RECORD_BYTES)
    first_segment_last = records[29]
    os.truncate(first_segment_last.file, first_segment_last.offset + 20)
    before = snapshot_bytes(tmp_path)
    with pytest.raises(JournalCorrupted, match="not the last"):
        JournalWriter.open(tmp_path)
    assert snapshot_bytes(tmp_path) == before


def test_verify_reports_the_first_bad_offset_and_never_modifies(tmp_path: Path) -> None:
    records = write_journal(tmp_path, 8)
    flip_byte(records[5].file, records[5].offset + 60)
    flip_byte(records[2].file, records[2].offset + 60)
    os.truncate(records[-1].file, records[-1].offset + 3)
    before = snapshot_bytes(tmp_path)
    report = verify(tmp_path)
    assert report.first_bad is not None and report.first_bad.offset == records[2].offset
    assert (report.last_seq, report.last_hash) == (2, records[1].chain_hash)
    assert snapshot_bytes(tmp_path) == before


def test_read_records_raises_at_damage_and_at_a_torn_tail_unless_tolerated(
    tmp_path: Path,
) -> None:
    records = write_journal(tmp_path, 4)
    os.truncate(records[-1].file, records[-1].offset + 30)
    with pytest.raises(JournalCorrupted, match="torn tail"):
        list(read_records(tmp_path))
    tolerated = list(read_records(tmp_path, tolerate_torn_tail=True))
    assert [r.seq for r in tolerated] == [1, 2, 3]
    flip_byte(records[0].file, records[1].offset + 70)
    with pytest.raises(JournalCorrupted, match="CRC mismatch"):
        list(read_records(tmp_path, tolerate_torn_tail=True))


def test_read_records_from_a_seq_skips_earlier_segments(tmp_path: Path) -> None:
    write_journal(tmp_path, 90, segment_bytes=30 * RECORD_BYTES)
    segment_files(tmp_path)[0].write_bytes(b"unreadable")  # never opened when seeking past it
    assert [r.seq for r in read_records(tmp_path, from_seq=45)] == list(range(45, 91))
    assert [r.payload for r in read_records(tmp_path, from_seq=90)] == [payload_for(90)]
    assert list(read_records(tmp_path, from_seq=91)) == []
    with pytest.raises(ValueError):
        read_records(tmp_path, from_seq=0)


def test_empty_or_missing_directory_verifies_as_an_empty_journal(tmp_path: Path) -> None:
    report = verify(tmp_path / "nothing-here")
    assert report.ok and report.records == 0 and report.last_seq == 0
