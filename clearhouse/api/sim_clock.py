"""The demo venue's clock: wall time plus an offset that only moves forward.

In demo mode `POST /api/ch/v1/admin/clock/advance` adds to the offset and then submits an
`AdvanceTime` command, so everything due by the new time (trigger expiries today; funding,
expiries and accruals as those products land) fires in the journal like any other change.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final

MAX_ADVANCE_S: Final = 366 * 86_400  # one call moves at most a (leap) year


class SimClock:
    def __init__(self, base: Callable[[], int] = time.time_ns) -> None:
        self.base = base
        self.offset_ns = 0

    def __call__(self) -> int:
        return self.base() + self.offset_ns

    def advance(self, seconds: int) -> int:
        if not 0 < seconds <= MAX_ADVANCE_S:
            raise ValueError(f"seconds must be 1..{MAX_ADVANCE_S}")
        self.offset_ns += seconds * 1_000_000_000
        return self()

    def catch_up(self, time_ns: int) -> None:
        """After a restart, never run behind the time the venue already reached."""
        lag = time_ns - self()
        if lag > 0:
            self.offset_ns += lag
