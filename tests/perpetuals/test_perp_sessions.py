"""Gold (XAU_USDT) trades in weekly UTC sessions: Sunday 23:00 to Friday 22:00 with a daily
break at 22:00. Outside a session new orders are refused with a clear error; the index is
recorded but the mark is frozen; funding due while closed is skipped; liquidations and triggers
wait for the reopening and run at once then. Engine time 0 is Thursday 1970-01-01 00:00 UTC."""

from __future__ import annotations

from perp_harness import BTC, XAU, PerpVenue, of_type, ticks

from clearhouse.core import calendar
from clearhouse.core.book import IOC
from clearhouse.core.commands import (
    AdvanceTime,
    CancelContractOrder,
    PlaceContractOrder,
    PlaceContractTrigger,
)
from clearhouse.core.events import (
    ContractPricesUpdated,
    ContractSessionChanged,
    ContractTriggerFired,
    FundingSettled,
    FundingSkipped,
    Liquidated,
)
from clearhouse.core.triggers import RULE_LE

HOUR_NS = 3600 * 10**9
THURSDAY_BREAK = 22 * HOUR_NS + HOUR_NS // 2  # Thursday 22:30
FRIDAY_CLOSE = 46 * HOUR_NS  # Friday 22:00
SUNDAY_OPEN = (3 * 24 + 23) * HOUR_NS  # Sunday 23:00


def _advance_to(v: PerpVenue, time_ns: int) -> list[object]:
    """Tick the clock hour by hour (as the sequencer's AdvanceTime does) up to `time_ns`."""
    events: list[object] = []
    while v.time_ns + HOUR_NS < time_ns:
        events += v.ok(AdvanceTime(), advance_ns=HOUR_NS)
    events += v.ok(AdvanceTime(), advance_ns=time_ns - v.time_ns)
    return events


def test_the_gold_calendar_is_23_hours_a_day_5_days_a_week() -> None:
    minutes_open = sum(
        calendar.is_open(calendar.GOLD_SESSIONS, m * calendar.MINUTE_NS)
        for m in range(calendar.WEEK_MINUTES)
    )
    assert minutes_open == 5 * 23 * 60
    assert calendar.is_open(calendar.GOLD_SESSIONS, 0)  # Thursday 00:00
    assert not calendar.is_open(calendar.GOLD_SESSIONS, THURSDAY_BREAK)
    assert calendar.next_change_ns(calendar.GOLD_SESSIONS, THURSDAY_BREAK) == 23 * HOUR_NS


def test_outside_a_session_new_orders_get_a_clear_error_and_cancels_still_work() -> None:
    v = PerpVenue()
    alice = v.trader("Alice", futures_usdt=100_000)
    v.index("2000", XAU)
    order = v.place(alice, 10, "1990", XAU)
    events = _advance_to(v, THURSDAY_BREAK)
    [closed] = of_type(events, ContractSessionChanged)
    assert (closed.contract, closed.is_open, closed.next_change_ns) == (XAU, False, 23 * HOUR_NS)
    label = v.reject(v.order(alice, 10, "1990", XAU))
    assert label == "MARKET_CLOSED"
    events = v.apply(v.order(alice, 10, "1990", XAU))
    assert "reopens at unix time 82800" in events[0].message  # type: ignore[attr-defined]
    v.ok(CancelContractOrder(alice, XAU, order))
    v.place(alice, 10, "50000")  # crypto trades around the clock


def test_while_closed_the_mark_is_frozen_and_no_premium_is_sampled() -> None:
    v = PerpVenue()
    v.index("2000", XAU)
    _advance_to(v, THURSDAY_BREAK)
    samples = v.market(XAU).premium.count
    [update] = of_type(v.index("1900", XAU), ContractPricesUpdated)
    assert (update.index_ticks, update.mark_ticks) == (ticks("1900", XAU), ticks("2000", XAU))
    assert v.market(XAU).premium.count == samples


def test_funding_due_while_closed_is_skipped_and_resumes_after_the_weekend() -> None:
    v = PerpVenue()
    alice = v.trader("Alice", futures_usdt=100_000)
    bob = v.trader("Bob", futures_usdt=100_000)
    v.index("2000", XAU)
    v.trade(alice, bob, 100, "2000", XAU)
    events = _advance_to(v, SUNDAY_OPEN + 10 * HOUR_NS)
    skipped = [
        e.funding_time_ns // HOUR_NS for e in of_type(events, FundingSkipped) if e.contract == XAU
    ]
    settled = [
        e.funding_time_ns // HOUR_NS for e in of_type(events, FundingSettled) if e.contract == XAU
    ]
    assert skipped == [48, 56, 64, 72, 80, 88]  # Saturday and Sunday, before 23:00
    assert settled == [8, 16, 24, 32, 40, 96, 104]  # Thursday and Friday, then Monday


def test_at_the_reopening_liquidations_and_triggers_run_at_once() -> None:
    v = PerpVenue()
    alice = v.trader("Alice", futures_usdt=100_000)
    bob = v.trader("Bob", futures_usdt=100_000)
    carol = v.trader("Carol", futures_usdt=100_000)
    v.index("2000", XAU)
    v.leverage(alice, 50, XAU)
    v.trade(alice, bob, 1_000, "2000", XAU)  # long 1 oz at 50x
    v.leverage(carol, 2, XAU)
    v.trade(carol, bob, 1_000, "2000", XAU)  # long 1 oz at 2x, with a stop-loss at 1,950
    stop = PlaceContractOrder(carol, XAU, 0, 0, IOC, close=True)
    v.ok(PlaceContractTrigger(carol, XAU, 1, RULE_LE, ticks("1950", XAU), 0, stop))
    _advance_to(v, FRIDAY_CLOSE + HOUR_NS)
    quiet = v.index("1800", XAU)  # the weekend gap shows in the index, nothing else happens
    assert not of_type(quiet, Liquidated) and not of_type(quiet, ContractTriggerFired)
    events = _advance_to(v, SUNDAY_OPEN)
    assert [(e.contract, e.is_open) for e in of_type(events, ContractSessionChanged)] == [
        (XAU, True)
    ]
    assert [e.account for e in of_type(events, Liquidated)] == [alice]
    [fired] = of_type(events, ContractTriggerFired)
    assert fired.account == carol
    # the mark starts again from the weekend's last index (plus the funding basis)
    assert 0 <= v.market(XAU).mark_ticks - ticks("1800", XAU) <= ticks("1800", XAU) // 1000
    assert v.size(alice, XAU) == 0
    assert BTC  # (crypto unaffected by the gold calendar)
