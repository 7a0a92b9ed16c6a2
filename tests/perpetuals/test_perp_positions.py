"""Positions and orders: one-way and hedge mode, reduce-only and close orders, isolated and cross
margin, leverage and margin changes, wallet transfers, order margin held as holds."""

from __future__ import annotations

from perp_harness import BTC, USDT, PerpVenue, of_type, ticks

from clearhouse.core.book import IOC
from clearhouse.core.commands import (
    CancelContractOrder,
    PlaceContractOrder,
    SetLeverage,
    SetPositionMode,
    TransferWallet,
    UpdatePositionMargin,
)
from clearhouse.core.events import ContractOrderClosed, ContractOrderTrimmed, ContractTraded
from clearhouse.core.ledger import HOLD
from clearhouse.core.products.perpetual_state import DUAL_LONG, DUAL_SHORT

ONE_BTC = 10_000


def _venue() -> tuple[PerpVenue, int, int]:
    v = PerpVenue()
    alice = v.trader("Alice", futures_usdt=100_000)
    bob = v.trader("Bob", futures_usdt=100_000)
    v.index("50000")
    return v, alice, bob


def test_a_resting_order_holds_its_initial_margin_and_fee_and_cancel_returns_it() -> None:
    v, alice, _ = _venue()
    free = v.free(alice)
    order = v.place(alice, ONE_BTC, "50000")  # 10x: 5,000 margin + 25 taker fee
    acct = v.state.perps.accounts[alice]
    assert v.state.ledger.balances[acct.wallet_key | HOLD] == 5_025 * USDT
    assert v.free(alice) == free - 5_025 * USDT
    v.ok(CancelContractOrder(alice, BTC, order))
    assert v.free(alice) == free


def test_one_way_mode_nets_and_flips() -> None:
    v, alice, bob = _venue()
    v.trade(alice, bob, 100, "50000")
    v.trade(bob, alice, 300, "50000")  # alice sells 300: closes 100, opens 200 short
    assert v.size(alice) == -200 and v.size(bob) == 200


def test_reduce_only_cannot_open_and_is_trimmed_when_the_position_shrinks() -> None:
    v, alice, bob = _venue()
    v.trade(alice, bob, 100, "50000")
    ro = v.place(alice, -60, "50400", reduce_only=True)
    v.place(bob, 80, "50000")  # bob bids; alice sells 80 with a normal order
    events = v.ok(v.order(alice, -80, "50000"))
    [trim] = of_type(events, ContractOrderTrimmed)
    assert (trim.order_id, trim.left_size) == (ro, -20)  # 20 left to close


def test_reduce_only_makers_behind_a_normal_order_are_cut_before_the_match() -> None:
    v, alice, bob = _venue()
    carol = v.trader("Carol", futures_usdt=100_000)
    v.trade(alice, bob, 100, "50000")
    v.place(alice, -100, "50100")  # a normal sell that closes the long by itself
    ro = v.place(alice, -100, "50200", reduce_only=True)
    events = v.ok(v.order(carol, 200, "50200"))
    assert v.size(alice) == 0  # never short: the reduce-only order did not open a position
    assert of_type(events, ContractOrderClosed)[0].order_id == ro
    assert sum(e.size for e in of_type(events, ContractTraded)) == 100


def test_close_order_closes_the_whole_position_at_market() -> None:
    v, alice, bob = _venue()
    v.trade(alice, bob, 100, "50000")
    v.place(bob, 500, "49900")
    v.ok(PlaceContractOrder(alice, BTC, 0, 0, IOC, close=True))
    assert v.size(alice) == 0


def test_hedge_mode_keeps_a_long_and_a_short() -> None:
    v, alice, bob = _venue()
    v.ok(SetPositionMode(alice, True))
    v.trade(alice, bob, 100, "50000")  # opens the long slot
    v.trade(bob, alice, 40, "50000")  # a plain sell opens the short slot
    assert v.size(alice, slot=DUAL_LONG) == 100 and v.size(alice, slot=DUAL_SHORT) == -40
    v.place(bob, 100, "50000")
    v.ok(PlaceContractOrder(alice, BTC, 0, 0, IOC, auto_size="close_long"))
    assert v.size(alice, slot=DUAL_LONG) == 0 and v.size(alice, slot=DUAL_SHORT) == -40


def test_isolated_margin_can_be_added_and_removed_within_the_initial_margin() -> None:
    v, alice, bob = _venue()
    v.trade(alice, bob, ONE_BTC, "50000")
    v.ok(UpdatePositionMargin(alice, BTC, 1_000 * USDT))
    assert v.position(alice).margin_units == 6_000 * USDT  # type: ignore[union-attr]
    v.ok(UpdatePositionMargin(alice, BTC, -1_000 * USDT))
    assert v.reject(UpdatePositionMargin(alice, BTC, -USDT)) == "REMOVE_TOO_MUCH"


def test_leverage_change_moves_isolated_margin() -> None:
    v, alice, bob = _venue()
    v.trade(alice, bob, ONE_BTC, "50000")
    free = v.free(alice)
    v.ok(SetLeverage(alice, BTC, 20))
    assert v.position(alice).margin_units == 2_500 * USDT  # type: ignore[union-attr]
    assert v.free(alice) == free + 2_500 * USDT
    v.ok(SetLeverage(alice, BTC, 5))
    assert v.position(alice).margin_units == 10_000 * USDT  # type: ignore[union-attr]


def test_switching_to_cross_returns_the_margin_to_the_wallet_and_back() -> None:
    v, alice, bob = _venue()
    v.trade(alice, bob, ONE_BTC, "50000")
    wallet = v.wallet(alice)
    v.ok(SetLeverage(alice, BTC, 0))
    pos = v.position(alice)
    assert pos is not None and pos.leverage == 0 and pos.margin_units == 0
    assert v.wallet(alice) == wallet + 5_000 * USDT
    v.ok(SetLeverage(alice, BTC, 10))
    assert v.position(alice).margin_units == 5_000 * USDT  # type: ignore[union-attr]


def test_cross_profit_is_not_transferable_until_realised() -> None:
    v, alice, bob = _venue()
    v.ok(SetLeverage(alice, BTC, 0))
    v.trade(alice, bob, ONE_BTC, "50000")
    v.index("52000")
    free = v.free(alice)
    # cross IM on a 52,000 notional (second tier, 100x) is 520: that much stays
    assert v.reject(TransferWallet(alice, "USDT", free, "futures", "spot")) == (
        "INSUFFICIENT_AVAILABLE"
    )
    v.ok(TransferWallet(alice, "USDT", free - 520 * USDT, "futures", "spot"))


def test_market_orders_never_trade_beyond_the_price_band() -> None:
    v, alice, bob = _venue()
    v.place(bob, -10, "50000")
    v.place(bob, -10, "52500")
    v.index("49500")  # the band is now 49,500 +- 2,475: the second ask is beyond it
    events = v.ok(PlaceContractOrder(alice, BTC, 20, 0, IOC))
    assert [e.price_ticks for e in of_type(events, ContractTraded)] == [ticks("50000")]
    assert of_type(events, ContractOrderClosed)[-1].finish_as == "ioc"


def test_a_mode_change_needs_no_positions_and_no_orders() -> None:
    v, alice, bob = _venue()
    order = v.place(alice, 10, "49000")
    assert v.reject(SetPositionMode(alice, True)) == "ORDER_PENDING"
    v.ok(CancelContractOrder(alice, BTC, order))
    v.ok(SetPositionMode(alice, True))
