"""Look-back: apply rules to history by replaying the journal through them.

A new typology (or a rule a regulator asks for) is run over everything the venue already did:
a fresh engine replays the journal from seq 1 up to a fixed seq, a fresh monitor with only the
named rules watches it, and every alert it raises is reported. Windows run on the journal's
engine time, so a look-back finds exactly what the rule would have found live. The replay uses
its own engine and reads the journal files only, so it can run in a worker thread while the
venue keeps trading.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from clearhouse.core.commands import decode_envelope
from clearhouse.core.engine import Engine
from clearhouse.journal import read_records
from clearhouse.surveillance.alerts import Alert
from clearhouse.surveillance.monitor import Monitor
from clearhouse.surveillance.rules import RuleSet


@dataclass
class LookbackReport:
    run_id: str
    rule_ids: list[str]
    rule_versions: dict[str, str]
    rules_version: str
    to_seq: int
    candidate: bool = False  # a rule file not in the loaded set, tried on history
    records: int = 0
    alerts: list[Alert] = field(default_factory=list)
    new_alerts: int = 0  # not raised before (live or by an earlier look-back)
    failures: int = 0

    def to_builtins(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "rule_ids": self.rule_ids,
            "rule_versions": self.rule_versions,
            "rules_version": self.rules_version,
            "candidate": self.candidate,
            "to_seq": self.to_seq,
            "records": self.records,
            "new_alerts": self.new_alerts,
            "failures": self.failures,
            "alerts": [msgspec.to_builtins(a) for a in self.alerts],
        }


def run_id_for(rules: RuleSet, to_seq: int) -> str:
    text = ",".join(f"{r.rule_id}@{r.version}" for r in rules.rules) + f"#{to_seq}"
    return f"lb-{to_seq}-{hashlib.sha256(text.encode()).hexdigest()[:10]}"


def run_lookback(journal_dir: Path, rules: RuleSet, to_seq: int) -> LookbackReport:
    """Replay journal records 1..to_seq through `rules`; alerts are marked with the run id."""
    run_id = run_id_for(rules, to_seq)
    report = LookbackReport(
        run_id=run_id,
        rule_ids=[r.rule_id for r in rules.rules],
        rule_versions={r.rule_id: r.version for r in rules.rules},
        rules_version=rules.version,
        to_seq=to_seq,
        candidate=rules.directory == "(candidate)",
    )
    engine = Engine()
    monitor = Monitor(rules)
    for record in read_records(journal_dir, from_seq=1, tolerate_torn_tail=True):
        if record.seq > to_seq:
            break
        envelope = decode_envelope(record.payload)
        monitor(envelope, engine.apply(envelope))
        report.records += 1
    report.alerts = [
        msgspec.structs.replace(alert, origin=f"lookback:{run_id}") for alert in monitor.store
    ]
    report.failures = monitor.failures
    return report
