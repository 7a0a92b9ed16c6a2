"""Compliance monitoring wired to a venue: rules, monitor, alerts, case opener, audit log.

    ComplianceMonitoring.start(venue, data_dir, rules_dir)
        load and validate rules/ (refuse to start on an invalid rule set)
        open the audit log (refuse to start on a tampered one), record the rule-set load
        replay the journal through monitor + audit recorder, then listen to new commands

One listener for both read models, so a start-up replays the journal once for them. Everything
the service writes goes through the engine (cases) or the audit log (rule loads, look-backs,
exports), each with an actor and a reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import msgspec

from clearhouse.audit.log import AuditLog
from clearhouse.audit.recorder import AuditRecorder
from clearhouse.core.commands import Envelope, Facts, OpenCase
from clearhouse.core.events import Event
from clearhouse.core.state import State
from clearhouse.surveillance.alerts import Alert, AlertStore
from clearhouse.surveillance.case_opener import CaseOpener, open_due_cases
from clearhouse.surveillance.lookback import LookbackReport, run_lookback
from clearhouse.surveillance.monitor import Monitor, build_detectors
from clearhouse.surveillance.rules import RuleSet, load_candidate, load_rules
from clearhouse.venue import Venue

RULES_DIR_ENV: Final = "CLEARHOUSE_RULES_DIR"
DEFAULT_RULES_DIR: Final = Path(__file__).resolve().parents[2] / "rules"
LOOKBACK_DIR: Final = Path("surveillance") / "lookbacks"
MAX_LOOKBACK_ALERT_IDS_IN_AUDIT: Final = 200
RETRY_S: Final = 1.0  # a busy venue: try opening due cases again after this

log = logging.getLogger("clearhouse.surveillance")


def rules_dir_from(explicit: Path | None = None) -> Path:
    if explicit is not None:
        return explicit
    configured = os.environ.get(RULES_DIR_ENV)
    return Path(configured) if configured else DEFAULT_RULES_DIR


class ComplianceMonitoring:
    def __init__(self, rules: RuleSet, audit: AuditLog, data_dir: Path | None) -> None:
        self.rules = rules
        self.audit = audit
        self.data_dir = data_dir
        self.alerts = AlertStore()
        self.monitor = Monitor(rules, self.alerts)
        self.opener = CaseOpener(rules.settings.open_case_at)
        self.monitor.sinks.append(self.opener)
        self.recorder = AuditRecorder(audit)
        self.lookbacks: list[LookbackReport] = []
        self.venue: Venue | None = None
        self._task: asyncio.Task[None] | None = None
        self._wakeup: asyncio.Event | None = None

    @classmethod
    def start(
        cls, venue: Venue, data_dir: Path | None = None, rules_dir: Path | None = None
    ) -> ComplianceMonitoring:
        data_dir = data_dir if data_dir is not None else venue.data_dir
        rules = load_rules(rules_dir_from(rules_dir))
        audit = AuditLog.open(data_dir / "audit" if data_dir is not None else None)
        service = cls(rules, audit, data_dir)
        service.attach(venue)
        service._load_lookbacks()
        service.record_rules_loaded("system", "start-up")
        return service

    # --- the venue listener -------------------------------------------------------------------
    def __call__(self, envelope: Envelope, events: list[Event]) -> None:
        self.monitor(envelope, events)
        try:
            self.recorder(envelope, events)
        except OSError:
            # the record is rebuilt from the journal on the next start; never stop the venue
            self.recorder.failures += 1
            log.exception("audit record for seq %d not written", envelope.seq)

    def attach(self, venue: Venue) -> None:
        self.venue = venue
        if venue.data_dir is not None:
            venue.replay_into(self)
        else:
            self.monitor.model.seed(venue.engine.state)
        venue.listeners.append(self)

    @property
    def state(self) -> State:
        assert self.venue is not None
        return self.venue.engine.state

    def now_ns(self) -> int:
        return self.state.time_ns

    # --- audit records of actions that are not commands ---------------------------------------
    def record(self, kind: str, action: str, actor: str, reason: str, **detail: Any) -> None:
        self.audit.append(
            {
                "kind": kind,
                "action": action,
                "actor": actor,
                "reason": reason,
                "time_ns": self.now_ns(),
                "journal_seq": self.state.seq,
                "detail": detail,
            },
            durable=True,
        )

    def record_rules_loaded(self, actor: str, reason: str) -> None:
        self.record(
            "rules",
            "rules_loaded",
            actor,
            reason,
            rules_version=self.rules.version,
            directory=self.rules.directory,
            files=[{"path": p, "sha256": h} for p, h in self.rules.files],
            rule_ids=[r.rule_id for r in self.rules.rules],
            open_case_at=self.rules.settings.open_case_at,
        )

    # --- cases from alerts --------------------------------------------------------------------
    def open_due_cases(self) -> int:
        """Synchronous callers (tests, CLI): open the cases due now, through the venue."""
        assert self.venue is not None
        venue = self.venue

        def submit(command: OpenCase, facts: Facts) -> list[Event]:
            return venue.submit_one(command, facts)

        return open_due_cases(self.opener, self.state, submit)

    def start_case_task(self, submit: Any) -> None:
        """In the server: a task that opens due cases through the async sequencer."""
        self._wakeup = asyncio.Event()
        self.opener.wakeup = self._wakeup.set
        self._wakeup.set()
        self._task = asyncio.get_running_loop().create_task(self._open_cases(submit))

    async def _open_cases(self, submit: Any) -> None:
        assert self._wakeup is not None
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            if self.opener.overflowed:
                self.opener.rescan(self.alerts)
            due = self.opener.due(self.state)
            for index, (_, command, facts) in enumerate(due):
                try:
                    await submit(command, facts)
                except Exception:  # a busy or failed venue: keep the rest pending, retry
                    log.exception("could not open a case for %s", command.key)
                    for alert, _, _ in due[index:]:
                        self.opener(alert)
                    await asyncio.sleep(RETRY_S)
                    self._wakeup.set()
                    break

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.opener.wakeup = None

    def close(self) -> None:
        self.audit.close(self.now_ns() if self.venue is not None else 0)

    # --- look-back ----------------------------------------------------------------------------
    def lookback_rules(self, rule_ids: Sequence[str] = (), candidate: str = "") -> RuleSet:
        """Rules of the loaded set by id, or a candidate rule file (TOML text) read with the
        loaded settings and lists; RuleError if they do not validate."""
        if candidate:
            rules = load_candidate(candidate, self.rules)
            build_detectors(rules)  # parameters are checked now, not halfway through history
            return rules
        return self.rules.only(rule_ids)

    def run_lookback(self, rules: RuleSet, to_seq: int) -> LookbackReport:
        """The replay (safe in a worker thread): reads journal files only."""
        if self.data_dir is None:
            raise ValueError("a look-back replays the journal; this venue has none")
        return run_lookback(self.data_dir / "journal", rules, to_seq)

    def raise_lookback(self, report: LookbackReport, actor: str, reason: str) -> LookbackReport:
        """Raise the alerts a look-back found (new ones only), audit and keep the report."""
        new = 0
        for alert in report.alerts:
            if self.alerts.add(alert):
                new += 1
                self.opener(alert)
        report.new_alerts = new
        self.lookbacks.append(report)
        self._save_lookback(report)
        self.record(
            "lookback",
            "lookback_run",
            actor,
            reason,
            run_id=report.run_id,
            rule_versions=report.rule_versions,
            rules_version=report.rules_version,
            candidate=report.candidate,
            to_seq=report.to_seq,
            records=report.records,
            alerts=len(report.alerts),
            new_alerts=new,
            alert_ids=[a.alert_id for a in report.alerts][:MAX_LOOKBACK_ALERT_IDS_IN_AUDIT],
        )
        return report

    def lookback(
        self, actor: str, reason: str, rule_ids: Sequence[str] = (), candidate: str = ""
    ) -> LookbackReport:
        """Synchronous look-back over everything journaled so far."""
        report = self.run_lookback(self.lookback_rules(rule_ids, candidate), self.state.seq)
        return self.raise_lookback(report, actor, reason)

    def _save_lookback(self, report: LookbackReport) -> None:
        if self.data_dir is None:
            return
        directory = self.data_dir / LOOKBACK_DIR
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{report.run_id}.json"
        path.write_text(json.dumps(report.to_builtins(), sort_keys=True))

    def _load_lookbacks(self) -> None:
        """Alerts found by earlier look-backs are not in the journal's replay: reload them."""
        if self.data_dir is None:
            return
        directory = self.data_dir / LOOKBACK_DIR
        if not directory.is_dir():
            return
        for path in sorted(directory.glob("*.json")):
            raw = json.loads(path.read_text())
            alerts = [msgspec.convert(a, Alert) for a in raw.pop("alerts")]
            report = LookbackReport(alerts=alerts, **raw)
            self.lookbacks.append(report)
            for alert in alerts:
                if self.alerts.add(alert):
                    self.opener(alert)
