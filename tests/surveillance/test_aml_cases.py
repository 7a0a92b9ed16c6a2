"""Cases are engine state changed by journaled commands: alerts above the severity threshold open
them, a case cannot close without a disposition and a rationale (refused with a label, nothing
changed), and a SAR is a case state with a deadline counted from detection and an export."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from surveillance_support import DAY, HOUR, MLRO, Customer, Desk

from clearhouse.audit.kpis import iso_time
from clearhouse.core import canonical
from clearhouse.core.cases import NS_PER_DAY
from clearhouse.core.commands import (
    CloseCase,
    Facts,
    FileSar,
    OpenCase,
    SetCasePolicy,
    SubmitSar,
    UpdateCase,
)
from clearhouse.core.events import CaseClosed, CommandRejected, Event, SarSubmitted
from clearhouse.surveillance import sar
from clearhouse.surveillance.case_opener import ACTOR
from clearhouse.venue import replay_state_hash

RATIONALE = "Payslips and the employer's letter explain every deposit."


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    desk = Desk(tmp_path)
    yield desk
    desk.close()


def structure(desk: Desk, who: Customer) -> None:
    for _ in range(3):
        desk.advance(HOUR)
        desk.deposit(who, "USDT", 9_500)


def refused(desk: Desk, command: Any, facts: Facts = MLRO) -> str:
    """Submit a command that must be refused and prove it changed no case."""
    before = canonical.dump(desk.venue.engine.state)["cases"]
    events = desk.submit(command, facts)
    assert len(events) == 1 and type(events[0]) is CommandRejected, events
    assert canonical.dump(desk.venue.engine.state)["cases"] == before
    return events[0].label


def opened_case(desk: Desk) -> int:
    alice = desk.customer("Alice")
    structure(desk, alice)
    assert desk.open_due_cases() == 1
    (case_id,) = desk.venue.engine.state.cases.cases
    return case_id


# --- opening -------------------------------------------------------------------------------------
def test_a_high_severity_alert_opens_a_case_attributed_to_surveillance(desk: Desk) -> None:
    alice = desk.customer("Alice")
    structure(desk, alice)
    (alert,) = desk.alerts("aml.structuring")
    assert desk.open_due_cases() == 1
    (case,) = desk.venue.engine.state.cases.cases.values()
    assert (case.status, case.severity, case.subject_party) == ("open", "high", alice.party)
    assert case.alert_ids == [alert.alert_id] and case.key == "alert:" + alert.alert_id
    assert case.detected_at_ns == alert.time_ns and case.opened_by == ACTOR
    assert case.rule_version == alert.rule_version
    assert desk.open_due_cases() == 0  # once per alert


def test_a_medium_alert_does_not_open_a_case_by_itself(desk: Desk) -> None:
    for name in ("Ann", "Ben", "Cat"):
        who = desk.customer(name)
        desk.deposit(who, "USDT", 1_000)
        desk.order(who, 0, "50000", "0.001", ip="198.51.100.7")
    assert desk.alerts("aml.shared_ip")
    assert desk.open_due_cases() == 0


def test_opening_a_case_twice_for_one_alert_changes_nothing(desk: Desk) -> None:
    command = OpenCase("Manual referral", "low", key="referral-1")
    desk.ok(command, MLRO)
    before = canonical.dump(desk.venue.engine.state)["cases"]
    (event,) = desk.ok(command, MLRO)
    assert type(event).__name__ == "AlreadyApplied"
    assert canonical.dump(desk.venue.engine.state)["cases"] == before


# --- closing -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("disposition", "rationale"),
    [("", RATIONALE), ("false_positive", ""), ("false_positive", "ok"), ("whatever", RATIONALE)],
    ids=["no disposition", "no rationale", "a one-word rationale", "a made-up disposition"],
)
def test_a_case_cannot_close_without_disposition_and_rationale(
    desk: Desk, disposition: str, rationale: str
) -> None:
    case_id = opened_case(desk)
    label = refused(desk, CloseCase(case_id, disposition, rationale))
    assert label == "INVALID_PARAM_VALUE"
    assert desk.venue.engine.state.cases.cases[case_id].status == "open"


def test_a_case_action_needs_an_actor(desk: Desk) -> None:
    case_id = opened_case(desk)
    anonymous = Facts(channel="admin", ip="127.0.0.1")
    assert refused(desk, CloseCase(case_id, "no_suspicion", RATIONALE), anonymous) == "FORBIDDEN"


def test_a_closed_case_records_who_closed_it_why_and_stays_closed(desk: Desk) -> None:
    case_id = opened_case(desk)
    desk.ok(UpdateCase(case_id, "investigating", assignee="kim", note="asked for payslips"), MLRO)
    events = desk.ok(CloseCase(case_id, "no_suspicion", RATIONALE), MLRO)
    assert CaseClosed(case_id, "no_suspicion", "mlro") in events
    case = desk.venue.engine.state.cases.cases[case_id]
    assert (case.status, case.disposition, case.rationale) == ("closed", "no_suspicion", RATIONALE)
    assert [entry[2:4] for entry in case.history] == [
        (ACTOR, "opened"),
        ("mlro", "updated: status investigating, assigned to kim"),
        ("mlro", "closed: no_suspicion"),
    ]
    assert refused(desk, UpdateCase(case_id, note="reopen?")) == "CASE_STATE"
    assert refused(desk, FileSar(case_id, RATIONALE)) == "CASE_STATE"


# --- SAR -----------------------------------------------------------------------------------------
def test_a_sar_decision_sets_the_deadline_from_detection(desk: Desk) -> None:
    case_id = opened_case(desk)
    desk.advance(5 * DAY)
    desk.ok(FileSar(case_id, RATIONALE), MLRO)
    case = desk.venue.engine.state.cases.cases[case_id]
    assert case.status == "sar"
    assert case.sar_deadline_ns == case.detected_at_ns + 30 * NS_PER_DAY


def test_the_sar_deadline_is_configurable_and_applies_to_later_decisions(desk: Desk) -> None:
    case_id = opened_case(desk)
    desk.ok(SetCasePolicy(sar_deadline_days=10, investigation_sla_days=15), MLRO)
    desk.ok(FileSar(case_id, RATIONALE), MLRO)
    case = desk.venue.engine.state.cases.cases[case_id]
    assert case.sar_deadline_ns == case.detected_at_ns + 10 * NS_PER_DAY


def test_a_sar_case_closes_only_after_submission_and_a_late_one_says_so(desk: Desk) -> None:
    case_id = opened_case(desk)
    desk.ok(FileSar(case_id, RATIONALE), MLRO)
    assert refused(desk, CloseCase(case_id, "no_suspicion", RATIONALE)) == "CASE_STATE"
    desk.advance(31 * DAY)
    events: list[Event] = desk.ok(SubmitSar(case_id, "BSA-2025-000123"), MLRO)
    assert SarSubmitted(case_id, "BSA-2025-000123", True, "mlro") in events
    assert refused(desk, CloseCase(case_id, "no_suspicion", RATIONALE)) == "INVALID_PARAM_VALUE"
    desk.ok(CloseCase(case_id, "sar_submitted", RATIONALE), MLRO)


def test_sar_exports_carry_the_case_subject_alerts_deadline_and_a_checksum(desk: Desk) -> None:
    case_id = opened_case(desk)
    desk.ok(FileSar(case_id, RATIONALE), MLRO)
    state = desk.venue.engine.state
    case = state.cases.cases[case_id]
    data, digest = sar.export_json(state, [case], desk.monitoring.alerts)
    assert hashlib.sha256(data).hexdigest() == digest
    (report,) = json.loads(data)["reports"]
    assert report["subject"]["name"] == "Alice" and report["subject"]["country"] == "DE"
    assert report["sar_deadline"] == iso_time(case.detected_at_ns + 30 * NS_PER_DAY)
    assert report["alerts"][0]["rule_id"] == "aml.structuring"
    assert report["alerts"][0]["evidence"]["value"] == 3
    assert [h["action"] for h in report["history"]] == ["opened", "sar decided"]
    data, digest = sar.export_csv(state, [case])
    assert hashlib.sha256(data).hexdigest() == digest
    (row,) = csv.DictReader(io.StringIO(data.decode()))
    assert row["case_id"] == str(case_id) and row["status"] == "sar"
    assert row["sar_deadline"] == report["sar_deadline"] and row["subject_name"] == "Alice"


def test_cases_replay_bit_for_bit_with_the_engine(desk: Desk) -> None:
    case_id = opened_case(desk)
    desk.ok(UpdateCase(case_id, "investigating", note="looking"), MLRO)
    desk.ok(FileSar(case_id, RATIONALE), MLRO)
    desk.venue.snapshot()
    restored = canonical.load(canonical.encode(desk.venue.engine.state))
    assert canonical.state_hash(restored) == desk.venue.state_hash()
    assert replay_state_hash(desk.data_dir)[1] == desk.venue.state_hash()
    assert msgspec.json.decode(canonical.encode(restored))["cases"][3][0][0] == case_id
