"""Price-time priority and the order types: GTC, IOC, FOK, post-only, market sell, and Gate's
market buy sized in quote currency."""

from __future__ import annotations

import pytest
from core_harness import BTC_USDT, Venue, closed, of_type, rejection_label, trades

from clearhouse.core.book import BUY, FOK, GTC, IOC, POC, SELL
from clearhouse.core.commands import ListSpotMarket, PlaceOrder
from clearhouse.core.errors import (
    FOK_NOT_FILL,
    INVALID_PARAM_VALUE,
    POC_FILL_IMMEDIATELY,
    TOO_MANY_ORDERS,
)
from clearhouse.core.events import OrderAccepted

GT_USDT = "GT_USDT"


@pytest.fixture
def venue() -> Venue:
    return Venue()


def market_buy(venue: Venue, account: int, budget: str, tif: int = IOC) -> PlaceOrder:
    return PlaceOrder(account, BTC_USDT, BUY, 0, 0, tif=tif, quote_units=venue.quote(budget))


def market_sell(venue: Venue, account: int, amount: str, tif: int = IOC) -> PlaceOrder:
    return PlaceOrder(account, BTC_USDT, SELL, 0, venue.size(amount), tif=tif)


# --- priority --------------------------------------------------------------------------------
def test_the_best_price_trades_first(venue: Venue) -> None:
    bob = venue.trader("Bob", BTC=1)
    alice = venue.trader("Alice", USDT=100_000)
    dear = venue.place(bob, SELL, "60100", "0.1")
    cheap = venue.place(bob, SELL, "60000", "0.1")
    events = venue.ok(venue.limit(alice, BUY, "60100", "0.1"))
    assert [t.maker_order for t in trades(events)] == [cheap]
    assert [o[0] for o in venue.resting()] == [dear]


def test_at_one_price_the_earlier_order_trades_first(venue: Venue) -> None:
    bob = venue.trader("Bob", BTC=1)
    carol = venue.trader("Carol", BTC=1)
    alice = venue.trader("Alice", USDT=100_000)
    first = venue.place(carol, SELL, "60000", "0.1")
    second = venue.place(bob, SELL, "60000", "0.1")
    third = venue.place(carol, SELL, "60000", "0.1")
    events = venue.ok(venue.limit(alice, BUY, "60000", "0.15"))
    assert [(t.maker_order, t.size_lots) for t in trades(events)] == [
        (first, venue.size("0.1")),
        (second, venue.size("0.05")),
    ]
    assert venue.queue(SELL, "60000") == [second, third]  # the part-filled order keeps its place


def test_a_trade_is_at_the_makers_price_and_the_buyer_gets_the_improvement_back(
    venue: Venue,
) -> None:
    bob = venue.trader("Bob", BTC=1)
    alice = venue.trader("Alice", USDT=100_000)
    venue.place(bob, SELL, "60000", "0.5")
    events = venue.ok(venue.limit(alice, BUY, "60100", "0.5"))
    assert [t.price_ticks for t in trades(events)] == [venue.price("60000")]
    assert venue.total(alice, "USDT") == venue.quote("70000")  # paid 30,000 not 30,050
    assert venue.held(alice, "USDT") == 0
    assert venue.book().last_price_ticks == venue.price("60000")


def test_a_taker_sweeps_levels_until_its_limit(venue: Venue) -> None:
    bob = venue.trader("Bob", BTC=1)
    alice = venue.trader("Alice", USDT=100_000)
    for price in ("60000", "60001", "60002", "60003"):
        venue.place(bob, SELL, price, "0.01")
    events = venue.ok(venue.limit(alice, BUY, "60002", "1"))
    assert [t.price_ticks for t in trades(events)] == [
        venue.price(p) for p in ("60000", "60001", "60002")
    ]
    assert venue.book().bids.depth(5) == [(venue.price("60002"), venue.size("0.97"))]
    assert venue.book().asks.depth(5) == [(venue.price("60003"), venue.size("0.01"))]


def test_the_book_lists_levels_best_first(venue: Venue) -> None:
    alice = venue.trader("Alice", USDT=100_000)
    venue.place(alice, BUY, "59000", "0.1")
    venue.place(alice, BUY, "59500", "0.2")
    venue.place(alice, BUY, "59500", "0.1")
    assert venue.book().bids.depth(0) == [
        (venue.price("59500"), venue.size("0.3")),
        (venue.price("59000"), venue.size("0.1")),
    ]
    assert venue.book().bids.depth(1) == [(venue.price("59500"), venue.size("0.3"))]


# --- GTC and IOC -----------------------------------------------------------------------------
def test_a_gtc_order_rests_what_it_cannot_fill_and_holds_funds_for_it(venue: Venue) -> None:
    bob = venue.trader("Bob", BTC=1)
    alice = venue.trader("Alice", USDT=100_000)
    venue.place(bob, SELL, "60000", "0.1")
    order = venue.place(alice, BUY, "60000", "0.3")
    assert venue.resting() == [(order, BUY, venue.price("60000"), venue.size("0.2"))]
    assert venue.held(alice, "USDT") == venue.quote("12000")


def test_an_ioc_order_fills_what_it_can_and_cancels_the_rest(venue: Venue) -> None:
    bob = venue.trader("Bob", BTC=1)
    alice = venue.trader("Alice", USDT=100_000)
    venue.place(bob, SELL, "60000", "0.1")
    events = venue.ok(venue.limit(alice, BUY, "60000", "0.3", tif=IOC))
    accepted = of_type(events, OrderAccepted)[0]
    assert sum(t.size_lots for t in trades(events)) == venue.size("0.1")
    assert closed(events)[accepted.order_id] == "ioc"
    assert venue.resting() == []
    assert venue.held(alice, "USDT") == 0
    assert venue.total(alice, "USDT") == venue.quote("94000")


def test_an_ioc_order_with_nothing_to_take_is_closed_and_returns_its_hold(venue: Venue) -> None:
    alice = venue.trader("Alice", USDT=100_000)
    events = venue.ok(venue.limit(alice, BUY, "60000", "0.3", tif=IOC))
    assert list(closed(events).values()) == ["ioc"]
    assert venue.available(alice, "USDT") == venue.quote("100000")


# --- FOK -------------------------------------------------------------------------------------
def test_a_fok_order_fills_entirely_across_levels(venue: Venue) -> None:
    bob = venue.trader("Bob", BTC=1)
    alice = venue.trader("Alice", USDT=100_000)
    venue.place(bob, SELL, "60000", "0.1")
    venue.place(bob, SELL, "60010", "0.1")
    events = venue.ok(venue.limit(alice, BUY, "60010", "0.2", tif=FOK))
    assert sum(t.size_lots for t in trades(events)) == venue.size("0.2")
    assert "filled" in closed(events).values()


def test_a_fok_order_that_cannot_fill_entirely_is_rejected_and_changes_nothing(
    venue: Venue,
) -> None:
    bob = venue.trader("Bob", BTC=1)
    alice = venue.trader("Alice", USDT=100_000)
    venue.place(bob, SELL, "60000", "0.1")
    venue.place(bob, SELL, "60020", "0.1")
    assert venue.reject(venue.limit(alice, BUY, "60010", "0.2", tif=FOK)) == FOK_NOT_FILL
    assert venue.reject(venue.limit(alice, BUY, "60020", "0.21", tif=FOK)) == FOK_NOT_FILL


def test_a_fok_market_sell_without_enough_bids_is_rejected(venue: Venue) -> None:
    bob = venue.trader("Bob", BTC=1)
    alice = venue.trader("Alice", USDT=100_000)
    venue.place(alice, BUY, "60000", "0.1")
    assert venue.reject(market_sell(venue, bob, "0.2", tif=FOK)) == FOK_NOT_FILL
    events = venue.ok(market_sell(venue, bob, "0.1", tif=FOK))
    assert sum(t.size_lots for t in trades(events)) == venue.size("0.1")


# --- post-only -------------------------------------------------------------------------------
def test_a_post_only_order_that_would_not_take_rests(venue: Venue) -> None:
    bob = venue.trader("Bob", BTC=1)
    alice = venue.trader("Alice", USDT=100_000)
    venue.place(bob, SELL, "60000", "0.1")
    order = venue.place(alice, BUY, "59999.99", "0.1", tif=POC)
    assert (order, BUY, venue.price("59999.99"), venue.size("0.1")) in venue.resting()


def test_a_post_only_order_that_would_take_is_rejected_and_changes_nothing(venue: Venue) -> None:
    bob = venue.trader("Bob", BTC=1)
    alice = venue.trader("Alice", USDT=100_000)
    venue.place(bob, SELL, "60000", "0.1")
    assert venue.reject(venue.limit(alice, BUY, "60000", "0.1", tif=POC)) == POC_FILL_IMMEDIATELY
    assert venue.reject(venue.limit(alice, BUY, "65000", "0.1", tif=POC)) == POC_FILL_IMMEDIATELY
    venue.place(alice, BUY, "59000", "0.1")
    assert venue.reject(venue.limit(bob, SELL, "59000", "0.1", tif=POC)) == POC_FILL_IMMEDIATELY


# --- market sell -----------------------------------------------------------------------------
def test_a_market_sell_takes_the_best_bids_first(venue: Venue) -> None:
    bob = venue.trader("Bob", BTC=1)
    alice = venue.trader("Alice", USDT=100_000)
    venue.place(alice, BUY, "59000", "0.1")
    venue.place(alice, BUY, "60000", "0.1")
    events = venue.ok(market_sell(venue, bob, "0.15"))
    assert [(t.price_ticks, t.size_lots) for t in trades(events)] == [
        (venue.price("60000"), venue.size("0.1")),
        (venue.price("59000"), venue.size("0.05")),
    ]
    assert list(closed(events).values())[-1] == "filled"


def test_a_market_sell_larger_than_the_bids_ends_depth_not_enough_and_keeps_the_rest(
    venue: Venue,
) -> None:
    bob = venue.trader("Bob", BTC=1)
    alice = venue.trader("Alice", USDT=100_000)
    venue.place(alice, BUY, "60000", "0.1")
    events = venue.ok(market_sell(venue, bob, "0.5"))
    assert list(closed(events).values())[-1] == "depth_not_enough"
    assert venue.available(bob, "BTC") == venue.base("0.9")
    assert venue.held(bob, "BTC") == 0


def test_a_market_order_must_be_ioc_or_fok(venue: Venue) -> None:
    bob = venue.trader("Bob", BTC=1)
    command = PlaceOrder(bob, BTC_USDT, SELL, 0, venue.size("0.1"), tif=GTC)
    assert venue.reject(command) == INVALID_PARAM_VALUE


# --- market buy in quote currency (Gate) -----------------------------------------------------
def test_a_market_buy_spends_its_quote_budget_on_whole_lots_and_returns_the_rest(
    venue: Venue,
) -> None:
    bob = venue.trader("Bob", BTC=1)
    alice = venue.trader("Alice", USDT=1_000)
    venue.place(bob, SELL, "60000", "0.01")  # 600 USDT
    venue.place(bob, SELL, "61000", "0.01")  # 0.61 USDT a lot
    events = venue.ok(market_buy(venue, alice, "1000"))
    assert [(t.price_ticks, t.size_lots) for t in trades(events)] == [
        (venue.price("60000"), venue.size("0.01")),
        (venue.price("61000"), 655),  # 400 / 0.61 = 655.7: whole lots only
    ]
    accepted = of_type(events, OrderAccepted)[0]
    assert accepted.quote_units == venue.quote("1000") and accepted.size_lots == 0
    # 0.45 USDT cannot buy another lot at 61,000: the order is filled and the rest comes back
    assert closed(events)[accepted.order_id] == "filled"
    assert venue.total(alice, "USDT") == venue.quote("0.45")
    assert venue.held(alice, "USDT") == 0


def test_a_market_buy_bigger_than_the_asks_ends_depth_not_enough_and_returns_the_budget(
    venue: Venue,
) -> None:
    bob = venue.trader("Bob", BTC=1)
    alice = venue.trader("Alice", USDT=2_000)
    venue.place(bob, SELL, "60000", "0.01")
    venue.place(bob, SELL, "61000", "0.01")
    events = venue.ok(market_buy(venue, alice, "2000"))
    accepted = of_type(events, OrderAccepted)[0]
    assert closed(events)[accepted.order_id] == "depth_not_enough"
    assert venue.total(alice, "USDT") == venue.quote("790")  # 2000 - 600 - 610
    assert venue.held(alice, "USDT") == 0
    assert venue.book().asks.depth(0) == []


def test_a_market_buy_into_an_empty_book_ends_depth_not_enough(venue: Venue) -> None:
    alice = venue.trader("Alice", USDT=2_000)
    events = venue.ok(market_buy(venue, alice, "1000"))
    assert list(closed(events).values()) == ["depth_not_enough"]
    assert venue.available(alice, "USDT") == venue.quote("2000")


def test_a_market_buy_that_spends_its_budget_exactly_is_filled(venue: Venue) -> None:
    bob = venue.trader("Bob", BTC=1)
    alice = venue.trader("Alice", USDT=600)
    venue.place(bob, SELL, "60000", "0.01")
    events = venue.ok(market_buy(venue, alice, "600"))
    assert list(closed(events).values())[-1] == "filled"
    assert venue.total(alice, "USDT") == 0


def test_a_market_buy_holds_its_whole_budget_so_it_needs_that_much_available(
    venue: Venue,
) -> None:
    alice = venue.trader("Alice", USDT=999)
    assert venue.reject(market_buy(venue, alice, "1000")) == "BALANCE_NOT_ENOUGH"


def test_a_market_buy_is_sized_in_quote_never_in_base(venue: Venue) -> None:
    alice = venue.trader("Alice", USDT=1_000)
    command = PlaceOrder(alice, BTC_USDT, BUY, 0, venue.size("0.01"), tif=IOC)
    assert venue.reject(command) == INVALID_PARAM_VALUE


def test_a_fok_market_buy_needs_depth_for_its_whole_budget(venue: Venue) -> None:
    bob = venue.trader("Bob", BTC=1)
    alice = venue.trader("Alice", USDT=2_000)
    venue.place(bob, SELL, "60000", "0.01")
    assert venue.reject(market_buy(venue, alice, "1000", tif=FOK)) == FOK_NOT_FILL
    events = venue.ok(market_buy(venue, alice, "600", tif=FOK))
    assert list(closed(events).values())[-1] == "filled"


def test_orders_never_leave_the_book_crossed(venue: Venue) -> None:
    bob = venue.trader("Bob", BTC=1)
    alice = venue.trader("Alice", USDT=100_000)
    venue.place(bob, SELL, "60000", "0.1")
    venue.place(alice, BUY, "60500", "0.3")
    book = venue.book()
    book.assert_not_crossed()
    assert book.bids.best_price() == venue.price("60500")
    assert book.asks.best_price() == 0  # empty side


# --- limits ----------------------------------------------------------------------------------
def test_an_account_at_its_open_order_limit_is_refused_more_resting_orders(venue: Venue) -> None:
    venue.ok(
        ListSpotMarket(GT_USDT, "GT", "USDT", "1", "1", 1, 10, 0, max_open_orders_per_account=2)
    )
    bob = venue.trader("Bob", GT=100)
    venue.place(bob, SELL, "5", "1", market=GT_USDT)
    venue.place(bob, SELL, "6", "1", market=GT_USDT)
    assert venue.reject(venue.limit(bob, SELL, "7", "1", market=GT_USDT)) == TOO_MANY_ORDERS
    # an IOC order never rests, so the limit does not apply to it
    venue.ok(venue.limit(bob, SELL, "7", "1", tif=IOC, market=GT_USDT))


def test_the_open_order_limit_of_a_market_counts_only_orders_on_that_market(
    venue: Venue,
) -> None:
    venue.ok(
        ListSpotMarket(GT_USDT, "GT", "USDT", "1", "1", 1, 10, 0, max_open_orders_per_account=1)
    )
    bob = venue.trader("Bob", GT=100, BTC=1)
    venue.place(bob, SELL, "70000", "0.1")  # on BTC_USDT
    venue.place(bob, SELL, "5", "1", market=GT_USDT)  # his first order on GT_USDT


def test_a_fok_market_buy_never_leaves_budget_unspent_that_the_book_could_take(
    venue: Venue,
) -> None:
    venue.ok(ListSpotMarket(GT_USDT, "GT", "USDT", "1", "1", 1, 10, 0))
    bob = venue.trader("Bob", GT=100)
    alice = venue.trader("Alice", USDT=15)
    venue.place(bob, SELL, "1", "10", market=GT_USDT)
    venue.place(bob, SELL, "1", "10", market=GT_USDT)
    command = PlaceOrder(alice, GT_USDT, BUY, 0, 0, tif=FOK, quote_units=venue.quote("15"))
    events = venue.apply(command)
    if rejection_label(events) is None:  # filled: then all 15 USDT must have bought GT
        assert venue.total(alice, "USDT") == 0
