"""Monitoring is a read model of the journal: windows run on engine time, so replaying the same
journal (at any wall-clock time, any number of times) raises the same alerts with the same ids,
and a restart opens no second case for an alert that already has one."""

from __future__ import annotations

import time
from pathlib import Path

from surveillance_support import DAY, HOUR, Desk, S

from clearhouse.core.commands import decode_envelope
from clearhouse.core.engine import Engine
from clearhouse.journal import read_records
from clearhouse.surveillance.monitor import Monitor
from clearhouse.surveillance.rules import load_rules
from clearhouse.surveillance.service import DEFAULT_RULES_DIR, ComplianceMonitoring
from clearhouse.venue import Venue


def busy_history(desk: Desk) -> None:
    """A bit of everything: structuring, pass-through, shared IP, a dormant reactivation."""
    people = [desk.customer(name) for name in ("Ann", "Ben", "Cat")]
    for who in people:
        for _ in range(3):
            desk.advance(HOUR)
            desk.deposit(who, "USDT", 9_400)
        desk.order(who, 0, "50000", "0.001", ip="198.51.100.9")
    desk.withdraw(people[0], "USDT", 26_000)
    desk.advance(200 * DAY)
    desk.withdraw(people[1], "USDT", 9_000)


def replayed_alerts(data_dir: Path) -> list[object]:
    engine = Engine()
    monitor = Monitor(load_rules(DEFAULT_RULES_DIR))
    for record in read_records(data_dir / "journal"):
        envelope = decode_envelope(record.payload)
        monitor(envelope, engine.apply(envelope))
    return list(monitor.store)


def test_replaying_the_journal_raises_the_same_alerts_with_the_same_ids(tmp_path: Path) -> None:
    desk = Desk(tmp_path)
    busy_history(desk)
    live = desk.alerts()
    desk.close()
    assert {a.rule_id for a in live} >= {
        "aml.structuring", "aml.pass_through", "aml.shared_ip", "aml.dormant_reactivation",
    }  # fmt: skip
    first = replayed_alerts(desk.data_dir)
    time.sleep(0.01)  # the wall clock moved; engine time did not
    second = replayed_alerts(desk.data_dir)
    assert first == second == live


def test_a_window_holds_events_strictly_newer_than_its_length(tmp_path: Path) -> None:
    """Deposits at t, t+12h and t+24h: the first has left a 24 h window when the third lands
    (the window is (t3 - 24h, t3]), so no structuring; one nanosecond less and it is in."""
    for gap_ns, expected in ((12 * HOUR, 0), (12 * HOUR - 1, 1)):
        desk = Desk(tmp_path, data=f"venue-{gap_ns}")
        alice = desk.customer("Alice")
        for _ in range(3):
            desk.deposit(alice, "USDT", 9_500)
            desk.advance(gap_ns)
        assert len(desk.alerts("aml.structuring")) == expected, gap_ns
        desk.close()


def test_a_restart_rebuilds_alerts_and_opens_no_second_case(tmp_path: Path) -> None:
    desk = Desk(tmp_path)
    busy_history(desk)
    assert desk.open_due_cases() >= 2
    cases_before = dict(desk.venue.engine.state.cases.by_key)
    alerts_before = desk.alerts()
    desk.close()
    venue = Venue(desk.data_dir, clock=desk.clock, durable=False, parallel_journal=False)
    monitoring = ComplianceMonitoring.start(venue)
    try:
        assert list(monitoring.alerts) == alerts_before
        assert monitoring.open_due_cases() == 0
        assert dict(venue.engine.state.cases.by_key) == cases_before
    finally:
        monitoring.close()
        venue.close()


def test_monitoring_never_reads_the_wall_clock(tmp_path: Path) -> None:
    """The same commands stamped at a different engine time give alerts at that time."""
    times: list[int] = []
    for start_shift in (0, 10 * DAY):
        desk = Desk(tmp_path, data=f"venue-{start_shift}")
        desk.advance(start_shift)
        alice = desk.customer("Alice")
        for _ in range(3):
            desk.advance(S)
            desk.deposit(alice, "USDT", 9_500)
        (alert,) = desk.alerts("aml.structuring")
        times.append(alert.time_ns - desk.clock.now_ns)
        desk.close()
    assert times == [0, 0]
