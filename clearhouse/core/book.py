"""Order book and matching: price-time priority, icebergs, self-trade prevention.

The book knows orders, prices and sizes; it does not know money. Matching returns what happened
(fills, makers cancelled by self-trade prevention) and the engine settles it in the ledger.

Layout, chosen for speed in CPython: each side keeps a dict price -> `Level` and a plain sorted
list of keys with the best price at the END, so the hot operations (look at the best level,
remove an emptied best level) are `keys[-1]` and `keys.pop()`. Bids use key = price, asks use
key = -price, so "the opposite side crosses my limit" is the same test for both sides:
`keys[-1] >= limit_key`. Orders at a level form an intrusive doubly linked list, so a cancel is
O(1) wherever the order sits in the queue.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Set
from typing import Final

from clearhouse.core.ledger import Hold

BUY: Final = 0
SELL: Final = 1

# Time in force
GTC: Final = 0
IOC: Final = 1
FOK: Final = 2
POC: Final = 3  # post-only ("pending or cancelled")

# Self-trade prevention action, taken from the taker (as at Gate)
STP_CN: Final = 0  # cancel newest: the taker
STP_CO: Final = 1  # cancel oldest: the resting maker
STP_CB: Final = 2  # cancel both

NO_LIMIT_KEY: Final = -(1 << 62)  # a market order crosses every level

MAX_LEVELS_PER_SIDE: Final = 100_000


class Order(Hold):
    """A live order, which is also the hold on the funds it reserves (see `ledger.Hold`).
    Mutable by the book and the engine only; the wire sees immutable events."""

    __slots__ = (
        "order_id",
        "market",
        "account",
        "owner",
        "side",
        "price_ticks",
        "size_lots",
        "remaining_lots",
        "visible_lots",
        "display_lots",
        "filled_lots",
        "filled_quote_units",
        "fee_units",
        "rebate_units",
        "tif",
        "stp_group",
        "stp_act",
        "create_time_ns",
        "update_time_ns",
        "text",
        "prev",
        "next",
        "account_prev",
        "account_next",
    )

    def __init__(
        self,
        order_id: int,
        market: str,
        account: int,
        owner: int,
        side: int,
        price_ticks: int,
        size_lots: int,
        display_lots: int,
        tif: int,
        stp_group: int,
        stp_act: int,
        time_ns: int,
        text: str,
    ) -> None:
        self.hold_key = 0  # reserved by the engine through Ledger.reserve_into
        self.remaining_units = 0
        self.closed = False
        self.order_id = order_id
        self.market = market
        self.account = account
        self.owner = owner
        self.side = side
        self.price_ticks = price_ticks
        self.size_lots = size_lots
        self.remaining_lots = size_lots
        self.display_lots = display_lots
        self.visible_lots = min(display_lots, size_lots) if display_lots else size_lots
        self.filled_lots = 0
        self.filled_quote_units = 0
        self.fee_units = 0
        self.rebate_units = 0
        self.tif = tif
        self.stp_group = stp_group
        self.stp_act = stp_act
        self.create_time_ns = time_ns
        self.update_time_ns = time_ns
        self.text = text
        self.prev: Order | None = None  # neighbours in the price level's queue
        self.next: Order | None = None
        self.account_prev: Order | None = None  # neighbours in the account's open orders
        self.account_next: Order | None = None


class Level:
    __slots__ = ("price_ticks", "head", "tail", "visible_lots", "count")

    def __init__(self, price_ticks: int) -> None:
        self.price_ticks = price_ticks
        self.head: Order | None = None
        self.tail: Order | None = None
        self.visible_lots = 0
        self.count = 0

    def append(self, order: Order) -> None:
        tail = self.tail
        order.prev = tail
        order.next = None
        if tail is None:
            self.head = order
        else:
            tail.next = order
        self.tail = order
        self.visible_lots += order.visible_lots
        self.count += 1

    def unlink(self, order: Order) -> None:
        prev = order.prev
        nxt = order.next
        if prev is None:
            self.head = nxt
        else:
            prev.next = nxt
        if nxt is None:
            self.tail = prev
        else:
            nxt.prev = prev
        order.prev = None
        order.next = None
        self.visible_lots -= order.visible_lots
        self.count -= 1

    def orders(self) -> list[Order]:
        out: list[Order] = []
        order = self.head
        while order is not None:
            out.append(order)
            order = order.next
        return out


class BookSide:
    __slots__ = ("levels", "keys", "sign")

    def __init__(self, sign: int) -> None:
        self.levels: dict[int, Level] = {}
        self.keys: list[int] = []  # ascending; best level last
        self.sign = sign  # key = sign * price: +1 for bids, -1 for asks

    def best_price(self) -> int:
        """Best price in ticks, 0 when the side is empty."""
        keys = self.keys
        return keys[-1] * self.sign if keys else 0

    def add(self, order: Order) -> None:
        key = order.price_ticks * self.sign
        level = self.levels.get(key)
        if level is None:
            level = Level(order.price_ticks)
            self.levels[key] = level
            keys = self.keys
            if not keys or key > keys[-1]:
                keys.append(key)
            else:
                insort(keys, key)
        level.append(order)

    def remove(self, order: Order) -> None:
        key = order.price_ticks * self.sign
        level = self.levels[key]
        level.unlink(order)
        if level.head is None:
            self.drop_level(key)

    def drop_level(self, key: int) -> None:
        del self.levels[key]
        keys = self.keys
        if keys[-1] == key:
            keys.pop()
        else:
            del keys[bisect_left(keys, key)]

    def depth(self, limit: int) -> list[tuple[int, int]]:
        """Best `limit` levels as (price_ticks, visible_lots), best first."""
        out: list[tuple[int, int]] = []
        levels = self.levels
        for key in reversed(self.keys[-limit:] if limit else self.keys):
            level = levels[key]
            out.append((level.price_ticks, level.visible_lots))
        return out

    def iter_orders(self) -> list[Order]:
        out: list[Order] = []
        for key in reversed(self.keys):
            out.extend(self.levels[key].orders())
        return out


class MatchResult:
    """What one taker did to the book. Reused per command; read it before the next match."""

    __slots__ = (
        "makers",
        "prices",
        "lots",
        "stp_cancelled",
        "ineligible_cancelled",
        "taker_stopped_by_stp",
        "budget_left",
    )

    def __init__(self) -> None:
        self.makers: list[Order] = []
        self.prices: list[int] = []
        self.lots: list[int] = []
        self.stp_cancelled: list[Order] = []
        self.ineligible_cancelled: list[Order] = []  # makers whose account may not trade now
        self.taker_stopped_by_stp = False
        self.budget_left = 0


class OrderBook:
    __slots__ = ("bids", "asks", "orders", "update_id", "last_price_ticks")

    def __init__(self) -> None:
        self.bids = BookSide(1)
        self.asks = BookSide(-1)
        self.orders: dict[int, Order] = {}
        self.update_id = 0  # increases with every change of the visible book (WS diffs)
        self.last_price_ticks = 0

    def side_of(self, side: int) -> BookSide:
        return self.bids if side == BUY else self.asks

    def would_cross(self, side: int, price_ticks: int) -> bool:
        """Would a limit order at this price take liquidity?"""
        if side == BUY:
            best = self.asks.keys
            return bool(best) and -best[-1] <= price_ticks
        best = self.bids.keys
        return bool(best) and best[-1] >= price_ticks

    def rest(self, order: Order) -> None:
        side = self.bids if order.side == BUY else self.asks
        assert (
            len(side.levels) < MAX_LEVELS_PER_SIDE or order.price_ticks * side.sign in side.levels
        )
        side.add(order)
        self.orders[order.order_id] = order
        self.update_id += 1

    def remove(self, order: Order) -> None:
        (self.bids if order.side == BUY else self.asks).remove(order)
        del self.orders[order.order_id]
        self.update_id += 1

    def reduce_visible(self, order: Order, lots: int) -> None:
        """Shrink a resting order in place (amend down keeps time priority)."""
        side = self.bids if order.side == BUY else self.asks
        level = side.levels[order.price_ticks * side.sign]
        order.remaining_lots -= lots
        # never more than was showing: a fresh iceberg slice is earned at the back of the queue
        shown = min(order.visible_lots, order.remaining_lots)
        level.visible_lots -= order.visible_lots - shown
        order.visible_lots = shown
        self.update_id += 1

    # --- matching --------------------------------------------------------------------------------
    def fillable_lots(
        self, taker: Order, limit_key: int, want_lots: int, eligible: Set[int] | None = None
    ) -> int:
        """Lots a FOK taker could fill without changing anything; -1 if STP would stop it first.
        Makers outside `eligible` (when given) count for nothing: matching would cancel them."""
        side = self.asks if taker.side == BUY else self.bids
        total = 0
        owner = taker.owner
        group = taker.stp_group
        stops = taker.stp_act != STP_CO
        for key in reversed(side.keys):
            if key < limit_key or total >= want_lots:
                break
            maker = side.levels[key].head
            hidden = 0  # iceberg lots behind their slices: they requeue behind any self order
            while maker is not None and total < want_lots:
                if eligible is not None and maker.account not in eligible:
                    maker = maker.next  # matching would cancel it: it offers nothing
                    continue
                if maker.owner == owner or (group and maker.stp_group == group):
                    if stops:
                        return -1
                else:
                    total += maker.visible_lots
                    hidden += maker.remaining_lots - maker.visible_lots
                maker = maker.next
            total += hidden
        return total

    def match(
        self,
        taker: Order,
        limit_key: int,
        max_lots: int,
        quote_budget: int,
        quote_per_tick_lot: int,
        out: MatchResult,
        eligible: Set[int] | None = None,
    ) -> int:
        """Take liquidity for `taker` up to `max_lots` (or, if `quote_budget` > 0, up to that many
        quote units: a market buy). Fills are appended to `out`; returns lots filled.

        Pre-trade eligibility: a maker whose account is not in `eligible` (when given) never
        fills; it is taken off the book and reported in `out.ineligible_cancelled`."""
        side = self.asks if taker.side == BUY else self.bids
        keys = side.keys
        levels = side.levels
        orders = self.orders
        owner = taker.owner
        group = taker.stp_group
        remaining = max_lots
        budget = quote_budget
        budgeted = quote_budget > 0  # budget may reach exactly 0; that must still stop us
        makers = out.makers
        prices = out.prices
        lots_out = out.lots
        stopped = False
        while remaining > 0 and keys:
            key = keys[-1]
            if key < limit_key:
                break
            level = levels[key]
            price = level.price_ticks
            allow = remaining
            if budgeted:
                affordable = budget // (price * quote_per_tick_lot)
                if affordable == 0:
                    break
                if affordable < allow:
                    allow = affordable
            while allow > 0:
                maker = level.head
                if maker is None:
                    break
                if eligible is not None and maker.account not in eligible:
                    level.unlink(maker)
                    del orders[maker.order_id]
                    out.ineligible_cancelled.append(maker)
                    continue
                if maker.owner == owner or (group and maker.stp_group == group):
                    act = taker.stp_act
                    if act != STP_CN:
                        level.unlink(maker)
                        del orders[maker.order_id]
                        out.stp_cancelled.append(maker)
                    if act != STP_CO:
                        stopped = True
                        break
                    continue
                lots = maker.visible_lots
                if lots > allow:
                    lots = allow
                maker.visible_lots -= lots
                maker.remaining_lots -= lots
                level.visible_lots -= lots
                allow -= lots
                remaining -= lots
                if budgeted:
                    budget -= price * lots * quote_per_tick_lot
                makers.append(maker)
                prices.append(price)
                lots_out.append(lots)
                if maker.remaining_lots == 0:
                    level.unlink(maker)
                    del orders[maker.order_id]
                elif maker.visible_lots == 0:
                    # Iceberg: show the next slice and go to the back of the queue at this price.
                    level.unlink(maker)
                    maker.visible_lots = min(maker.display_lots, maker.remaining_lots)
                    level.append(maker)
            if level.head is None:
                keys.pop()
                del levels[key]
            if stopped or (budgeted and allow == 0):
                # STP stopped the taker, or the budget cannot buy one more lot at this price
                # (and every later level is dearer)
                break
        out.taker_stopped_by_stp = stopped
        out.budget_left = budget
        filled = max_lots - remaining
        if filled or out.stp_cancelled or out.ineligible_cancelled:
            self.update_id += 1
        if filled:
            self.last_price_ticks = prices[-1]
        return filled

    # --- invariants ------------------------------------------------------------------------------
    def assert_not_crossed(self) -> None:
        if self.bids.keys and self.asks.keys:
            assert self.bids.best_price() < self.asks.best_price(), "crossed book"

    def assert_consistent(self) -> None:
        count = 0
        for side in (self.bids, self.asks):
            assert side.keys == sorted(side.keys) and len(side.keys) == len(side.levels)
            for key, level in side.levels.items():
                orders = level.orders()
                assert orders, "no empty levels"
                assert level.count == len(orders)
                assert level.visible_lots == sum(o.visible_lots for o in orders)
                for order in orders:
                    assert order.price_ticks * side.sign == key
                    assert 0 < order.visible_lots <= order.remaining_lots
                    assert self.orders[order.order_id] is order
                count += len(orders)
        assert count == len(self.orders)
