"""Alerts at or above the configured severity become cases, through the engine.

The monitor runs inside the venue's apply loop, where it must not submit commands, so alerts
that need a case wait here and are turned into `OpenCase` commands afterwards (by the API's
background task, or `open_due_cases` in a synchronous caller). Each command is keyed by its
alert id: the engine opens a case for an alert at most once, however often a replay or a
restart raises the alert again, and `due` skips alerts that already have one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Final

from clearhouse.core import cases
from clearhouse.core.commands import Facts, OpenCase
from clearhouse.core.events import Event
from clearhouse.core.state import State
from clearhouse.surveillance.alerts import Alert
from clearhouse.surveillance.rules import SEVERITY_RANK

ACTOR: Final = "surveillance"
MAX_PENDING: Final = 100_000  # beyond it, pending alerts are found again by a rescan


def case_key(alert: Alert) -> str:
    return "alert:" + alert.alert_id


def open_case_command(alert: Alert, state: State) -> OpenCase:
    accounts = tuple(a for a in alert.accounts if a in state.accounts)
    subject = alert.subject_party if alert.subject_party in state.parties else 0
    return OpenCase(
        title=alert.rule_title[: cases.MAX_TITLE_CHARS],
        severity=alert.severity,
        subject_party=subject,
        accounts=accounts[: cases.MAX_ACCOUNTS_PER_CASE],
        detected_at_ns=min(alert.time_ns, state.time_ns) or state.time_ns,
        key=case_key(alert),
        rule_id=alert.rule_id,
        rule_version=alert.rule_version,
        alert_ids=(alert.alert_id,),
        summary=alert.summary[: cases.MAX_TEXT_CHARS],
    )


class CaseOpener:
    def __init__(self, open_at: str) -> None:
        self.open_at = open_at
        self.rank = SEVERITY_RANK[open_at]
        self.pending: dict[str, Alert] = {}
        self.overflowed = False
        self.wakeup: Callable[[], None] | None = None  # set by the API's background task

    def __call__(self, alert: Alert) -> None:
        """An alert sink: keep alerts that need a case."""
        if alert.rank < self.rank:
            return
        if len(self.pending) >= MAX_PENDING:
            self.overflowed = True
            return
        self.pending[alert.alert_id] = alert
        if self.wakeup is not None:
            self.wakeup()

    def rescan(self, alerts: Iterable[Alert]) -> None:
        self.overflowed = False
        for alert in alerts:
            if alert.rank >= self.rank and len(self.pending) < MAX_PENDING:
                self.pending[alert.alert_id] = alert

    def due(self, state: State) -> list[tuple[Alert, OpenCase, Facts]]:
        """Commands for pending alerts without a case; the pending list is emptied (a caller
        that cannot submit one gives its alert back with `self(alert)`)."""
        out: list[tuple[Alert, OpenCase, Facts]] = []
        for alert in self.pending.values():
            if case_key(alert) in state.cases.by_key:
                continue
            reason = f"alert {alert.alert_id}: {alert.severity} >= {self.open_at}"
            facts = Facts(channel="internal", actor=ACTOR, reason=reason)
            out.append((alert, open_case_command(alert, state), facts))
        self.pending.clear()
        return out


def open_due_cases(
    opener: CaseOpener, state: State, submit: Callable[[OpenCase, Facts], list[Event]]
) -> int:
    """Synchronously open the cases that are due; returns how many commands were submitted."""
    due = opener.due(state)
    for _, command, facts in due:
        submit(command, facts)
    return len(due)
