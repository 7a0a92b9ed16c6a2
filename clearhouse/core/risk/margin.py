"""Margin by risk tier and the prices where a position stops being safe (REFERENCE.md §2).

Maintenance margin for notional N in tier k is `MM(N) = N x MMR_k - cum_k` with
`cum_k = cum_{k-1} + floor_k x (MMR_k - MMR_{k-1})`, so MM is continuous across tier boundaries.
Everything here is exact integer arithmetic: rates are ppm, so "scaled" amounts carry a factor
of PPM (`cum_scaled` = cum in settle units x PPM) and a comparison such as
`equity < MM` is done as `PPM x equity < N x MMR - cum_scaled`, with no rounding at all.

Liquidation condition for a position of signed size s, signed entry value c (settle units, the
sum of fill notionals), margin M and mark m (k = settle units per tick and contract):

    PPM x (M + s x m x k - c) < |s| x m x k x MMR_t - cum_t        (t = tier of |s| m k)

For one position this is linear in m inside a tier, so the boundary has a closed form per tier
(the REFERENCE formula `P = (WB + cum - Q E) / (Q MMR - Q)`, iterated over tiers).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from fractions import Fraction
from typing import Final

from clearhouse.core.products.perpetual_contract import PPM, RiskTier

NEVER: Final = -1  # no positive price liquidates (e.g. a long with margin above its value)


class Tiers:
    """A contract's risk tiers, precomputed for bisecting by notional."""

    __slots__ = ("caps", "mmr", "imr", "cum_scaled", "max_mmr_ppm")

    def __init__(self, tiers: tuple[RiskTier, ...]) -> None:
        self.caps = [t.max_notional_units for t in tiers]
        self.mmr = [t.mmr_ppm for t in tiers]
        self.imr = [t.imr_ppm for t in tiers]
        cum = [0]
        for i in range(1, len(tiers)):
            cum.append(cum[-1] + self.caps[i - 1] * (self.mmr[i] - self.mmr[i - 1]))
        self.cum_scaled = cum
        self.max_mmr_ppm = self.mmr[-1]

    def index(self, notional_units: int) -> int:
        """Tier of a notional (a boundary belongs to the lower tier); beyond the last: last."""
        i = bisect_left(self.caps, notional_units)
        return i if i < len(self.caps) else len(self.caps) - 1

    def mm_scaled(self, notional_units: int) -> int:
        i = self.index(notional_units)
        return notional_units * self.mmr[i] - self.cum_scaled[i]

    def maintenance_units(self, notional_units: int) -> int:
        """MM(N) in settle units, rounded up (the venue's favour)."""
        return -(-self.mm_scaled(notional_units) // PPM)

    def cum_units(self, tier: int) -> Fraction:
        return Fraction(self.cum_scaled[tier], PPM)

    def max_leverage(self, notional_units: int) -> int:
        return PPM // self.imr[self.index(notional_units)]

    def im_scaled(self, notional_units: int, leverage: int) -> int:
        """Initial margin x PPM: notional / leverage, but never below the tier's IMR."""
        rate = self.imr[self.index(notional_units)]
        if leverage:
            rate = max(rate, -(-PPM // leverage))
        return notional_units * rate


def initial_margin_units(tiers: Tiers, notional_units: int, leverage: int) -> int:
    return -(-tiers.im_scaled(notional_units, leverage) // PPM)


# --- one position ----------------------------------------------------------------------------
def liquidatable(
    tiers: Tiers, size: int, cost_units: int, margin_scaled: int, k: int, mark_ticks: int
) -> bool:
    """Equity below maintenance at `mark_ticks` (margin already x PPM)."""
    value = size * mark_ticks * k
    notional = value if value >= 0 else -value
    return margin_scaled + PPM * (value - cost_units) < tiers.mm_scaled(notional)


def fall_key(tiers: Tiers, size: int, cost_units: int, margin_scaled: int, k: int) -> int:
    """Long (size > 0): the highest integer mark at which it is liquidatable; NEVER if none."""
    assert size > 0
    best = NEVER
    for t in range(len(tiers.caps)):
        num = PPM * cost_units - margin_scaled - tiers.cum_scaled[t]
        den = size * k * (PPM - tiers.mmr[t])
        if num <= 0:
            continue
        m = (num - 1) // den  # largest m with m x den < num
        if m > best and m >= 1 and liquidatable(tiers, size, cost_units, margin_scaled, k, m):
            best = m
    return best


def rise_key(tiers: Tiers, size: int, cost_units: int, margin_scaled: int, k: int) -> int:
    """Short (size < 0): the lowest integer mark at which it is liquidatable."""
    assert size < 0
    q = -size
    best = 0
    for t in range(len(tiers.caps)):
        num = margin_scaled - PPM * cost_units + tiers.cum_scaled[t]  # cost is negative
        den = q * k * (PPM + tiers.mmr[t])
        m = num // den + 1 if num >= 0 else 1  # smallest m with m x den > num
        if (not best or m < best) and liquidatable(tiers, size, cost_units, margin_scaled, k, m):
            best = m
    return best


def search_fall(pred: Callable[[int], bool], start: int) -> int:
    """Largest m in [1, start) with pred(m), for a pred true below a boundary; NEVER if none.
    Used where no closed form exists (hedged cross positions: concave equity in the mark)."""
    lo, hi = 1, start - 1
    if hi < 1 or not pred(lo):
        return NEVER
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if pred(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


def search_rise(pred: Callable[[int], bool], start: int, limit: int) -> int:
    """Smallest m in (start, limit] with pred(m); 0 if none."""
    lo, hi = start + 1, limit
    if lo > hi or not pred(hi):
        return 0
    while lo < hi:
        mid = (lo + hi) // 2
        if pred(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


def liquidation_price(
    tiers: Tiers, size: int, cost_units: int, margin_units: int, k: int
) -> Fraction:
    """The exact mark (in ticks) where equity equals maintenance: REFERENCE's formula iterated
    over tiers. For display and the worked examples; the engine uses the integer keys."""
    value_per_tick = abs(size) * k
    for t in range(len(tiers.caps)):
        mmr = Fraction(tiers.mmr[t], PPM)
        cum = tiers.cum_units(t)
        if size > 0:
            price = (margin_units + cum - cost_units) / (value_per_tick * mmr - value_per_tick)
        else:
            price = (margin_units + cum - cost_units) / (value_per_tick * mmr + value_per_tick)
        notional = price * value_per_tick
        low = tiers.caps[t - 1] if t else 0
        if low <= notional <= tiers.caps[t] or t == len(tiers.caps) - 1:
            return price
    raise AssertionError("unreachable: the last tier takes every notional")  # pragma: no cover


def bankruptcy_price(size: int, cost_units: int, margin_units: int, k: int) -> Fraction:
    """The mark where equity is zero: `(c - M) / (s k)` for both sides (c and s signed)."""
    return Fraction(cost_units - margin_units, size * k)


def bankruptcy_ticks(size: int, cost_units: int, margin_units: int, k: int, max_ticks: int) -> int:
    """Bankruptcy price in whole ticks, rounded so the margin covers the loss (long: up, short:
    down) and kept within 1..max_ticks."""
    num = cost_units - margin_units
    den = size * k
    if size > 0:
        ticks = -(-num // den)
    else:
        ticks = num // den  # both signs flip: floor of a positive ratio
    return min(max(ticks, 1), max_ticks)


def zero_equity_ticks(size: int, cost_units: int, others_units: int, k: int, max_ticks: int) -> int:
    """The price at which `others_units + size x P x k - cost` is zero (the bankruptcy price of
    a position backed by `others_units`: margin, or a wallet plus other positions' PnL), in
    whole ticks rounded so that equity stays >= 0 (long: up, short: down), within 1..max."""
    return bankruptcy_ticks(size, cost_units, others_units, k, max_ticks)
