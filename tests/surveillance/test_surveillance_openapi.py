"""Schemathesis over the compliance routes of the served OpenAPI document: valid and invalid
input, no server error, every response as documented (status, content type, body schema)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from monitoring_server import TOKEN, Server
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from clearhouse.api import openapi
from clearhouse.api.admin import cases as admin_cases

MAX_EXAMPLES = 8
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with Server(tmp_path_factory.mktemp("fuzz") / "venue") as live:
        admin = live.admin()
        body = {"name": "Fuzz", "email": "f@example.com", "country": "DE", "kyc_tier": 2}
        uid = admin.ok("POST", "/users", json=body)["uid"]
        for _ in range(3):  # an alert, a case and a SAR to find
            admin.ok("POST", "/deposits", json={"uid": uid, "currency": "USDT", "amount": "9500"})
        case = admin.eventually("GET", "/cases", lambda cases: bool(cases))[0]
        admin.ok("POST", f"/cases/{case['case_id']}/sar", json={"rationale": "x" * 40})
        yield live


@pytest.fixture(scope="module")
def session() -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {TOKEN}"
    session.headers["X-Actor"] = "fuzzer"
    return session


@pytest.fixture(scope="module")
def api_schema(server: Server) -> Any:
    return schemathesis.openapi.from_url(server.url + "/api/v4/openapi.json")


def _cases() -> list[tuple[str, GenerationMode]]:
    document = openapi.document(admin_cases.endpoints())
    out = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            label = f"{method.upper()} {path}"
            out.append((label, GenerationMode.POSITIVE))
            if operation["parameters"] or "requestBody" in operation:
                out.append((label, GenerationMode.NEGATIVE))
    return out


@pytest.mark.parametrize(("label", "mode"), _cases())
def test_every_compliance_route_answers_as_documented(
    label: str, mode: GenerationMode, api_schema: Any, server: Server, session: requests.Session
) -> None:
    operation = api_schema.find_operation_by_label(label)
    assert operation is not None, f"{label} is not in the served document"

    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis_settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def check(case: Any) -> None:
        case.call_and_validate(base_url=server.url, session=session, checks=CHECKS)

    check()


def test_successful_compliance_responses_match_the_document(
    server: Server, api_schema: Any
) -> None:
    admin = server.admin()
    seen: set[str] = set()

    def call(method: str, path: str, template: str | None = None, **kwargs: Any) -> Any:
        response = admin.request(method, path, **kwargs)
        assert response.status_code < 300, (path, response.text)
        label = f"{method} /api/ch/v1/admin{template or path}"
        api_schema.find_operation_by_label(label).validate_response(response)
        seen.add(label)
        return response.json()

    case_id = call("POST", "/cases", json={"title": "Scripted", "severity": "low"})["case_id"]
    one = "/cases/{case_id}"
    for method, suffix, body in [
        ("GET", "", None),
        ("POST", "/update", {"status": "investigating", "note": "looking"}),
        ("POST", "/sar", {"rationale": "y" * 40}),
        ("GET", "/sar", None),
        ("POST", "/sar/submission", {"reference": "BSA-1"}),
        ("POST", "/close", {"disposition": "sar_submitted", "rationale": "z" * 40}),
    ]:
        call(method, f"/cases/{case_id}{suffix}", one + suffix, json=body)
    call("GET", "/cases")
    call("GET", "/alerts")
    call("GET", "/rules")
    call("GET", "/sars", params={"format": "csv"})
    call("GET", "/kpis")
    call("GET", "/audit")
    call("PUT", "/case_policy", json={"sar_deadline_days": 30, "investigation_sla_days": 30})
    call("POST", "/alerts/lookback", json={"rule_ids": ["aml.structuring"]})
    documented = {label for label, _ in _cases()}
    assert seen == documented, documented - seen


def test_the_document_names_the_compliance_routes(server: Server, tmp_path: Path) -> None:
    paths = requests.get(server.url + "/api/v4/openapi.json", timeout=10).json()["paths"]
    for path in ("/api/ch/v1/admin/alerts", "/api/ch/v1/admin/cases/{case_id}/close",
                 "/api/ch/v1/admin/kpis", "/api/ch/v1/admin/audit"):  # fmt: skip
        assert path in paths
