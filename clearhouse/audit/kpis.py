"""Compliance KPIs, computed from the system of record and exported with a checksum.

Inputs are only the engine state (parties, accounts, cases: rebuilt from the journal), the
alerts (rebuilt from the journal by the monitor) and the audit log's head. There is no input
for a number: a KPI cannot be overridden, only recomputed. Every export names what it was
computed from (journal seq, state hash, audit head, rule set version) and carries the SHA-256
of its own bytes, so a copy that was edited on its way to the board does not verify.

Time is the engine's: `as_of_ns` defaults to the last journaled command's time; the admin API
passes the venue clock, and the export records which it used.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from clearhouse.core.canonical import state_hash
from clearhouse.core.cases import (
    CLOSED,
    DISPOSITIONS,
    INVESTIGATING,
    NS_PER_DAY,
    OPEN,
    SAR,
    SAR_SUBMITTED,
)
from clearhouse.core.state import State
from clearhouse.surveillance.alerts import Alert
from clearhouse.surveillance.rules import SEVERITY_RANK

KPI_FORMAT: Final = "clearhouse-kpis/1"
CHECKSUM_PREFIX: Final = "# sha256 "
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def iso_time(time_ns: int) -> str:
    return (_EPOCH + timedelta(microseconds=time_ns // 1_000)).isoformat().replace("+00:00", "Z")


def ratio_text(part: int, whole: int) -> str:
    """part/whole to 4 decimals, rounded down, as text (no float in a report)."""
    if whole == 0:
        return "n/a"
    scaled = part * 10_000 // whole
    return f"{scaled // 10_000}.{scaled % 10_000:04d}"


def compute_kpis(
    state: State,
    alerts: Iterable[Alert],
    *,
    audit_records: int,
    audit_head: str,
    rules_version: str,
    open_case_at: str,
    as_of_ns: int | None = None,
) -> dict[str, Any]:
    now = state.time_ns if as_of_ns is None else max(as_of_ns, state.time_ns)
    book = state.cases
    cases = list(book.cases.values())
    cased_alerts = {a for c in cases for a in c.alert_ids}
    open_alert_ids = {a for c in cases if c.status != CLOSED for a in c.alert_ids}
    threshold = SEVERITY_RANK[open_case_at]
    alert_list = list(alerts)
    by_severity = {name: 0 for name in SEVERITY_RANK}
    for alert in alert_list:
        by_severity[alert.severity] += 1
    due = [a for a in alert_list if a.rank >= threshold]
    # parties that own accounts or are their beneficial owners: the customers
    customers = {a.owner for a in state.accounts.values()} | {
        a.beneficial_owner for a in state.accounts.values()
    }
    verified = {p for p in customers if p in state.parties and state.parties[p].kyc_tier >= 1}
    accounts_verified = sum(
        1
        for a in state.accounts.values()
        if a.beneficial_owner in state.parties and state.parties[a.beneficial_owner].kyc_tier >= 1
    )
    status_count = {
        s: sum(1 for c in cases if c.status == s)
        for s in (OPEN, INVESTIGATING, SAR, SAR_SUBMITTED, CLOSED)
    }
    active = [c for c in cases if c.status in (OPEN, INVESTIGATING)]
    sla_ns = book.investigation_sla_days * NS_PER_DAY
    oldest_active_days = max(((now - c.opened_at_ns) // NS_PER_DAY for c in active), default=0)
    sars = [c for c in cases if c.sar_filed_at_ns]
    return {
        "format": KPI_FORMAT,
        "as_of": {
            "seq": state.seq,
            "time": iso_time(now),
            "time_ns": now,
            "engine_time_ns": state.time_ns,
            "state_hash": state_hash(state),
            "audit_records": audit_records,
            "audit_head": audit_head,
            "rules_version": rules_version,
        },
        "kyc": {
            "customers": len(customers),
            "verified": len(verified),
            "unverified": len(customers) - len(verified),
            "coverage": ratio_text(len(verified), len(customers)),
            "accounts": len(state.accounts),
            "accounts_with_verified_beneficial_owner": accounts_verified,
        },
        "alerts": {
            "total": len(alert_list),
            **{f"severity_{name}": count for name, count in by_severity.items()},
            "case_threshold": open_case_at,
            "at_or_above_threshold": len(due),
            "backlog_without_case": sum(1 for a in due if a.alert_id not in cased_alerts),
            "in_active_cases": sum(1 for a in alert_list if a.alert_id in open_alert_ids),
        },
        "cases": {
            "total": len(cases),
            **{f"status_{status}": count for status, count in status_count.items()},
            **{
                f"closed_{d}": sum(1 for c in cases if c.status == CLOSED and c.disposition == d)
                for d in DISPOSITIONS
            },
            "oldest_active_days": oldest_active_days,
        },
        "sla": {
            "investigation_sla_days": book.investigation_sla_days,
            "active_cases_past_sla": sum(1 for c in active if now - c.opened_at_ns > sla_ns),
            "sar_deadline_days": book.sar_deadline_days,
            "sars_overdue": sum(1 for c in cases if c.status == SAR and now > c.sar_deadline_ns),
            "sars_submitted_late": sum(
                1 for c in sars if c.sar_submitted_at_ns > c.sar_deadline_ns
            ),
        },
        "sar": {
            "decided": len(sars),
            "submitted": sum(1 for c in sars if c.sar_submitted_at_ns),
            "awaiting_submission": status_count[SAR],
        },
    }


# --- exports ------------------------------------------------------------------------------------
def _canonical(document: dict[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def export_json(kpis: dict[str, Any]) -> tuple[bytes, str]:
    """The KPI document with `checksum` = SHA-256 of its canonical form without the checksum."""
    digest = hashlib.sha256(_canonical(kpis)).hexdigest()
    return _canonical({**kpis, "checksum": f"sha256:{digest}"}), digest


def verify_json(data: bytes) -> bool:
    document = json.loads(data)
    claimed = document.pop("checksum", "")
    return bool(claimed == "sha256:" + hashlib.sha256(_canonical(document)).hexdigest())


def rows(kpis: dict[str, Any]) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    for section in sorted(kpis):
        value = kpis[section]
        if isinstance(value, dict):
            out += [(section, name, str(value[name])) for name in sorted(value)]
        else:
            out.append(("", section, str(value)))
    return out


def export_csv(kpis: dict[str, Any]) -> tuple[bytes, str]:
    """`section,metric,value` rows, then a last line `# sha256 <hex>` over everything above."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("section", "metric", "value"))
    writer.writerows(rows(kpis))
    body = buffer.getvalue().encode()
    digest = hashlib.sha256(body).hexdigest()
    return body + f"{CHECKSUM_PREFIX}{digest}\n".encode(), digest


def verify_csv(data: bytes) -> bool:
    body, _, last = data.rstrip(b"\n").rpartition(b"\n")
    text = last.decode()
    if not text.startswith(CHECKSUM_PREFIX):
        return False
    return hashlib.sha256(body + b"\n").hexdigest() == text.removeprefix(CHECKSUM_PREFIX)
