"""Spot trigger (price) orders: they wait without holding funds, fire when the last trade price
crosses their level, go through the policy gate and every check of a new order when they fire
(a refusal is recorded on the trigger), expire with the clock, and can be cancelled."""

from __future__ import annotations

import pytest
from core_harness import BTC_USDT, STEP_NS, Venue, of_type, rejection_label

from clearhouse.core.book import BUY, GTC, SELL
from clearhouse.core.commands import (
    AdvanceTime,
    CancelTriggerOrder,
    Command,
    Facts,
    PlaceOrder,
    PlaceTriggerOrder,
)
from clearhouse.core.errors import (
    BALANCE_NOT_ENOUGH,
    INVALID_PARAM_VALUE,
    ORDER_NOT_FOUND,
    TRADE_RESTRICTED,
    Rejected,
)
from clearhouse.core.events import (
    ClockAdvanced,
    Event,
    OrderAccepted,
    TriggerClosed,
    TriggerFired,
    TriggerPlaced,
)
from clearhouse.core.state import State
from clearhouse.core.triggers import RULE_GE, RULE_LE


@pytest.fixture
def venue() -> Venue:
    return Venue()


def trigger(
    venue: Venue,
    account: int,
    rule: int,
    at: str,
    order: PlaceOrder,
    expires_at_ns: int = 0,
) -> PlaceTriggerOrder:
    return PlaceTriggerOrder(account, BTC_USDT, venue.price(at), rule, expires_at_ns, order)


def place_trigger(venue: Venue, command: PlaceTriggerOrder) -> int:
    return int(of_type(venue.ok(command), TriggerPlaced)[0].trigger_id)


def trade_at(venue: Venue, price: str) -> list[Event]:
    """Someone else trades 0.001 BTC at `price`, which becomes the last price."""
    maker = venue.trader(f"Maker{venue.state.seq}", BTC=1)
    taker = venue.trader(f"Taker{venue.state.seq}", USDT=1_000)
    venue.place(maker, SELL, price, "0.001")
    return venue.ok(venue.limit(taker, BUY, price, "0.001"))


def test_a_waiting_trigger_holds_no_funds(venue: Venue) -> None:
    alice = venue.trader("Alice", USDT=10_000)
    stop = venue.limit(alice, BUY, "62000", "0.1")
    place_trigger(venue, trigger(venue, alice, RULE_GE, "61000", stop))
    assert venue.available(alice, "USDT") == venue.quote("10000")
    assert venue.held(alice, "USDT") == 0


def test_a_greater_or_equal_trigger_fires_when_the_last_price_reaches_it(venue: Venue) -> None:
    alice = venue.trader("Alice", USDT=10_000)
    stop = venue.limit(alice, BUY, "62000", "0.1")
    trigger_id = place_trigger(venue, trigger(venue, alice, RULE_GE, "61000", stop))
    assert of_type(trade_at(venue, "60999.99"), TriggerFired) == []
    events = trade_at(venue, "61000")
    (fired,) = of_type(events, TriggerFired)
    assert (fired.trigger_id, fired.reject_label) == (trigger_id, "")
    placed = [e for e in of_type(events, OrderAccepted) if e.account == alice]
    assert [e.order_id for e in placed] == [fired.order_id]
    assert venue.held(alice, "USDT") == venue.quote("6200")  # now it is a resting order


def test_a_less_or_equal_trigger_fires_when_the_last_price_falls_to_it(venue: Venue) -> None:
    alice = venue.trader("Alice", BTC=1)
    stop_loss = venue.limit(alice, SELL, "58000", "0.1")
    place_trigger(venue, trigger(venue, alice, RULE_LE, "59000", stop_loss))
    assert of_type(trade_at(venue, "59000.01"), TriggerFired) == []
    (fired,) = of_type(trade_at(venue, "58999"), TriggerFired)
    assert fired.order_id and not fired.reject_label


def test_a_trigger_fires_only_once(venue: Venue) -> None:
    alice = venue.trader("Alice", USDT=10_000)
    place_trigger(
        venue, trigger(venue, alice, RULE_GE, "61000", venue.limit(alice, BUY, "50000", "0.01"))
    )
    assert len(of_type(trade_at(venue, "61000"), TriggerFired)) == 1
    assert of_type(trade_at(venue, "61000"), TriggerFired) == []


def test_a_trigger_refused_at_firing_for_lack_of_balance_records_the_label(venue: Venue) -> None:
    alice = venue.trader("Alice", USDT=1_000)
    stop = venue.limit(alice, BUY, "62000", "0.1")  # needs 6,200 USDT
    trigger_id = place_trigger(venue, trigger(venue, alice, RULE_GE, "61000", stop))
    events = trade_at(venue, "61000")
    assert rejection_label(events) is None  # the trade that fired it stands
    (fired,) = of_type(events, TriggerFired)
    assert (fired.trigger_id, fired.order_id, fired.reject_label) == (
        trigger_id,
        0,
        BALANCE_NOT_ENOUGH,
    )
    assert not any(isinstance(e, OrderAccepted) and e.account == alice for e in events)
    assert venue.available(alice, "USDT") == venue.quote("1000")
    assert trigger_id not in venue.state.triggers_by_id


def test_a_fired_order_passes_the_policy_gate(venue: Venue) -> None:
    alice = venue.trader("Alice", USDT=10_000)

    def no_trigger_orders(state: State, command: Command, facts: Facts) -> None:
        if facts.channel == "trigger":
            raise Rejected(TRADE_RESTRICTED, "no trigger orders today")

    venue.engine.gate.add_rule(PlaceOrder, no_trigger_orders)
    place_trigger(
        venue, trigger(venue, alice, RULE_GE, "61000", venue.limit(alice, BUY, "50000", "0.01"))
    )
    (fired,) = of_type(trade_at(venue, "61000"), TriggerFired)
    assert fired.reject_label == TRADE_RESTRICTED


def test_a_fired_order_can_fire_the_next_trigger(venue: Venue) -> None:
    alice = venue.trader("Alice", USDT=10_000)
    bob = venue.trader("Bob", USDT=10_000)
    seller = venue.trader("Seller", BTC=1)
    venue.place(seller, SELL, "62000", "0.01")
    # Alice's stop buys at 62,000; that trade moves the last price to 62,000 and fires Bob's
    place_trigger(
        venue, trigger(venue, alice, RULE_GE, "61000", venue.limit(alice, BUY, "62000", "0.01"))
    )
    place_trigger(
        venue, trigger(venue, bob, RULE_GE, "61500", venue.limit(bob, BUY, "50000", "0.01"))
    )
    fired = of_type(trade_at(venue, "61000"), TriggerFired)
    assert [f.account for f in fired] == [alice, bob]
    assert all(f.order_id for f in fired)


def test_a_trigger_expires_when_the_clock_passes_its_expiry(venue: Venue) -> None:
    alice = venue.trader("Alice", USDT=10_000)
    expires = venue.time_ns + 10 * STEP_NS
    order = venue.limit(alice, BUY, "50000", "0.01")
    trigger_id = place_trigger(venue, trigger(venue, alice, RULE_GE, "61000", order, expires))
    assert of_type(venue.apply(AdvanceTime(), advance_ns=STEP_NS), TriggerClosed) == []
    events = venue.apply(AdvanceTime(), advance_ns=10 * STEP_NS)
    assert of_type(events, ClockAdvanced) == [ClockAdvanced(venue.time_ns)]
    (expired,) = of_type(events, TriggerClosed)
    assert (expired.trigger_id, expired.reason) == (trigger_id, "expired")
    assert of_type(trade_at(venue, "61000"), TriggerFired) == []


def test_a_trigger_can_be_cancelled_once_by_its_owner(venue: Venue) -> None:
    alice = venue.trader("Alice", USDT=10_000)
    mallory = venue.trader("Mallory", USDT=10_000)
    order = venue.limit(alice, BUY, "50000", "0.01")
    trigger_id = place_trigger(venue, trigger(venue, alice, RULE_GE, "61000", order))
    assert venue.reject(CancelTriggerOrder(mallory, BTC_USDT, trigger_id)) == ORDER_NOT_FOUND
    (cancelled,) = of_type(venue.ok(CancelTriggerOrder(alice, BTC_USDT, trigger_id)), TriggerClosed)
    assert cancelled.reason == "cancelled"
    assert venue.reject(CancelTriggerOrder(alice, BTC_USDT, trigger_id)) == ORDER_NOT_FOUND
    assert of_type(trade_at(venue, "61000"), TriggerFired) == []


def test_a_trigger_with_an_expiry_in_the_past_is_refused(venue: Venue) -> None:
    alice = venue.trader("Alice", USDT=10_000)
    order = venue.limit(alice, BUY, "50000", "0.01")
    command = trigger(venue, alice, RULE_GE, "61000", order, expires_at_ns=venue.time_ns)
    assert venue.reject(command) == INVALID_PARAM_VALUE


def test_a_malformed_trigger_order_is_refused_when_placed_not_when_fired(venue: Venue) -> None:
    alice = venue.trader("Alice", USDT=10_000)
    market_gtc = PlaceOrder(alice, BTC_USDT, BUY, 0, 0, tif=GTC, quote_units=venue.quote("100"))
    assert venue.reject(trigger(venue, alice, RULE_GE, "61000", market_gtc)) == (
        INVALID_PARAM_VALUE
    )


def test_a_trigger_must_place_an_order_for_its_own_account_and_market(venue: Venue) -> None:
    alice = venue.trader("Alice", USDT=10_000)
    bob = venue.trader("Bob", USDT=10_000)
    bobs_order = venue.limit(bob, BUY, "50000", "0.01")
    assert venue.reject(trigger(venue, alice, RULE_GE, "61000", bobs_order)) == (
        INVALID_PARAM_VALUE
    )


def test_a_triggers_balance_is_checked_only_when_it_fires(venue: Venue) -> None:
    alice = venue.trader("Alice")
    order = venue.limit(alice, BUY, "50000", "0.01")
    place_trigger(venue, trigger(venue, alice, RULE_GE, "61000", order))  # no funds: accepted


def test_a_trigger_past_its_expiry_does_not_fire_on_the_next_trade(venue: Venue) -> None:
    # Nothing happened between the expiry and this trade, so the expiry is processed in the
    # same command as the trade: it must win.
    alice = venue.trader("Alice", USDT=10_000)
    maker = venue.trader("Maker", BTC=1)
    taker = venue.trader("Taker", USDT=1_000)
    venue.place(maker, SELL, "61000", "0.001")
    expires = venue.time_ns + 5 * STEP_NS
    order = venue.limit(alice, BUY, "50000", "0.01")
    trigger_id = place_trigger(venue, trigger(venue, alice, RULE_GE, "61000", order, expires))
    events = venue.apply(venue.limit(taker, BUY, "61000", "0.001"), advance_ns=10 * STEP_NS)
    assert of_type(events, TriggerFired) == []
    assert [(e.trigger_id, e.reason) for e in of_type(events, TriggerClosed)] == [
        (trigger_id, "expired")
    ]
    assert venue.held(alice, "USDT") == 0
