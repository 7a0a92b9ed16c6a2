"""Rows of the rejection table for perpetual futures (test_rejections_change_nothing.py runs
them like every other row: the label must match and the state must not change).

Each row is (name, command builder, label, facts, setup). `perp_world` gives the World a
futures side: Alice long 100 BTC_USDT contracts at 50,000 (isolated 10x) against Bob (cross),
Bob's ask of 10 at 50,100, Alice's reduce-only sell of 40 at 51,000 and a mark-price stop-loss.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import msgspec
import pytest

from clearhouse.config.genesis import DEFAULT_CONTRACTS
from clearhouse.core.book import FOK, GTC, IOC, POC
from clearhouse.core.commands import (
    AnyCommand,
    CancelAllContractOrders,
    CancelContractOrder,
    CancelContractTrigger,
    CreditDeposit,
    Facts,
    FundInsurance,
    ListContract,
    ObserveIndexSources,
    PlaceContractOrder,
    PlaceContractTrigger,
    SetLeverage,
    SetPositionMode,
    TransferBetweenAccounts,
    TransferWallet,
    UpdatePositionMargin,
)
from clearhouse.core.errors import (
    INVALID_PARAM_VALUE,
    NO_CHANGE,
    ORDER_NOT_FOUND,
    POC_FILL_IMMEDIATELY,
    TOO_MANY_ORDERS,
    TRADE_RESTRICTED,
)
from clearhouse.core.products import perpetual, perpetual_errors, perpetual_triggers
from clearhouse.core.products.perpetual_contract import PPB, PPM, RiskTier
from clearhouse.core.risk.margin import Tiers
from clearhouse.core.triggers import RULE_LE

BTC: Final = "BTC_USDT"
A: Final = 10**8
P50K: Final = 500_000  # 50,000 in BTC_USDT ticks of 0.1
E = perpetual_errors

World = Any
Setup = Callable[[World, pytest.MonkeyPatch], None]
Row = tuple[str, Callable[[World], AnyCommand], str, Facts | None, Setup | None]


def perp_world(world: World, _: pytest.MonkeyPatch) -> None:
    v = world.venue
    v.ok(CreditDeposit(world.bob, "USDT", 100_000 * A, "perp-bob"))
    v.ok(TransferWallet(world.alice, "USDT", 50_000 * A, "spot", "futures"))
    v.ok(TransferWallet(world.bob, "USDT", 50_000 * A, "spot", "futures"))
    v.ok(ObserveIndexSources(BTC, (("feed", P50K, 1),)))
    v.ok(SetLeverage(world.bob, BTC, 0))
    v.ok(PlaceContractOrder(world.bob, BTC, -100, P50K))
    v.ok(PlaceContractOrder(world.alice, BTC, 100, P50K))
    v.ok(PlaceContractOrder(world.bob, BTC, -10, 501_000))
    v.ok(PlaceContractOrder(world.alice, BTC, -40, 510_000, reduce_only=True))
    close = PlaceContractOrder(world.alice, BTC, 0, 0, IOC, close=True)
    v.ok(PlaceContractTrigger(world.alice, BTC, 1, RULE_LE, 450_000, 0, close))


def _then(*steps: Callable[[World], Any]) -> Setup:
    def setup(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
        perp_world(world, monkeypatch)
        for step in steps:
            step(world)

    return setup


def _patch(target: Callable[[World], object], name: str, value: object) -> Setup:
    def setup(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
        perp_world(world, monkeypatch)
        monkeypatch.setattr(target(world), name, value)

    return setup


def _spec_patch(**changes: Any) -> Setup:
    def setup(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
        perp_world(world, monkeypatch)
        pm = world.venue.state.perps.contracts[BTC]
        monkeypatch.setattr(pm, "spec", msgspec.structs.replace(pm.spec, **changes))

    return setup


def _btc(world: World) -> Any:
    return world.venue.state.perps.contracts[BTC]


def _small_tiers(world: World) -> Any:
    # tier 0 up to 100 USDT at 125x, then 50x: Alice's 500 USDT sits in the second tier
    return Tiers((RiskTier(100 * A, 4_000, 8_000), RiskTier(10**6 * A, 10_000, 20_000)))


def _tiny_tiers(world: World) -> Any:
    return Tiers((RiskTier(1_000 * A, 4_000, 8_000),))


def _order(**changes: Any) -> Callable[[World], AnyCommand]:
    """Alice's good buy of 10 contracts at 50,000 with `changes`."""

    def build(world: World) -> AnyCommand:
        fields: dict[str, Any] = {
            "account": world.alice,
            "contract": BTC,
            "size": 10,
            "price_ticks": P50K,
        }
        fields.update({k: (v(world) if callable(v) else v) for k, v in changes.items()})
        return PlaceContractOrder(**fields)

    return build


def _spec(**changes: Any) -> Callable[[World], AnyCommand]:
    base = msgspec.structs.replace(DEFAULT_CONTRACTS[0], name="NEW_USDT")
    return lambda w: ListContract(msgspec.structs.replace(base, **changes))


def _trigger(**changes: Any) -> Callable[[World], AnyCommand]:
    def build(world: World) -> AnyCommand:
        fields: dict[str, Any] = {
            "account": world.alice,
            "contract": BTC,
            "price_type": 1,
            "rule": RULE_LE,
            "trigger_price_ticks": 450_000,
            "expires_at_ns": 0,
            "order": PlaceContractOrder(world.alice, BTC, -10, 0, IOC, reduce_only=True),
        }
        fields.update({k: (v(world) if callable(v) else v) for k, v in changes.items()})
        return PlaceContractTrigger(**fields)

    return build


def _sub_with_order(world: World) -> None:
    v = world.venue
    v.ok(TransferBetweenAccounts(world.alice, world.alice_sub, "USDT", 1_000 * A))
    v.ok(TransferWallet(world.alice_sub, "USDT", 1_000 * A, "spot", "futures"))
    v.ok(PlaceContractOrder(world.alice_sub, BTC, 1, 480_000))


def _drain_alice(world: World) -> None:
    v = world.venue
    acct = v.state.perps.accounts[world.alice]
    free = v.state.ledger.balances[acct.wallet_key]
    v.ok(TransferWallet(world.alice, "USDT", free - 10 * A, "futures", "spot"))


def _after_close(world: World) -> None:
    v = world.venue
    v.time_ns = (22 * 60 + 30) * 60 * 10**9  # Thursday 22:30 UTC: gold's daily break
    from clearhouse.core.commands import AdvanceTime

    v.ok(AdvanceTime())


def _trades_at(price_ticks: int) -> Callable[[World], None]:
    return lambda w: w.venue.ok(ObserveIndexSources(BTC, (("feed", price_ticks, 1),)))


ROWS: Final[list[Row]] = [
    # --- listing contracts ----------------------------------------------------------------
    ("contract name in lower case", _spec(name="new_usdt"), INVALID_PARAM_VALUE, None, None),
    ("contract listed twice", _spec(name=BTC), NO_CHANGE, None, None),
    (
        "too many contracts",
        _spec(),
        INVALID_PARAM_VALUE,
        None,
        _patch(lambda w: perpetual, "MAX_CONTRACTS", 3),
    ),
    ("contract settled in BTC", _spec(settle="BTC"), INVALID_PARAM_VALUE, None, None),
    ("contract minimum size zero", _spec(min_size=0), INVALID_PARAM_VALUE, None, None),
    ("contract maximum price zero", _spec(max_price_ticks=0), INVALID_PARAM_VALUE, None, None),
    (
        "funding interval over a week",
        _spec(funding_interval_s=8 * 86_400),
        INVALID_PARAM_VALUE,
        None,
        None,
    ),
    ("price band of 100%", _spec(price_deviate_ppm=PPM), INVALID_PARAM_VALUE, None, None),
    ("funding cap of 100%", _spec(funding_cap_ppb=PPB), INVALID_PARAM_VALUE, None, None),
    ("interest of 100%", _spec(interest_ppb=PPB), INVALID_PARAM_VALUE, None, None),
    ("made-up index method", _spec(index_method="mean"), INVALID_PARAM_VALUE, None, None),
    ("index band of zero", _spec(index_band_ppm=0), INVALID_PARAM_VALUE, None, None),
    ("contract index of no sources", _spec(index_max_sources=0), INVALID_PARAM_VALUE, None, None),
    ("contract without tiers", _spec(risk_tiers=()), INVALID_PARAM_VALUE, None, None),
    (
        "tiers not growing",
        _spec(risk_tiers=(RiskTier(A, 4_000, 8_000), RiskTier(A, 5_000, 10_000))),
        INVALID_PARAM_VALUE,
        None,
        None,
    ),
    (
        "tier MMR not below IMR",
        _spec(risk_tiers=(RiskTier(A, 10_000, 10_000),)),
        INVALID_PARAM_VALUE,
        None,
        None,
    ),
    (
        "tier IMR falling",
        _spec(risk_tiers=(RiskTier(A, 4_000, 20_000), RiskTier(2 * A, 5_000, 10_000))),
        INVALID_PARAM_VALUE,
        None,
        None,
    ),
    ("too many sessions", _spec(sessions=((0, 1),) * 65), INVALID_PARAM_VALUE, None, None),
    ("session of three numbers", _spec(sessions=((0, 1, 2),)), INVALID_PARAM_VALUE, None, None),
    ("session opening at its close", _spec(sessions=((5, 5),)), INVALID_PARAM_VALUE, None, None),
    ("contract tick of zero", _spec(tick_size="0"), INVALID_PARAM_VALUE, None, None),
    (
        "contract value finer than USDT",
        _spec(quanto_multiplier="0.00000001"),
        INVALID_PARAM_VALUE,
        None,
        None,
    ),
    # --- contract orders ------------------------------------------------------------------
    (
        "order for an unknown contract",
        _order(contract="NOPE_USDT"),
        E.CONTRACT_NOT_FOUND,
        None,
        None,
    ),
    (
        "order while the contract is suspended",
        _order(),
        TRADE_RESTRICTED,
        None,
        _patch(_btc, "enabled", False),
    ),
    (
        "gold order in the daily break",
        _order(contract="XAU_USDT", price_ticks=200_000),
        E.MARKET_CLOSED,
        None,
        _then(_after_close),
    ),
    ("close order with a size", _order(close=True), INVALID_PARAM_VALUE, None, perp_world),
    (
        "close in hedge mode without auto_size",
        _order(account=lambda w: w.alice_sub, size=0, close=True),
        E.POSITION_DUAL_MODE,
        None,
        _then(lambda w: w.venue.ok(SetPositionMode(w.alice_sub, True))),
    ),
    (
        "auto_size in one-way mode",
        _order(size=0, auto_size="close_long"),
        INVALID_PARAM_VALUE,
        None,
        perp_world,
    ),
    (
        "auto_size of a made-up kind",
        _order(account=lambda w: w.alice_sub, size=0, auto_size="close_both"),
        INVALID_PARAM_VALUE,
        None,
        _then(lambda w: w.venue.ok(SetPositionMode(w.alice_sub, True))),
    ),
    (
        "close without a position",
        _order(account=lambda w: w.alice_sub, size=0, close=True),
        E.POSITION_EMPTY,
        None,
        perp_world,
    ),
    ("contract order of a made-up tif", _order(tif=7), INVALID_PARAM_VALUE, None, perp_world),
    ("contract order of a made-up stp", _order(stp_act=5), INVALID_PARAM_VALUE, None, perp_world),
    (
        "contract order with long text",
        _order(text="t-" + "x" * 80),
        INVALID_PARAM_VALUE,
        None,
        None,
    ),
    ("contract order of size zero", _order(size=0), E.SIZE_TOO_SMALL, None, perp_world),
    (
        "contract order below the minimum",
        _order(size=5),
        E.SIZE_TOO_SMALL,
        None,
        _spec_patch(min_size=10),
    ),
    ("contract order above the maximum", _order(size=10**7), E.SIZE_TOO_LARGE, None, perp_world),
    (
        "market contract order gtc",
        _order(price_ticks=0, tif=GTC),
        INVALID_PARAM_VALUE,
        None,
        perp_world,
    ),
    (
        "market order without a mark",
        _order(contract="ETH_USDT", price_ticks=0, tif=IOC),
        INVALID_PARAM_VALUE,
        None,
        perp_world,
    ),
    (
        "contract price above the maximum",
        _order(price_ticks=10**13),
        INVALID_PARAM_VALUE,
        None,
        perp_world,
    ),
    (
        "contract price far from the mark",
        _order(price_ticks=600_000),
        E.PRICE_TOO_DEVIATED,
        None,
        perp_world,
    ),
    ("iceberg showing everything", _order(display_size=10), INVALID_PARAM_VALUE, None, perp_world),
    (
        "ioc contract iceberg",
        _order(display_size=1, tif=IOC),
        INVALID_PARAM_VALUE,
        None,
        perp_world,
    ),
    (
        "reduce-only that would grow",
        _order(reduce_only=True),
        E.INCREASE_POSITION,
        None,
        perp_world,
    ),
    (
        "reduce-only beyond the position",
        _order(size=-61, price_ticks=510_000, reduce_only=True),
        E.REDUCE_EXCEEDED,
        None,
        perp_world,
    ),
    (
        "close beyond the bankruptcy price",
        _order(size=-10, price_ticks=490_000),
        E.PRICE_OVER_LIQUIDATION,
        None,
        _then(lambda w: w.venue.ok(SetLeverage(w.alice, BTC, 100))),
    ),
    (
        "resting close order beyond the bankruptcy price",
        _order(size=-10, price_ticks=440_000, reduce_only=True),
        "PRICE_OVER_LIQUIDATION",
        None,
        _spec_patch(price_deviate_ppm=200_000),  # a band wide enough to reach 44,000
    ),
    (
        "contract post-only that would take",
        _order(price_ticks=501_000, tif=POC),
        POC_FILL_IMMEDIATELY,
        None,
        perp_world,
    ),
    (
        "one contract order too many",
        _order(price_ticks=490_000),
        TOO_MANY_ORDERS,
        None,
        _spec_patch(max_open_orders_per_account=1),
    ),
    (
        "contract order beyond the margin",
        _order(size=100_000),
        E.INSUFFICIENT_AVAILABLE,
        None,
        perp_world,
    ),
    (
        "fok contract order beyond the depth",
        _order(size=20, price_ticks=501_000, tif=FOK),
        E.ORDER_FOK,
        None,
        perp_world,
    ),
    (
        "position beyond the last risk tier",
        _order(size=200),
        E.RISK_LIMIT_EXCEEDED,
        None,
        _patch(_btc, "tiers", _tiny_tiers(None)),
    ),
    (
        "leverage too high for the new size",
        _order(size=60_000),
        E.RISK_LIMIT_EXCEEDED,
        None,
        _then(lambda w: w.venue.ok(SetLeverage(w.alice, BTC, 100))),
    ),
    (
        "cancel of an unknown contract order",
        lambda w: CancelContractOrder(w.alice, BTC, 404),
        ORDER_NOT_FOUND,
        None,
        perp_world,
    ),
    (
        "cancel all contract orders on a made-up side",
        lambda w: CancelAllContractOrders(w.alice, BTC, 5),
        INVALID_PARAM_VALUE,
        None,
        perp_world,
    ),
    # --- futures account ------------------------------------------------------------------
    (
        "futures transfer of BTC",
        lambda w: TransferWallet(w.alice, "BTC", 1, "spot", "futures"),
        INVALID_PARAM_VALUE,
        None,
        None,
    ),
    (
        "futures transfer of nothing",
        lambda w: TransferWallet(w.alice, "USDT", 0, "spot", "futures"),
        INVALID_PARAM_VALUE,
        None,
        None,
    ),
    (
        "spot to spot transfer",
        lambda w: TransferWallet(w.alice, "USDT", 1, "spot", "spot"),
        INVALID_PARAM_VALUE,
        None,
        None,
    ),
    (
        "futures transfer beyond the free margin",
        lambda w: TransferWallet(w.alice, "USDT", 50_000 * A, "futures", "spot"),
        E.INSUFFICIENT_AVAILABLE,
        None,
        perp_world,
    ),
    ("insurance fund in BTC", lambda w: FundInsurance("BTC", 1), INVALID_PARAM_VALUE, None, None),
    (
        "mode change with a position",
        lambda w: SetPositionMode(w.alice, True),
        E.POSITION_HOLDING,
        None,
        perp_world,
    ),
    (
        "mode change with an order",
        lambda w: SetPositionMode(w.alice_sub, True),
        E.ORDER_PENDING,
        None,
        _then(_sub_with_order),
    ),
    (
        "margin of a made-up mode",
        lambda w: UpdatePositionMargin(w.alice, BTC, A, "both"),
        INVALID_PARAM_VALUE,
        None,
        perp_world,
    ),
    (
        "margin of a hedge slot in one-way mode",
        lambda w: UpdatePositionMargin(w.alice, BTC, A, "dual_long"),
        E.POSITION_DUAL_MODE,
        None,
        perp_world,
    ),
    (
        "negative leverage",
        lambda w: SetLeverage(w.alice, BTC, -1),
        E.LEVERAGE_TOO_LOW,
        None,
        perp_world,
    ),
    (
        "leverage above the maximum",
        lambda w: SetLeverage(w.alice, BTC, 126),
        E.LEVERAGE_TOO_HIGH,
        None,
        perp_world,
    ),
    (
        "leverage too high for the position",
        lambda w: SetLeverage(w.alice, BTC, 100),
        E.RISK_LIMIT_EXCEEDED,
        None,
        _patch(_btc, "tiers", _small_tiers(None)),
    ),
    (
        "leverage that liquidates the position",
        lambda w: SetLeverage(w.alice, BTC, 125),
        E.LIQUIDATE_IMMEDIATELY,
        None,
        _then(_trades_at(480_000)),
    ),
    (
        "leverage without the margin for it",
        lambda w: SetLeverage(w.alice, BTC, 1),
        E.INSUFFICIENT_AVAILABLE,
        None,
        _then(_drain_alice),
    ),
    (
        "margin without a position",
        lambda w: UpdatePositionMargin(w.alice, "ETH_USDT", A),
        E.POSITION_EMPTY,
        None,
        perp_world,
    ),
    (
        "margin of a cross position",
        lambda w: UpdatePositionMargin(w.bob, BTC, A),
        E.POSITION_CROSS_MARGIN,
        None,
        perp_world,
    ),
    (
        "margin change of zero",
        lambda w: UpdatePositionMargin(w.alice, BTC, 0),
        INVALID_PARAM_VALUE,
        None,
        perp_world,
    ),
    (
        "margin beyond the wallet",
        lambda w: UpdatePositionMargin(w.alice, BTC, 10**15),
        E.INSUFFICIENT_AVAILABLE,
        None,
        perp_world,
    ),
    (
        "margin removed below the initial",
        lambda w: UpdatePositionMargin(w.alice, BTC, -A),
        E.REMOVE_TOO_MUCH,
        None,
        perp_world,
    ),
    # --- index sources --------------------------------------------------------------------
    (
        "index of no sources",
        lambda w: ObserveIndexSources(BTC, ()),
        INVALID_PARAM_VALUE,
        None,
        None,
    ),
    (
        "index source without a weight",
        lambda w: ObserveIndexSources(BTC, (("a", 1),)),
        INVALID_PARAM_VALUE,
        None,
        None,
    ),  # type: ignore[arg-type]
    (
        "index source named twice",
        lambda w: ObserveIndexSources(BTC, (("a", 1, 1), ("a", 2, 1))),
        INVALID_PARAM_VALUE,
        None,
        None,
    ),
    (
        "index source at price zero",
        lambda w: ObserveIndexSources(BTC, (("a", 0, 1),)),
        INVALID_PARAM_VALUE,
        None,
        None,
    ),
    # --- contract trigger orders ----------------------------------------------------------
    (
        "contract trigger for another account",
        _trigger(order=lambda w: PlaceContractOrder(w.bob, BTC, 1, 0, IOC)),
        INVALID_PARAM_VALUE,
        None,
        perp_world,
    ),
    (
        "contract trigger of size zero",
        _trigger(order=lambda w: PlaceContractOrder(w.alice, BTC, 0, 0, IOC)),
        INVALID_PARAM_VALUE,
        None,
        perp_world,
    ),
    (
        "contract trigger of a huge order",
        _trigger(order=lambda w: PlaceContractOrder(w.alice, BTC, 10**7, 0, IOC)),
        INVALID_PARAM_VALUE,
        None,
        perp_world,
    ),
    (
        "contract trigger of an iceberg",
        _trigger(order=lambda w: PlaceContractOrder(w.alice, BTC, 10, P50K, display_size=1)),
        INVALID_PARAM_VALUE,
        None,
        perp_world,
    ),
    (
        "contract trigger on a made-up price",
        _trigger(price_type=3),
        INVALID_PARAM_VALUE,
        None,
        perp_world,
    ),
    (
        "contract trigger with a made-up rule",
        _trigger(rule=5),
        INVALID_PARAM_VALUE,
        None,
        perp_world,
    ),
    ("trailing stop of 100%", _trigger(trail_ppm=PPM), INVALID_PARAM_VALUE, None, perp_world),
    (
        "contract trigger at price zero",
        _trigger(trigger_price_ticks=0),
        INVALID_PARAM_VALUE,
        None,
        perp_world,
    ),
    ("contract trigger expired", _trigger(expires_at_ns=1), INVALID_PARAM_VALUE, None, perp_world),
    (
        "one contract trigger too many",
        _trigger(),
        TOO_MANY_ORDERS,
        None,
        _patch(lambda w: perpetual_triggers, "MAX_TRIGGERS_PER_ACCOUNT", 1),
    ),
    (
        "one trailing stop too many",
        _trigger(trail_ppm=10_000),
        TOO_MANY_ORDERS,
        None,
        _patch(lambda w: perpetual_triggers, "MAX_TRAILING_PER_CONTRACT", 0),
    ),
    (
        "cancel of an unknown contract trigger",
        lambda w: CancelContractTrigger(w.alice, BTC, 404),
        ORDER_NOT_FOUND,
        None,
        perp_world,
    ),
]
