"""What the compliance routes share: the monitoring service of a call, views of cases and
alerts, and exports."""

from __future__ import annotations

import hashlib
from typing import Final

import msgspec

from clearhouse.api.admin import case_shapes as shapes
from clearhouse.api.endpoint import Call
from clearhouse.api.errors import NOT_FOUND, SERVER_ERROR, ApiError
from clearhouse.audit.kpis import iso_time
from clearhouse.core.cases import SAR, Case
from clearhouse.core.state import State
from clearhouse.surveillance.alerts import Alert
from clearhouse.surveillance.service import ComplianceMonitoring

CSV_TYPE: Final = "text/csv"
JSON_TYPE: Final = "application/json"


def monitoring_of(call: Call) -> ComplianceMonitoring:
    monitoring = call.runtime.monitoring
    if monitoring is None:
        raise ApiError(SERVER_ERROR, "compliance monitoring is not running")
    return monitoring


def time_text(ns: int) -> str:
    return iso_time(ns) if ns else ""


def require_case(state: State, case_id: int) -> Case:
    case = state.cases.cases.get(case_id)
    if case is None:
        raise ApiError(NOT_FOUND, f"case {case_id} not found")
    return case


def case_view(state: State, case: Case) -> shapes.CaseView:
    return shapes.CaseView(
        case_id=case.case_id,
        status=case.status,
        severity=case.severity,
        title=case.title,
        summary=case.summary,
        subject_party=case.subject_party,
        accounts=list(case.accounts),
        rule_id=case.rule_id,
        rule_version=case.rule_version,
        alert_ids=list(case.alert_ids),
        detected_at=time_text(case.detected_at_ns),
        opened_at=time_text(case.opened_at_ns),
        opened_by=case.opened_by,
        assignee=case.assignee,
        disposition=case.disposition,
        rationale=case.rationale,
        closed_at=time_text(case.closed_at_ns),
        sar_decided_at=time_text(case.sar_filed_at_ns),
        sar_deadline=time_text(case.sar_deadline_ns),
        sar_reference=case.sar_reference,
        sar_submitted_at=time_text(case.sar_submitted_at_ns),
        sar_overdue=case.status == SAR and state.time_ns > case.sar_deadline_ns,
        history=[
            shapes.HistoryEntry(seq, time_text(t), actor, action, text)
            for seq, t, actor, action, text in case.history
        ],
    )


def cases_by_alert(state: State) -> dict[str, int]:
    return {a: c.case_id for c in state.cases.cases.values() for a in c.alert_ids}


def alert_view(alert: Alert, case_id: int | None) -> shapes.AlertView:
    return shapes.AlertView(
        alert_id=alert.alert_id,
        rule_id=alert.rule_id,
        rule_title=alert.rule_title,
        category=alert.category,
        kind=alert.kind,
        severity=alert.severity,
        rule_version=alert.rule_version,
        rules_version=alert.rules_version,
        group=alert.group,
        subject_party=alert.subject_party,
        accounts=list(alert.accounts),
        seq=alert.seq,
        time=iso_time(alert.time_ns),
        time_ns=alert.time_ns,
        summary=alert.summary,
        evidence=msgspec.to_builtins(alert.evidence),
        origin=alert.origin,
        case_id=case_id,
    )


def export(data: bytes, fmt: str, stem: str) -> shapes.Export:
    return shapes.Export(
        format=fmt,
        filename=f"{stem}.{fmt}",
        content_type=CSV_TYPE if fmt == "csv" else JSON_TYPE,
        sha256=hashlib.sha256(data).hexdigest(),
        content=data.decode(),
    )
