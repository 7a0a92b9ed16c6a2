"""Reading a detector's `[rule.params]` table: typed, bounded, unknown keys refused."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from clearhouse.surveillance.rules import Rule, RuleError, parse_duration_ns, parse_ratio


class Params:
    def __init__(self, rule: Rule, known: set[str]) -> None:
        self.rule = rule
        self.raw: Mapping[str, Any] = rule.params
        self.where = f"{rule.source}: rule {rule.rule_id!r}: params"
        unknown = set(self.raw) - known
        if unknown:
            raise RuleError(f"{self.where}: unknown keys {sorted(unknown)}")

    def integer(self, name: str, default: int, minimum: int = 0) -> int:
        value = self.raw.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise RuleError(f"{self.where}: {name} must be an integer >= {minimum}")
        return value

    def duration_ns(self, name: str, default: str) -> int:
        return parse_duration_ns(self.raw.get(name, default), f"{self.where}: {name}")

    def ratio(self, name: str, default: str) -> Fraction:
        return parse_ratio(self.raw.get(name, default), f"{self.where}: {name}")

    def choices(self, name: str, default: list[str], allowed: tuple[str, ...]) -> tuple[str, ...]:
        value = self.raw.get(name, default)
        if not isinstance(value, list) or not set(value) <= set(allowed) or not value:
            raise RuleError(f"{self.where}: {name} must be a non-empty subset of {list(allowed)}")
        return tuple(value)
