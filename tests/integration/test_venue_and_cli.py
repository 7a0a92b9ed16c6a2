"""The venue as an operator sees it: recovery, journal verification and replay from the command
line, the serve command answering /health, and the benchmark command's JSON."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from clearhouse.bench.load_driver import setup_commands
from clearhouse.core.commands import CreditDeposit, PlaceOrder
from clearhouse.core.invariants import assert_all
from clearhouse.journal import JournalCorrupted
from clearhouse.venue import Venue, replay_state_hash

CLI = [sys.executable, "-m", "clearhouse.cli"]


def _venue_with_trades(data_dir: Path, parallel: bool = True) -> str:
    venue = Venue(data_dir, parallel_journal=parallel, snapshot_every=0)
    try:
        venue.submit(setup_commands())
        a, b = 10_000_001, 10_000_002
        venue.submit(
            [
                CreditDeposit(a, "USDT", 10**14, "t-a"),
                CreditDeposit(b, "BTC", 10**9, "t-b"),
                PlaceOrder(b, "BTC_USDT", 1, 6_000_000, 1_000),
                PlaceOrder(a, "BTC_USDT", 0, 6_000_000, 400),
            ]
        )
        venue.snapshot()
        venue.submit([PlaceOrder(a, "BTC_USDT", 0, 5_990_000, 300)])
        return venue.state_hash()
    finally:
        venue.close()


@pytest.mark.parametrize("parallel", [True, False], ids=["journal-process", "journal-inline"])
def test_recovery_is_snapshot_plus_replay_and_equals_a_clean_replay(
    tmp_path: Path, parallel: bool
) -> None:
    digest = _venue_with_trades(tmp_path, parallel)
    venue = Venue(tmp_path, parallel_journal=parallel)
    try:
        assert venue.recovery.snapshot_seq > 0
        assert venue.recovery.replayed == 1
        assert venue.state_hash() == digest
        assert_all(venue.engine.state)
    finally:
        venue.close()
    assert replay_state_hash(tmp_path)[1] == digest


def test_a_torn_tail_is_truncated_and_reported(tmp_path: Path) -> None:
    _venue_with_trades(tmp_path)
    segment = sorted((tmp_path / "journal").glob("journal-*.log"))[-1]
    with segment.open("ab") as f:
        f.write(b"CHJ1\x40\x00")  # the start of a record that never finished
    venue = Venue(tmp_path)
    try:
        assert venue.recovery.torn_tail
        assert_all(venue.engine.state)
    finally:
        venue.close()


def test_corruption_in_the_middle_is_refused_loudly(tmp_path: Path) -> None:
    _venue_with_trades(tmp_path)
    segment = sorted((tmp_path / "journal").glob("journal-*.log"))[0]
    data = bytearray(segment.read_bytes())
    data[len(data) // 2] ^= 0xFF
    segment.write_bytes(bytes(data))
    with pytest.raises(JournalCorrupted):
        Venue(tmp_path)
    verify = subprocess.run(
        [*CLI, "journal", "verify", str(tmp_path)], capture_output=True, text=True
    )
    assert verify.returncode == 1
    assert "first bad offset" in verify.stdout


def test_journal_verify_and_replay_commands(tmp_path: Path) -> None:
    digest = _venue_with_trades(tmp_path)
    verify = subprocess.run(
        [*CLI, "journal", "verify", str(tmp_path)], capture_output=True, text=True
    )
    assert verify.returncode == 0, verify.stderr
    replay = subprocess.run([*CLI, "replay", str(tmp_path)], capture_output=True, text=True)
    assert replay.returncode == 0, replay.stderr
    assert replay.stdout.strip() == digest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_answers_health_and_recovers_after_restart(tmp_path: Path) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/health"
    for _ in range(2):  # the second start recovers from the first one's journal
        server = subprocess.Popen(
            [*CLI, "serve", "--port", str(port), "--data-dir", str(tmp_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            body = None
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    with urllib.request.urlopen(url, timeout=2) as response:
                        body = json.loads(response.read())
                    break
                except OSError:
                    time.sleep(0.2)
            assert body is not None, "server did not answer /health"
            assert body["status"] == "ok" and body["mode"] == "demo"
            assert "BTC_USDT" in body["markets"] and body["seq"] > 0
        finally:
            server.terminate()
            server.wait(timeout=30)


def test_bench_prints_json_with_every_configuration(tmp_path: Path) -> None:
    out = subprocess.run(
        [*CLI, "bench", "--ops", "3000", "--json", "--journal", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    for mode in ("plain", "liquibook", "book", "engine", "journal_inprocess", "journal"):
        assert result[mode]["ops_per_s"] > 0, mode
    assert result["journal"]["latency_us_p99"] > 0
    assert result["same_state_hash"] is True
    assert result["memory"]["bytes_per_resting_order"] > 0
    replay = subprocess.run([*CLI, "replay", str(tmp_path)], capture_output=True, text=True)
    assert replay.stdout.strip() == result["journal"]["state_hash"]
