"""What every detector is to the monitor: a rule, the event names it reads, and `on`."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any, Protocol

from clearhouse.surveillance.alerts import Alert
from clearhouse.surveillance.rules import Rule
from clearhouse.surveillance.venue_model import VenueModel


class Detector(Protocol):
    rule: Rule

    def wants(self, event_name: str) -> bool:
        """Does this detector read events of this type (or the Request pseudo-event)?"""
        ...

    def on(self, event: Any, name: str, model: VenueModel) -> list[Alert]:
        """Look at one event (`event` is None for the Request pseudo-event)."""
        ...

    def sweep(self, now_ns: int) -> None:
        """Forget state that can no longer contribute to an alert (bounded memory)."""
        ...


def name_matches(patterns: tuple[str, ...], name: str) -> bool:
    return any(p == name or fnmatchcase(name, p) for p in patterns)


def group_text(fields: tuple[str, ...], values: tuple[Any, ...]) -> str:
    return ",".join(f"{f}={v}" for f, v in zip(fields, values, strict=True))
