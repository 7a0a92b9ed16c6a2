"""Compliance cases and SARs under /api/ch/v1/admin/cases (bearer token, X-Actor, X-Reason).

Every change to a case is an engine command (OpenCase, UpdateCase, CloseCase, FileSar,
SubmitSar, SetCasePolicy) submitted with the caller's actor and reason, so it is journaled,
passes the policy gate and lands in the audit log like every other admin action; a refused
change (a close without disposition or rationale) comes back with the engine's label and
changes nothing. Exports are reads, and are audited too (who exported what, and its hash).

`endpoints()` also returns the alert and audit routes (alerts.py, audit_routes.py): the app
wires the compliance routes as one list.
"""

from __future__ import annotations

from typing import Any, Final

from clearhouse.api.admin import alerts, audit_routes
from clearhouse.api.admin import case_shapes as shapes
from clearhouse.api.admin.monitoring_support import (
    case_view,
    export,
    monitoring_of,
    require_case,
)
from clearhouse.api.endpoint import Call, Endpoint, Handler
from clearhouse.api.errors import INVALID_PARAM_VALUE, ApiError
from clearhouse.api.rest.common import state_of
from clearhouse.core.cases import CLOSED, SAR, SAR_SUBMITTED, Case
from clearhouse.core.commands import (
    CloseCase,
    FileSar,
    OpenCase,
    SetCasePolicy,
    SubmitSar,
    UpdateCase,
)
from clearhouse.core.events import CaseOpened
from clearhouse.surveillance import sar

ADMIN: Final = "/api/ch/v1/admin"
TAG: Final = "compliance"


async def list_cases(call: Call) -> list[shapes.CaseView]:
    query: shapes.CasesQuery = call.query
    state = state_of(call)
    out: list[shapes.CaseView] = []
    for case_id in sorted(state.cases.cases, reverse=True):
        case = state.cases.cases[case_id]
        if query.status is not None and case.status != query.status:
            continue
        if query.severity is not None and case.severity != query.severity:
            continue
        if query.subject_party is not None and case.subject_party != query.subject_party:
            continue
        out.append(case_view(state, case))
        if len(out) >= query.limit:
            break
    return out


async def open_case(call: Call) -> shapes.CaseView:
    body: shapes.NewCase = call.body
    monitoring = monitoring_of(call)
    found = [monitoring.alerts.get(a) for a in body.alert_ids]
    missing = [a for a, alert in zip(body.alert_ids, found, strict=True) if alert is None]
    if missing:
        raise ApiError(INVALID_PARAM_VALUE, f"unknown alert ids: {', '.join(missing)}")
    detected = min((a.time_ns for a in found if a is not None), default=0)
    events = await call.submit(
        OpenCase(
            title=body.title,
            severity=body.severity,
            subject_party=body.subject_party or 0,
            accounts=tuple(body.accounts),
            detected_at_ns=detected,
            alert_ids=tuple(body.alert_ids),
            summary=body.summary,
        )
    )
    opened = next(e for e in events if type(e) is CaseOpened)
    state = state_of(call)
    return case_view(state, state.cases.cases[opened.case_id])


async def get_case(call: Call) -> shapes.CaseView:
    state = state_of(call)
    return case_view(state, require_case(state, call.path.case_id))


async def _change(call: Call, command: Any) -> shapes.CaseView:
    state = state_of(call)
    require_case(state, call.path.case_id)  # 404 before the engine says CASE_NOT_FOUND
    await call.submit(command)
    return case_view(state, state.cases.cases[call.path.case_id])


async def update_case(call: Call) -> shapes.CaseView:
    body: shapes.CaseChange = call.body
    command = UpdateCase(
        call.path.case_id, body.status or "", body.assignee, body.note, tuple(body.alert_ids)
    )
    return await _change(call, command)


async def close_case(call: Call) -> shapes.CaseView:
    body: shapes.CaseClose = call.body
    return await _change(call, CloseCase(call.path.case_id, body.disposition, body.rationale))


async def file_sar(call: Call) -> shapes.CaseView:
    body: shapes.SarDecision = call.body
    return await _change(call, FileSar(call.path.case_id, body.rationale))


async def submit_sar(call: Call) -> shapes.CaseView:
    body: shapes.SarSubmission = call.body
    return await _change(call, SubmitSar(call.path.case_id, body.reference))


def _had_sar(case: Case) -> bool:
    return case.status in (SAR, SAR_SUBMITTED) or (
        case.status == CLOSED and bool(case.sar_filed_at_ns)
    )


def _sar_export(call: Call, cases: list[Case], fmt: str, stem: str) -> shapes.Export:
    monitoring = monitoring_of(call)
    state = state_of(call)
    if fmt == "csv":
        data, digest = sar.export_csv(state, cases)
    else:
        data, digest = sar.export_json(state, cases, monitoring.alerts)
    monitoring.record(
        "export",
        "sar_export",
        call.facts.actor,
        call.facts.reason,
        case_ids=[c.case_id for c in cases],
        format=fmt,
        sha256=digest,
    )
    return export(data, fmt, stem)


async def export_case_sar(call: Call) -> shapes.Export:
    query: shapes.ExportQuery = call.query
    case = require_case(state_of(call), call.path.case_id)
    if not _had_sar(case):
        raise ApiError(INVALID_PARAM_VALUE, f"case {case.case_id} has no SAR decision")
    return _sar_export(call, [case], query.format, f"sar-case-{case.case_id}")


async def export_sars(call: Call) -> shapes.Export:
    query: shapes.SarsQuery = call.query
    state = state_of(call)
    cases = [
        state.cases.cases[i]
        for i in sorted(state.cases.cases)
        if _had_sar(state.cases.cases[i])
        and (query.status is None or state.cases.cases[i].status == query.status)
    ]
    return _sar_export(call, cases, query.format, f"sars-seq-{state.seq}")


async def set_case_policy(call: Call) -> shapes.CasePolicyView:
    body: shapes.CasePolicy = call.body
    await call.submit(SetCasePolicy(body.sar_deadline_days, body.investigation_sla_days))
    book = state_of(call).cases
    return shapes.CasePolicyView(book.sar_deadline_days, book.investigation_sla_days)


def _ep(method: str, path: str, handler: Handler, summary: str, **kwargs: Any) -> Endpoint:
    return Endpoint(method, ADMIN + path, handler, "admin", summary, TAG, **kwargs)


def endpoints() -> list[Endpoint]:
    one = {"path_params": shapes.CasePath, "response": shapes.CaseView}
    return [
        _ep("GET", "/cases", list_cases, "Compliance cases, newest first",
            query=shapes.CasesQuery, response=list[shapes.CaseView]),
        _ep("POST", "/cases", open_case, "Open a case by hand (alerts open theirs by severity)",
            body=shapes.NewCase, response=shapes.CaseView, status=201),
        _ep("GET", "/cases/{case_id}", get_case, "One case with its history", **one),
        _ep("POST", "/cases/{case_id}/update", update_case,
            "Start investigating, assign, add a note or attach alerts", body=shapes.CaseChange,
            **one),
        _ep("POST", "/cases/{case_id}/close", close_case,
            "Close a case: a disposition and a rationale are required", body=shapes.CaseClose,
            **one),
        _ep("POST", "/cases/{case_id}/sar", file_sar,
            "Decide a SAR is due: the case enters state sar with a deadline from detection",
            body=shapes.SarDecision, **one),
        _ep("POST", "/cases/{case_id}/sar/submission", submit_sar,
            "Record the SAR's submission to the FIU", body=shapes.SarSubmission, **one),
        _ep("GET", "/cases/{case_id}/sar", export_case_sar, "Export a case's SAR (JSON or CSV)",
            path_params=shapes.CasePath, query=shapes.ExportQuery, response=shapes.Export),
        _ep("GET", "/sars", export_sars, "Export every SAR (JSON or CSV)",
            query=shapes.SarsQuery, response=shapes.Export),
        _ep("PUT", "/case_policy", set_case_policy, "SAR deadline and investigation SLA, in days",
            body=shapes.CasePolicy, response=shapes.CasePolicyView),
    ] + alerts.endpoints() + audit_routes.endpoints()  # fmt: skip
