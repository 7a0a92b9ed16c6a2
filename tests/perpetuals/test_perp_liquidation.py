"""The liquidation engine: partial liquidation down a tier, take-over at the bankruptcy price,
insurance surplus and deficit, auto-deleveraging when the fund cannot absorb, no full scan,
and liquidations still found after funding moved every payer's boundary."""

from __future__ import annotations

from perp_harness import BTC, USDT, PerpVenue, of_type, ticks

from clearhouse.core.commands import AdvanceTime, PlaceContractOrder
from clearhouse.core.events import (
    AutoDeleveraged,
    ContractTraded,
    InsuranceFundChanged,
    Liquidated,
)
from clearhouse.core.risk import liquidation
from clearhouse.core.risk.liquidation_index import TAG_BITS

ONE_BTC = 10_000
HOUR_NS = 3600 * 10**9


def _long_10x(v: PerpVenue, lots: int = ONE_BTC, leverage: int = 10) -> tuple[int, int]:
    alice = v.trader("Alice", futures_usdt=100_000)
    bob = v.trader("Bob", futures_usdt=1_000_000)
    v.index("50000")
    v.leverage(alice, leverage)
    v.trade(alice, bob, lots, "50000")
    return alice, bob


def _key(v: PerpVenue, account: int) -> int:
    pos = v.position(account)
    assert pos is not None and pos.index_item
    return pos.index_item >> TAG_BITS


def test_a_large_position_is_first_reduced_one_tier_by_an_ioc_into_the_book() -> None:
    v = PerpVenue()
    alice, _ = _long_10x(v, lots=6 * ONE_BTC, leverage=20)  # 300k notional: fourth tier
    maker = v.trader("Maker", futures_usdt=1_000_000)
    key = _key(v, alice)
    v.place(maker, 2 * ONE_BTC, "47700")  # above the 47,500 bankruptcy price
    events = v.index(str(key / 10))
    [partial] = of_type(events, Liquidated)
    assert partial.stage == "partial"
    fills = [e for e in of_type(events, ContractTraded) if e.kind == "liquidation"]
    assert fills and all(e.price_ticks == ticks("47700") for e in fills)
    pos = v.position(alice)
    assert pos is not None and 0 < pos.size < 6 * ONE_BTC
    notional = pos.size * key * v.market().k
    assert notional <= 250_000 * USDT  # down to the third tier, and safe there


def test_the_fund_unwinds_a_take_over_in_the_book_and_keeps_the_surplus() -> None:
    v = PerpVenue()
    alice, _ = _long_10x(v)
    maker = v.trader("Maker", futures_usdt=1_000_000)
    v.index("45200")  # still safe; a bid near the mark is now within the price band
    v.place(maker, ONE_BTC, "45150")
    before = v.insurance()
    events = v.index("45180.7")
    assert [e.stage for e in of_type(events, Liquidated)] == ["takeover"]
    unwind = [e for e in of_type(events, ContractTraded) if e.kind == "liquidation"]
    assert unwind[0].taker_account == 4 and unwind[0].price_ticks == ticks("45150")
    # taken at 45,000, sold at 45,150: 150 USDT for the fund
    assert v.insurance() == before + 150 * USDT
    assert v.state.perps.fund.positions == {}


def test_when_the_fund_cannot_absorb_the_top_ranked_opposite_position_is_deleveraged() -> None:
    v = PerpVenue()
    alice, bob = _long_10x(v)  # bob: short 1 BTC at 50,000, isolated 10x
    carol = v.trader("Carol", futures_usdt=100_000)
    dave = v.trader("Dave", futures_usdt=100_000)
    v.leverage(carol, 2)
    v.leverage(dave, 1)
    v.trade(dave, carol, ONE_BTC, "50000")  # carol: short 1 BTC at 2x, a lower ADL rank
    assert v.insurance() == 0
    events = v.index("44000")  # a gap through alice's 45,000 bankruptcy price
    assert [e.stage for e in of_type(events, Liquidated)] == ["takeover"]
    [adl] = of_type(events, AutoDeleveraged)
    assert (adl.account, adl.size, adl.price_ticks) == (bob, ONE_BTC, ticks("45000"))
    assert [e.kind for e in of_type(events, ContractTraded)] == ["takeover", "adl"]
    assert v.size(bob) == 0 and v.size(carol) == -ONE_BTC
    assert v.insurance() == 0 and v.state.perps.fund.positions == {}


def test_a_gap_past_bankruptcy_is_paid_by_the_fund_when_it_can() -> None:
    v = PerpVenue()
    alice, _ = _long_10x(v)
    maker = v.trader("Maker", futures_usdt=1_000_000)
    v.fund_insurance(10_000)
    v.index("45200")
    v.place(maker, ONE_BTC, "43000")  # the only bid, 2,000 below the bankruptcy price
    events = v.index("44000")
    deficit = [e for e in of_type(events, InsuranceFundChanged) if e.delta_units < 0]
    assert not deficit  # the take-over itself cost nothing: the loss shows when unwinding
    assert v.insurance() == 8_000 * USDT  # bought at 45,000, sold at 43,000
    assert not of_type(events, AutoDeleveraged)


def test_a_mark_tick_checks_only_the_positions_whose_key_it_crossed(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    v = PerpVenue()
    maker = v.trader("Maker", futures_usdt=10_000_000)
    v.index("50000")
    longs = []
    for i in range(40):
        trader = v.trader(f"T{i}", futures_usdt=10_000)
        v.leverage(trader, 5 + i)  # 5x .. 44x: forty different liquidation prices
        v.trade(trader, maker, 1_000, "50000")
        longs.append(trader)
    keys = sorted(_key(v, t) for t in longs)
    checked: list[int] = []
    original = liquidation._check_isolated

    def counting(state, contract, position_id, ctx, out):  # type: ignore[no-untyped-def]
        checked.append(position_id)
        original(state, contract, position_id, ctx, out)

    monkeypatch.setattr(liquidation, "_check_isolated", counting)
    mark = keys[-3]  # crosses exactly the three highest keys
    events = v.index(str(mark / 10))
    assert len(checked) == 3
    assert len(of_type(events, Liquidated)) == 3


def test_funding_that_pushes_a_payer_under_maintenance_liquidates_it_at_once() -> None:
    v = PerpVenue()
    alice, bob = _long_10x(v, leverage=100)
    maker = v.trader("Maker", futures_usdt=1_000_000)
    key = _key(v, alice)
    bob_item = v.position(bob).index_item  # type: ignore[union-attr]
    near = str((key + 3) / 10)
    v.index(near)  # three ticks above the boundary: safe
    v.trade(maker, bob, 1, near)  # the last price joins the index: the mark is the index
    bob_item = v.position(bob).index_item  # type: ignore[union-attr]
    assert v.size(alice) == ONE_BTC
    v.place(maker, ONE_BTC, str((key + 1500) / 10))  # bids 0.3 % above: a premium
    v.index(near)
    v.time_ns = 8 * HOUR_NS
    # alice pays 0.1 % of ~49.7k: ~50 USDT of a 0.3 USDT cushion, at the same mark
    events = v.ok(AdvanceTime())
    assert v.market().index.fall.offset > 0  # the payers' side was widened, not re-keyed
    assert [(e.account, e.stage) for e in of_type(events, Liquidated)] == [(alice, "takeover")]
    assert v.position(bob).index_item == bob_item  # type: ignore[union-attr]  # untouched


def test_cancel_orders_first_then_liquidate() -> None:
    v = PerpVenue()
    alice, _ = _long_10x(v)
    order = v.place(alice, 100, "48000")
    events = v.index("45180.7")
    closed = [e for e in events if getattr(e, "finish_as", "") == "liquidated"]
    assert [e.order_id for e in closed] == [order]  # type: ignore[attr-defined]
    assert v.state.perps.accounts[alice].orders == {}


def test_a_liquidated_account_never_ends_below_zero() -> None:
    v = PerpVenue()
    alice, _ = _long_10x(v)
    v.index("30000")  # far through bankruptcy
    assert v.position(alice) is None
    assert v.wallet(alice) >= 0
    assert v.state.ledger.balances.get(v.state.perps.accounts[alice].margin_key, 0) == 0


def test_reduce_orders_beyond_the_position_are_refused_after_liquidation() -> None:
    v = PerpVenue()
    alice, bob = _long_10x(v)
    v.index("45180.7")
    assert v.reject(PlaceContractOrder(alice, BTC, 0, 0, 1, close=True)) == "POSITION_EMPTY"
