"""The seeded benchmark workload: about 50 % limit orders, 35 % cancels, 15 % market orders,
with around a thousand resting orders near the touch, as a flat list of tuples so that every
book under test replays exactly the same operations and generation cost is not measured."""

from __future__ import annotations

import random
from typing import Final

LIMIT: Final = 0
CANCEL: Final = 1
MARKET: Final = 2

BUY: Final = 0
SELL: Final = 1

TARGET_RESTING: Final = 1_000
MID_START_TICKS: Final = 6_000_000  # 60,000.00 USDT with a 0.01 tick
ACCOUNTS: Final = 64

# (kind, order_id, side, price_ticks, size_lots, account_index)
Op = tuple[int, int, int, int, int, int]


def generate(ops: int, seed: int) -> list[Op]:
    """Generate `ops` operations. A plain reference book follows along, so cancels target orders
    that really still rest and the cancel rate can hold the book near TARGET_RESTING orders."""
    from clearhouse.bench.plain_book import PlainBook

    rng = random.Random(seed)
    model = PlainBook()
    out: list[Op] = []
    live: list[int] = []  # candidates for cancels; filled ones are dropped lazily
    owner: dict[int, int] = {}
    mid = MID_START_TICKS
    next_id = 1
    for _ in range(ops):
        roll = rng.random()
        if roll < 0.15:
            side = rng.randrange(2)
            size = rng.randint(1, 10)
            out.append((MARKET, next_id, side, 0, size, rng.randrange(ACCOUNTS)))
            model.market(side, size)
            next_id += 1
        elif roll < 0.50 and _pick_live(rng, live, model):
            order_id = live.pop()
            out.append((CANCEL, order_id, 0, 0, 0, owner.pop(order_id)))
            model.cancel(order_id)
        else:
            side = rng.randrange(2)
            # mostly passive, within 20 ticks of the mid; about 5 % cross the spread
            offset = rng.randint(1, 20) if rng.random() >= 0.05 else -rng.randint(0, 3)
            price = mid - offset if side == BUY else mid + offset
            account = rng.randrange(ACCOUNTS)
            size = rng.randint(1, 10)
            out.append((LIMIT, next_id, side, price, size, account))
            if model.limit(next_id, side, price, size):
                live.append(next_id)
                owner[next_id] = account
            next_id += 1
        if rng.random() < 0.01:
            mid += rng.choice((-1, 1))
    return out


def _pick_live(rng: random.Random, live: list[int], model: object) -> bool:
    """Move a random still-resting order id to the end of `live`; False if none or the book is
    below target (then the slot becomes a limit order instead, which refills the book)."""
    orders = model.orders  # type: ignore[attr-defined]
    if len(orders) < TARGET_RESTING * 0.9:
        return False
    for _ in range(64):  # bounded: stale ids are swept as they are met
        if not live:
            return False
        index = rng.randrange(len(live))
        live[index], live[-1] = live[-1], live[index]
        if live[-1] in orders:
            return True
        live.pop()
    return False
