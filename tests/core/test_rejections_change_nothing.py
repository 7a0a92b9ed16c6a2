"""Bad input gets a clear error and changes nothing: one row per way a command can be refused,
with the Gate label it must carry, each checked against the whole-state fingerprint (the state
hash without the sequence number and clock, which every command advances).

`test_every_rejection_in_the_core_has_a_row` keeps the table honest: it runs every row under a
line tracer and fails, naming the file and line, if any `raise Rejected(...)` in the venue core
was never reached. A new rejection path needs a new row here.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, Final

import pytest
from core_harness import BTC_USDT, Venue, of_type, state_fingerprint
from rejection_rows_cases import ROWS as CASE_ROWS
from rejection_rows_identity import ROWS as IDENTITY_ROWS
from rejection_rows_perpetual import ROWS as PERPETUAL_ROWS
from rejection_rows_sanctions import ROWS as SANCTIONS_ROWS

import clearhouse.core
from clearhouse.core import api_keys, identities, listing
from clearhouse.core.accounts import FROZEN
from clearhouse.core.book import BUY, FOK, GTC, IOC, POC, SELL
from clearhouse.core.commands import (
    AmendOrder,
    AnyCommand,
    ApproveWithdrawal,
    CancelAllOrders,
    CancelOrder,
    CancelTriggerOrder,
    CreateApiKey,
    CreditDeposit,
    Facts,
    ListAsset,
    ListSpotMarket,
    OnboardUser,
    OpenAccount,
    PlaceOrder,
    PlaceTriggerOrder,
    RegisterParty,
    RejectWithdrawal,
    RequestWithdrawal,
    RevokeApiKey,
    SetFeeTier,
    SetIndexPrice,
    SetMarketTrading,
    SetStpGroup,
    TransferBetweenAccounts,
)
from clearhouse.core.errors import (
    ACCOUNT_LOCKED,
    AMOUNT_TOO_LITTLE,
    AMOUNT_TOO_MUCH,
    BALANCE_NOT_ENOUGH,
    FOK_NOT_FILL,
    FORBIDDEN,
    INVALID_CURRENCY,
    INVALID_CURRENCY_PAIR,
    INVALID_PARAM_VALUE,
    INVALID_PRECISION,
    NO_CHANGE,
    ORDER_CLOSED,
    ORDER_NOT_FOUND,
    POC_FILL_IMMEDIATELY,
    SUB_ACCOUNT_NOT_FOUND,
    TOO_MANY_ORDERS,
    TRADE_RESTRICTED,
    USER_NOT_FOUND,
    Rejected,
)
from clearhouse.core.events import TriggerPlaced, WithdrawalRequested
from clearhouse.core.products import spot_triggers
from clearhouse.core.triggers import RULE_GE
from clearhouse.core.units import Asset, MarketUnits, SpotMarket

READ_KEY: Final = "READ" + "0" * 28
SPOT_KEY: Final = "SPOT" + "0" * 28  # allowed from 10.0.0.0/8 only
GT_USDT: Final = "GT_USDT"  # one open order per account
ETH_BTC: Final = "ETH_BTC"  # minimum size 10 lots


@dataclass
class World:
    """A venue with something of everything to be refused against."""

    venue: Venue
    alice: int
    alice_sub: int
    bob: int
    carol_party: int
    alice_bid: int  # 0.1 BTC @ 50,000
    alice_partial: int  # 0.5 BTC @ 55,000, 0.3 filled
    alice_berg: int  # 1 BTC @ 49,000 showing 0.1
    alice_poc: int  # 0.1 BTC @ 48,000 post-only
    bob_ask: int  # 0.1 BTC @ 70,000
    pending_withdrawal: int
    done_withdrawal: int
    trigger: int

    def limit(self, account: int, side: int, price: str, amount: str, **extra: Any) -> PlaceOrder:
        return self.venue.limit(account, side, price, amount, **extra)

    @property
    def btc_available(self) -> int:
        return self.venue.available(self.alice, "BTC")

    def ticks(self, price: str) -> int:
        return self.venue.price(price)

    def lots(self, amount: str) -> int:
        return self.venue.size(amount)


def build_world() -> World:
    venue = Venue()
    venue.ok(ListAsset("DOT", 8))
    venue.ok(
        ListSpotMarket(
            GT_USDT, "GT", "USDT", "0.01", "0.00001", 1, 10**8, 0, max_open_orders_per_account=1
        )
    )
    venue.ok(ListSpotMarket(ETH_BTC, "ETH", "BTC", "0.00001", "0.001", 10, 10**6, 0))
    alice_party = venue.party("Alice")
    carol_party = venue.party("Carol")
    alice = venue.account(alice_party)
    alice_sub = venue.account(alice_party, parent=alice)
    bob = venue.trader("Bob", BTC=2, GT=10)
    venue.fund(alice, USDT=200_000, BTC=2, ETH=10)
    venue.ok(CreateApiKey(alice, READ_KEY, b"sealed", ("read",)))
    venue.ok(CreateApiKey(alice, SPOT_KEY, b"sealed", ("spot", "wallet"), ("10.0.0.0/8",)))
    venue.place(bob, SELL, "20", "1", market=GT_USDT)
    alice_bid = venue.place(alice, BUY, "50000", "0.1")
    alice_partial = venue.place(alice, BUY, "55000", "0.5")
    venue.ok(venue.limit(bob, SELL, "55000", "0.3"))
    alice_berg = venue.place(alice, BUY, "49000", "1", display_lots=venue.size("0.1"))
    alice_poc = venue.place(alice, BUY, "48000", "0.1", tif=POC)
    bob_ask = venue.place(bob, SELL, "70000", "0.1")
    pending = venue.ok(RequestWithdrawal(alice, "USDT", venue.quote("999"), "w-1", "addr"))
    done = venue.ok(RequestWithdrawal(alice, "USDT", venue.quote("999"), "w-2", "addr"))
    done_id = of_type(done, WithdrawalRequested)[0].withdrawal_id
    venue.ok(ApproveWithdrawal(done_id, "tx"))
    trigger = venue.ok(
        PlaceTriggerOrder(
            alice,
            BTC_USDT,
            venue.price("80000"),
            RULE_GE,
            0,
            venue.limit(alice, BUY, "50000", "0.01"),
        )
    )
    return World(
        venue,
        alice,
        alice_sub,
        bob,
        carol_party,
        alice_bid,
        alice_partial,
        alice_berg,
        alice_poc,
        bob_ask,
        of_type(pending, WithdrawalRequested)[0].withdrawal_id,
        done_id,
        of_type(trigger, TriggerPlaced)[0].trigger_id,
    )


Setup = Callable[[World, pytest.MonkeyPatch], None]


@dataclass
class Case:
    name: str
    command: Callable[[World], AnyCommand]
    label: str
    facts: Facts | None = None
    setup: Setup | None = field(default=None)


def _freeze(account: str) -> Setup:
    def setup(world: World, _: pytest.MonkeyPatch) -> None:
        # the compliance layer freezes accounts; the core only has to honour it
        world.venue.state.accounts[getattr(world, account)].status = FROZEN

    return setup


def _patch(module: object, name: str, value: int) -> Setup:
    def setup(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(module, name, value)

    return setup


def _halt(world: World, _: pytest.MonkeyPatch) -> None:
    world.venue.ok(SetMarketTrading(BTC_USDT, False))


def _key(key: str, ip: str = "10.1.2.3") -> Facts:
    return Facts(channel="rest", ip=ip, api_key=key)


def _market(
    name: str = "NEW_USDT",
    base: str = "DOT",
    quote: str = "USDT",
    tick: str = "0.01",
    lot: str = "0.001",
    lo: int = 1,
    hi: int = 1000,
    notional: int = 0,
    fees: tuple[tuple[int, int], ...] = ((1000, 2000),),
    max_open: int = 1000,
) -> Callable[[World], AnyCommand]:
    return lambda w: ListSpotMarket(name, base, quote, tick, lot, lo, hi, notional, fees, max_open)


def _onboard(**changes: Any) -> Callable[[World], AnyCommand]:
    def build(world: World) -> AnyCommand:
        fields: dict[str, Any] = {
            "name": "Dora",
            "email": "dora@example.com",
            "country": "DE",
            "kyc_tier": 1,
            "key": "DORA" + "0" * 28,
            "secret_sealed": b"sealed",
            "permissions": ("spot",),
        }
        fields.update({k: (v(world) if callable(v) else v) for k, v in changes.items()})
        return OnboardUser(**fields)

    return build


def _trigger(**changes: Any) -> Callable[[World], AnyCommand]:
    def build(world: World) -> AnyCommand:
        fields: dict[str, Any] = {
            "account": world.alice,
            "market": BTC_USDT,
            "trigger_price_ticks": world.ticks("80000"),
            "rule": RULE_GE,
            "expires_at_ns": 0,
            "order": world.limit(world.alice, BUY, "50000", "0.01"),
        }
        fields.update({k: (v(world) if callable(v) else v) for k, v in changes.items()})
        return PlaceTriggerOrder(**fields)

    return build


def _order(**changes: Any) -> Callable[[World], AnyCommand]:
    """Alice's good GTC buy of 0.1 BTC at 60,000 with `changes`."""

    def build(world: World) -> AnyCommand:
        fields: dict[str, Any] = {
            "account": world.alice,
            "market": BTC_USDT,
            "side": BUY,
            "price_ticks": world.ticks("60000"),
            "size_lots": world.lots("0.1"),
        }
        fields.update({k: (v(world) if callable(v) else v) for k, v in changes.items()})
        return PlaceOrder(**fields)

    return build


def _amend(order: str = "alice_bid", **changes: Any) -> Callable[[World], AnyCommand]:
    def build(world: World) -> AnyCommand:
        fields: dict[str, Any] = {
            "account": world.alice,
            "market": BTC_USDT,
            "order_id": getattr(world, order),
        }
        fields.update({k: (v(world) if callable(v) else v) for k, v in changes.items()})
        return AmendOrder(**fields)

    return build


A = 10**8  # units of one whole asset at scale 8
LONG = "x" * 300

CASES: Final[list[Case]] = [
    # --- the policy gate ------------------------------------------------------------------
    Case("order for an unknown account", _order(account=404), USER_NOT_FOUND),
    Case("order by a frozen account", _order(), ACCOUNT_LOCKED, setup=_freeze("alice")),
    Case(
        "withdrawal by a frozen account",
        lambda w: RequestWithdrawal(w.alice, "USDT", 1, "w-9", "addr"),
        ACCOUNT_LOCKED,
        setup=_freeze("alice"),
    ),
    Case("unknown api key", _order(), FORBIDDEN, _key("NOPE" + "0" * 28)),
    Case("api key of another account", _order(account=lambda w: w.bob), FORBIDDEN, _key(SPOT_KEY)),
    Case(
        "admin command with an api key",
        lambda w: CreditDeposit(w.alice, "BTC", 1, "t"),
        FORBIDDEN,
        _key(SPOT_KEY),
    ),
    Case("read-only api key places an order", _order(), FORBIDDEN, _key(READ_KEY)),
    Case("api key from outside its allow-list", _order(), FORBIDDEN, _key(SPOT_KEY, "8.8.8.8")),
    Case("api key from an unparseable address", _order(), FORBIDDEN, _key(SPOT_KEY, "nope")),
    # --- listing --------------------------------------------------------------------------
    Case("asset code in lower case", lambda w: ListAsset("dot2", 8), INVALID_PARAM_VALUE),
    Case("asset listed twice", lambda w: ListAsset("BTC", 8), NO_CHANGE),
    Case("asset scale above 18", lambda w: ListAsset("NEW", 19), INVALID_PARAM_VALUE),
    Case(
        "asset table full",
        lambda w: ListAsset("NEW", 8),
        INVALID_PARAM_VALUE,
        setup=_patch(listing, "MAX_ASSETS", 6),
    ),
    Case("market name with a dash", _market(name="NEW-USDT"), INVALID_PARAM_VALUE),
    Case("market listed twice", _market(name=BTC_USDT, base="BTC"), NO_CHANGE),
    Case(
        "too many markets", _market(), INVALID_PARAM_VALUE, setup=_patch(listing, "MAX_MARKETS", 4)
    ),
    Case("market of an unknown asset", _market(base="NOPE"), INVALID_CURRENCY),
    Case("market of one asset against itself", _market(base="USDT"), INVALID_PARAM_VALUE),
    Case("market minimum above maximum", _market(lo=5, hi=4), INVALID_PARAM_VALUE),
    Case("market negative minimum notional", _market(notional=-1), INVALID_PARAM_VALUE),
    Case("market without fee tiers", _market(fees=()), INVALID_PARAM_VALUE),
    Case("market taker fee above 10%", _market(fees=((0, 100_001),)), INVALID_PARAM_VALUE),
    Case("market rebate above the taker fee", _market(fees=((-300, 200),)), INVALID_PARAM_VALUE),
    Case("market without open orders", _market(max_open=0), INVALID_PARAM_VALUE),
    Case("market tick of zero", _market(tick="0"), INVALID_PARAM_VALUE),
    Case("market tick NaN", _market(tick="NaN"), INVALID_PARAM_VALUE),
    Case("market tick Infinity", _market(tick="Infinity"), INVALID_PARAM_VALUE),
    Case("market tick with exponent", _market(tick="1e-2"), INVALID_PARAM_VALUE),
    Case("market tick empty", _market(tick=""), INVALID_PARAM_VALUE),
    Case("market lot finer than its asset", _market(lot="0.000000001"), INVALID_PARAM_VALUE),
    Case("market tick x lot finer than quote", _market(tick="0.000001"), INVALID_PARAM_VALUE),
    Case(
        "trading switch of an unknown market",
        lambda w: SetMarketTrading("NOPE_USDT", False),
        INVALID_CURRENCY_PAIR,
    ),
    Case("index price of zero", lambda w: SetIndexPrice(BTC_USDT, 0), INVALID_PARAM_VALUE),
    Case(
        "index price of an unknown market",
        lambda w: SetIndexPrice("NOPE_USDT", 1),
        INVALID_CURRENCY_PAIR,
    ),
    # --- parties and accounts -------------------------------------------------------------
    Case("party of an unknown kind", lambda w: RegisterParty("robot", "R2"), INVALID_PARAM_VALUE),
    Case("party without a name", lambda w: RegisterParty("person", "  "), INVALID_PARAM_VALUE),
    Case("party with a long name", lambda w: RegisterParty("person", LONG), INVALID_PARAM_VALUE),
    Case(
        "party country not alpha-2",
        lambda w: RegisterParty("person", "Ann", "de"),
        INVALID_PARAM_VALUE,
    ),
    Case("account of an unknown party", lambda w: OpenAccount(404), USER_NOT_FOUND),
    Case(
        "account of an unknown beneficial owner", lambda w: OpenAccount(1, 0, 404), USER_NOT_FOUND
    ),
    Case("account label too long", lambda w: OpenAccount(1, label=LONG), INVALID_PARAM_VALUE),
    Case(
        "sub-account of an unknown master",
        lambda w: OpenAccount(1, parent=404),
        SUB_ACCOUNT_NOT_FOUND,
    ),
    Case(
        "sub-account of a sub-account",
        lambda w: OpenAccount(1, parent=w.alice_sub),
        INVALID_PARAM_VALUE,
    ),
    Case(
        "sub-account owned by someone else",
        lambda w: OpenAccount(w.carol_party, w.alice),
        INVALID_PARAM_VALUE,
    ),
    Case(
        "too many sub-accounts",
        lambda w: OpenAccount(1, parent=w.alice),
        INVALID_PARAM_VALUE,
        setup=_patch(identities, "MAX_SUB_ACCOUNTS", 1),
    ),
    Case(
        "master with another beneficial owner",
        lambda w: OpenAccount(1, 0, w.carol_party),
        INVALID_PARAM_VALUE,
    ),
    Case("fee tier above the maximum", lambda w: SetFeeTier(w.alice, 99), INVALID_PARAM_VALUE),
    Case("fee tier of an unknown account", lambda w: SetFeeTier(404, 1), USER_NOT_FOUND),
    Case("negative stp group", lambda w: SetStpGroup(w.alice, -1), INVALID_PARAM_VALUE),
    Case("onboarding a bad email", _onboard(email="dora.example.com"), INVALID_PARAM_VALUE),
    Case("onboarding a kyc tier of 9", _onboard(kyc_tier=9), INVALID_PARAM_VALUE),
    Case("onboarding an unnamed person", _onboard(name=""), INVALID_PARAM_VALUE),
    Case("onboarding with a taken key", _onboard(key=READ_KEY), NO_CHANGE),
    Case("onboarding under an unknown master", _onboard(parent=404), SUB_ACCOUNT_NOT_FOUND),
    Case(
        "onboarding under a sub-account",
        _onboard(parent=lambda w: w.alice_sub),
        INVALID_PARAM_VALUE,
    ),
    Case(
        "onboarding a master with a beneficial owner",
        _onboard(beneficial_owner_name="Eve"),
        INVALID_PARAM_VALUE,
    ),
    Case(
        "onboarding a bad beneficial owner country",
        _onboard(
            parent=lambda w: w.alice,
            beneficial_owner_name="Eve",
            beneficial_owner_country="Deutschland",
        ),
        INVALID_PARAM_VALUE,
    ),
    # --- api keys -------------------------------------------------------------------------
    Case(
        "api key too short",
        lambda w: CreateApiKey(w.alice, "short", b"s", ("spot",)),
        INVALID_PARAM_VALUE,
    ),
    Case(
        "api key with an unknown permission",
        lambda w: CreateApiKey(w.alice, "N" * 32, b"s", ("trade",)),
        INVALID_PARAM_VALUE,
    ),
    Case(
        "api key with no permission",
        lambda w: CreateApiKey(w.alice, "N" * 32, b"s", ()),
        INVALID_PARAM_VALUE,
    ),
    Case(
        "api key allow-list too long",
        lambda w: CreateApiKey(w.alice, "N" * 32, b"s", ("spot",), ("10.0.0.1",) * 65),
        INVALID_PARAM_VALUE,
    ),
    Case(
        "api key allow-list entry not a network",
        lambda w: CreateApiKey(w.alice, "N" * 32, b"s", ("spot",), ("10.0.0.300",)),
        INVALID_PARAM_VALUE,
    ),
    Case(
        "api key created twice",
        lambda w: CreateApiKey(w.alice, READ_KEY, b"s", ("spot",)),
        NO_CHANGE,
    ),
    Case(
        "api key for an unknown account",
        lambda w: CreateApiKey(404, "N" * 32, b"s", ("spot",)),
        USER_NOT_FOUND,
    ),
    Case(
        "too many api keys",
        lambda w: CreateApiKey(w.alice, "N" * 32, b"s", ("spot",)),
        INVALID_PARAM_VALUE,
        setup=_patch(api_keys, "MAX_KEYS_PER_ACCOUNT", 2),
    ),
    Case(
        "revoking someone else's key", lambda w: RevokeApiKey(w.bob, READ_KEY), INVALID_PARAM_VALUE
    ),
    # --- money ----------------------------------------------------------------------------
    Case(
        "deposit without a txid",
        lambda w: CreditDeposit(w.alice, "BTC", 1, ""),
        INVALID_PARAM_VALUE,
    ),
    Case(
        "deposit with an over-long txid",
        lambda w: CreditDeposit(w.alice, "BTC", 1, LONG),
        INVALID_PARAM_VALUE,
    ),
    Case("deposit of zero", lambda w: CreditDeposit(w.alice, "BTC", 0, "t-0"), INVALID_PARAM_VALUE),
    Case(
        "deposit of an absurd amount",
        lambda w: CreditDeposit(w.alice, "BTC", 10**31, "t-1"),
        INVALID_PARAM_VALUE,
    ),
    Case(
        "deposit to an unknown account",
        lambda w: CreditDeposit(404, "BTC", 1, "t-2"),
        USER_NOT_FOUND,
    ),
    Case(
        "deposit of an unknown asset",
        lambda w: CreditDeposit(w.alice, "DOGE", 1, "t-3"),
        INVALID_CURRENCY,
    ),
    Case(
        "withdrawal without a client id",
        lambda w: RequestWithdrawal(w.alice, "USDT", 1, "", "addr"),
        INVALID_PARAM_VALUE,
    ),
    Case(
        "withdrawal without an address",
        lambda w: RequestWithdrawal(w.alice, "USDT", 1, "w-9", ""),
        INVALID_PARAM_VALUE,
    ),
    Case(
        "withdrawal of a negative amount",
        lambda w: RequestWithdrawal(w.alice, "USDT", -1, "w-9", "addr"),
        INVALID_PARAM_VALUE,
    ),
    Case(
        "withdrawal of an unknown asset",
        lambda w: RequestWithdrawal(w.alice, "DOGE", 1, "w-9", "addr"),
        INVALID_CURRENCY,
    ),
    Case(
        "withdrawal beyond the available balance",
        lambda w: RequestWithdrawal(w.alice, "BTC", w.btc_available + 1, "w-9", "addr"),
        BALANCE_NOT_ENOUGH,
    ),
    Case("approving an unknown withdrawal", lambda w: ApproveWithdrawal(404), INVALID_PARAM_VALUE),
    Case(
        "approving a withdrawal twice", lambda w: ApproveWithdrawal(w.done_withdrawal), ORDER_CLOSED
    ),
    Case(
        "rejecting an approved withdrawal",
        lambda w: RejectWithdrawal(w.done_withdrawal),
        ORDER_CLOSED,
    ),
    Case(
        "transfer from an unknown account",
        lambda w: TransferBetweenAccounts(404, w.alice, "BTC", 1),
        USER_NOT_FOUND,
    ),
    Case(
        "transfer to an unknown account",
        lambda w: TransferBetweenAccounts(w.alice, 404, "BTC", 1),
        SUB_ACCOUNT_NOT_FOUND,
    ),
    Case(
        "transfer to another family",
        lambda w: TransferBetweenAccounts(w.alice, w.bob, "BTC", 1),
        FORBIDDEN,
    ),
    Case(
        "transfer to the same account",
        lambda w: TransferBetweenAccounts(w.alice, w.alice, "BTC", 1),
        INVALID_PARAM_VALUE,
    ),
    Case(
        "transfer of an unknown asset",
        lambda w: TransferBetweenAccounts(w.alice, w.alice_sub, "DOGE", 1),
        INVALID_CURRENCY,
    ),
    Case(
        "transfer of zero",
        lambda w: TransferBetweenAccounts(w.alice, w.alice_sub, "BTC", 0),
        INVALID_PARAM_VALUE,
    ),
    Case(
        "transfer beyond the available balance",
        lambda w: TransferBetweenAccounts(w.alice, w.alice_sub, "BTC", w.btc_available + 1),
        BALANCE_NOT_ENOUGH,
    ),
    # --- placing orders -------------------------------------------------------------------
    Case("order on an unknown market", _order(market="NOPE_USDT"), INVALID_CURRENCY_PAIR),
    Case("order while trading is suspended", _order(), TRADE_RESTRICTED, setup=_halt),
    Case("order on a made-up side", _order(side=2), INVALID_PARAM_VALUE),
    Case("order with a made-up time in force", _order(tif=4), INVALID_PARAM_VALUE),
    Case("order with an over-long text", _order(text="t-" + "x" * 80), INVALID_PARAM_VALUE),
    Case("order with a made-up stp action", _order(stp_act=3), INVALID_PARAM_VALUE),
    Case(
        "market order good till cancelled",
        _order(price_ticks=0, side=SELL, tif=GTC),
        INVALID_PARAM_VALUE,
    ),
    Case(
        "market iceberg",
        _order(price_ticks=0, side=SELL, tif=IOC, display_lots=1),
        INVALID_PARAM_VALUE,
    ),
    Case("market buy sized in base", _order(price_ticks=0, tif=IOC), INVALID_PARAM_VALUE),
    Case(
        "market buy below the minimum value",
        _order(price_ticks=0, size_lots=0, tif=IOC, quote_units=3 * A - 1),
        AMOUNT_TOO_LITTLE,
    ),
    Case(
        "market buy beyond the balance",
        _order(price_ticks=0, size_lots=0, tif=IOC, quote_units=300_000 * A),
        BALANCE_NOT_ENOUGH,
    ),
    Case(
        "fok market buy beyond the depth",
        _order(price_ticks=0, size_lots=0, tif=FOK, quote_units=10_000 * A),
        FOK_NOT_FILL,
    ),
    Case(
        "market sell sized in quote",
        _order(price_ticks=0, side=SELL, tif=IOC, quote_units=A),
        INVALID_PARAM_VALUE,
    ),
    Case(
        "market sell of nothing",
        _order(price_ticks=0, side=SELL, tif=IOC, size_lots=0),
        AMOUNT_TOO_LITTLE,
    ),
    Case(
        "fok market sell beyond the depth",
        _order(price_ticks=0, side=SELL, tif=FOK, size_lots=lambda w: w.lots("2")),
        FOK_NOT_FILL,
    ),
    Case("negative price", _order(price_ticks=-1), INVALID_PARAM_VALUE),
    Case("price above the market maximum", _order(price_ticks=10**15 + 1), INVALID_PARAM_VALUE),
    Case("limit order sized in quote", _order(quote_units=A), INVALID_PARAM_VALUE),
    Case("limit order of zero size", _order(size_lots=0), AMOUNT_TOO_LITTLE),
    Case("limit order above the maximum size", _order(size_lots=10**8 + 1), AMOUNT_TOO_MUCH),
    Case("limit order below the minimum value", _order(size_lots=4), AMOUNT_TOO_LITTLE),
    Case(
        "iceberg showing all of itself",
        _order(display_lots=lambda w: w.lots("0.1")),
        INVALID_PARAM_VALUE,
    ),
    Case("iceberg showing a negative slice", _order(display_lots=-1), INVALID_PARAM_VALUE),
    Case("ioc iceberg", _order(tif=IOC, display_lots=1), INVALID_PARAM_VALUE),
    Case(
        "iceberg slice below the minimum size",
        lambda w: PlaceOrder(w.alice, ETH_BTC, SELL, 5_000, 1_000, display_lots=5),
        AMOUNT_TOO_LITTLE,
    ),
    Case(
        "post-only that would take",
        _order(tif=POC, price_ticks=lambda w: w.ticks("70000")),
        POC_FILL_IMMEDIATELY,
    ),
    Case(
        "one open order too many",
        lambda w: PlaceOrder(w.bob, GT_USDT, SELL, 2100, 10),
        TOO_MANY_ORDERS,
    ),
    Case(
        "buy beyond the quote balance", _order(size_lots=lambda w: w.lots("3")), BALANCE_NOT_ENOUGH
    ),
    Case(
        "sell beyond the base balance",
        _order(
            side=SELL,
            price_ticks=lambda w: w.ticks("80000"),
            size_lots=lambda w: w.btc_available // 1_000 + 1,
        ),
        BALANCE_NOT_ENOUGH,
    ),
    Case(
        "fok limit order beyond the depth",
        _order(tif=FOK, price_ticks=lambda w: w.ticks("70000"), size_lots=lambda w: w.lots("0.2")),
        FOK_NOT_FILL,
    ),
    # --- cancelling and amending ----------------------------------------------------------
    Case(
        "cancel on an unknown market",
        lambda w: CancelOrder(w.alice, "NOPE_USDT", 1),
        INVALID_CURRENCY_PAIR,
    ),
    Case(
        "cancel of an unknown order", lambda w: CancelOrder(w.alice, BTC_USDT, 404), ORDER_NOT_FOUND
    ),
    Case(
        "cancel of someone else's order",
        lambda w: CancelOrder(w.alice, BTC_USDT, w.bob_ask),
        ORDER_NOT_FOUND,
    ),
    Case(
        "cancel all on a made-up side",
        lambda w: CancelAllOrders(w.alice, BTC_USDT, 5),
        INVALID_PARAM_VALUE,
    ),
    Case(
        "cancel all on an unknown market",
        lambda w: CancelAllOrders(w.alice, "NOPE_USDT"),
        INVALID_CURRENCY_PAIR,
    ),
    Case("amend of someone else's order", _amend("bob_ask", size_lots=1), ORDER_NOT_FOUND),
    Case("amend while trading is suspended", _amend(size_lots=1), TRADE_RESTRICTED, setup=_halt),
    Case("amend with an over-long text", _amend(text="t-" + "x" * 80), INVALID_PARAM_VALUE),
    Case("amend to a negative price", _amend(price_ticks=-5), INVALID_PARAM_VALUE),
    Case("amend to a negative size", _amend(size_lots=-5), INVALID_PARAM_VALUE),
    Case(
        "amend to the filled amount",
        _amend("alice_partial", size_lots=lambda w: w.lots("0.3")),
        INVALID_PARAM_VALUE,
    ),
    Case("amend above the maximum size", _amend(size_lots=10**8 + 1), AMOUNT_TOO_MUCH),
    Case("amend below the minimum value", _amend(size_lots=5), AMOUNT_TOO_LITTLE),
    Case(
        "amend an iceberg below its slice",
        _amend("alice_berg", size_lots=lambda w: w.lots("0.1")),
        INVALID_PARAM_VALUE,
    ),
    Case(
        "amend up beyond the balance", _amend(size_lots=lambda w: w.lots("4")), BALANCE_NOT_ENOUGH
    ),
    Case(
        "amend post-only to a crossing price",
        _amend("alice_poc", price_ticks=lambda w: w.ticks("70000")),
        POC_FILL_IMMEDIATELY,
    ),
    # --- trigger orders -------------------------------------------------------------------
    Case("trigger with a made-up rule", _trigger(rule=7), INVALID_PARAM_VALUE),
    Case("trigger at price zero", _trigger(trigger_price_ticks=0), INVALID_PARAM_VALUE),
    Case("trigger expiring in the past", _trigger(expires_at_ns=1), INVALID_PARAM_VALUE),
    Case(
        "trigger for another account's order",
        _trigger(order=lambda w: w.limit(w.bob, SELL, "90000", "0.01")),
        INVALID_PARAM_VALUE,
    ),
    Case(
        "trigger with a malformed order",
        _trigger(order=lambda w: PlaceOrder(w.alice, BTC_USDT, BUY, 0, 0, tif=GTC, quote_units=A)),
        INVALID_PARAM_VALUE,
    ),
    Case("trigger on an unknown market", _trigger(market="NOPE_USDT"), INVALID_CURRENCY_PAIR),
    Case(
        "one trigger too many",
        _trigger(),
        TOO_MANY_ORDERS,
        setup=_patch(spot_triggers, "MAX_TRIGGERS_PER_ACCOUNT", 1),
    ),
    Case(
        "cancel of an unknown trigger",
        lambda w: CancelTriggerOrder(w.alice, BTC_USDT, 404),
        ORDER_NOT_FOUND,
    ),
    Case(
        "cancel of someone else's trigger",
        lambda w: CancelTriggerOrder(w.bob, BTC_USDT, w.trigger),
        ORDER_NOT_FOUND,
    ),
]

CASES.extend(Case(*row) for row in IDENTITY_ROWS)  # identities, KYC, jurisdictions
CASES.extend(Case(*row) for row in SANCTIONS_ROWS)  # sanctions screening, Travel Rule
CASES.extend(Case(*row) for row in PERPETUAL_ROWS)  # perpetual futures
CASES.extend(Case(*row) for row in CASE_ROWS)  # compliance cases and SARs


def run_case(case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    world = build_world()
    if case.setup is not None:
        case.setup(world, monkeypatch)
    venue = world.venue
    command = case.command(world)
    before = state_fingerprint(venue.state)
    seq = venue.state.seq
    label = venue.reject(command, case.facts)  # asserts the fingerprint did not change
    assert label == case.label, f"{case.name}: {label} != {case.label}"
    assert state_fingerprint(venue.state) == before
    assert venue.state.seq == seq + 1  # only the sequence number and clock moved on


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_refused_command_carries_its_label_and_changes_nothing(
    case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_case(case, monkeypatch)


def test_the_table_has_one_row_per_name() -> None:
    names = [case.name for case in CASES]
    assert len(names) == len(set(names))


# --- rejections at the edge (no command involved) ---------------------------------------------
def _units() -> MarketUnits:
    spec = SpotMarket(BTC_USDT, "BTC", "USDT", "0.01", "0.00001", 1, 100_000_000, 3 * A)
    return MarketUnits(spec, Asset("BTC", 8), Asset("USDT", 8))


EDGE_CASES: Final[list[tuple[str, Callable[[], object], str]]] = [
    ("price off the tick", lambda: _units().parse_price("60000.001"), INVALID_PRECISION),
    ("price of zero", lambda: _units().parse_price("0"), INVALID_PARAM_VALUE),
    ("price above the maximum", lambda: _units().parse_price("1" + "0" * 14), INVALID_PARAM_VALUE),
    ("size not a number", lambda: _units().parse_size("abc"), INVALID_PARAM_VALUE),
    ("size below the minimum", lambda: _units().parse_size("0.000001"), INVALID_PRECISION),
    ("size above the maximum", lambda: _units().parse_size("1001"), AMOUNT_TOO_MUCH),
    (
        "quote amount below the minimum",
        lambda: _units().parse_quote_amount("2.9"),
        AMOUNT_TOO_LITTLE,
    ),
    (
        "market with a zero lot",
        lambda: MarketUnits(
            SpotMarket("X_Y", "X", "Y", "1", "0", 1, 1, 0), Asset("X", 0), Asset("Y", 0)
        ),
        INVALID_PARAM_VALUE,
    ),
]


@pytest.mark.parametrize(
    ("call", "label"),
    [(call, label) for _, call, label in EDGE_CASES],
    ids=[name for name, _, _ in EDGE_CASES],
)
def test_edge_parsing_refuses_with_its_label(call: Callable[[], object], label: str) -> None:
    with pytest.raises(Rejected) as refused:
        call()
    assert refused.value.label == label


# --- the table is complete --------------------------------------------------------------------
CORE_DIR: Final = Path(clearhouse.core.__file__).parent
CORE_FILES: Final = sorted(CORE_DIR.rglob("*.py"))  # every subsystem of the core, as it grows


def rejection_sites() -> set[tuple[str, int]]:
    """Every `raise Rejected(...)` in the core, less the ones marked unreachable."""
    sites: set[tuple[str, int]] = set()
    for path in CORE_FILES:
        source = path.read_text()
        lines = source.splitlines()
        tree = ast.parse(source)
        unreachable = {
            inner.lineno
            for node in ast.walk(tree)
            if isinstance(node, ast.stmt | ast.ExceptHandler)
            and "pragma: no cover" in lines[node.lineno - 1]
            for inner in ast.walk(node)
            if isinstance(inner, ast.Raise)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Raise)
                and isinstance(node.exc, ast.Call)
                and isinstance(node.exc.func, ast.Name)
                and node.exc.func.id == "Rejected"
                and node.lineno not in unreachable
            ):
                sites.add((str(path), node.lineno))
    return sites


@pytest.fixture
def traced_lines() -> Iterator[set[tuple[str, int]]]:
    seen: set[tuple[str, int]] = set()
    core = str(CORE_DIR)

    def local(frame: FrameType, event: str, arg: object) -> object:
        if event == "line":
            seen.add((frame.f_code.co_filename, frame.f_lineno))
        return local

    def tracer(frame: FrameType, event: str, arg: object) -> object:
        return local if frame.f_code.co_filename.startswith(core) else None

    previous = sys.gettrace()
    sys.settrace(tracer)  # type: ignore[arg-type]
    try:
        yield seen
    finally:
        sys.settrace(previous)


def test_every_rejection_in_the_core_has_a_row(
    traced_lines: set[tuple[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    for case in CASES:
        with monkeypatch.context() as patch:
            run_case(case, patch)
    for _, call, _ in EDGE_CASES:
        with pytest.raises(Rejected):
            call()
    missed = sorted(rejection_sites() - traced_lines)
    report = "\n".join(
        f"{Path(path).relative_to(CORE_DIR.parent.parent)}:{line}: "
        f"{Path(path).read_text().splitlines()[line - 1].strip()}"
        for path, line in missed
    )
    assert not missed, f"rejections without a row in CASES or EDGE_CASES:\n{report}"
