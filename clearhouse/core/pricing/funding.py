"""Funding of perpetuals (Binance/Gate family, REFERENCE.md §2).

Premium index per sample: `P = [max(0, impact_bid - index) - max(0, index - impact_ask)] / index`
where an impact price is the average fill price of the impact notional against the book.
Samples are averaged over the interval with Gate's weights 1..n (later samples count more):
`P_avg = sum(i x P_i) / sum(i)`. Then

    F = (P_avg + clamp(I - P_avg, -clamp, +clamp)) x interval / 8 h,    |F| <= cap

with I the interest rate per 8 h. Rates are integers in parts per billion, truncated toward
zero. Positive F: longs pay shorts. Payment = position notional at mark x F.
"""

from __future__ import annotations

from typing import Final

from clearhouse.core.book import BookSide

PPB: Final = 1_000_000_000
EIGHT_HOURS_NS: Final = 8 * 3600 * 1_000_000_000
MAX_IMPACT_LEVELS: Final = 1_000  # bound on the book walk for one impact price


def _div0(num: int, den: int) -> int:
    """Integer division truncating toward zero (symmetric for rates)."""
    q = abs(num) // den
    return q if num >= 0 else -q


def impact_price_ticks(side: BookSide, notional_units: int, units_per_tick_contract: int) -> int:
    """Average price (ticks, floor) to fill `notional_units` against one side; 0 if the side
    is too thin within MAX_IMPACT_LEVELS levels."""
    filled_notional = 0
    filled_contracts = 0
    levels = side.levels
    keys = side.keys
    for i in range(min(len(keys), MAX_IMPACT_LEVELS)):
        level = levels[keys[-1 - i]]
        per_contract = level.price_ticks * units_per_tick_contract
        need = -(-(notional_units - filled_notional) // per_contract)
        take = min(need, level.visible_lots)
        filled_notional += take * per_contract
        filled_contracts += take
        if filled_notional >= notional_units:
            return filled_notional // (filled_contracts * units_per_tick_contract)
    return 0


def premium_ppb(index_ticks: int, impact_bid_ticks: int, impact_ask_ticks: int) -> int:
    """Premium index of one sample; a side without depth counts as the index (no premium)."""
    bid = impact_bid_ticks or index_ticks
    ask = impact_ask_ticks or index_ticks
    num = max(0, bid - index_ticks) - max(0, index_ticks - ask)
    return _div0(num * PPB, index_ticks)


class PremiumAccumulator:
    """The interval's premium samples with Gate's weights 1..n, kept as two running sums."""

    __slots__ = ("count", "weighted_sum", "weight_total")

    def __init__(self) -> None:
        self.count = 0
        self.weighted_sum = 0
        self.weight_total = 0

    def add(self, premium: int) -> None:
        self.count += 1
        self.weighted_sum += self.count * premium
        self.weight_total += self.count

    def average_ppb(self) -> int:
        if not self.weight_total:
            return 0
        return _div0(self.weighted_sum, self.weight_total)

    def reset(self) -> None:
        self.count = 0
        self.weighted_sum = 0
        self.weight_total = 0


def funding_rate_ppb(
    premium_avg_ppb: int, interest_ppb: int, clamp_ppb: int, cap_ppb: int, interval_ns: int
) -> int:
    gap = interest_ppb - premium_avg_ppb
    rate_8h = premium_avg_ppb + min(max(gap, -clamp_ppb), clamp_ppb)
    rate = _div0(rate_8h * interval_ns, EIGHT_HOURS_NS)
    return min(max(rate, -cap_ppb), cap_ppb)


def payment_units(size: int, mark_ticks: int, units_per_tick_contract: int, rate_ppb: int) -> int:
    """Signed payment of one position (positive: it pays). Payers round up, receivers down:
    the remainder stays with the venue (booked to DUST)."""
    amount = size * mark_ticks * units_per_tick_contract * rate_ppb
    if amount >= 0:
        return -(-amount // PPB)
    return -((-amount) // PPB)
