"""Durability under SIGKILL: a venue process under load is killed at random moments, restarted,
and every acknowledged command must survive, nothing half-applied, the ledger balanced, and the
recovered state hash equal to a clean replay of the journal."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clearhouse.core.invariants import assert_all
from clearhouse.journal import verify
from clearhouse.venue import Venue, replay_state_hash

KILLS = 20


def _start(data_dir: Path, seed: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "clearhouse.bench.load_driver",
            str(data_dir),
            "--seed",
            str(seed),
            "--batch",
            "40",
            "--snapshot-every",
            "1500",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run_until_killed(data_dir: Path, seed: int, rng: random.Random) -> int:
    """Start the driver, let it acknowledge a random number of batches, SIGKILL it at a random
    moment, and return the highest acknowledged seq."""
    process = _start(data_dir, seed)
    assert process.stdout is not None
    acked = 0
    ready = process.stdout.readline()
    assert ready.startswith("READY"), ready + (process.stderr.read() if process.stderr else "")
    target_acks = rng.randint(1, 60)
    seen = 0
    deadline = time.monotonic() + 60
    while seen < target_acks and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        if line.startswith("ACK "):
            acked = int(line.split()[1])
            seen += 1
    # kill at a random moment after the last ack we read: mid-batch, mid-fsync or mid-snapshot
    time.sleep(rng.random() * 0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    # acks printed after our last read were also acknowledged; count them too
    rest = process.stdout.read()
    for line in rest.splitlines():
        if line.startswith("ACK "):
            acked = int(line.split()[1])
    return acked


@pytest.mark.slow
def test_sigkill_under_load_loses_no_acknowledged_command(tmp_path: Path) -> None:
    rng = random.Random(20261124)
    data_dir = tmp_path / "venue"
    highest_ack = 0
    for kill in range(KILLS):
        acked = _run_until_killed(data_dir, seed=kill + 1, rng=rng)
        highest_ack = max(highest_ack, acked)
        venue = Venue(data_dir, snapshot_every=0)
        try:
            state = venue.engine.state
            assert state.seq >= highest_ack, (
                f"kill {kill}: acked {highest_ack}, recovered {state.seq}"
            )
            assert_all(state)
            seq, clean_hash = replay_state_hash(data_dir)
            assert seq == state.seq
            assert venue.state_hash() == clean_hash, f"kill {kill}: recovery differs from replay"
        finally:
            venue.close()
        report = verify(data_dir / "journal")
        assert report.ok, report
    assert highest_ack > 0
