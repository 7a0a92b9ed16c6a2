"""A look-back applies a rule to history: it replays the journal through the rule, reports what
it finds, raises those alerts (opening cases at the threshold), is audited with the rule file's
hash, and its findings survive a restart."""

from __future__ import annotations

from pathlib import Path

import pytest
from surveillance_support import HOUR, REPO_RULES, Desk, repo_rule

from clearhouse.surveillance.rules import RuleError
from clearhouse.surveillance.service import ComplianceMonitoring
from clearhouse.venue import Venue


def structured_history(desk: Desk) -> int:
    alice = desk.customer("Alice")
    for _ in range(3):
        desk.advance(HOUR)
        desk.deposit(alice, "USDT", 9_500)
    return alice.party


def test_a_new_rule_run_over_history_finds_what_happened_before_it_existed(
    tmp_path: Path,
) -> None:
    desk = Desk(tmp_path, repo_rule(tmp_path, "aml/dormant.toml"))  # no structuring rule live
    party = structured_history(desk)
    assert desk.alerts() == []
    candidate = (REPO_RULES / "aml" / "structuring.toml").read_text()
    report = desk.monitoring.lookback("mlro", "FinCEN advisory", candidate=candidate)
    assert report.candidate and report.records == desk.venue.engine.state.seq
    (alert,) = report.alerts
    assert alert.rule_id == "aml.structuring" and alert.subject_party == party
    assert alert.origin == f"lookback:{report.run_id}"
    assert report.new_alerts == 1 and desk.alerts("aml.structuring") == [alert]
    assert desk.open_due_cases() == 1  # high severity: a case, detected at the historic time
    (case,) = desk.venue.engine.state.cases.cases.values()
    assert case.detected_at_ns == alert.time_ns
    (record,) = [r for r in desk.monitoring.audit.records() if r["action"] == "lookback_run"]
    assert (record["actor"], record["reason"]) == ("mlro", "FinCEN advisory")
    assert record["detail"]["rule_versions"] == {"aml.structuring": alert.rule_version}
    assert record["detail"]["alert_ids"] == [alert.alert_id]
    desk.close()

    venue = Venue(desk.data_dir, clock=desk.clock, durable=False, parallel_journal=False)
    again = ComplianceMonitoring.start(venue, rules_dir=tmp_path / "rules")
    try:
        assert [a.alert_id for a in again.alerts] == [alert.alert_id]
        assert again.open_due_cases() == 0
    finally:
        again.close()
        venue.close()


def test_a_look_back_with_a_loaded_rule_finds_nothing_new(tmp_path: Path) -> None:
    desk = Desk(tmp_path)
    structured_history(desk)
    live = desk.alerts("aml.structuring")
    report = desk.monitoring.lookback("mlro", "periodic", rule_ids=["aml.structuring"])
    assert [a.alert_id for a in report.alerts] == [a.alert_id for a in live]
    assert report.new_alerts == 0
    desk.close()


def test_a_look_back_refuses_a_rule_that_does_not_validate(tmp_path: Path) -> None:
    desk = Desk(tmp_path)
    with pytest.raises(RuleError, match="severity"):
        desk.monitoring.lookback("mlro", "x", candidate='[[rule]]\nid = "x"\ntitle = "t"\n')
    with pytest.raises(RuleError, match="unknown rule ids"):
        desk.monitoring.lookback("mlro", "x", rule_ids=["aml.nope"])
    desk.close()
