"""Request and response shapes of the compliance routes: alerts, rules, look-backs, cases, SARs,
KPIs and the audit log (under /api/ch/v1/admin)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from clearhouse.api.rest.shapes import Body, Query

Severity = Literal["low", "medium", "high", "critical"]
CaseStatus = Literal["open", "investigating", "sar", "sar_submitted", "closed"]
ExportFormat = Literal["json", "csv"]
Id = Annotated[int, Meta(ge=1, le=2**53)]
AlertId = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[0-9a-f]+$")]
RuleId = Annotated[str, Meta(min_length=1, max_length=64)]
Text = Annotated[str, Meta(max_length=4_000)]
ShortText = Annotated[str, Meta(max_length=200)]
Limit = Annotated[int, Meta(ge=1, le=1_000)]


# --- alerts and rules ---------------------------------------------------------------------------
class AlertsQuery(Query):
    severity: Severity | None = None
    rule_id: RuleId | None = None
    uid: Id | None = None  # alerts naming this account
    without_case: bool | None = None
    limit: Limit = 100


class AlertView(msgspec.Struct):
    alert_id: str
    rule_id: str
    rule_title: str
    category: str
    kind: str
    severity: str
    rule_version: str
    rules_version: str
    group: str
    subject_party: int
    accounts: list[int]
    seq: int
    time: str
    time_ns: int
    summary: str
    evidence: dict[str, Any]
    origin: str
    case_id: int | None


class RuleView(msgspec.Struct):
    rule_id: str
    title: str
    kind: str
    severity: str
    category: str
    source: str
    version: str
    description: str


class RuleFile(msgspec.Struct):
    path: str
    sha256: str


class RulesView(msgspec.Struct):
    version: str
    open_case_at: str
    files: list[RuleFile]
    rules: list[RuleView]


class Lookback(Body):
    """Either rules of the loaded set by id, or a candidate rule file (TOML) to try on history."""

    rule_ids: Annotated[list[RuleId], Meta(max_length=64)] = msgspec.field(default_factory=list)
    rules_toml: Annotated[str, Meta(max_length=64 * 1024)] = ""


class LookbackView(msgspec.Struct):
    run_id: str
    rule_ids: list[str]
    rule_versions: dict[str, str]
    rules_version: str
    candidate: bool
    to_seq: int
    records: int
    alerts: int
    new_alerts: int
    alert_ids: list[str]


# --- cases --------------------------------------------------------------------------------------
class CasesQuery(Query):
    status: CaseStatus | None = None
    severity: Severity | None = None
    subject_party: Id | None = None
    limit: Limit = 100


class CasePath(Query):
    case_id: Id


class NewCase(Body):
    title: Annotated[str, Meta(min_length=1, max_length=200)]
    severity: Severity
    subject_party: Id | None = None
    accounts: Annotated[list[Id], Meta(max_length=64)] = msgspec.field(default_factory=list)
    alert_ids: Annotated[list[AlertId], Meta(max_length=256)] = msgspec.field(default_factory=list)
    summary: Text = ""


class CaseChange(Body):
    status: Literal["investigating"] | None = None
    assignee: Annotated[str, Meta(max_length=128)] = ""
    note: Text = ""
    alert_ids: Annotated[list[AlertId], Meta(max_length=256)] = msgspec.field(default_factory=list)


class CaseClose(Body):
    # plain strings: the engine decides, so a bad disposition is refused with its label
    disposition: Annotated[str, Meta(max_length=64)] = ""
    rationale: Text = ""


class SarDecision(Body):
    rationale: Text = ""


class SarSubmission(Body):
    reference: Annotated[str, Meta(max_length=128)] = ""


class HistoryEntry(msgspec.Struct):
    seq: int
    time: str
    actor: str
    action: str
    text: str


class CaseView(msgspec.Struct):
    case_id: int
    status: str
    severity: str
    title: str
    summary: str
    subject_party: int
    accounts: list[int]
    rule_id: str
    rule_version: str
    alert_ids: list[str]
    detected_at: str
    opened_at: str
    opened_by: str
    assignee: str
    disposition: str
    rationale: str
    closed_at: str
    sar_decided_at: str
    sar_deadline: str
    sar_reference: str
    sar_submitted_at: str
    sar_overdue: bool
    history: list[HistoryEntry]


class CasePolicy(Body):
    sar_deadline_days: Annotated[int, Meta(ge=1, le=366)]
    investigation_sla_days: Annotated[int, Meta(ge=1, le=366)]


class CasePolicyView(msgspec.Struct):
    sar_deadline_days: int
    investigation_sla_days: int


# --- exports and the audit log ------------------------------------------------------------------
class ExportQuery(Query):
    format: ExportFormat = "json"


class SarsQuery(Query):
    format: ExportFormat = "json"
    status: Literal["sar", "sar_submitted", "closed"] | None = None


class Export(msgspec.Struct):
    format: str
    filename: str
    content_type: str
    sha256: str  # of `content` encoded as UTF-8
    content: str


class AuditCheckpoint(msgspec.Struct):
    n: int
    head: str
    journal_seq: int
    time_ns: int
    key_id: str
    signature: str


class AuditView(msgspec.Struct):
    records: int
    head: str
    last_journal_seq: int
    checkpoint: AuditCheckpoint | None
    key_id: str
    public_key_pem: str
    retention_years: int
