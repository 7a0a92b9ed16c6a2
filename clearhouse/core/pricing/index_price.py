"""Index price of a perpetual from source observations, with outliers excluded
(REFERENCE.md §2). Integer ticks in, integer ticks out.

- `median_band` (Binance): a source further than `band_ppm` from the median of the sources gets
  weight 0; the index is the weighted average of the others.
- `clip` (Deribit): each source is clipped to median +- `clip_ppm`, then weighted-averaged.

The median of an even number of sources is the lower of the two middle values' mean (floor).
"""

from __future__ import annotations

from typing import Final

PPM: Final = 1_000_000


def median_ticks(prices: list[int]) -> int:
    ordered = sorted(prices)
    n = len(ordered)
    mid = n // 2
    if n % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) // 2


def _weighted_average(pairs: list[tuple[int, int]]) -> int:
    total = sum(w for _, w in pairs)
    return (sum(p * w for p, w in pairs) + total // 2) // total


def compute_index(
    observations: list[tuple[int, int]], method: str, band_ppm: int, clip_ppm: int
) -> tuple[int, int]:
    """(index_ticks, sources excluded or clipped) from (price_ticks, weight) pairs, each
    price > 0 and weight > 0 (the caller validates)."""
    median = median_ticks([p for p, _ in observations])
    if method == "clip":
        low = median - median * clip_ppm // PPM
        high = median + median * clip_ppm // PPM
        clipped = [(min(max(p, low), high), w) for p, w in observations]
        changed = sum(1 for (p, _), (c, _) in zip(observations, clipped, strict=True) if p != c)
        return _weighted_average(clipped), changed
    band = median * band_ppm // PPM
    kept = [(p, w) for p, w in observations if abs(p - median) <= band]
    # the median itself is always within its band, so `kept` is never empty
    return _weighted_average(kept), len(observations) - len(kept)
