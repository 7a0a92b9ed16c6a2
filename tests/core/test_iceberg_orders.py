"""Iceberg orders: only the display slice is visible; when a slice is used up the next one is shown
at the back of its price level; the hidden rest is still there for a taker large enough."""

from __future__ import annotations

import pytest
from core_harness import Venue, closed, trades

from clearhouse.core.book import BUY, FOK, IOC, SELL
from clearhouse.core.commands import AmendOrder, ListSpotMarket
from clearhouse.core.errors import AMOUNT_TOO_LITTLE, INVALID_PARAM_VALUE


@pytest.fixture
def venue() -> Venue:
    return Venue()


def iceberg(venue: Venue, account: int, side: int, price: str, amount: str, show: str) -> int:
    return venue.place(account, side, price, amount, display_lots=venue.size(show))


def test_only_the_display_slice_of_an_iceberg_is_in_the_depth(venue: Venue) -> None:
    bob = venue.trader("Bob", BTC=10)
    iceberg(venue, bob, SELL, "60000", "1", show="0.1")
    assert venue.book().asks.depth(5) == [(venue.price("60000"), venue.size("0.1"))]
    assert venue.held(bob, "BTC") == venue.base("1")  # the whole order is held, not the slice


def test_only_the_display_slice_of_a_buy_iceberg_is_in_the_bid_depth(venue: Venue) -> None:
    alice = venue.trader("Alice", USDT=100_000)
    iceberg(venue, alice, BUY, "59000", "1", show="0.05")
    assert venue.book().bids.depth(5) == [(venue.price("59000"), venue.size("0.05"))]
    assert venue.held(alice, "USDT") == venue.quote("59000")


def test_visible_depth_adds_plain_orders_and_iceberg_slices(venue: Venue) -> None:
    bob = venue.trader("Bob", BTC=10)
    iceberg(venue, bob, SELL, "60000", "1", show="0.1")
    venue.place(bob, SELL, "60000", "0.2")
    assert venue.book().asks.depth(5) == [(venue.price("60000"), venue.size("0.3"))]


def test_when_a_slice_is_used_up_the_iceberg_goes_to_the_back_of_its_level(venue: Venue) -> None:
    bob = venue.trader("Bob", BTC=10)
    carol = venue.trader("Carol", BTC=10)
    alice = venue.trader("Alice", USDT=1_000_000)
    berg = iceberg(venue, bob, SELL, "60000", "1", show="0.1")
    plain = venue.place(carol, SELL, "60000", "0.5")
    events = venue.ok(venue.limit(alice, BUY, "60000", "0.1", tif=IOC))
    assert [t.maker_order for t in trades(events)] == [berg]
    assert venue.queue(SELL, "60000") == [plain, berg]  # the refreshed slice waits its turn
    assert venue.book().asks.depth(5) == [(venue.price("60000"), venue.size("0.6"))]


def test_a_partly_taken_slice_keeps_its_place(venue: Venue) -> None:
    bob = venue.trader("Bob", BTC=10)
    carol = venue.trader("Carol", BTC=10)
    alice = venue.trader("Alice", USDT=1_000_000)
    berg = iceberg(venue, bob, SELL, "60000", "1", show="0.1")
    plain = venue.place(carol, SELL, "60000", "0.5")
    venue.ok(venue.limit(alice, BUY, "60000", "0.04", tif=IOC))
    assert venue.queue(SELL, "60000") == [berg, plain]
    assert venue.book().asks.depth(1) == [(venue.price("60000"), venue.size("0.56"))]


def test_a_large_taker_reaches_the_hidden_quantity_slice_after_slice(venue: Venue) -> None:
    bob = venue.trader("Bob", BTC=10)
    carol = venue.trader("Carol", BTC=10)
    alice = venue.trader("Alice", USDT=1_000_000)
    berg = iceberg(venue, bob, SELL, "60000", "1", show="0.3")
    plain = venue.place(carol, SELL, "60000", "0.2")
    events = venue.ok(venue.limit(alice, BUY, "60000", "1.2"))
    assert [(t.maker_order, t.size_lots) for t in trades(events)] == [
        (berg, venue.size("0.3")),
        (plain, venue.size("0.2")),
        (berg, venue.size("0.3")),
        (berg, venue.size("0.3")),
        (berg, venue.size("0.1")),
    ]
    assert closed(events)[berg] == "filled"
    assert closed(events)[plain] == "filled"
    assert venue.held(bob, "BTC") == 0
    assert venue.total(bob, "BTC") == venue.base("9")


def test_a_fok_order_counts_the_hidden_quantity(venue: Venue) -> None:
    bob = venue.trader("Bob", BTC=10)
    alice = venue.trader("Alice", USDT=1_000_000)
    iceberg(venue, bob, SELL, "60000", "1", show="0.1")
    events = venue.ok(venue.limit(alice, BUY, "60000", "1", tif=FOK))
    assert sum(t.size_lots for t in trades(events)) == venue.size("1")


def test_an_iceberg_must_show_less_than_its_amount(venue: Venue) -> None:
    bob = venue.trader("Bob", BTC=10)
    command = venue.limit(bob, SELL, "60000", "1", display_lots=venue.size("1"))
    assert venue.reject(command) == INVALID_PARAM_VALUE


def test_an_iceberg_cannot_be_ioc_or_fok(venue: Venue) -> None:
    bob = venue.trader("Bob", BTC=10)
    for tif in (IOC, FOK):
        command = venue.limit(bob, SELL, "60000", "1", tif=tif, display_lots=venue.size("0.1"))
        assert venue.reject(command) == INVALID_PARAM_VALUE


def test_an_iceberg_slice_below_the_minimum_amount_is_too_little(venue: Venue) -> None:
    venue.ok(ListSpotMarket("ETH_BTC", "ETH", "BTC", "0.00001", "0.001", 10, 1_000_000, 0))
    bob = venue.trader("Bob", ETH=10)
    command = venue.limit(bob, SELL, "0.05", "1", market="ETH_BTC", display_lots=5)
    assert venue.reject(command) == AMOUNT_TOO_LITTLE


def test_amending_an_iceberg_down_never_shows_more_than_was_showing(venue: Venue) -> None:
    bob = venue.trader("Bob", BTC=10)
    carol = venue.trader("Carol", BTC=10)
    alice = venue.trader("Alice", USDT=1_000_000)
    berg = iceberg(venue, bob, SELL, "60000", "1", show="0.2")
    plain = venue.place(carol, SELL, "60000", "0.5")
    venue.ok(venue.limit(alice, BUY, "60000", "0.15", tif=IOC))  # 0.05 of the slice left
    events = venue.ok(AmendOrder(bob, "BTC_USDT", berg, 0, venue.size("0.9")))
    assert events[0].kept_priority  # type: ignore[attr-defined]
    # a fresh 0.2 slice at the front of the queue would jump Carol's order: only 0.05 shows
    assert venue.book().asks.depth(1) == [(venue.price("60000"), venue.size("0.55"))]
    assert venue.queue(SELL, "60000") == [berg, plain]
