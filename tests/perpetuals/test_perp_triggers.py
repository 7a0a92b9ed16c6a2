"""Contract trigger orders: on the last, mark or index price, rule >= or <=, expiry; position
take-profit / stop-loss as close orders; trailing stops; refusal recorded at firing time."""

from __future__ import annotations

from perp_harness import BTC, PerpVenue, of_type, ticks

from clearhouse.core.book import IOC
from clearhouse.core.commands import (
    AdvanceTime,
    CancelContractTrigger,
    PlaceContractOrder,
    PlaceContractTrigger,
)
from clearhouse.core.events import (
    ContractTraded,
    ContractTriggerClosed,
    ContractTriggerFired,
    ContractTriggerPlaced,
)
from clearhouse.core.products.perpetual_triggers import PRICE_INDEX, PRICE_LAST, PRICE_MARK
from clearhouse.core.triggers import RULE_GE, RULE_LE


def _venue() -> tuple[PerpVenue, int, int, int]:
    v = PerpVenue()
    alice = v.trader("Alice", futures_usdt=100_000)
    bob = v.trader("Bob", futures_usdt=100_000)
    maker = v.trader("Maker", futures_usdt=1_000_000)
    v.index("50000")
    v.trade(alice, bob, 100, "50000")
    return v, alice, bob, maker


def _trigger(v: PerpVenue, command: PlaceContractTrigger) -> int:
    return of_type(v.ok(command), ContractTriggerPlaced)[0].trigger_id


def _close(account: int) -> PlaceContractOrder:
    return PlaceContractOrder(account, BTC, 0, 0, IOC, close=True)


def test_a_mark_price_stop_loss_closes_the_position() -> None:
    v, alice, _, maker = _venue()
    _trigger(
        v, PlaceContractTrigger(alice, BTC, PRICE_MARK, RULE_LE, ticks("49000"), 0, _close(alice))
    )
    v.index("49500")
    v.place(maker, 100, "49000")
    assert not of_type(v.index("49100"), ContractTriggerFired)
    events = v.index("49000")
    [fired] = of_type(events, ContractTriggerFired)
    assert fired.order_id and not fired.reject_label
    assert v.size(alice) == 0


def test_an_index_price_take_profit_with_rule_ge() -> None:
    v, alice, _, maker = _venue()
    _trigger(
        v, PlaceContractTrigger(alice, BTC, PRICE_INDEX, RULE_GE, ticks("51000"), 0, _close(alice))
    )
    v.index("50800")
    v.place(maker, -100, "51500")
    v.place(maker, 100, "50900")
    events = v.index("51000")
    assert of_type(events, ContractTriggerFired)
    assert v.size(alice) == 0


def test_a_last_price_trigger_fires_after_a_trade() -> None:
    v, alice, bob, maker = _venue()
    buy = PlaceContractOrder(alice, BTC, 10, ticks("50500"), 0)
    _trigger(v, PlaceContractTrigger(alice, BTC, PRICE_LAST, RULE_GE, ticks("50200"), 0, buy))
    v.place(maker, -5, "50200")
    events = v.ok(PlaceContractOrder(bob, BTC, 5, ticks("50200"), IOC))
    [fired] = of_type(events, ContractTriggerFired)
    assert fired.account == alice and fired.order_id


def test_a_trigger_expires() -> None:
    v, alice, _, _ = _venue()
    expiry = v.time_ns + 10 * 1_000_000
    trigger = _trigger(
        v,
        PlaceContractTrigger(
            alice, BTC, PRICE_MARK, RULE_LE, ticks("40000"), expiry, _close(alice)
        ),
    )
    events = v.ok(AdvanceTime(), advance_ns=20 * 1_000_000)
    assert [(e.trigger_id, e.reason) for e in of_type(events, ContractTriggerClosed)] == [
        (trigger, "expired")
    ]


def test_a_trigger_can_be_cancelled() -> None:
    v, alice, _, _ = _venue()
    trigger = _trigger(
        v, PlaceContractTrigger(alice, BTC, PRICE_MARK, RULE_LE, ticks("40000"), 0, _close(alice))
    )
    v.ok(CancelContractTrigger(alice, BTC, trigger))
    assert v.reject(CancelContractTrigger(alice, BTC, trigger)) == "ORDER_NOT_FOUND"


def test_a_trailing_stop_follows_the_high_and_fires_on_the_pullback() -> None:
    v, alice, _, maker = _venue()
    trail = PlaceContractTrigger(alice, BTC, PRICE_MARK, RULE_LE, 0, 0, _close(alice), 10_000)
    _trigger(v, trail)  # 1 % below the highest mark since placing it
    for price in ("50500", "51000", "51500"):
        assert not of_type(v.index(price), ContractTriggerFired)
    v.place(maker, 100, "50900")
    assert not of_type(v.index("51000"), ContractTriggerFired)  # 51,500 x 0.99 = 50,985
    events = v.index("50980")
    assert of_type(events, ContractTriggerFired)
    assert [e.price_ticks for e in of_type(events, ContractTraded)] == [ticks("50900")]


def test_a_trigger_whose_order_is_refused_when_it_fires_records_why() -> None:
    v, alice, bob, maker = _venue()
    _trigger(
        v, PlaceContractTrigger(alice, BTC, PRICE_MARK, RULE_LE, ticks("49000"), 0, _close(alice))
    )
    v.place(maker, 100, "49900")
    v.ok(_close(alice))  # alice closes by hand first
    events = v.index("49000")
    [fired] = of_type(events, ContractTriggerFired)
    assert (fired.order_id, fired.reject_label) == (0, "POSITION_EMPTY")
