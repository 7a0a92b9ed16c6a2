"""Alerts: what a rule found, with the rule's version and the evidence, in engine time.

An alert's id is a hash of the rule id, the group it is about and the journal sequence number
of the event that crossed the threshold, so the same journal and rules give the same ids on
every replay, and a case opened for an alert (keyed by its id) is never opened twice. The id
does not include the rule's version: editing a rule's threshold must not turn yesterday's alert
into a new one that opens a second case for the same activity.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any, Final

import msgspec

from clearhouse.surveillance.rules import SEVERITY_RANK, Rule

MAX_ALERTS: Final = 200_000  # kept in memory; beyond it the oldest are dropped (and counted)
MAX_EVIDENCE_ITEMS: Final = 50  # seqs, trade ids... listed per alert
LIVE: Final = "live"


class Alert(msgspec.Struct, frozen=True, kw_only=True):
    alert_id: str
    rule_id: str
    rule_title: str
    category: str
    kind: str  # the rule kind: aggregate, follow_through, wash_trade, spoofing, ...
    severity: str
    rule_version: str  # SHA-256 of the rule file
    rules_version: str  # hash over the whole rule set loaded at the time
    group: str  # what the alert is about, e.g. "beneficial_owner=7" or "ip=203.0.113.9"
    subject_party: int  # the beneficial owner, 0 when the group is not one person
    accounts: tuple[int, ...]
    seq: int  # the journal record that crossed the threshold
    time_ns: int  # its engine time: detection time
    summary: str
    evidence: dict[str, Any]
    origin: str = LIVE  # "live", or "lookback:<run id>"

    @property
    def rank(self) -> int:
        return SEVERITY_RANK[self.severity]


def alert_id(rule_id: str, group: str, seq: int) -> str:
    return hashlib.sha256(f"{rule_id}\0{group}\0{seq}".encode()).hexdigest()[:24]


def new_alert(
    rule: Rule,
    rules_version: str,
    group: str,
    seq: int,
    time_ns: int,
    summary: str,
    evidence: dict[str, Any],
    subject_party: int = 0,
    accounts: tuple[int, ...] = (),
) -> Alert:
    return Alert(
        alert_id=alert_id(rule.rule_id, group, seq),
        rule_id=rule.rule_id,
        rule_title=rule.title,
        category=rule.category,
        kind=rule.kind,
        severity=rule.severity,
        rule_version=rule.version,
        rules_version=rules_version,
        group=group,
        subject_party=subject_party,
        accounts=tuple(sorted(set(accounts))),
        seq=seq,
        time_ns=time_ns,
        summary=summary,
        evidence=evidence,
    )


class AlertStore:
    """Every alert raised, in the order raised; a read model rebuilt by replay."""

    def __init__(self, limit: int = MAX_ALERTS) -> None:
        self.limit = limit
        self._alerts: dict[str, Alert] = {}
        self.dropped = 0

    def add(self, alert: Alert) -> bool:
        """Keep a new alert; False if an alert with this id is already here."""
        if alert.alert_id in self._alerts:
            return False
        self._alerts[alert.alert_id] = alert
        if len(self._alerts) > self.limit:
            del self._alerts[next(iter(self._alerts))]
            self.dropped += 1
        return True

    def get(self, alert_id: str) -> Alert | None:
        return self._alerts.get(alert_id)

    def __len__(self) -> int:
        return len(self._alerts)

    def __iter__(self) -> Iterator[Alert]:
        return iter(self._alerts.values())

    def newest_first(self) -> Iterator[Alert]:
        return reversed(self._alerts.values())
