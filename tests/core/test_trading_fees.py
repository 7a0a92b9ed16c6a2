"""Trading fees: each side pays out of what it receives (Gate's default), at its market's rates for
its account's fee tier; charges round up and rebates round down, always in the venue's favour,
and every unit lands in the FEES account so the ledger still balances."""

from __future__ import annotations

import pytest
from core_harness import BTC_USDT, Venue, trades

from clearhouse.core.book import BUY, IOC, SELL
from clearhouse.core.commands import ListSpotMarket, SetFeeTier
from clearhouse.core.events import Event, Traded

GT_USDT = "GT_USDT"


@pytest.fixture
def venue() -> Venue:
    return Venue()


def only_trade(events: list[Event]) -> Traded:
    (trade,) = trades(events)
    return trade


def test_a_taker_buy_pays_its_fee_in_base_and_the_maker_in_quote(venue: Venue) -> None:
    bob = venue.trader("Bob", BTC=1)
    alice = venue.trader("Alice", USDT=100_000)
    venue.place(bob, SELL, "60000", "1")
    trade = only_trade(venue.ok(venue.limit(alice, BUY, "60000", "0.5")))
    assert trade.taker_fee_units == venue.base("0.001")  # 0.2% of 0.5 BTC
    assert trade.maker_fee_units == venue.quote("30")  # 0.1% of 30,000 USDT
    assert venue.total(alice, "BTC") == venue.base("0.499")
    assert venue.total(bob, "USDT") == venue.quote("29970")
    assert (venue.fees("BTC"), venue.fees("USDT")) == (venue.base("0.001"), venue.quote("30"))


def test_a_taker_sell_pays_its_fee_in_quote_and_the_maker_in_base(venue: Venue) -> None:
    bob = venue.trader("Bob", BTC=1)
    alice = venue.trader("Alice", USDT=100_000)
    venue.place(alice, BUY, "60000", "0.5")
    trade = only_trade(venue.ok(venue.limit(bob, SELL, "60000", "0.5", tif=IOC)))
    assert trade.taker_fee_units == venue.quote("60")  # 0.2% of 30,000 USDT
    assert trade.maker_fee_units == venue.base("0.0005")  # 0.1% of 0.5 BTC
    assert venue.total(bob, "USDT") == venue.quote("29940")
    assert venue.total(alice, "BTC") == venue.base("0.4995")


def test_an_accounts_fee_tier_picks_its_rates(venue: Venue) -> None:
    bob = venue.trader("Bob", BTC=1)
    alice = venue.trader("Alice", USDT=100_000)
    venue.ok(SetFeeTier(bob, 3))  # BTC_USDT tier 3: maker 0, taker 0.1%
    venue.ok(SetFeeTier(alice, 3))
    venue.place(bob, SELL, "60000", "1")
    trade = only_trade(venue.ok(venue.limit(alice, BUY, "60000", "0.5")))
    assert trade.maker_fee_units == 0
    assert trade.taker_fee_units == venue.base("0.0005")


def test_a_tier_beyond_a_markets_schedule_pays_its_last_tier(venue: Venue) -> None:
    bob = venue.trader("Bob", BTC=1)
    alice = venue.trader("Alice", USDT=100_000)
    venue.ok(SetFeeTier(alice, 9))  # BTC_USDT lists four tiers
    venue.place(bob, SELL, "60000", "1")
    trade = only_trade(venue.ok(venue.limit(alice, BUY, "60000", "0.5")))
    assert trade.taker_fee_units == venue.base("0.0005")


def test_each_market_charges_its_own_rates(venue: Venue) -> None:
    venue.ok(ListSpotMarket(GT_USDT, "GT", "USDT", "0.01", "0.00001", 1, 10**8, 0, ((0, 5_000),)))
    bob = venue.trader("Bob", GT=10)
    alice = venue.trader("Alice", USDT=100_000)
    venue.place(bob, SELL, "10", "1", market=GT_USDT)
    trade = only_trade(venue.ok(venue.limit(alice, BUY, "10", "1", market=GT_USDT)))
    assert trade.taker_fee_units == venue.base("0.005", GT_USDT)  # 0.5%
    assert trade.maker_fee_units == 0


def test_fees_round_up_in_the_venues_favour(venue: Venue) -> None:
    bob = venue.trader("Bob", BTC=1)
    alice = venue.trader("Alice", USDT=100_000)
    venue.place(bob, SELL, "60000.01", "0.00007")  # 4.2000007 USDT
    trade = only_trade(venue.ok(venue.limit(alice, BUY, "60000.01", "0.00007")))
    # maker: 0.1% of 420,000,070 units is 420,000.07 units: charged 420,001
    assert trade.maker_fee_units == 420_001
    # taker: 0.2% of 7,000 BTC units is exactly 14
    assert trade.taker_fee_units == 14
    venue.state.ledger.assert_balanced()


def test_a_maker_rebate_is_paid_from_fees_and_rounds_down(venue: Venue) -> None:
    venue.ok(
        ListSpotMarket(GT_USDT, "GT", "USDT", "0.01", "0.00001", 1, 10**8, 0, ((-500, 1_000),))
    )
    bob = venue.trader("Bob", GT=10)
    alice = venue.trader("Alice", USDT=100_000)
    venue.place(bob, SELL, "60000.01", "0.00007", market=GT_USDT)
    trade = only_trade(venue.ok(venue.limit(alice, BUY, "60000.01", "0.00007", market=GT_USDT)))
    # 0.05% of 420,000,070 units is 210,000.035: rebated 210,000
    assert trade.maker_fee_units == -210_000
    assert venue.total(bob, "USDT") == 420_000_070 + 210_000
    assert trade.taker_fee_units == 7  # 0.1% of 7,000 GT units
    assert venue.fees("USDT") == -210_000  # the venue paid the rebate
    assert venue.fees("GT") == 7
    venue.state.ledger.assert_balanced()


def test_every_trade_event_carries_the_fees_that_reached_the_fees_account(venue: Venue) -> None:
    bob = venue.trader("Bob", BTC=2)
    carol = venue.trader("Carol", BTC=2)
    alice = venue.trader("Alice", USDT=200_000)
    venue.place(bob, SELL, "60000.03", "0.33333")
    venue.place(carol, SELL, "60000.07", "0.77777")
    events = venue.ok(venue.limit(alice, BUY, "60001", "1.11110"))
    assert len(trades(events)) == 2
    assert venue.fees("BTC") == sum(t.taker_fee_units for t in trades(events))
    assert venue.fees("USDT") == sum(t.maker_fee_units for t in trades(events))


def test_the_default_market_fee_schedule_has_a_tier_per_account_level(venue: Venue) -> None:
    fees = venue.state.markets[BTC_USDT].spec.fees
    assert [(f.maker_ppm, f.taker_ppm) for f in fees] == [
        (1000, 2000),
        (900, 1800),
        (800, 1600),
        (0, 1000),
    ]
