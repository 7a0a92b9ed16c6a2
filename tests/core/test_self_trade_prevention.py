"""Self-trade prevention: orders with one beneficial owner (across a master and its sub-accounts),
or in one STP group, never trade with each other. The taker's stp_act decides who dies:
cn (cancel newest: the taker), co (cancel oldest: the maker), cb (both)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from core_harness import BTC_USDT, Venue, closed, of_type, trades

from clearhouse.core.book import BUY, FOK, IOC, SELL, STP_CB, STP_CN, STP_CO
from clearhouse.core.commands import PlaceOrder, SetStpGroup
from clearhouse.core.errors import FOK_NOT_FILL
from clearhouse.core.events import Event, OrderAccepted


@dataclass
class Family:
    venue: Venue
    alice: int  # Alice's master account
    alice_sub: int  # Alice's sub-account, Alice the beneficial owner
    carol_sub: int  # a sub-account of Alice's run for Carol, Carol the beneficial owner
    bob: int
    dan: int  # Bob and Dan are unrelated people in STP group 7
    erin: int  # an outsider


@pytest.fixture
def family() -> Family:
    venue = Venue()
    alice_party = venue.party("Alice")
    carol_party = venue.party("Carol")
    alice = venue.account(alice_party)
    alice_sub = venue.account(alice_party, parent=alice)
    carol_sub = venue.account(alice_party, parent=alice, beneficial_owner=carol_party)
    bob = venue.trader("Bob")
    dan = venue.trader("Dan")
    erin = venue.trader("Erin")
    for account in (alice, alice_sub, carol_sub, bob, dan, erin):
        venue.fund(account, USDT=100_000, BTC=2)
    venue.ok(SetStpGroup(bob, 7))
    venue.ok(SetStpGroup(dan, 7))
    return Family(venue, alice, alice_sub, carol_sub, bob, dan, erin)


def taker_id(events: list[Event]) -> int:
    return int(of_type(events, OrderAccepted)[0].order_id)


def test_cn_cancels_the_taker_and_keeps_the_resting_order(family: Family) -> None:
    venue = family.venue
    maker = venue.place(family.alice, SELL, "60000", "0.1")
    events = venue.ok(venue.limit(family.alice_sub, BUY, "60000", "0.1", stp_act=STP_CN))
    assert trades(events) == []
    assert closed(events) == {taker_id(events): "stp"}
    assert [o[0] for o in venue.resting()] == [maker]
    assert venue.available(family.alice_sub, "USDT") == venue.quote("100000")  # hold returned


def test_co_cancels_the_resting_order_and_the_taker_goes_on(family: Family) -> None:
    venue = family.venue
    own = venue.place(family.alice, SELL, "60000", "0.1")
    other = venue.place(family.erin, SELL, "60000", "0.1")
    events = venue.ok(venue.limit(family.alice_sub, BUY, "60000", "0.1", stp_act=STP_CO))
    assert closed(events)[own] == "stp"
    assert [t.maker_order for t in trades(events)] == [other]
    assert venue.held(family.alice, "BTC") == 0
    assert venue.available(family.alice, "BTC") == venue.base("2")


def test_cb_cancels_both(family: Family) -> None:
    venue = family.venue
    own = venue.place(family.alice, SELL, "60000", "0.1")
    venue.place(family.erin, SELL, "60000", "0.1")
    events = venue.ok(venue.limit(family.alice_sub, BUY, "60000", "0.1", stp_act=STP_CB))
    assert closed(events) == {own: "stp", taker_id(events): "stp"}
    assert trades(events) == []
    assert venue.held(family.alice, "BTC") == 0 and venue.held(family.alice_sub, "USDT") == 0


def test_a_taker_stopped_after_partial_fills_keeps_its_trades_and_rests_nothing(
    family: Family,
) -> None:
    venue = family.venue
    venue.place(family.erin, SELL, "60000", "0.1")
    venue.place(family.alice, SELL, "60001", "0.1")
    events = venue.ok(venue.limit(family.alice_sub, BUY, "60002", "0.3"))
    assert sum(t.size_lots for t in trades(events)) == venue.size("0.1")
    assert closed(events)[taker_id(events)] == "stp"
    assert all(o[1] == SELL for o in venue.resting())
    assert venue.held(family.alice_sub, "USDT") == 0


def test_the_same_beneficial_owner_on_the_same_account_is_stopped_too(family: Family) -> None:
    venue = family.venue
    venue.place(family.alice, SELL, "60000", "0.1")
    events = venue.ok(venue.limit(family.alice, BUY, "60000", "0.1"))
    assert trades(events) == [] and list(closed(events).values()) == ["stp"]


def test_a_sub_account_with_another_beneficial_owner_trades_with_its_master(
    family: Family,
) -> None:
    venue = family.venue
    venue.place(family.alice, SELL, "60000", "0.1")
    events = venue.ok(venue.limit(family.carol_sub, BUY, "60000", "0.1"))
    assert len(trades(events)) == 1


def test_an_stp_group_stops_unrelated_people_in_it(family: Family) -> None:
    venue = family.venue
    maker = venue.place(family.bob, SELL, "60000", "0.1")
    events = venue.ok(venue.limit(family.dan, BUY, "60000", "0.1"))
    assert trades(events) == [] and list(closed(events).values()) == ["stp"]
    assert [o[0] for o in venue.resting()] == [maker]


def test_people_outside_any_stp_group_trade_freely(family: Family) -> None:
    venue = family.venue
    venue.place(family.erin, SELL, "60000", "0.1")
    events = venue.ok(venue.limit(family.alice, BUY, "60000", "0.1"))
    assert len(trades(events)) == 1


def test_stp_by_group_and_by_owner_apply_to_market_orders(family: Family) -> None:
    venue = family.venue
    venue.place(family.bob, SELL, "60000", "0.1")
    buy = PlaceOrder(family.dan, BTC_USDT, BUY, 0, 0, tif=IOC, quote_units=venue.quote("1000"))
    events = venue.ok(buy)
    assert trades(events) == [] and list(closed(events).values()) == ["stp"]
    venue.place(family.alice, BUY, "59000", "0.1")
    sell = PlaceOrder(family.alice_sub, BTC_USDT, SELL, 0, venue.size("0.1"), tif=IOC)
    events = venue.ok(sell)
    assert trades(events) == [] and list(closed(events).values()) == ["stp"]


def test_a_fok_order_blocked_by_its_own_order_is_rejected_and_changes_nothing(
    family: Family,
) -> None:
    venue = family.venue
    venue.place(family.erin, SELL, "60000", "0.1")
    venue.place(family.alice, SELL, "60000", "0.1")
    venue.place(family.erin, SELL, "60000", "0.1")
    command = venue.limit(family.alice_sub, BUY, "60000", "0.2", tif=FOK)
    assert venue.reject(command) == FOK_NOT_FILL


def test_a_fok_order_with_co_skips_its_own_order_and_cancels_it(family: Family) -> None:
    venue = family.venue
    venue.place(family.erin, SELL, "60000", "0.1")
    own = venue.place(family.alice, SELL, "60000", "0.1")
    venue.place(family.erin, SELL, "60000", "0.1")
    events = venue.ok(venue.limit(family.alice_sub, BUY, "60000", "0.2", tif=FOK, stp_act=STP_CO))
    assert sum(t.size_lots for t in trades(events)) == venue.size("0.2")
    assert closed(events)[own] == "stp"


def test_a_fok_order_cannot_count_iceberg_lots_that_requeue_behind_its_own_order(
    family: Family,
) -> None:
    # The iceberg shows 0.1 and then goes to the back, behind Alice's own order: a FOK buy of
    # 0.2 by Alice's sub-account would take 0.1 and be stopped by STP. It must not trade at all.
    venue = family.venue
    venue.place(family.erin, SELL, "60000", "0.5", display_lots=venue.size("0.1"))
    venue.place(family.alice, SELL, "60000", "0.1")
    command = venue.limit(family.alice_sub, BUY, "60000", "0.2", tif=FOK)
    assert venue.reject(command) == FOK_NOT_FILL
    budget = venue.quote("12000")
    market = PlaceOrder(family.alice_sub, BTC_USDT, BUY, 0, 0, tif=FOK, quote_units=budget)
    assert venue.reject(market) == FOK_NOT_FILL
    # 0.1 is within the visible slice: that one fills
    events = venue.ok(venue.limit(family.alice_sub, BUY, "60000", "0.1", tif=FOK))
    assert sum(t.size_lots for t in trades(events)) == venue.size("0.1")


def test_resting_orders_keep_the_stp_group_they_were_placed_with(family: Family) -> None:
    venue = family.venue
    maker = venue.place(family.bob, SELL, "60000", "0.1")
    venue.ok(SetStpGroup(family.bob, 0))
    events = venue.ok(venue.limit(family.dan, BUY, "60000", "0.1"))
    assert trades(events) == []  # the maker still carries group 7
    assert [o[0] for o in venue.resting()] == [maker]
