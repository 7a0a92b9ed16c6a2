"""Token-bucket rate limits per client IP and per API key, in bounded tables.

Each bucket holds up to `burst` tokens and refills at `rate_per_s`; a request takes one. The
table keeps at most `max_entries` buckets, evicting the least recently used: an evicted bucket
would have been full again anyway unless its owner is hammering, and a hammering owner is recent.
Responses carry Gate's headers: `X-Gate-RateLimit-Requests-Remain`, `X-Gate-RateLimit-Limit` and
`X-Gate-RateLimit-Reset-Timestamp` (ms, when the bucket is full again).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Final

MAX_BUCKETS: Final = 100_000


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    remaining: int
    limit: int
    reset_ms: int

    def headers(self) -> dict[str, str]:
        return {
            "X-Gate-RateLimit-Requests-Remain": str(self.remaining),
            "X-Gate-RateLimit-Limit": str(self.limit),
            "X-Gate-RateLimit-Reset-Timestamp": str(self.reset_ms),
        }


class RateLimiter:
    def __init__(self, rate_per_s: float, burst: int, max_entries: int = MAX_BUCKETS) -> None:
        if rate_per_s < 0 or burst < 1 or max_entries < 1:
            raise ValueError("rate must be >= 0, burst and max_entries >= 1")
        self.rate_per_s = rate_per_s
        self.burst = burst
        self.max_entries = max_entries
        self._buckets: OrderedDict[str, list[float]] = OrderedDict()  # who -> [tokens, time]

    @property
    def enabled(self) -> bool:
        return self.rate_per_s > 0

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, who: str, now_s: float) -> Verdict:
        if not self.enabled:
            return Verdict(True, self.burst, self.burst, int(now_s * 1000))
        buckets = self._buckets
        bucket = buckets.get(who)
        if bucket is None:
            bucket = [float(self.burst), now_s]
            buckets[who] = bucket
            if len(buckets) > self.max_entries:
                buckets.popitem(last=False)
        else:
            buckets.move_to_end(who)
            elapsed = max(0.0, now_s - bucket[1])
            bucket[0] = min(float(self.burst), bucket[0] + elapsed * self.rate_per_s)
            bucket[1] = now_s
        allowed = bucket[0] >= 1.0
        if allowed:
            bucket[0] -= 1.0
        missing = self.burst - bucket[0]
        reset_ms = int((now_s + missing / self.rate_per_s) * 1000)
        return Verdict(allowed, int(bucket[0]), self.burst, reset_ms)
