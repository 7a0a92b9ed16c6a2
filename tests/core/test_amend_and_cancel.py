"""Amending and cancelling resting orders: what keeps time priority, what loses it, and that the
hold always equals what the order still needs."""

from __future__ import annotations

import pytest
from core_harness import BTC_USDT, ETH_USDT, Venue, closed, of_type, trades

from clearhouse.core.book import BUY, POC, SELL
from clearhouse.core.commands import AmendOrder, CancelAllOrders, CancelOrder, SetMarketTrading
from clearhouse.core.errors import (
    AMOUNT_TOO_LITTLE,
    BALANCE_NOT_ENOUGH,
    INVALID_PARAM_VALUE,
    ORDER_NOT_FOUND,
    POC_FILL_IMMEDIATELY,
    TRADE_RESTRICTED,
)
from clearhouse.core.events import OrderAmended


@pytest.fixture
def venue() -> Venue:
    return Venue()


def amend(venue: Venue, account: int, order: int, price: str = "", amount: str = "") -> AmendOrder:
    return AmendOrder(
        account,
        BTC_USDT,
        order,
        venue.price(price) if price else 0,
        venue.size(amount) if amount else 0,
    )


# --- amend -----------------------------------------------------------------------------------
def test_amending_the_size_down_keeps_time_priority(venue: Venue) -> None:
    alice = venue.trader("Alice", USDT=100_000)
    bob = venue.trader("Bob", USDT=100_000)
    first = venue.place(alice, BUY, "60000", "0.5")
    second = venue.place(bob, BUY, "60000", "0.5")
    events = venue.ok(amend(venue, alice, first, amount="0.2"))
    assert of_type(events, OrderAmended)[0].kept_priority
    assert venue.queue(BUY, "60000") == [first, second]
    assert venue.held(alice, "USDT") == venue.quote("12000")  # 0.2 x 60,000 exactly
    assert venue.available(alice, "USDT") == venue.quote("88000")


def test_amending_the_size_up_loses_time_priority_and_holds_more(venue: Venue) -> None:
    alice = venue.trader("Alice", USDT=100_000)
    bob = venue.trader("Bob", USDT=100_000)
    first = venue.place(alice, BUY, "60000", "0.5")
    second = venue.place(bob, BUY, "60000", "0.5")
    events = venue.ok(amend(venue, alice, first, amount="0.8"))
    assert not of_type(events, OrderAmended)[0].kept_priority
    assert venue.queue(BUY, "60000") == [second, first]
    assert venue.held(alice, "USDT") == venue.quote("48000")


def test_amending_the_price_loses_time_priority_and_adjusts_the_hold(venue: Venue) -> None:
    alice = venue.trader("Alice", USDT=100_000)
    bob = venue.trader("Bob", USDT=100_000)
    first = venue.place(alice, BUY, "60000", "0.5")
    venue.place(bob, BUY, "59000", "0.5")
    later = venue.place(bob, BUY, "59000", "0.5")
    events = venue.ok(amend(venue, alice, first, price="59000"))
    assert not of_type(events, OrderAmended)[0].kept_priority
    assert venue.queue(BUY, "59000")[-1] == first
    assert venue.queue(BUY, "59000")[-2] == later
    assert venue.held(alice, "USDT") == venue.quote("29500")


def test_an_amend_that_crosses_trades_like_a_new_order_under_the_same_id(venue: Venue) -> None:
    alice = venue.trader("Alice", USDT=100_000)
    bob = venue.trader("Bob", BTC=1)
    ask = venue.place(bob, SELL, "60000", "0.2")
    bid = venue.place(alice, BUY, "59000", "0.5")
    events = venue.ok(amend(venue, alice, bid, price="60000"))
    assert [(t.maker_order, t.taker_order) for t in trades(events)] == [(ask, bid)]
    assert venue.resting() == [(bid, BUY, venue.price("60000"), venue.size("0.3"))]
    assert venue.held(alice, "USDT") == venue.quote("18000")


def test_an_amend_up_without_the_funds_is_refused_and_changes_nothing(venue: Venue) -> None:
    alice = venue.trader("Alice", USDT=30_000)
    order = venue.place(alice, BUY, "60000", "0.5")
    assert venue.reject(amend(venue, alice, order, amount="0.51")) == BALANCE_NOT_ENOUGH


def test_an_amend_of_a_post_only_order_that_would_cross_is_refused(venue: Venue) -> None:
    alice = venue.trader("Alice", USDT=100_000)
    bob = venue.trader("Bob", BTC=1)
    venue.place(bob, SELL, "60000", "0.2")
    order = venue.place(alice, BUY, "59000", "0.5", tif=POC)
    assert venue.reject(amend(venue, alice, order, price="60000")) == POC_FILL_IMMEDIATELY
    venue.ok(amend(venue, alice, order, price="59999.99"))


def test_an_amend_below_what_is_already_filled_is_refused(venue: Venue) -> None:
    alice = venue.trader("Alice", USDT=100_000)
    bob = venue.trader("Bob", BTC=1)
    order = venue.place(alice, BUY, "60000", "0.5")
    venue.ok(venue.limit(bob, SELL, "60000", "0.3"))
    assert venue.reject(amend(venue, alice, order, amount="0.3")) == INVALID_PARAM_VALUE
    events = venue.ok(amend(venue, alice, order, amount="0.4"))  # 0.1 left to fill
    assert of_type(events, OrderAmended)[0].remaining_lots == venue.size("0.1")
    assert venue.held(alice, "USDT") == venue.quote("6000")


def test_an_amend_below_the_minimum_order_value_is_refused(venue: Venue) -> None:
    alice = venue.trader("Alice", USDT=100_000)
    order = venue.place(alice, BUY, "60000", "0.5")
    assert venue.reject(amend(venue, alice, order, amount="0.00001")) == AMOUNT_TOO_LITTLE


def test_nobody_can_amend_or_cancel_another_accounts_order(venue: Venue) -> None:
    alice = venue.trader("Alice", USDT=100_000)
    mallory = venue.trader("Mallory", USDT=100_000)
    order = venue.place(alice, BUY, "60000", "0.5")
    assert venue.reject(amend(venue, mallory, order, amount="0.1")) == ORDER_NOT_FOUND
    assert venue.reject(CancelOrder(mallory, BTC_USDT, order)) == ORDER_NOT_FOUND


def test_an_amend_while_trading_is_suspended_is_refused(venue: Venue) -> None:
    alice = venue.trader("Alice", USDT=100_000)
    bob = venue.trader("Bob", BTC=1)
    venue.place(bob, SELL, "60000", "0.2")
    order = venue.place(alice, BUY, "59000", "0.5")
    venue.ok(SetMarketTrading(BTC_USDT, False))
    # re-pricing would trade against Bob while the market is halted
    assert venue.reject(amend(venue, alice, order, price="60000")) == TRADE_RESTRICTED
    venue.ok(CancelOrder(alice, BTC_USDT, order))  # cancelling is always allowed


# --- cancel ----------------------------------------------------------------------------------
def test_cancelling_an_order_returns_its_whole_hold(venue: Venue) -> None:
    alice = venue.trader("Alice", USDT=100_000)
    order = venue.place(alice, BUY, "60000", "0.5")
    events = venue.ok(CancelOrder(alice, BTC_USDT, order))
    assert closed(events) == {order: "cancelled"}
    assert venue.available(alice, "USDT") == venue.quote("100000")
    assert venue.held(alice, "USDT") == 0
    assert venue.resting() == []


def test_cancelling_twice_is_order_not_found_the_second_time(venue: Venue) -> None:
    alice = venue.trader("Alice", USDT=100_000)
    order = venue.place(alice, BUY, "60000", "0.5")
    venue.ok(CancelOrder(alice, BTC_USDT, order))
    assert venue.reject(CancelOrder(alice, BTC_USDT, order)) == ORDER_NOT_FOUND


def test_cancelling_on_the_wrong_market_is_order_not_found(venue: Venue) -> None:
    alice = venue.trader("Alice", USDT=100_000)
    order = venue.place(alice, BUY, "60000", "0.5")
    assert venue.reject(CancelOrder(alice, ETH_USDT, order)) == ORDER_NOT_FOUND


def test_cancel_all_cancels_one_accounts_orders_on_one_market_only(venue: Venue) -> None:
    alice = venue.trader("Alice", USDT=100_000, BTC=1, ETH=10)
    bob = venue.trader("Bob", USDT=100_000)
    mine = [venue.place(alice, BUY, "50000", "0.1"), venue.place(alice, SELL, "70000", "0.1")]
    on_eth = venue.place(alice, BUY, "3000", "1", market=ETH_USDT)
    bobs = venue.place(bob, BUY, "50000", "0.1")
    events = venue.ok(CancelAllOrders(alice, BTC_USDT))
    assert closed(events) == {order: "cancelled" for order in mine}
    assert [o[0] for o in venue.resting()] == [bobs]
    assert [o[0] for o in venue.resting(ETH_USDT)] == [on_eth]


def test_cancel_all_can_be_limited_to_one_side(venue: Venue) -> None:
    alice = venue.trader("Alice", USDT=100_000, BTC=1)
    bid = venue.place(alice, BUY, "50000", "0.1")
    ask = venue.place(alice, SELL, "70000", "0.1")
    assert closed(venue.ok(CancelAllOrders(alice, BTC_USDT, SELL))) == {ask: "cancelled"}
    assert closed(venue.ok(CancelAllOrders(alice, BTC_USDT, BUY))) == {bid: "cancelled"}
    assert venue.total(alice, "BTC") == venue.base("1") and venue.held(alice, "BTC") == 0


def test_cancel_all_with_nothing_open_is_a_quiet_success(venue: Venue) -> None:
    alice = venue.trader("Alice", USDT=100_000)
    assert venue.ok(CancelAllOrders(alice, BTC_USDT)) == []


def test_cancel_all_with_a_made_up_side_is_refused(venue: Venue) -> None:
    alice = venue.trader("Alice", USDT=100_000)
    assert venue.reject(CancelAllOrders(alice, BTC_USDT, 2)) == INVALID_PARAM_VALUE
