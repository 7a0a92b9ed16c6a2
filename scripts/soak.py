"""Crash soak: SIGKILL a loaded venue N times (default 1,000), recovering and checking after
each kill. `python scripts/soak.py [--kills N] [--dir DIR]`; exits non-zero on the first failure."""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from clearhouse.bench.crash import kill_under_load, recover_and_check


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=1_000)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--reset-every", type=int, default=100, help="start a fresh venue every N kills"
    )
    args = parser.parse_args()
    root = args.dir or Path(tempfile.mkdtemp(prefix="clearhouse-soak-"))
    rng = random.Random(args.seed)
    highest = 0
    torn = 0
    started = time.monotonic()
    for kill in range(args.kills):
        # a fresh venue now and then keeps each recovery's full replay check short
        data_dir = root / f"venue-{kill // args.reset_every}"
        if kill % args.reset_every == 0:
            highest = 0
        highest = max(highest, kill_under_load(data_dir, seed=kill + 1, rng=rng))
        cycle = recover_and_check(data_dir, highest)
        torn += bool(cycle.torn_tail)
        if kill % 50 == 0 or kill == args.kills - 1:
            print(
                f"kill {kill + 1}/{args.kills}: acked {cycle.acked}, recovered {cycle.recovered}, "
                f"torn tails so far {torn}, {time.monotonic() - started:.0f} s",
                flush=True,
            )
    print(f"OK: {args.kills} kills, highest ack {highest}, torn tails truncated {torn}")


if __name__ == "__main__":
    main()
