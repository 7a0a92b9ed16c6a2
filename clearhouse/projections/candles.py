"""Candlesticks per market and interval, built from trades, each series a ring buffer.

Candles start on multiples of their interval since the Unix epoch (so a day starts at 00:00 UTC,
as at Gate). Only intervals that saw a trade have a candle; there is no gap filling.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any, Final

from clearhouse.core.commands import Envelope
from clearhouse.core.events import Event, Traded

# Gate's interval names and their length in seconds.
INTERVALS_S: Final[dict[str, int]] = {
    "10s": 10,
    "1m": 60,
    "5m": 300,
    "15m": 900,
    "30m": 1_800,
    "1h": 3_600,
    "4h": 14_400,
    "8h": 28_800,
    "1d": 86_400,
    "7d": 604_800,
}
# At least a day of one-minute candles, which the 24h tickers are computed from.
MAX_CANDLES_PER_SERIES: Final = 2_000
TICKER_INTERVAL: Final = "1m"


class Candle:
    __slots__ = (
        "start_s",
        "open_ticks",
        "high_ticks",
        "low_ticks",
        "close_ticks",
        "base_lots",
        "quote_tick_lots",
    )

    def __init__(self, start_s: int, price_ticks: int) -> None:
        self.start_s = start_s
        self.open_ticks = price_ticks
        self.high_ticks = price_ticks
        self.low_ticks = price_ticks
        self.close_ticks = price_ticks
        self.base_lots = 0
        # sum of price_ticks x size_lots; times the market's quote units per tick-lot = quote
        self.quote_tick_lots = 0

    def add(self, price_ticks: int, size_lots: int) -> None:
        if price_ticks > self.high_ticks:
            self.high_ticks = price_ticks
        if price_ticks < self.low_ticks:
            self.low_ticks = price_ticks
        self.close_ticks = price_ticks
        self.base_lots += size_lots
        self.quote_tick_lots += price_ticks * size_lots


class Candles:
    def __init__(self, capacity: int = MAX_CANDLES_PER_SERIES) -> None:
        assert capacity * INTERVALS_S[TICKER_INTERVAL] > 86_400, "tickers need a day of candles"
        self.capacity = capacity
        self.series: dict[tuple[str, str], deque[Candle]] = {}
        self.last_trade: dict[str, Traded] = {}

    def handlers(self) -> dict[type[Event], Callable[[Envelope, Any], None]]:
        return {Traded: self._on_traded}

    def _on_traded(self, envelope: Envelope, event: Traded) -> None:
        time_s = event.time_ns // 1_000_000_000
        market = event.market
        self.last_trade[market] = event
        for name, length_s in INTERVALS_S.items():
            key = (market, name)
            ring = self.series.get(key)
            if ring is None:
                ring = self.series[key] = deque(maxlen=self.capacity)
            start = time_s - time_s % length_s
            if ring and ring[-1].start_s == start:
                candle = ring[-1]
            else:
                candle = Candle(start, event.price_ticks)
                ring.append(candle)
            candle.add(event.price_ticks, event.size_lots)

    def query(
        self, market: str, interval: str, limit: int, from_s: int | None, to_s: int | None
    ) -> list[Candle]:
        """Oldest first. With `from_s`, candles starting in [from_s, to_s]; otherwise the last
        `limit` candles starting at or before `to_s`."""
        ring = self.series.get((market, interval), ())
        if from_s is not None:
            return [c for c in ring if c.start_s >= from_s and (to_s is None or c.start_s <= to_s)][
                :limit
            ]
        picked: list[Candle] = []
        for candle in reversed(ring):
            if to_s is not None and candle.start_s > to_s:
                continue
            picked.append(candle)
            if len(picked) >= limit:
                break
        picked.reverse()
        return picked

    def window(self, market: str, since_s: int) -> list[Candle]:
        """One-minute candles that started at or after `since_s`, oldest first (tickers)."""
        out: list[Candle] = []
        for candle in reversed(self.series.get((market, TICKER_INTERVAL), ())):
            if candle.start_s < since_s:
                break
            out.append(candle)
        out.reverse()
        return out
