from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from journal_helpers import payload_for, segment_files, write_journal

from clearhouse.journal import (
    GENESIS_HASH,
    MAX_PAYLOAD_BYTES,
    JournalLocked,
    JournalWriter,
    PayloadTooLarge,
    WriterUnusable,
    read_records,
    verify,
)
from clearhouse.journal.record import HEADER_BYTES, chain_hash


def test_appended_payloads_read_back_in_order_with_their_seqs(tmp_path: Path) -> None:
    with JournalWriter.open(tmp_path, durable=True) as writer:
        assert (writer.last_seq, writer.last_hash) == (0, GENESIS_HASH)
        seqs = [writer.append(payload_for(seq)) for seq in range(1, 11)]
        assert writer.commit() == 10
    assert seqs == list(range(1, 11))
    records = list(read_records(tmp_path))
    assert [(r.seq, r.payload) for r in records] == [(s, payload_for(s)) for s in range(1, 11)]
    prev = GENESIS_HASH
    for record in records:
        prev = chain_hash(prev, record.seq, record.payload)
        assert record.chain_hash == prev


def test_append_is_not_durable_until_commit(tmp_path: Path) -> None:
    writer = JournalWriter.open(tmp_path, durable=False)
    writer.append(b"one")
    assert writer.durable_seq == 0
    assert list(read_records(tmp_path)) == []
    assert writer.commit() == 1
    assert writer.durable_seq == 1
    assert writer.commit() == 1  # nothing buffered: no write, same answer
    writer.close()


def test_reopen_continues_seq_and_chain(tmp_path: Path) -> None:
    write_journal(tmp_path, 5)
    with JournalWriter.open(tmp_path) as writer:
        assert writer.recovery is None
        assert writer.last_seq == 5
        before = writer.last_hash
        assert writer.append(b"six") == 6
        writer.commit()
        assert writer.last_hash == chain_hash(before, 6, b"six")
    report = verify(tmp_path)
    assert report.ok and report.records == 6 and report.last_seq == 6


def test_segments_roll_over_at_the_size_limit_and_the_chain_continues(tmp_path: Path) -> None:
    record_bytes = HEADER_BYTES + 100
    write_journal(tmp_path, 90, segment_bytes=30 * record_bytes)
    files = segment_files(tmp_path)
    assert [f.name for f in files] == [f"journal-{first:020d}.log" for first in (1, 31, 61)]
    assert all(f.stat().st_size == 30 * record_bytes for f in files)
    assert verify(tmp_path).ok
    # Reopening appends to the last (full) segment's successor.
    with JournalWriter.open(tmp_path, durable=False, segment_bytes=30 * record_bytes) as writer:
        writer.append(payload_for(91))
    assert segment_files(tmp_path)[-1].name == f"journal-{91:020d}.log"
    assert [r.seq for r in read_records(tmp_path, from_seq=55)] == list(range(55, 92))


def test_one_commit_spanning_several_segments_rolls_inside_the_commit(tmp_path: Path) -> None:
    with JournalWriter.open(tmp_path, durable=True, segment_bytes=4096) as writer:
        for seq in range(1, 201):
            writer.append(payload_for(seq))
        writer.commit()
    assert len(segment_files(tmp_path)) == 200 // (4096 // (HEADER_BYTES + 100)) + 1
    assert verify(tmp_path).last_seq == 200


def test_a_record_larger_than_a_segment_gets_a_segment_of_its_own(tmp_path: Path) -> None:
    with JournalWriter.open(tmp_path, durable=False, segment_bytes=4096) as writer:
        writer.append(b"small")
        writer.append(bytes(10_000))
        writer.append(b"after")
    sizes = [f.stat().st_size for f in segment_files(tmp_path)]
    assert sizes == [HEADER_BYTES + 5, HEADER_BYTES + 10_000, HEADER_BYTES + 5]


def test_payload_over_the_limit_is_refused_and_writes_nothing(tmp_path: Path) -> None:
    with JournalWriter.open(tmp_path, durable=False) as writer:
        writer.append(b"kept")
        with pytest.raises(PayloadTooLarge, match="exceeds the journal limit"):
            writer.append(bytes(MAX_PAYLOAD_BYTES + 1))
        assert writer.last_seq == 1
        assert writer.buffered_bytes == HEADER_BYTES + 4
        assert writer.append(b"next") == 2
    assert [r.payload for r in read_records(tmp_path)] == [b"kept", b"next"]


def test_payload_at_the_limit_is_accepted(tmp_path: Path) -> None:
    with JournalWriter.open(tmp_path, durable=False) as writer:
        writer.append(bytes(MAX_PAYLOAD_BYTES))
    assert verify(tmp_path).records == 1


def test_full_buffer_forces_a_commit_instead_of_growing(tmp_path: Path) -> None:
    limit = HEADER_BYTES + MAX_PAYLOAD_BYTES
    with JournalWriter.open(tmp_path, durable=False, max_buffered_bytes=limit) as writer:
        writer.append(bytes(MAX_PAYLOAD_BYTES - 1000))
        assert writer.durable_seq == 0
        writer.append(bytes(2000))  # would exceed the bound: seq 1 is committed first
        assert writer.durable_seq == 1
        assert writer.buffered_bytes == HEADER_BYTES + 2000


def test_limits_below_one_record_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="max_buffered_bytes"):
        JournalWriter.open(tmp_path, max_buffered_bytes=1024)
    with pytest.raises(ValueError, match="segment_bytes"):
        JournalWriter.open(tmp_path, segment_bytes=10)


def test_a_second_writer_on_the_same_directory_is_refused(tmp_path: Path) -> None:
    with JournalWriter.open(tmp_path, durable=False), pytest.raises(JournalLocked):
        JournalWriter.open(tmp_path, durable=False)
    JournalWriter.open(tmp_path, durable=False).close()  # released on close


def test_close_commits_what_is_buffered_and_then_refuses_appends(tmp_path: Path) -> None:
    writer = JournalWriter.open(tmp_path, durable=False)
    writer.append(b"x")
    writer.close()
    writer.close()  # idempotent
    assert verify(tmp_path).records == 1
    with pytest.raises(WriterUnusable):
        writer.append(b"y")
    with pytest.raises(WriterUnusable):
        writer.commit()


def test_a_failed_write_makes_the_writer_unusable_until_reopened(tmp_path: Path) -> None:
    import os

    writer = JournalWriter.open(tmp_path, durable=False)
    writer.append(b"x")
    os.close(writer._fd)  # simulate an I/O failure under the writer
    with pytest.raises(OSError):
        writer.commit()
    with pytest.raises(WriterUnusable, match="reopen"):
        writer.append(b"y")
    os.close(writer._lock_fd)
    writer._fd = -1
    with JournalWriter.open(tmp_path, durable=False) as reopened:
        assert reopened.last_seq == 0


@settings(max_examples=40, deadline=None)
@given(
    payloads=st.lists(st.binary(max_size=300), max_size=60),
    commit_every=st.integers(min_value=1, max_value=10),
    segment_bytes=st.integers(min_value=4096, max_value=8192),
    data=st.data(),
)
def test_any_append_commit_reopen_sequence_reads_back_exactly(
    tmp_path_factory: pytest.TempPathFactory,
    payloads: list[bytes],
    commit_every: int,
    segment_bytes: int,
    data: st.DataObject,
) -> None:
    directory = tmp_path_factory.mktemp("journal")
    split = data.draw(st.integers(min_value=0, max_value=len(payloads)))
    for part in (payloads[:split], payloads[split:]):  # a reopen in between
        with JournalWriter.open(directory, durable=False, segment_bytes=segment_bytes) as w:
            for index, payload in enumerate(part, start=1):
                w.append(payload)
                if index % commit_every == 0:
                    w.commit()
    assert [r.payload for r in read_records(directory)] == payloads
    report = verify(directory)
    assert report.ok and report.last_seq == len(payloads)


def test_an_append_racing_a_commit_is_refused_not_silently_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    writer = JournalWriter.open(tmp_path, durable=False)
    writer.append(b"first")
    refused: list[Exception] = []
    real_write = os.write

    def write_while_another_thread_appends(fd: int, data: memoryview) -> int:
        try:
            writer.append(b"racer")  # what a second thread would do mid-commit
        except RuntimeError as error:
            refused.append(error)
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", write_while_another_thread_appends)
    assert writer.commit() == 1
    monkeypatch.undo()
    assert len(refused) == 1 and "not thread-safe" in str(refused[0])
    assert writer.append(b"second") == 2
    writer.close()
    assert [r.payload for r in read_records(tmp_path)] == [b"first", b"second"]
