"""Durability under SIGKILL: a venue process under load is killed at random moments, restarted,
and every acknowledged command must survive, nothing half-applied, the ledger balanced, and the
recovered state hash equal to a clean replay of the journal."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from clearhouse.bench.crash import kill_under_load, recover_and_check

KILLS = 20


@pytest.mark.slow
def test_sigkill_under_load_loses_no_acknowledged_command(tmp_path: Path) -> None:
    rng = random.Random(20261124)
    data_dir = tmp_path / "venue"
    highest_ack = 0
    recovered = []
    for kill in range(KILLS):
        highest_ack = max(highest_ack, kill_under_load(data_dir, seed=kill + 1, rng=rng))
        recovered.append(recover_and_check(data_dir, highest_ack))
    assert highest_ack > 0
    # the venue really moved on between kills
    assert recovered[-1].recovered > recovered[0].recovered
