"""Compliance KPIs and the audit log's head under /api/ch/v1/admin.

KPIs are computed on request from the engine state, the alerts and the audit head (there is
nothing to set), exported as JSON or CSV with a SHA-256 inside the export, and every export is
itself an audit record with its checksum.
"""

from __future__ import annotations

from typing import Any, Final

from clearhouse.api.admin import case_shapes as shapes
from clearhouse.api.admin.monitoring_support import export, monitoring_of
from clearhouse.api.endpoint import Call, Endpoint, Handler
from clearhouse.api.rest.common import state_of, venue_now_ns
from clearhouse.audit import kpis
from clearhouse.audit.log import RETENTION_YEARS

ADMIN: Final = "/api/ch/v1/admin"
TAG: Final = "compliance"


async def get_kpis(call: Call) -> shapes.Export:
    query: shapes.ExportQuery = call.query
    monitoring = monitoring_of(call)
    audit = monitoring.audit
    state = state_of(call)
    document = kpis.compute_kpis(
        state,
        monitoring.alerts,
        audit_records=audit.count,
        audit_head=audit.head,
        rules_version=monitoring.rules.version,
        open_case_at=monitoring.rules.settings.open_case_at,
        as_of_ns=venue_now_ns(call),
    )
    data, digest = (kpis.export_csv if query.format == "csv" else kpis.export_json)(document)
    monitoring.record(
        "export", "kpi_export", call.facts.actor, call.facts.reason,
        format=query.format, sha256=digest, as_of_seq=state.seq,
    )  # fmt: skip
    return export(data, query.format, f"kpis-seq-{state.seq}")


async def get_audit(call: Call) -> shapes.AuditView:
    audit = monitoring_of(call).audit
    checkpoints = audit.checkpoints()
    last = checkpoints[-1] if checkpoints else None
    return shapes.AuditView(
        records=audit.count,
        head=audit.head,
        last_journal_seq=audit.last_seq,
        checkpoint=shapes.AuditCheckpoint(
            n=last["n"], head=last["head"], journal_seq=last["journal_seq"],
            time_ns=last["time_ns"], key_id=last["key_id"], signature=last["signature"],
        ) if last else None,
        key_id=audit.signer.key_id,
        public_key_pem=audit.signer.public_pem,
        retention_years=RETENTION_YEARS,
    )  # fmt: skip


def _ep(method: str, path: str, handler: Handler, summary: str, **kwargs: Any) -> Endpoint:
    return Endpoint(method, ADMIN + path, handler, "admin", summary, TAG, **kwargs)


def endpoints() -> list[Endpoint]:
    return [
        _ep("GET", "/kpis", get_kpis, "Compliance KPIs from the system of record, with a checksum",
            query=shapes.ExportQuery, response=shapes.Export),
        _ep("GET", "/audit", get_audit,
            "The audit log's head, last signed checkpoint and public key",
            response=shapes.AuditView),
    ]  # fmt: skip
