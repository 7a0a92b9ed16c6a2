"""The compliance routes on a live server: alerts raised from admin deposits, the case the
background task opens for them, the case lifecycle with its refusals, SAR exports, look-backs,
KPIs with checksums and the audit log's head, all over HTTP."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from monitoring_server import Admin, Server

from clearhouse.audit import kpis
from clearhouse.surveillance.service import DEFAULT_RULES_DIR

RATIONALE = "The customer's payslips explain every deposit in the window."


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with Server(tmp_path_factory.mktemp("compliance") / "venue") as live:
        yield live


@pytest.fixture(scope="module")
def mlro(server: Server) -> Admin:
    return server.admin()


def structuring(admin: Admin, name: str) -> int:
    """Onboard a verified customer and credit three deposits just below 10,000 USDT."""
    body = {"name": name, "email": "s@example.com", "country": "DE", "kyc_tier": 2}
    uid: int = admin.ok("POST", "/users", json=body)["uid"]
    for _ in range(3):
        admin.ok("POST", "/deposits", json={"uid": uid, "currency": "USDT", "amount": "9500"})
    return uid


def case_for(admin: Admin, uid: int) -> dict[str, Any]:
    cases = admin.eventually("GET", "/cases", lambda body: any(uid in c["accounts"] for c in body))
    return next(c for c in cases if uid in c["accounts"])


def test_an_alert_raises_a_case_that_follows_its_lifecycle(server: Server, mlro: Admin) -> None:
    uid = structuring(mlro, "Alice")
    (alert,) = mlro.ok("GET", "/alerts", params={"uid": uid, "rule_id": "aml.structuring"})
    assert alert["severity"] == "high" and alert["evidence"]["value"] == 3
    case = case_for(mlro, uid)
    assert case["alert_ids"] == [alert["alert_id"]] and case["opened_by"] == "surveillance"
    assert mlro.ok("GET", "/alerts", params={"uid": uid})[0]["case_id"] == case["case_id"]
    path = f"/cases/{case['case_id']}"

    message = mlro.refused("POST", path + "/close", 400, "INVALID_PARAM_VALUE",
                           json={"disposition": "no_suspicion"})  # fmt: skip
    assert "rationale" in message
    mlro.refused("POST", path + "/close", 400, "INVALID_PARAM_VALUE", json={"rationale": RATIONALE})
    assert mlro.ok("GET", path)["status"] == "open"  # nothing changed

    kim = server.admin("kim", "assigned by the MLRO")
    updated = kim.ok("POST", path + "/update", json={"status": "investigating", "assignee": "kim"})
    assert updated["status"] == "investigating" and updated["history"][-1]["actor"] == "kim"
    decided = kim.ok("POST", path + "/sar", json={"rationale": RATIONALE})
    assert decided["status"] == "sar" and decided["sar_deadline"] > decided["detected_at"]
    mlro.refused("POST", path + "/close", 400, "CASE_STATE",
                 json={"disposition": "no_suspicion", "rationale": RATIONALE})  # fmt: skip

    exported = mlro.ok("GET", path + "/sar", params={"format": "csv"})
    assert exported["sha256"] == hashlib.sha256(exported["content"].encode()).hexdigest()
    (row,) = csv.DictReader(io.StringIO(exported["content"]))
    assert row["subject_name"] == "Alice" and row["sar_deadline"] == decided["sar_deadline"]
    everything = mlro.ok("GET", "/sars")
    reports = json.loads(everything["content"])["reports"]
    assert case["case_id"] in [r["case_id"] for r in reports]

    kim.ok("POST", path + "/sar/submission", json={"reference": "BSA-31000123"})
    closed = kim.ok("POST", path + "/close",
                    json={"disposition": "sar_submitted", "rationale": RATIONALE})  # fmt: skip
    assert (closed["status"], closed["disposition"]) == ("closed", "sar_submitted")
    mlro.refused("POST", path + "/update", 400, "CASE_STATE", json={"note": "one more thing"})


def test_cases_opened_by_hand_and_unknown_ones(mlro: Admin) -> None:
    opened = mlro.ok("POST", "/cases", json={"title": "Referral from support", "severity": "low"})
    assert opened["status"] == "open" and opened["opened_by"] == "mlro"
    mlro.refused("POST", "/cases", 400, "INVALID_PARAM_VALUE",
                 json={"title": "x", "severity": "low", "alert_ids": ["abc123"]})  # fmt: skip
    mlro.refused("GET", "/cases/999999", 404, "NOT_FOUND")
    mlro.refused("POST", "/cases/999999/close", 404, "NOT_FOUND",
                 json={"disposition": "no_suspicion", "rationale": RATIONALE})  # fmt: skip
    assert any(c["case_id"] == opened["case_id"] for c in mlro.ok("GET", "/cases?severity=low"))


def test_a_look_back_runs_a_candidate_rule_over_history(server: Server, mlro: Admin) -> None:
    uid = structuring(mlro, "Bob")
    candidate = (DEFAULT_RULES_DIR / "aml" / "structuring.toml").read_text()
    candidate = candidate.replace('id = "aml.structuring"', 'id = "aml.structuring_v2"')
    report = mlro.ok("POST", "/alerts/lookback", json={"rules_toml": candidate})
    assert report["candidate"] and report["records"] == report["to_seq"] > 0
    assert report["rule_ids"] == ["aml.structuring_v2"] and report["new_alerts"] >= 1
    found = mlro.ok("GET", "/alerts", params={"rule_id": "aml.structuring_v2", "uid": uid})
    assert found and found[0]["origin"] == "lookback:" + report["run_id"]
    again = mlro.ok("POST", "/alerts/lookback", json={"rule_ids": ["aml.structuring"]})
    assert again["new_alerts"] == 0 and not again["candidate"]
    mlro.refused("POST", "/alerts/lookback", 400, "INVALID_PARAM_VALUE", json={})
    mlro.refused("POST", "/alerts/lookback", 400, "INVALID_PARAM_VALUE",
                 json={"rules_toml": "[[rule]]\nid = 'x'"})  # fmt: skip


def test_kpis_and_the_audit_head(server: Server, mlro: Admin) -> None:
    structuring(mlro, "Carol")
    document = mlro.ok("GET", "/kpis")
    assert kpis.verify_json(document["content"].encode())
    values = json.loads(document["content"])
    assert values["as_of"]["seq"] <= server.venue.engine.state.seq
    assert values["kyc"]["verified"] >= 1 and values["sar"]["decided"] >= 1
    table = mlro.ok("GET", "/kpis", params={"format": "csv"})
    assert kpis.verify_csv(table["content"].encode()) and table["filename"].endswith(".csv")
    audit = mlro.ok("GET", "/audit")
    assert audit["records"] > 10 and audit["public_key_pem"].startswith("-----BEGIN PUBLIC KEY")
    rules = mlro.ok("GET", "/rules")
    assert {r["rule_id"] for r in rules["rules"]} >= {"aml.structuring", "market.wash_trade"}
    policy = mlro.ok("PUT", "/case_policy",
                     json={"sar_deadline_days": 30, "investigation_sla_days": 20})  # fmt: skip
    assert policy == {"sar_deadline_days": 30, "investigation_sla_days": 20}


def test_every_case_action_is_in_the_audit_log_with_actor_and_reason(
    server: Server, mlro: Admin
) -> None:
    records = list(server.app.state.runtime.monitoring.audit.records())
    by_action = {(r["action"], r["actor"]) for r in records}
    assert {("OpenCase", "surveillance"), ("UpdateCase", "kim"), ("FileSar", "kim"),
            ("CloseCase", "kim"), ("SetCasePolicy", "mlro"), ("lookback_run", "mlro"),
            ("sar_export", "mlro"), ("kpi_export", "mlro")} <= by_action  # fmt: skip
    refused = [r for r in records if r["action"] == "CloseCase" and r["outcome"] != "applied"]
    assert refused and all(r["outcome"].startswith("rejected: ") for r in refused)
    update = next(r for r in records if r["action"] == "UpdateCase")
    assert update["reason"] == "assigned by the MLRO"


def test_a_restarted_server_verifies_its_audit_log(tmp_path: Path) -> None:
    data_dir = tmp_path / "venue"
    with Server(data_dir) as first:
        structuring(first.admin(), "Dan")
        case_for(first.admin(), 10_000_001)
    with Server(data_dir) as second:
        audit = second.admin().ok("GET", "/audit")
        assert audit["checkpoint"] is not None and audit["records"] >= audit["checkpoint"]["n"]
        assert len(second.admin().ok("GET", "/cases")) == 1  # no second case after replay
