"""Compliance KPIs come from the system of record (engine state, alerts rebuilt from the journal,
the audit head), have no input for a number, and are exported as JSON or CSV with a checksum
that fails when any value is changed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from audit_support import Trail

from clearhouse.audit import kpis
from clearhouse.core.cases import NS_PER_DAY
from clearhouse.core.commands import CreditDeposit


def kpis_of(trail: Trail, as_of_ns: int | None = None) -> dict[str, Any]:
    monitoring = trail.monitoring
    return kpis.compute_kpis(
        trail.venue.engine.state,
        monitoring.alerts,
        audit_records=monitoring.audit.count,
        audit_head=monitoring.audit.head,
        rules_version=monitoring.rules.version,
        open_case_at=monitoring.rules.settings.open_case_at,
        as_of_ns=as_of_ns,
    )


def test_kpis_count_kyc_coverage_alerts_cases_slas_and_sars(tmp_path: Path) -> None:
    trail = Trail(tmp_path / "venue")
    trail.busy()
    document = kpis_of(trail)
    assert document["kyc"] == {
        "customers": 2, "verified": 1, "unverified": 1, "coverage": "0.5000", "accounts": 2,
        "accounts_with_verified_beneficial_owner": 1,
    }  # fmt: skip
    assert document["alerts"]["severity_high"] == 1
    assert document["alerts"]["backlog_without_case"] == 0
    assert document["alerts"]["in_active_cases"] == 1  # the SAR case is still open
    cases = document["cases"]
    assert (cases["total"], cases["status_sar"], cases["closed_no_suspicion"]) == (2, 1, 1)
    assert document["sar"] == {"decided": 1, "submitted": 0, "awaiting_submission": 1}
    assert document["sla"]["sars_overdue"] == 0
    later = kpis_of(trail, as_of_ns=trail.venue.engine.state.time_ns + 31 * NS_PER_DAY)
    assert later["sla"]["sars_overdue"] == 1
    assert document["as_of"]["state_hash"] == trail.venue.state_hash()
    assert document["as_of"]["audit_head"] == trail.monitoring.audit.head
    trail.close()


def test_an_alert_above_the_threshold_without_a_case_is_backlog(tmp_path: Path) -> None:
    trail = Trail(tmp_path / "venue")
    alice = trail.busy()
    trail.clock.now_ns += 2 * NS_PER_DAY
    for i in range(3):  # structuring again, and nobody has opened its case yet
        trail.ok(CreditDeposit(alice, "USDT", 9_600 * 10**8, f"again-{i}"))
    assert kpis_of(trail)["alerts"]["backlog_without_case"] == 1
    trail.monitoring.open_due_cases()
    assert kpis_of(trail)["alerts"]["backlog_without_case"] == 0
    trail.close()


def test_exports_carry_a_checksum_that_fails_on_any_change(tmp_path: Path) -> None:
    trail = Trail(tmp_path / "venue")
    trail.busy()
    document = kpis_of(trail)
    data, digest = kpis.export_json(document)
    assert kpis.verify_json(data) and json.loads(data)["checksum"] == f"sha256:{digest}"
    assert kpis.export_json(kpis_of(trail)) == (data, digest)  # same record, same bytes
    edited = json.loads(data)
    edited["sar"]["submitted"] = 1  # a board report that looks better than the truth
    assert not kpis.verify_json(json.dumps(edited).encode())
    text, _ = kpis.export_csv(document)
    assert kpis.verify_csv(text)
    assert b"sar,decided,1\n" in text
    assert not kpis.verify_csv(text.replace(b"sar,submitted,0", b"sar,submitted,1"))
    trail.close()


def test_the_cli_recomputes_the_same_kpis_offline_from_the_data_dir(tmp_path: Path) -> None:
    trail = Trail(tmp_path / "venue")
    trail.busy()
    trail.close()
    online = kpis_of(trail)
    result = subprocess.run(
        [sys.executable, "-m", "clearhouse.cli", "audit", "kpis", str(trail.data_dir)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert kpis.verify_json(result.stdout.strip().encode())
    offline = json.loads(result.stdout)
    del offline["checksum"]
    online["as_of"]["audit_records"] = offline["as_of"]["audit_records"]  # + the close checkpoint
    online["as_of"]["audit_head"] = offline["as_of"]["audit_head"]
    assert offline == online
