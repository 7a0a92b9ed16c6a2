"""Which positions could a new mark price liquidate? Answered without scanning accounts.

Per contract there are two sorted lists of integer items `key << TAG_BITS | tag`:

- `fall`: entries in danger when the mark FALLS to their key or below (longs);
- `rise`: entries in danger when the mark RISES to their key or above (shorts).

A tag names an isolated position (`position_id << 1`) or a cross account (`account << 1 | 1`).
A mark tick reads only the ends of the two lists that the new mark has crossed, so its cost is
proportional to the entries it returns (plus a bisection), not to the number of positions.

Keys are conservative, never late: an entry is returned whenever its owner *may* be below
maintenance; the caller then checks exactly and, if the owner is still safe, re-keys it.

- An isolated position's key is its exact liquidation boundary (margin.fall_key / rise_key).
- A cross account's buffer B = equity - MM at the current marks is separable by contract
  (equity and MM are sums of per-contract terms), so the account gives each of its n contracts
  a budget of B / n and keys each contract at the mark where that contract alone would use its
  budget. While every contract's mark stays on the safe side of its key, the account's total
  loss is below B; when one crosses, the account is checked exactly and re-armed with the
  buffer it has then.
- Funding moves every payer's boundary at once. Instead of re-keying a million entries, the
  list keeps an `offset`: the largest shift a payment can cause (see funding in
  perpetual_prices.py) is added to it, which widens the danger zone of every entry; entries
  store `exact key - offset` (fall) or `exact key + offset` (rise) when (re-)keyed.
"""

from __future__ import annotations

from typing import Final

from sortedcontainers import SortedList

TAG_BITS: Final = 42
TAG_MASK: Final = (1 << TAG_BITS) - 1
MAX_KEY: Final = (1 << 62) - 1


def isolated_tag(position_id: int) -> int:
    return position_id << 1


def cross_tag(account: int) -> int:
    return account << 1 | 1


class SideIndex:
    __slots__ = ("items", "offset", "rising")

    def __init__(self, rising: bool) -> None:
        self.items: SortedList = SortedList()
        self.offset = 0
        self.rising = rising

    def add(self, exact_key: int, tag: int) -> int:
        """Index `tag` at `exact_key`; returns the stored item for a later `remove`."""
        stored = exact_key + self.offset if self.rising else exact_key - self.offset
        stored = min(max(stored, 0), MAX_KEY)
        item = stored << TAG_BITS | tag
        self.items.add(item)
        return item

    def remove(self, item: int) -> None:
        self.items.remove(item)

    def crossed(self, mark_ticks: int) -> list[int]:
        """Tags whose (offset-widened) key the mark has reached, removed from the list."""
        items = self.items
        if not items:
            return []
        taken: list[int] = []
        # pop from the end that was crossed: O(1) per entry, where a slice delete is O(n)
        if self.rising:
            # danger when mark >= stored - offset, i.e. stored <= mark + offset
            bound = (mark_ticks + self.offset + 1) << TAG_BITS
            while items and items[0] < bound:
                taken.append(items.pop(0))
        else:
            # danger when mark <= stored + offset, i.e. stored >= mark - offset
            bound = max(mark_ticks - self.offset, 0) << TAG_BITS
            while items and items[-1] >= bound:
                taken.append(items.pop())
        return [item & TAG_MASK for item in taken]

    def rebuild(self, keyed: list[tuple[int, int]]) -> list[int]:
        """Bulk load (snapshot load, benchmarks): (exact key, tag) pairs; returns the items."""
        self.offset = 0
        items = [min(max(key, 0), MAX_KEY) << TAG_BITS | tag for key, tag in keyed]
        self.items = SortedList(items)
        return items

    def __len__(self) -> int:
        return len(self.items)


class LiquidationIndex:
    """The two lists of one contract."""

    __slots__ = ("fall", "rise")

    def __init__(self) -> None:
        self.fall = SideIndex(rising=False)
        self.rise = SideIndex(rising=True)

    def crossed(self, mark_ticks: int) -> list[int]:
        return self.fall.crossed(mark_ticks) + self.rise.crossed(mark_ticks)
