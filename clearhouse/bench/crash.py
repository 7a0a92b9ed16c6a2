"""Kill a loaded venue with SIGKILL and check what survives. Used by the crash test (20 kills)
and by `scripts/soak.py` (1,000 kills)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from clearhouse.core.invariants import assert_all
from clearhouse.journal import verify
from clearhouse.venue import Venue, replay_state_hash

READ_TIMEOUT_S: Final = 60.0


@dataclass(frozen=True)
class Cycle:
    acked: int  # highest seq the killed process acknowledged
    recovered: int  # seq after recovery
    torn_tail: str  # what recovery truncated, if anything
    state_hash: str


def kill_under_load(data_dir: Path, seed: int, rng: random.Random, max_acks: int = 60) -> int:
    """Start the load driver, read a random number of acks, SIGKILL it at a random moment
    (mid-batch, mid-fsync or mid-snapshot), and return the highest acknowledged seq."""
    process = subprocess.Popen(
        [
            sys.executable, "-m", "clearhouse.bench.load_driver", str(data_dir),
            "--seed", str(seed), "--batch", "40", "--snapshot-every", "1500",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    acked = 0
    try:
        ready = process.stdout.readline()
        if not ready.startswith("READY"):
            process.kill()
            raise AssertionError(f"driver did not start: {ready}{process.stderr.read()}")
        target = rng.randint(1, max_acks)
        deadline = time.monotonic() + READ_TIMEOUT_S
        seen = 0
        while seen < target and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            if line.startswith("ACK "):
                acked = int(line.split()[1])
                seen += 1
        time.sleep(rng.random() * 0.02)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    # acks written after our last read were acknowledged too
    for line in process.stdout.read().splitlines():
        if line.startswith("ACK "):
            acked = int(line.split()[1])
    return acked


def recover_and_check(data_dir: Path, highest_ack: int) -> Cycle:
    """Recover the venue and check: every acknowledged command is there, the state is sound,
    the journal verifies, and the state equals a clean replay of the journal alone."""
    venue = Venue(data_dir, snapshot_every=0)
    try:
        state = venue.engine.state
        assert state.seq >= highest_ack, f"acknowledged {highest_ack}, recovered {state.seq}"
        assert_all(state)
        seq, clean_hash = replay_state_hash(data_dir)
        assert seq == state.seq, f"replay reached {seq}, recovery {state.seq}"
        digest = venue.state_hash()
        assert digest == clean_hash, "recovered state differs from a clean replay"
        torn = venue.recovery.torn_tail
    finally:
        venue.close()
    report = verify(data_dir / "journal")
    assert report.ok, report
    return Cycle(highest_ack, seq, torn, digest)
