"""A venue process under steady load, for crash tests and the soak script.

`python -m clearhouse.bench.load_driver DATA_DIR --seed S` opens (or recovers) a venue in
DATA_DIR and submits random commands in group-committed batches forever. After each batch is
durable and applied it prints `ACK <last seq> <state hash every N batches or ->` and flushes, so
whoever kills it with SIGKILL knows exactly which commands were acknowledged.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Final

from clearhouse.core.book import BUY, FOK, GTC, IOC, POC, SELL
from clearhouse.core.commands import (
    AmendOrder,
    AnyCommand,
    ApproveWithdrawal,
    CancelAllOrders,
    CancelOrder,
    CreditDeposit,
    DecideKyc,
    OpenAccount,
    PlaceOrder,
    RegisterParty,
    RequestWithdrawal,
)

if TYPE_CHECKING:
    from clearhouse.venue import Venue

ACCOUNTS: Final = 8
MID_TICKS: Final = 6_000_000


def setup_commands() -> list[AnyCommand]:
    commands: list[AnyCommand] = [
        RegisterParty("person", f"load trader {i}", "DE", external_ref=f"load-{i}")
        for i in range(ACCOUNTS)
    ]
    commands += [  # verified: tier 0 may not trade or withdraw
        DecideKyc(i + 1, 1, "load", (f"check-{i}",), "DE", f"load-doc-{i}", "load")
        for i in range(ACCOUNTS)
    ]
    commands += [OpenAccount(i + 1) for i in range(ACCOUNTS)]
    return commands


def random_command(rng: random.Random, venue: Venue, accounts: list[int]) -> AnyCommand:
    state = venue.engine.state
    account = rng.choice(accounts)
    roll = rng.random()
    market = state.markets["BTC_USDT"]
    if roll < 0.05:
        asset = rng.choice(("USDT", "BTC"))
        units = rng.randint(1, 10**6) * (10**5 if asset == "USDT" else 10)
        return CreditDeposit(account, asset, units, f"dep-{state.seq}-{rng.getrandbits(32)}")
    if roll < 0.07:
        return RequestWithdrawal(
            account, "USDT", rng.randint(1, 10**4) * 10**6, f"wd-{rng.getrandbits(40)}", "0xabc"
        )
    if roll < 0.08 and state.withdrawals:
        pending = [w for w in state.withdrawals.values() if w.status == "pending"]
        if pending:
            return ApproveWithdrawal(rng.choice(pending).withdrawal_id, f"tx-{state.seq}")
    if roll < 0.35 and market.book.orders:
        order = rng.choice(list(market.book.orders.values())[:200])
        if rng.random() < 0.2:
            return AmendOrder(
                order.account, "BTC_USDT", order.order_id, size_lots=rng.randint(10, 200)
            )
        return CancelOrder(order.account, "BTC_USDT", order.order_id)
    if roll < 0.37:
        return CancelAllOrders(account, "BTC_USDT")
    side = rng.choice((BUY, SELL))
    if roll < 0.5:
        if side == BUY:
            return PlaceOrder(
                account, "BTC_USDT", BUY, 0, 0, tif=IOC, quote_units=rng.randint(5, 500) * 10**8
            )
        return PlaceOrder(account, "BTC_USDT", SELL, 0, rng.randint(10, 300), tif=IOC)
    offset = rng.randint(-5, 40)
    price = MID_TICKS - offset if side == BUY else MID_TICKS + offset
    tif = rng.choice((GTC, GTC, GTC, IOC, FOK, POC))
    display = rng.choice((0, 0, 0, 10))
    size = rng.randint(11, 300)
    return PlaceOrder(
        account,
        "BTC_USDT",
        side,
        price,
        size,
        tif=tif,
        display_lots=display if tif in (GTC, POC) else 0,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--snapshot-every", type=int, default=3_000)
    parser.add_argument("--max-commands", type=int, default=10**9)
    args = parser.parse_args()
    from clearhouse.venue import Venue

    venue = Venue(args.data_dir, snapshot_every=args.snapshot_every)
    state = venue.engine.state
    if not state.accounts:
        venue.submit(setup_commands())
    accounts = sorted(state.accounts)
    # a different stream after every restart, still reproducible from (seed, seq)
    rng = random.Random(args.seed * 1_000_003 + state.seq)
    print(f"READY {state.seq}", flush=True)
    submitted = 0
    while submitted < args.max_commands:
        batch = [random_command(rng, venue, accounts) for _ in range(args.batch)]
        venue.submit(batch)
        submitted += len(batch)
        sys.stdout.write(f"ACK {state.seq}\n")
        sys.stdout.flush()
    venue.close()


if __name__ == "__main__":
    main()
