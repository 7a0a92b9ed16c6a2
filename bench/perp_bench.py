"""Perpetuals benchmark: `python bench/perp_bench.py [--accounts N] [--contracts C] [--check]`.

Prints one JSON document:

- `mark_tick`: one BTC_USDT mark tick (an ObserveIndexSources command through `Engine.apply`,
  with the whole end-of-command risk pass) with `accounts x contracts` open isolated positions
  (default 100,000 x 10 = 1,000,000), the new mark chosen so that `cross_ppm` (default 1,000 =
  0.1 %) of all positions cross their liquidation price. Reported: the command's wall time, how
  many positions the liquidation index handed over, how many were liquidated (take-over into
  the insurance fund, events and ledger included), and a check that no other position was
  looked at. Target: under 5 ms, no full scan.
- `funding`: one funding settlement of every contract (an AdvanceTime past the funding time
  through `Engine.apply`): every position pays or receives through the ledger, one FundingPaid
  event each. Target: under 2 s for 1,000,000 positions.

The positions are bulk-loaded into the engine's state the way a snapshot load does it (ledger
balances, positions, then the liquidation index built in one go) after the contracts were listed
by ordinary commands: placing a million orders one by one would measure the order path, not
the risk pass. The state passes the full invariant check before the timings.

Each timing is the best of --repeats runs on a fresh copy of the state is not possible without
rebuilding (a run changes it), so the tick and the funding are each measured once per build;
--repeats rebuilds and reports every run and the best.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import msgspec  # noqa: E402

from clearhouse.config.genesis import DEFAULT_CONTRACTS, default_listing  # noqa: E402
from clearhouse.core import invariants  # noqa: E402
from clearhouse.core.commands import (  # noqa: E402
    AdvanceTime,
    AnyCommand,
    Envelope,
    ListContract,
    ObserveIndexSources,
)
from clearhouse.core.engine import Engine  # noqa: E402
from clearhouse.core.events import FundingPaid, Liquidated  # noqa: E402
from clearhouse.core.ledger import AVAILABLE, EXTERNAL, ledger_key  # noqa: E402
from clearhouse.core.products.perpetual_canonical import rebuild_index  # noqa: E402
from clearhouse.core.products.perpetual_state import Position  # noqa: E402
from clearhouse.core.risk import liquidation  # noqa: E402
from clearhouse.core.risk.liquidation_index import TAG_BITS  # noqa: E402
from clearhouse.core.risk.margin import initial_margin_units  # noqa: E402

USDT = 10**8
FIRST_ACCOUNT = 20_000_001
PRICE_TICKS = 500_000  # 50,000 at tick 0.1 for every contract (they share BTC's shape)
STEP_NS = 1_000_000


class Bench:
    def __init__(self) -> None:
        self.engine = Engine()
        self.seq = 0
        self.time_ns = 0

    def apply(self, command: AnyCommand, advance_ns: int = STEP_NS) -> list[Any]:
        self.seq += 1
        self.time_ns += advance_ns
        return self.engine.apply(Envelope(self.seq, self.time_ns, command))


def build(accounts: int, contracts: int, seed: int) -> tuple[Bench, list[str]]:
    bench = Bench()
    for command in default_listing():
        bench.apply(command)
    btc = DEFAULT_CONTRACTS[0]
    names = ["BTC_USDT"] + [f"C{i}_USDT" for i in range(contracts - 1)]
    for name in names[1:]:
        bench.apply(ListContract(msgspec.structs.replace(btc, name=name)))
    for name in names:
        bench.apply(ObserveIndexSources(name, (("feed", PRICE_TICKS, 1),)))
    state = bench.engine.state
    perps = state.perps
    balances = state.ledger.balances
    asset = perps.settle_asset
    external = ledger_key(EXTERNAL, asset, AVAILABLE)
    rng = random.Random(seed)
    size = 1_000  # contracts: 0.1 BTC, ~5,000 USDT notional
    pair_entry = [0] * len(names)
    next_id = perps.next_position_id
    for n in range(accounts):
        account = FIRST_ACCOUNT + n
        acct = perps.account(account)
        deposit = 10_000 * USDT
        balances[acct.wallet_key] = deposit
        balances[external] = balances.get(external, 0) - deposit
        margin_total = 0
        for c, name in enumerate(names):
            pm = perps.contracts[name]
            leverage = rng.randrange(2, 51)  # margin >= 2 %: nobody is underwater at the start
            long = (n + c) % 2 == 0
            pos = Position(next_id, acct, name, 0, leverage)
            next_id += 1
            # accounts 2j and 2j+1 traded with each other at one price (entries within +-1 %)
            if n % 2 == 0:
                pair_entry[c] = PRICE_TICKS + rng.randrange(-5_000, 5_000)
            entry = pair_entry[c]
            cost = size * entry * pm.k
            pos.size = size if long else -size
            pos.cost_units = cost if long else -cost
            pos.margin_units = initial_margin_units(pm.tiers, cost, leverage)
            margin_total += pos.margin_units
            acct.positions[(name, 0)] = pos
            acct.settings[name] = (leverage, 0)
            pm.positions[pos.position_id] = pos
        balances[acct.wallet_key] -= margin_total
        balances[acct.margin_key] = balances.get(acct.margin_key, 0) + margin_total
    perps.next_position_id = next_id
    rebuild_index(state)
    return bench, names


def run(accounts: int, contracts: int, cross_ppm: int, seed: int, check: bool) -> dict[str, Any]:
    started = time.perf_counter()
    bench, names = build(accounts, contracts, seed)
    state = bench.engine.state
    build_s = time.perf_counter() - started
    if check:
        invariants.assert_all(state)
    pm = state.perps.contracts["BTC_USDT"]
    positions = sum(len(state.perps.contracts[n].positions) for n in names)
    crossing = positions * cross_ppm // 1_000_000
    # longs are in danger when the mark falls to their key: the `crossing` highest keys
    keys = sorted((item >> TAG_BITS for item in pm.index.fall.items), reverse=True)
    new_mark = keys[crossing - 1]
    crossing = sum(1 for key in keys[: crossing + 1_000] if key >= new_mark)  # ties
    checked = 0
    original = liquidation._check_isolated

    def counting(*args: Any) -> None:
        nonlocal checked
        checked += 1
        original(*args)

    liquidation._check_isolated = counting  # type: ignore[assignment]
    gc.collect()
    gc.disable()
    t0 = time.perf_counter()
    events = bench.apply(ObserveIndexSources("BTC_USDT", (("feed", new_mark, 1),)))
    tick_s = time.perf_counter() - t0
    gc.enable()
    liquidation._check_isolated = original  # type: ignore[assignment]
    liquidated = sum(1 for e in events if type(e) is Liquidated)
    if check:
        invariants.assert_all(state)
    # funding: every contract is due at 8 h
    gc.collect()
    gc.disable()
    t0 = time.perf_counter()
    events = bench.apply(AdvanceTime(), advance_ns=8 * 3600 * 10**9 - bench.time_ns + 1)
    funding_s = time.perf_counter() - t0
    gc.enable()
    paid = sum(1 for e in events if type(e) is FundingPaid)
    if check:
        invariants.assert_all(state)
    return {
        "positions": positions,
        "accounts": accounts,
        "contracts": contracts,
        "build_s": round(build_s, 2),
        "mark_tick": {
            "crossing_target": crossing,
            "candidates_checked": checked,
            "liquidated": liquidated,
            "events": len(events),
            "ms": round(tick_s * 1e3, 3),
            "target_ms": 5,
        },
        "funding": {
            "positions_settled": paid,
            "s": round(funding_s, 3),
            "target_s": 2,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--contracts", type=int, default=10)
    parser.add_argument("--cross-ppm", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--check", action="store_true", help="full invariant check (slow)")
    args = parser.parse_args()
    runs = [
        run(args.accounts, args.contracts, args.cross_ppm, args.seed + r, args.check)
        for r in range(args.repeats)
    ]
    best = {
        "mark_tick_ms": min(r["mark_tick"]["ms"] for r in runs),
        "funding_s": min(r["funding"]["s"] for r in runs),
    }
    print(
        json.dumps(
            {
                "benchmark": "perpetuals",
                "python": platform.python_version(),
                "machine": platform.machine(),
                "best": best,
                "runs": runs,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
