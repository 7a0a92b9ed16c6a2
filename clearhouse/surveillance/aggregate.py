"""The two declarative rule kinds: sliding-window aggregates and follow-throughs.

Windows slide on engine time (the envelope's), never the wall clock: an event at time t sees
the matching events in (t - window, t]. So a replay of the same journal raises the same alerts
with the same ids, whenever and however fast it runs.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Final

from clearhouse.surveillance.alerts import MAX_EVIDENCE_ITEMS, Alert, new_alert
from clearhouse.surveillance.detector import group_text, name_matches
from clearhouse.surveillance.rules import Condition, Rule
from clearhouse.surveillance.venue_model import NS_PER_S, Observation, VenueModel

MAX_ENTRIES_PER_GROUP: Final = 10_000  # a window longer than this forgets its oldest entries


def observe(event: Any, model: VenueModel) -> Observation:
    """The observation for an event, or the current Request pseudo-event when `event` is None."""
    if event is None:
        assert model.request is not None
        return model.request
    return model.observation(event)


def _group_key(rule: Rule, obs: Observation) -> tuple[Any, ...] | None:
    key = tuple(obs.get(name) for name in rule.group_by)
    if any(v is None or v == "" for v in key):
        if not rule.keep_missing:
            return None  # an event without the grouping field (no IP, no owner) is not grouped
        key = tuple("-" if v is None or v == "" else v for v in key)
    return key


def _duration(ns: int) -> str:
    for unit, size in (("d", 86_400 * NS_PER_S), ("h", 3_600 * NS_PER_S), ("m", 60 * NS_PER_S)):
        if ns % size == 0:
            return f"{ns // size}{unit}"
    return f"{ns // 1_000_000}ms"


Entry = tuple[int, int, Any, int, int]  # (time_ns, seq, measured value, account, owner)


class _Window:
    """The events of one group inside the window. For `distinct`, only the newest event per
    distinct value is kept (a customer's hundredth order from an IP adds nothing to how many
    customers used it), so the per-event cost stays O(1) on busy IPs."""

    __slots__ = ("entries", "latest", "total", "last_alert_ns")

    def __init__(self) -> None:
        self.entries: deque[Entry] = deque()
        self.latest: dict[Any, Entry] = {}  # distinct value -> its newest entry, oldest first
        self.total = 0
        self.last_alert_ns: int | None = None

    def add(self, aggregate: str, entry: Entry, cut_ns: int) -> int:
        """Slide the window to (cut_ns, now], add the entry, return the aggregate's value."""
        if aggregate == "distinct":
            latest = self.latest
            while latest:
                oldest = next(iter(latest))
                if latest[oldest][0] > cut_ns and len(latest) < MAX_ENTRIES_PER_GROUP:
                    break
                del latest[oldest]
            latest.pop(entry[2], None)
            latest[entry[2]] = entry
            return len(latest)
        entries = self.entries
        while entries and (entries[0][0] <= cut_ns or len(entries) >= MAX_ENTRIES_PER_GROUP):
            self.total -= entries.popleft()[2]
        entries.append(entry)
        self.total += entry[2]
        return len(entries) if aggregate == "count" else self.total

    def contents(self) -> list[Entry]:
        return list(self.latest.values()) if self.latest else list(self.entries)

    def newest_ns(self) -> int:
        if self.latest:
            return next(reversed(self.latest.values()))[0]
        return self.entries[-1][0] if self.entries else 0

    def cooling(self, now_ns: int, cooldown_ns: int) -> bool:
        return self.last_alert_ns is not None and now_ns - self.last_alert_ns < cooldown_ns


class WindowAggregate:
    """count / sum / distinct over a sliding window, per group, against a threshold."""

    def __init__(self, rule: Rule, rules_version: str) -> None:
        self.rule = rule
        self.rules_version = rules_version
        self.windows: dict[tuple[Any, ...], _Window] = {}

    def wants(self, event_name: str) -> bool:
        return name_matches(self.rule.on, event_name)

    def on(self, event: Any, name: str, model: VenueModel) -> list[Alert]:
        rule = self.rule
        obs = observe(event, model)
        if not rule.matches(obs):
            return []
        key = _group_key(rule, obs)
        if key is None:
            return []
        value: Any = 1
        if rule.aggregate != "count":
            value = obs.get(rule.measure)
            if value is None or (rule.aggregate == "sum" and not isinstance(value, int)):
                return []  # nothing to add up (e.g. an asset without a price)
        now = obs["time_ns"]
        window = self.windows.get(key)
        if window is None:
            window = self.windows[key] = _Window()
        entry = (now, obs["seq"], value, obs.get("account") or 0, obs.get("beneficial_owner") or 0)
        measured = window.add(rule.aggregate, entry, now - rule.window_ns)
        if measured < rule.threshold or window.cooling(now, rule.cooldown_ns):
            return []
        window.last_alert_ns = now
        return [self._alert(key, window, measured, obs)]

    def _alert(
        self, key: tuple[Any, ...], window: _Window, measured: int, obs: Observation
    ) -> Alert:
        rule = self.rule
        group = group_text(rule.group_by, key)
        entries = window.contents()
        owners = {e[4] for e in entries if e[4]}
        evidence: dict[str, Any] = {
            "aggregate": rule.aggregate + (f"({rule.measure})" if rule.measure else ""),
            "value": measured,
            "threshold": rule.threshold,
            "window": _duration(rule.window_ns),
            "events": len(entries),
            "seqs": [e[1] for e in entries][-MAX_EVIDENCE_ITEMS:],
        }
        if rule.aggregate == "distinct":
            evidence["distinct"] = sorted(map(str, window.latest))[:MAX_EVIDENCE_ITEMS]
        if owners:
            evidence["beneficial_owners"] = sorted(owners)[:MAX_EVIDENCE_ITEMS]
        summary = (
            f"{rule.title}: {evidence['aggregate']} = {measured} >= {rule.threshold} "
            f"within {evidence['window']} for {group}"
        )
        return new_alert(
            rule,
            self.rules_version,
            group,
            obs["seq"],
            obs["time_ns"],
            summary,
            evidence,
            subject_party=next(iter(owners)) if len(owners) == 1 else 0,
            accounts=tuple(e[3] for e in entries if e[3])[-MAX_EVIDENCE_ITEMS:],
        )

    def sweep(self, now_ns: int) -> None:
        rule = self.rule
        stale = [
            key
            for key, w in self.windows.items()
            if w.newest_ns() <= now_ns - rule.window_ns and not w.cooling(now_ns, rule.cooldown_ns)
        ]
        for key in stale:
            del self.windows[key]


class FollowThrough:
    """Money in (`on`), then out (`then`) within the window: the out-going event moves at least
    `min_ratio` of what came in, and what came in is worth at least `min_usd`."""

    def __init__(self, rule: Rule, rules_version: str) -> None:
        self.rule = rule
        self.rules_version = rules_version
        self.then_on: tuple[str, ...] = rule.params["then_on"]
        self.then_where: tuple[Condition, ...] = rule.params["then_where"]
        self.ins: dict[tuple[Any, ...], deque[tuple[int, int, int]]] = {}
        self.last_alert: dict[tuple[Any, ...], int] = {}

    def wants(self, event_name: str) -> bool:
        return name_matches(self.rule.on, event_name) or name_matches(self.then_on, event_name)

    def on(self, event: Any, name: str, model: VenueModel) -> list[Alert]:
        rule = self.rule
        obs = observe(event, model)
        key = _group_key(rule, obs)
        value = obs.get("value_usd")
        if key is None or not isinstance(value, int):
            return []
        now = obs["time_ns"]
        if name_matches(rule.on, name):
            if rule.matches(obs):
                arrivals = self.ins.setdefault(key, deque())
                if len(arrivals) >= MAX_ENTRIES_PER_GROUP:
                    arrivals.popleft()
                arrivals.append((now, obs["seq"], value))
            return []
        if not all(c.test(obs) for c in self.then_where):
            return []
        ins = self.ins.get(key)
        if not ins:
            return []
        while ins and ins[0][0] <= now - rule.window_ns:
            ins.popleft()
        came_in = sum(v for _, _, v in ins)
        ratio = rule.params["min_ratio"]
        if came_in <= 0 or came_in < rule.params["min_usd"]:
            return []
        if value * ratio.denominator < ratio.numerator * came_in:
            return []
        last = self.last_alert.get(key)
        if last is not None and now - last < rule.cooldown_ns:
            return []
        self.last_alert[key] = now
        group = group_text(rule.group_by, key)
        first_in = ins[0][0]
        evidence: dict[str, Any] = {
            "in_usd": came_in,
            "out_usd": value,
            "out_share_ppm": value * 1_000_000 // came_in,
            "min_ratio": str(ratio),
            "in_seqs": [s for _, s, _ in ins][-MAX_EVIDENCE_ITEMS:],
            "out_seq": obs["seq"],
            "seconds_from_first_in": (now - first_in) // NS_PER_S,
        }
        summary = (
            f"{rule.title}: {value} USD out within {evidence['seconds_from_first_in']}s of "
            f"{came_in} USD in, for {group}"
        )
        account = obs.get("account")
        return [
            new_alert(
                rule,
                self.rules_version,
                group,
                obs["seq"],
                now,
                summary,
                evidence,
                subject_party=obs.get("beneficial_owner") or 0,
                accounts=(account,) if isinstance(account, int) else (),
            )
        ]

    def sweep(self, now_ns: int) -> None:
        window = self.rule.window_ns
        for key in [k for k, ins in self.ins.items() if not ins or ins[-1][0] <= now_ns - window]:
            del self.ins[key]
        for key in [k for k, t in self.last_alert.items() if now_ns - t >= self.rule.cooldown_ns]:
            del self.last_alert[key]
