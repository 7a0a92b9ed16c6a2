"""Suspicious activity report exports (JSON and CSV), read from the case in the engine state.

A SAR export is what the investigator files with the financial intelligence unit: the subject
(as the venue verified them), the accounts, the alerts and their evidence, the decision with its
rationale, the deadline, and the case's full history. Each export carries the SHA-256 of its
bytes; exporting is itself an audited action (the API records who exported what).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable
from typing import Any, Final

import msgspec

from clearhouse.audit.kpis import iso_time
from clearhouse.core.cases import Case
from clearhouse.core.state import State
from clearhouse.surveillance.alerts import Alert, AlertStore

SAR_FORMAT: Final = "clearhouse-sar/1"
CSV_COLUMNS: Final = (
    "case_id", "status", "severity", "title", "subject_party", "subject_name", "subject_kind",
    "subject_country", "accounts", "detected_at", "sar_decided_at", "sar_deadline",
    "sar_submitted_at", "sar_reference", "submitted_late", "rule_id", "rule_version",
    "alert_ids", "rationale",
)  # fmt: skip


def _time(ns: int) -> str:
    return iso_time(ns) if ns else ""


def subject_of(state: State, case: Case) -> dict[str, Any]:
    party = state.parties.get(case.subject_party)
    if party is None:
        return {"party": case.subject_party}
    return {
        "party": party.party_id,
        "name": party.name,
        "kind": party.kind,
        "country": party.country,
        "kyc_tier": party.kyc_tier,
    }


def sar_document(state: State, case: Case, alerts: AlertStore) -> dict[str, Any]:
    found: list[Alert] = [a for a in map(alerts.get, case.alert_ids) if a is not None]
    return {
        "format": SAR_FORMAT,
        "case_id": case.case_id,
        "status": case.status,
        "severity": case.severity,
        "title": case.title,
        "summary": case.summary,
        "subject": subject_of(state, case),
        "accounts": [
            {
                "account": a,
                "master": state.accounts[a].master if a in state.accounts else None,
                "beneficial_owner": state.accounts[a].beneficial_owner
                if a in state.accounts
                else None,
            }
            for a in case.accounts
        ],
        "detected_at": _time(case.detected_at_ns),
        "sar_decided_at": _time(case.sar_filed_at_ns),
        "sar_deadline": _time(case.sar_deadline_ns),
        "sar_submitted_at": _time(case.sar_submitted_at_ns),
        "sar_reference": case.sar_reference,
        "submitted_late": bool(case.sar_submitted_at_ns > case.sar_deadline_ns > 0),
        "rationale": case.rationale,
        "rule_id": case.rule_id,
        "rule_version": case.rule_version,
        "alert_ids": list(case.alert_ids),
        "alerts": [msgspec.to_builtins(a) for a in found],
        "history": [
            {"seq": seq, "time": _time(t), "actor": actor, "action": action, "text": text}
            for seq, t, actor, action, text in case.history
        ],
    }


def _row(state: State, case: Case) -> list[str]:
    subject = subject_of(state, case)
    values: dict[str, Any] = {
        "case_id": case.case_id,
        "status": case.status,
        "severity": case.severity,
        "title": case.title,
        "subject_party": case.subject_party,
        "subject_name": subject.get("name", ""),
        "subject_kind": subject.get("kind", ""),
        "subject_country": subject.get("country", ""),
        "accounts": " ".join(map(str, case.accounts)),
        "detected_at": _time(case.detected_at_ns),
        "sar_decided_at": _time(case.sar_filed_at_ns),
        "sar_deadline": _time(case.sar_deadline_ns),
        "sar_submitted_at": _time(case.sar_submitted_at_ns),
        "sar_reference": case.sar_reference,
        "submitted_late": str(case.sar_submitted_at_ns > case.sar_deadline_ns > 0).lower(),
        "rule_id": case.rule_id,
        "rule_version": case.rule_version,
        "alert_ids": " ".join(case.alert_ids),
        "rationale": case.rationale,
    }
    return [str(values[c]) for c in CSV_COLUMNS]


def export_json(state: State, sar_cases: Iterable[Case], alerts: AlertStore) -> tuple[bytes, str]:
    documents = [sar_document(state, case, alerts) for case in sar_cases]
    data = json.dumps(
        {"format": SAR_FORMAT, "reports": documents}, sort_keys=True, indent=1
    ).encode()
    return data, hashlib.sha256(data).hexdigest()


def export_csv(state: State, sar_cases: Iterable[Case]) -> tuple[bytes, str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for case in sar_cases:
        writer.writerow(_row(state, case))
    data = buffer.getvalue().encode()
    return data, hashlib.sha256(data).hexdigest()
