"""The comparison book of REFERENCE.md §7: a throwaway dict + deque + SortedList book with the
same operations (limit with matching, cancel, market), no money, no events. It is what a
competent engineer writes in an afternoon; ours must beat it while doing far more."""

from __future__ import annotations

from collections import deque

from sortedcontainers import SortedList


class PlainBook:
    def __init__(self) -> None:
        self.levels: tuple[dict[int, deque[list[int]]], dict[int, deque[list[int]]]] = ({}, {})
        self.prices: tuple[SortedList, SortedList] = (SortedList(), SortedList())
        self.orders: dict[int, list[int]] = {}  # id -> [id, side, price, remaining]

    def limit(self, order_id: int, side: int, price: int, size: int) -> int:
        size = self._take(side, price, size)
        if size:
            order = [order_id, side, price, size]
            levels = self.levels[side]
            queue = levels.get(price)
            if queue is None:
                queue = levels[price] = deque()
                self.prices[side].add(price)
            queue.append(order)
            self.orders[order_id] = order
        return size

    def market(self, side: int, size: int) -> int:
        return self._take(side, None, size)

    def cancel(self, order_id: int) -> bool:
        order = self.orders.pop(order_id, None)
        if order is None:
            return False
        _, side, price, _ = order
        queue = self.levels[side][price]
        queue.remove(order)
        if not queue:
            del self.levels[side][price]
            self.prices[side].remove(price)
        return True

    def _take(self, side: int, limit: int | None, size: int) -> int:
        other = 1 - side
        prices = self.prices[other]
        levels = self.levels[other]
        while size and prices:
            best = prices[0] if other == 1 else prices[-1]
            if limit is not None and ((side == 0 and best > limit) or (side == 1 and best < limit)):
                break
            queue = levels[best]
            while size and queue:
                maker = queue[0]
                fill = min(size, maker[3])
                maker[3] -= fill
                size -= fill
                if maker[3] == 0:
                    queue.popleft()
                    del self.orders[maker[0]]
            if not queue:
                del levels[best]
                prices.remove(best)
        return size
