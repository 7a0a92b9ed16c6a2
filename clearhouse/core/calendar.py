"""Weekly trading sessions in UTC (TradFi perpetuals such as gold, REFERENCE.md §2).

A calendar is a tuple of sessions `(open_minute, close_minute)`, counted in minutes from Monday
00:00 UTC; a session may wrap past the end of the week (Sunday 23:00 -> Monday 22:00). An empty
calendar trades around the clock. Engine time is the sequencer's `time_ns` (Unix epoch, UTC);
nothing here reads a clock.

Gold default (CME Globex hours in UTC): Sunday 23:00 to Friday 22:00 with a daily one-hour break
at 22:00, i.e. five sessions of 23 hours.
"""

from __future__ import annotations

from typing import Final

MINUTE_NS: Final = 60 * 1_000_000_000
WEEK_MINUTES: Final = 7 * 24 * 60
# 1970-01-01 was a Thursday: three days after a Monday 00:00
_EPOCH_MINUTE_OF_WEEK: Final = 3 * 24 * 60

MONDAY: Final = 0
SUNDAY: Final = 6


def minute_of_week(day: int, hour: int, minute: int = 0) -> int:
    return (day * 24 + hour) * 60 + minute


GOLD_SESSIONS: Final[tuple[tuple[int, int], ...]] = tuple(
    (minute_of_week((day - 1) % 7, 23), minute_of_week(day, 22)) for day in range(0, 5)
)


def week_minute(time_ns: int) -> int:
    return (time_ns // MINUTE_NS + _EPOCH_MINUTE_OF_WEEK) % WEEK_MINUTES


def _inside(start: int, end: int, minute: int) -> bool:
    if start < end:
        return start <= minute < end
    return minute >= start or minute < end  # wraps past Sunday 24:00


def is_open(sessions: tuple[tuple[int, int], ...], time_ns: int) -> bool:
    if not sessions:
        return True
    minute = week_minute(time_ns)
    return any(_inside(start, end, minute) for start, end in sessions)


def next_change_ns(sessions: tuple[tuple[int, int], ...], time_ns: int) -> int:
    """The next time after `time_ns` at which the open/closed state flips (0 = never)."""
    if not sessions:
        return 0
    open_now = is_open(sessions, time_ns)
    minute = week_minute(time_ns)
    start_of_minute = time_ns - time_ns % MINUTE_NS
    best = WEEK_MINUTES + 1
    for start, end in sessions:
        for edge in (start, end):
            ahead = (edge - minute) % WEEK_MINUTES or WEEK_MINUTES
            if ahead < best:
                candidate = start_of_minute + ahead * MINUTE_NS
                if is_open(sessions, candidate) != open_now:
                    best = ahead
    if best > WEEK_MINUTES:
        return 0  # sessions cover the whole week: always open
    return start_of_minute + best * MINUTE_NS
