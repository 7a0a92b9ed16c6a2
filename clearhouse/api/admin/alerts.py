"""Alerts, the loaded rule set and look-backs under /api/ch/v1/admin.

Alerts are the monitor's read model (rebuilt from the journal on start); each names the rule,
the rule file's hash and the case it opened, if any. A look-back replays the journal through
rules of the loaded set in a worker thread (the venue keeps trading), raises what it finds
(alerts at the case threshold open cases) and is audited with the caller's actor and reason.
"""

from __future__ import annotations

import asyncio
from typing import Any, Final

from clearhouse.api.admin import case_shapes as shapes
from clearhouse.api.admin.monitoring_support import alert_view, cases_by_alert, monitoring_of
from clearhouse.api.endpoint import Call, Endpoint, Handler
from clearhouse.api.errors import INVALID_PARAM_VALUE, ApiError
from clearhouse.api.rest.common import state_of
from clearhouse.surveillance.rules import RuleError

ADMIN: Final = "/api/ch/v1/admin"
TAG: Final = "compliance"
MAX_ALERT_IDS: Final = 1_000


async def list_alerts(call: Call) -> list[shapes.AlertView]:
    query: shapes.AlertsQuery = call.query
    monitoring = monitoring_of(call)
    cased = cases_by_alert(state_of(call))
    out: list[shapes.AlertView] = []
    for alert in monitoring.alerts.newest_first():
        if query.severity is not None and alert.severity != query.severity:
            continue
        if query.rule_id is not None and alert.rule_id != query.rule_id:
            continue
        if query.uid is not None and query.uid not in alert.accounts:
            continue
        case_id = cased.get(alert.alert_id)
        if query.without_case is not None and (case_id is None) != query.without_case:
            continue
        out.append(alert_view(alert, case_id))
        if len(out) >= query.limit:
            break
    return out


async def list_rules(call: Call) -> shapes.RulesView:
    rules = monitoring_of(call).rules
    return shapes.RulesView(
        version=rules.version,
        open_case_at=rules.settings.open_case_at,
        files=[shapes.RuleFile(path, digest) for path, digest in rules.files],
        rules=[
            shapes.RuleView(
                r.rule_id, r.title, r.kind, r.severity, r.category, r.source, r.version,
                r.description.strip(),
            )
            for r in rules.rules
        ],
    )  # fmt: skip


async def lookback(call: Call) -> shapes.LookbackView:
    body: shapes.Lookback = call.body
    monitoring = monitoring_of(call)
    if monitoring.data_dir is None:
        raise ApiError(INVALID_PARAM_VALUE, "a look-back replays the journal; this venue has none")
    if bool(body.rule_ids) == bool(body.rules_toml):
        raise ApiError(INVALID_PARAM_VALUE, "give either rule_ids or rules_toml")
    try:
        rules = monitoring.lookback_rules(body.rule_ids, body.rules_toml)
    except RuleError as exc:
        raise ApiError(INVALID_PARAM_VALUE, str(exc)) from exc
    to_seq = state_of(call).seq  # applied, so durable: the replay stops here
    report = await asyncio.to_thread(monitoring.run_lookback, rules, to_seq)
    monitoring.raise_lookback(report, call.facts.actor, call.facts.reason)
    return shapes.LookbackView(
        run_id=report.run_id,
        rule_ids=report.rule_ids,
        rule_versions=report.rule_versions,
        rules_version=report.rules_version,
        candidate=report.candidate,
        to_seq=report.to_seq,
        records=report.records,
        alerts=len(report.alerts),
        new_alerts=report.new_alerts,
        alert_ids=[a.alert_id for a in report.alerts][:MAX_ALERT_IDS],
    )


def _ep(method: str, path: str, handler: Handler, summary: str, **kwargs: Any) -> Endpoint:
    return Endpoint(method, ADMIN + path, handler, "admin", summary, TAG, **kwargs)


def endpoints() -> list[Endpoint]:
    return [
        _ep("GET", "/alerts", list_alerts, "AML and market-surveillance alerts, newest first",
            query=shapes.AlertsQuery, response=list[shapes.AlertView]),
        _ep("GET", "/rules", list_rules, "The monitoring rules loaded, with their file hashes",
            response=shapes.RulesView),
        _ep("POST", "/alerts/lookback", lookback,
            "Run rules over the whole journal and raise what they find",
            body=shapes.Lookback, response=shapes.LookbackView),
    ]  # fmt: skip
