"""What a handler may know besides state and the command: sequence, time, observed facts, and
the list it appends its events to."""

from __future__ import annotations

from clearhouse.core.commands import Facts
from clearhouse.core.events import Event


class Context:
    __slots__ = ("seq", "time_ns", "facts", "events")

    def __init__(self, seq: int, time_ns: int, facts: Facts) -> None:
        self.seq = seq
        self.time_ns = time_ns
        self.facts = facts
        self.events: list[Event] = []
