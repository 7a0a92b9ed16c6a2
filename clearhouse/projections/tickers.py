"""24-hour rolling ticker statistics, computed from the one-minute candles.

The window is whole minutes: it starts at the minute boundary 24 h before the venue's current
time, so a trade leaves the statistics up to a minute late. The last price is the last trade
ever, even when it is older than the window (as at Gate).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from clearhouse.projections.candles import INTERVALS_S, TICKER_INTERVAL, Candles

WINDOW_S: Final = 86_400


@dataclass(frozen=True, slots=True)
class Ticker24h:
    last_ticks: int  # 0 when the market never traded
    open_ticks: int  # first price inside the window; = last when nothing traded in it
    high_ticks: int
    low_ticks: int
    base_lots: int
    quote_tick_lots: int  # sum of price x size inside the window


def ticker_24h(candles: Candles, market: str, now_s: int) -> Ticker24h:
    last_trade = candles.last_trade.get(market)
    last = last_trade.price_ticks if last_trade is not None else 0
    minute = INTERVALS_S[TICKER_INTERVAL]
    since = now_s - WINDOW_S
    since -= since % minute
    window = candles.window(market, since)
    if not window:
        return Ticker24h(last, last, last, last, 0, 0)
    return Ticker24h(
        last_ticks=last,
        open_ticks=window[0].open_ticks,
        high_ticks=max(c.high_ticks for c in window),
        low_ticks=min(c.low_ticks for c in window),
        base_lots=sum(c.base_lots for c in window),
        quote_tick_lots=sum(c.quote_tick_lots for c in window),
    )
