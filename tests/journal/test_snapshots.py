from __future__ import annotations

from pathlib import Path

import pytest
from journal_helpers import flip_byte

from clearhouse.journal import SnapshotError, SnapshotStore


def test_latest_returns_the_newest_snapshot(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    assert store.latest() is None
    store.write(10, "hash-10", b"state at 10")
    path = store.write(20, "hash-20", b"state at 20")
    assert path == tmp_path / "snapshots" / f"snapshot-{20:020d}.snap"
    latest = store.latest()
    assert latest is not None
    assert (latest.seq, latest.state_hash, latest.payload) == (20, "hash-20", b"state at 20")
    assert store.skipped == ()


@pytest.mark.parametrize("where", ["header", "payload", "checksum", "truncated"])
def test_a_corrupt_newest_snapshot_falls_back_to_the_previous_one(
    tmp_path: Path, where: str
) -> None:
    store = SnapshotStore(tmp_path)
    store.write(10, "hash-10", b"older state")
    newest = store.write(20, "hash-20", b"newer state")
    size = newest.stat().st_size
    if where == "truncated":
        newest.write_bytes(newest.read_bytes()[:-5])
    else:
        flip_byte(newest, {"header": 2, "payload": size - 40, "checksum": size - 1}[where])
    latest = store.latest()
    assert latest is not None and (latest.seq, latest.payload) == (10, b"older state")
    assert [s.path for s in store.skipped] == [newest]
    assert store.skipped[0].reason


def test_a_snapshot_renamed_to_another_seq_is_skipped(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    store.write(10, "h", b"x")
    path = store.write(20, "h", b"y")
    path.rename(path.with_name(f"snapshot-{30:020d}.snap"))
    latest = store.latest()
    assert latest is not None and latest.seq == 10
    assert "file name says seq 30" in store.skipped[0].reason


def test_only_the_newest_n_snapshots_are_kept(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path, keep=2)
    (tmp_path / "snapshots").mkdir()
    unrelated = tmp_path / "snapshots" / "README"
    unrelated.write_text("operators' notes")
    for seq in (1, 2, 3, 4):
        store.write(seq, f"h{seq}", b"s")
    names = sorted(p.name for p in (tmp_path / "snapshots").iterdir())
    assert names == ["README", f"snapshot-{3:020d}.snap", f"snapshot-{4:020d}.snap"]


def test_a_leftover_temp_file_from_a_crash_is_ignored_then_cleaned(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    store.write(5, "h5", b"good")
    leftover = tmp_path / "snapshots" / f"snapshot-{9:020d}.snap.tmp"
    leftover.write_bytes(b"half written")
    latest = store.latest()
    assert latest is not None and latest.seq == 5
    store.write(6, "h6", b"next")
    assert not leftover.exists()


def test_bad_snapshot_arguments_are_refused(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    with pytest.raises(SnapshotError):
        store.write(0, "h", b"")
    with pytest.raises(SnapshotError):
        store.write(1, "", b"")
    with pytest.raises(ValueError):
        SnapshotStore(tmp_path, keep=0)
