"""Mark price of a perpetual: the median of three (Binance, REFERENCE.md §2).

    P1 = index x (1 + last funding rate x time to next funding / interval)
    P2 = index + moving average of (mid - index)
    P3 = last trade price (the index while the contract has not traded)

The moving average runs over the last `window` basis samples, one per index update that saw a
two-sided book. Integer ticks throughout; P1 rounds toward zero.
"""

from __future__ import annotations

from collections import deque
from typing import Final

PPB: Final = 1_000_000_000


class BasisAverage:
    """Moving average of (mid - index) in ticks over a bounded window."""

    __slots__ = ("samples", "total", "window")

    def __init__(self, window: int) -> None:
        self.samples: deque[int] = deque()
        self.total = 0
        self.window = window

    def add(self, basis_ticks: int) -> None:
        self.samples.append(basis_ticks)
        self.total += basis_ticks
        if len(self.samples) > self.window:
            self.total -= self.samples.popleft()

    def average_ticks(self) -> int:
        n = len(self.samples)
        if not n:
            return 0
        total = self.total
        return total // n if total >= 0 else -((-total) // n)

    def clear(self) -> None:
        self.samples.clear()
        self.total = 0


def funding_basis_ticks(
    index_ticks: int, last_rate_ppb: int, to_funding_ns: int, interval_ns: int
) -> int:
    num = index_ticks * last_rate_ppb * to_funding_ns
    den = PPB * interval_ns
    return index_ticks + (num // den if num >= 0 else -((-num) // den))


def compute_mark(
    index_ticks: int,
    last_rate_ppb: int,
    to_funding_ns: int,
    interval_ns: int,
    basis_average_ticks: int,
    last_price_ticks: int,
) -> int:
    p1 = funding_basis_ticks(index_ticks, last_rate_ppb, to_funding_ns, interval_ns)
    p2 = index_ticks + basis_average_ticks
    p3 = last_price_ticks or index_ticks
    return max(1, sorted((p1, p2, p3))[1])
