"""REFERENCE.md §2's worked numbers as tests: the 45,180.72 liquidation price, tier boundaries
and cumulative amounts, a cross account with two positions, funding amounts by hand."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from perp_harness import BTC, ETH, USDT, PerpVenue, of_type, ticks

from clearhouse.config.genesis import DEFAULT_CONTRACTS
from clearhouse.core.book import IOC
from clearhouse.core.commands import AdvanceTime, PlaceContractOrder
from clearhouse.core.events import (
    ContractTraded,
    FundingPaid,
    FundingSettled,
    Liquidated,
    PositionUpdated,
)
from clearhouse.core.products.perpetual_contract import PPM
from clearhouse.core.risk.margin import (
    Tiers,
    bankruptcy_price,
    fall_key,
    liquidatable,
    liquidation_price,
)

BTC_TIERS = Tiers(DEFAULT_CONTRACTS[0].risk_tiers)
K_BTC = 1_000  # USDT units per 0.1 tick per 0.0001 BTC contract
ONE_BTC = 10_000  # contracts
HOUR_NS = 3600 * 10**9


def _dollars(price_ticks: Fraction) -> Decimal:
    """Ticks of 0.1 to a price in USDT, rounded half-even to cents."""
    return round(Decimal(price_ticks.numerator) / Decimal(price_ticks.denominator) / 10, 2)


def test_isolated_long_1_btc_at_50000_10x_liquidates_at_45180_72_bankrupt_at_45000() -> None:
    cost = ONE_BTC * ticks("50000") * K_BTC  # 50,000 USDT
    margin = 5_000 * USDT
    assert _dollars(liquidation_price(BTC_TIERS, ONE_BTC, cost, margin, K_BTC)) == Decimal(
        "45180.72"
    )
    assert bankruptcy_price(ONE_BTC, cost, margin, K_BTC) == ticks("45000")
    # the engine's integer key is the highest tick at which equity < maintenance
    key = fall_key(BTC_TIERS, ONE_BTC, cost, PPM * margin, K_BTC)
    assert key == ticks("45180.7")
    assert liquidatable(BTC_TIERS, ONE_BTC, cost, PPM * margin, K_BTC, key)
    assert not liquidatable(BTC_TIERS, ONE_BTC, cost, PPM * margin, K_BTC, key + 1)


def test_the_engine_liquidates_that_long_at_45180_7_not_45180_8_and_the_fund_takes_it() -> None:
    v = PerpVenue()
    alice = v.trader("Alice", futures_usdt=10_000)
    bob = v.trader("Bob", futures_usdt=100_000)
    v.index("50000")
    v.leverage(alice, 10)
    v.trade(alice, bob, ONE_BTC, "50000")
    pos = v.position(alice)
    assert pos is not None and pos.margin_units == 5_000 * USDT  # 50,000 / 10
    assert not of_type(v.index("45180.8"), Liquidated)
    events = v.index("45180.7")
    [liquidated] = of_type(events, Liquidated)
    assert (liquidated.stage, liquidated.price_ticks) == ("takeover", ticks("45000"))
    [takeover] = of_type(events, ContractTraded)
    assert (takeover.kind, takeover.size, takeover.maker_account) == ("takeover", -ONE_BTC, 4)
    assert v.position(alice) is None  # the whole 5,000 margin is gone at the bankruptcy price
    fund = v.state.perps.fund.positions[(BTC, 0)]
    assert (fund.size, fund.cost_units) == (ONE_BTC, ONE_BTC * ticks("45000") * K_BTC)


def test_tier_cumulative_amounts_match_the_reference_table() -> None:
    cum_usdt = [Fraction(c, PPM * USDT) for c in BTC_TIERS.cum_scaled]
    assert cum_usdt == [0, 50, 1_300, 16_300, 266_300, 1_266_300]


def test_maintenance_margin_is_continuous_at_every_tier_boundary() -> None:
    expected = {50_000: 200, 250_000: 1_200, 1_000_000: 8_700, 10_000_000: 233_700}
    for cap, mm in expected.items():
        notional = cap * USDT
        assert BTC_TIERS.maintenance_units(notional) == mm * USDT
        # just above the boundary the next tier's formula gives (almost) the same amount
        above = BTC_TIERS.maintenance_units(notional + USDT)
        assert mm * USDT < above < (mm + 1) * USDT


def test_max_leverage_steps_down_at_the_boundary() -> None:
    assert BTC_TIERS.max_leverage(50_000 * USDT) == 125
    assert BTC_TIERS.max_leverage(50_000 * USDT + 1) == 100
    assert BTC_TIERS.max_leverage(20_000_001 * USDT) == 5


def test_liquidation_price_iterates_to_the_tier_it_lands_in() -> None:
    # long 5 BTC at 50,000 (250k notional, tier 2) with 25,000 margin: at the liquidation price
    # the notional is ~226k, in tier 2 (MMR 0.5 %, cum 50): P = (25,000 + 50 - 250,000) / (5 x
    # 0.005 - 5)
    size = 5 * ONE_BTC
    cost = size * ticks("50000") * K_BTC
    margin = 25_000 * USDT
    price = liquidation_price(BTC_TIERS, size, cost, margin, K_BTC)
    assert price == Fraction(-224_950, Fraction(5 * 5, 1000) - 5) * 10
    key = fall_key(BTC_TIERS, size, cost, PPM * margin, K_BTC)
    assert key == int(price) and liquidatable(BTC_TIERS, size, cost, PPM * margin, K_BTC, key)
    assert not liquidatable(BTC_TIERS, size, cost, PPM * margin, K_BTC, key + 1)


def test_short_liquidation_price_by_hand_lands_in_the_second_tier() -> None:
    # short 1 BTC at 50,000 with 5,000 margin: tier 1's formula would give 55,000 / 1.004 =
    # 54,780.88, but there the notional is above 50k, so tier 2 (MMR 0.5 %, cum 50) applies:
    # P = (5,000 + 50 + 50,000) / (0.005 + 1) = 54,776.12
    cost = -ONE_BTC * ticks("50000") * K_BTC
    price = liquidation_price(BTC_TIERS, -ONE_BTC, cost, 5_000 * USDT, K_BTC)
    assert _dollars(price) == Decimal("54776.12")
    assert bankruptcy_price(-ONE_BTC, cost, 5_000 * USDT, K_BTC) == ticks("55000")


def test_a_cross_account_with_two_positions_liquidates_where_the_hand_formula_says() -> None:
    v = PerpVenue()
    alice = v.trader("Alice", futures_usdt=10_000)
    bob = v.trader("Bob", futures_usdt=1_000_000)
    v.leverage(alice, 0)  # cross
    v.leverage(alice, 0, ETH)
    v.index("50000")
    v.index("3000", ETH)
    v.trade(alice, bob, ONE_BTC, "50000")  # long 1 BTC
    v.trade(bob, alice, 1_000, "3000", ETH)  # short 10 ETH (contract 0.01 ETH)
    wallet = Fraction(v.wallet(alice), USDT)  # 10,000 less two taker fees
    # equity = W + (P - 50,000) x 1 + 0 (ETH at its entry) = MM = 0.004 P + 0.005 x 30,000
    hand = (wallet - 50_000 - 150) / (Fraction(4, 1000) - 1)
    assert 40_300 < hand < 40_400
    safe = Decimal(int(hand * 10) + 1) / 10  # first tick above the boundary
    assert not of_type(v.index(str(safe)), Liquidated)
    events = v.index(str(safe - Decimal("0.1")))
    assert {(e.contract, e.stage) for e in of_type(events, Liquidated)} == {
        (BTC, "takeover"),
        (ETH, "takeover"),
    }
    assert v.wallet(alice) == 0  # what was left of the cross wallet went to the fund


def test_funding_of_the_interest_rate_alone_by_hand() -> None:
    v = PerpVenue()
    alice = v.trader("Alice", futures_usdt=10_000)
    bob = v.trader("Bob", futures_usdt=10_000)
    v.index("50000")
    v.trade(alice, bob, ONE_BTC, "50000")
    v.index("50000")  # a premium sample with an empty book: premium 0
    margin_before = v.position(alice).margin_units  # type: ignore[union-attr]
    v.time_ns = 8 * HOUR_NS - 1
    events = v.ok(AdvanceTime())
    [settled] = of_type(events, FundingSettled)
    # F = P + clamp(I - P, +-0.05 %) = 0 + 0.01 % ; 1 BTC at 50,000 pays 5 USDT
    assert settled.rate_ppb == 100_000
    paid = {e.account: e.amount_units for e in of_type(events, FundingPaid)}
    assert paid == {alice: 5 * USDT, bob: -5 * USDT}
    assert v.position(alice).margin_units == margin_before - 5 * USDT  # type: ignore[union-attr]


def test_funding_with_a_premium_by_hand_and_gates_weights() -> None:
    v = PerpVenue()
    alice = v.trader("Alice", futures_usdt=100_000)
    bob = v.trader("Bob", futures_usdt=100_000)
    maker = v.trader("Maker", futures_usdt=1_000_000)
    v.index("50000")  # sample 1: empty book, premium 0
    v.trade(alice, bob, ONE_BTC, "50000")
    v.index("50000")  # sample 2: empty book again
    v.place(maker, ONE_BTC, "50100")  # impact bid 50,100 (1 BTC > the 25,000 USDT impact)
    v.place(maker, -ONE_BTC, "50200")
    v.index("50000")  # sample 3: premium (50,100 - 50,000) / 50,000 = 0.2 %
    # P = (1 x 0 + 2 x 0 + 3 x 0.2 %) / 6 = 0.1 %; F = P + clamp(0.01 % - P, -0.05 %) = 0.05 %
    v.time_ns = 8 * HOUR_NS
    events = v.ok(AdvanceTime())
    [settled] = of_type(events, FundingSettled)
    premium = 3 * 2_000_000 // 6
    assert settled.rate_ppb == premium - 500_000 == 500_000
    assert settled.mark_ticks == ticks("50000")  # median(index, index + 150, last 50,000)
    paid = {e.account: e.amount_units for e in of_type(events, FundingPaid)}
    assert paid == {alice: 25 * USDT, bob: -25 * USDT}  # 50,000 x 0.05 %
    assert settled.dust_units == 0


def test_funding_payers_round_up_receivers_down_and_the_rest_is_dust() -> None:
    v = PerpVenue()
    alice = v.trader("Alice", futures_usdt=100_000)
    bob = v.trader("Bob", futures_usdt=100_000)
    carol = v.trader("Carol", futures_usdt=100_000)
    v.index("50000")
    v.trade(alice, bob, 1, "50000")  # 5 USDT notional: 0.01 % is 0.0005 USDT
    v.trade(alice, carol, 2, "50000")
    v.index("50000.1")
    v.time_ns = 8 * HOUR_NS
    events = v.ok(AdvanceTime())
    [settled] = of_type(events, FundingSettled)
    paid = {e.account: e.amount_units for e in of_type(events, FundingPaid)}
    exact = Fraction(3 * ticks("50000.1") * K_BTC * settled.rate_ppb, 10**9)
    assert paid[alice] == -(-exact.numerator // exact.denominator)  # payers round up
    assert paid[bob] + paid[carol] > -exact  # receivers round down
    assert settled.dust_units == paid[alice] + paid[bob] + paid[carol] > 0


def test_funding_is_capped_per_interval() -> None:
    v = PerpVenue()
    alice = v.trader("Alice", futures_usdt=100_000)
    bob = v.trader("Bob", futures_usdt=100_000)
    maker = v.trader("Maker", futures_usdt=1_000_000)
    v.index("50000")
    v.trade(alice, bob, ONE_BTC, "50000")
    v.place(maker, ONE_BTC, "52000")  # a 4 % premium
    v.place(maker, -ONE_BTC, "52100")
    v.index("50000")
    v.time_ns = 8 * HOUR_NS
    [settled] = of_type(v.ok(AdvanceTime()), FundingSettled)
    assert settled.rate_ppb == DEFAULT_CONTRACTS[0].funding_cap_ppb == 3_000_000


def test_realised_pnl_and_fees_by_hand() -> None:
    v = PerpVenue()
    alice = v.trader("Alice", futures_usdt=10_000)
    bob = v.trader("Bob", futures_usdt=10_000)
    v.index("50000")
    v.trade(alice, bob, ONE_BTC // 10, "50000")  # 0.1 BTC: taker fee 0.05 % of 5,000 = 2.5
    wallet = v.wallet(alice)
    v.index("51000")
    v.place(bob, ONE_BTC // 10, "51000")
    events = v.ok(PlaceContractOrder(alice, BTC, -ONE_BTC // 10, ticks("51000"), IOC))
    update = [e for e in of_type(events, PositionUpdated) if e.account == alice][-1]
    assert update.size == 0
    # +100 profit, fees 2.5 (open, taker) + 2.55 (close, taker)
    assert update.realised_pnl_units == 100 * USDT - 250_000_000 - 255_000_000
    margin = 500 * USDT  # 5,000 at the default 10x came back with the profit
    assert v.wallet(alice) == wallet + margin + 100 * USDT - 255_000_000
