"""Property: random command streams give the same trades, book and balances in the engine as in
the deliberately simple model in `reference_book.py`, and the engine's invariants hold after
every command (ledger balanced, no negative user balance, book sound and never crossed, holds
equal to open reservations). At the end, a replay of the journal and a snapshot round trip give
the same state hash.

Several accounts on purpose: a master with two sub-accounts (one with its own beneficial owner),
and two unrelated people in one STP group, one of them on a maker-rebate fee tier.
"""

from __future__ import annotations

import os
from typing import Final

from core_harness import state_fingerprint, travel_rule_data
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from reference_book import (
    BUY,
    FOK,
    GTC,
    IOC,
    POC,
    SELL,
    Fill,
    MarketRules,
    Outcome,
    ReferenceMarket,
)

from clearhouse.core import canonical, invariants
from clearhouse.core.commands import (
    AmendOrder,
    AnyCommand,
    ApproveWithdrawal,
    CancelAllOrders,
    CancelOrder,
    CreditDeposit,
    DecideKyc,
    Envelope,
    ListAsset,
    ListSpotMarket,
    OpenAccount,
    PlaceOrder,
    RegisterParty,
    RejectWithdrawal,
    RequestWithdrawal,
    SetFeeTier,
    SetKycLimits,
    SetStpGroup,
    TransferBetweenAccounts,
)
from clearhouse.core.engine import Engine
from clearhouse.core.events import (
    AccountOpened,
    CommandRejected,
    Event,
    OrderClosed,
    Traded,
    WithdrawalRequested,
)
from clearhouse.core.ledger import AVAILABLE, FEES, HOLD
from clearhouse.core.wallet import PENDING

MARKET: Final = "TST_USD"
ASSETS: Final = ("TST", "USD")
FEE_TIERS: Final = ((1000, 2000), (-500, 1000), (0, 0))
RULES: Final = MarketRules(
    base="TST",
    quote="USD",
    base_units_per_lot=10_000,  # lot 0.01 at scale 6
    quote_units_per_tick_lot=100,  # tick 0.01 x lot 0.01 at scale 6
    min_size_lots=1,
    max_size_lots=40,
    min_notional_units=15_000,  # a one-lot order is always too small, two lots never are
    max_price_ticks=10**15,
    fees=FEE_TIERS,
    max_open_orders=6,
)
KYC: Final = ((1, "DE"), (2, "FR"), (3, "IT"), (4, "ES"))
SETUP: Final[list[AnyCommand]] = [
    ListAsset("TST", 6),
    ListAsset("USD", 6),
    ListSpotMarket(
        MARKET,
        "TST",
        "USD",
        "0.01",
        "0.01",
        1,
        40,
        15_000,
        FEE_TIERS,
        max_open_orders_per_account=6,
    ),
    RegisterParty("person", "Alice", "DE"),  # party 1
    RegisterParty("person", "Bob", "FR"),  # party 2
    RegisterParty("person", "Carol", "IT"),  # party 3
    RegisterParty("person", "Dan", "ES"),  # party 4
    # every party passes KYC (tier 0 may not trade); withdrawals are within the allowance
    *(DecideKyc(p, 1, "kyc", (f"check-{p}",), c, f"doc-{p}", "officer") for p, c in KYC),
    SetKycLimits(1, (("TST", 10**15), ("USD", 10**15))),
    OpenAccount(1),  # Alice's master
    OpenAccount(1, parent=10_000_001),  # Alice's sub-account, Alice the beneficial owner
    OpenAccount(1, parent=10_000_001, beneficial_owner=3),  # Alice's sub-account run for Carol
    OpenAccount(2),  # Bob
    OpenAccount(4),  # Dan
    SetStpGroup(10_000_004, 7),
    SetStpGroup(10_000_005, 7),
    SetFeeTier(10_000_005, 1),
]
ACCOUNTS: Final = (10_000_001, 10_000_002, 10_000_003, 10_000_004, 10_000_005)
OWNERS: Final = {10_000_001: 1, 10_000_002: 1, 10_000_003: 3, 10_000_004: 2, 10_000_005: 4}
MASTERS: Final = {
    10_000_001: 10_000_001,
    10_000_002: 10_000_001,
    10_000_003: 10_000_001,
    10_000_004: 10_000_004,
    10_000_005: 10_000_005,
}

accounts = st.sampled_from(ACCOUNTS)
assets = st.sampled_from(ASSETS)
prices = st.integers(95, 105)
sizes = st.one_of(st.integers(2, 12), st.integers(1, 45))
stp_acts = st.sampled_from((0, 1, 2))

EXAMPLES: Final = int(os.environ.get("CORE_PROPERTY_EXAMPLES", "200"))

TRAVEL_RULE_DATA: Final = travel_rule_data("addr-1")


def _outcome_of(events: list[Event]) -> tuple[str | None, list[Fill], list[tuple[int, str]]]:
    if len(events) == 1 and isinstance(events[0], CommandRejected):
        return events[0].label, [], []
    fills = [
        Fill(
            e.maker_order,
            e.taker_order,
            e.price_ticks,
            e.size_lots,
            e.maker_fee_units,
            e.taker_fee_units,
        )
        for e in events
        if isinstance(e, Traded)
    ]
    closes = [(e.order_id, e.finish_as) for e in events if isinstance(e, OrderClosed)]
    return None, fills, closes


class EngineAgainstReference(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.engine = Engine()
        self.journal: list[Envelope] = []
        self.ref = ReferenceMarket(RULES)

    # --- plumbing ----------------------------------------------------------------------------
    def _apply(self, command: AnyCommand) -> list[Event]:
        envelope = Envelope(len(self.journal) + 1, (len(self.journal) + 1) * 1_000, command)
        self.journal.append(envelope)
        return self.engine.apply(envelope)

    def _both(self, command: AnyCommand, expected: Outcome) -> list[Event]:
        """Apply to the engine (the reference has already applied) and compare what happened."""
        before = state_fingerprint(self.engine.state)
        events = self._apply(command)
        label, fills, closes = _outcome_of(events)
        event(f"{type(command).__name__}: {label or 'accepted'}{' + fills' if fills else ''}")
        for finish_as in sorted({finish for _, finish in closes}):
            event(f"closed as {finish_as}")
        assert label == expected.label, (command, events, expected)
        if label is not None:
            assert state_fingerprint(self.engine.state) == before, f"{command} changed state"
        assert fills == expected.fills, (command, fills, expected.fills)
        assert sorted(closes) == sorted(expected.closed), (command, closes, expected.closed)
        return events

    @initialize()
    def open_venue(self) -> None:
        for command in SETUP:
            events = self._apply(command)
            assert not isinstance(events[0], CommandRejected), (command, events)
            for opened in events:
                if isinstance(opened, AccountOpened):
                    assert opened.beneficial_owner == OWNERS[opened.account]
        for account in ACCOUNTS:
            self.ref.open_account(account, OWNERS[account], MASTERS[account])
        self.ref.set_stp_group(10_000_004, 7)
        self.ref.set_stp_group(10_000_005, 7)
        self.ref.set_fee_tier(10_000_005, 1)
        # everyone starts with something, so most orders are funded
        for i, account in enumerate(ACCOUNTS):
            for asset, units in (("TST", 500_000), ("USD", 5_000_000)):
                txid = f"seed-{i}-{asset}"
                self._both(
                    CreditDeposit(account, asset, units, txid),
                    self.ref.deposit(account, asset, units, txid),
                )

    # --- money -------------------------------------------------------------------------------
    @rule(
        account=accounts,
        asset=assets,
        units=st.integers(1, 500_000),
        txid=st.integers(0, 20),
    )
    def deposit(self, account: int, asset: str, units: int, txid: int) -> None:
        key = f"tx{txid}"
        self._both(
            CreditDeposit(account, asset, units, key), self.ref.deposit(account, asset, units, key)
        )

    @rule(
        account=accounts,
        asset=assets,
        units=st.integers(1, 800_000),
        client_id=st.integers(0, 10),
    )
    def request_withdrawal(self, account: int, asset: str, units: int, client_id: int) -> None:
        key = f"w{client_id}"
        expected, withdrawal_id = self.ref.request_withdrawal(account, asset, units, key)
        # the Travel Rule wants IVMS101 data for assets without a USD price: always send it
        command = RequestWithdrawal(account, asset, units, key, "addr-1", "", TRAVEL_RULE_DATA)
        events = self._both(command, expected)
        requested = [e.withdrawal_id for e in events if isinstance(e, WithdrawalRequested)]
        assert requested == ([withdrawal_id] if withdrawal_id else [])

    @rule(withdrawal_id=st.integers(1, 8), approve=st.booleans())
    def finish_withdrawal(self, withdrawal_id: int, approve: bool) -> None:
        expected = self.ref.finish_withdrawal(withdrawal_id, approve)
        command: AnyCommand = (
            ApproveWithdrawal(withdrawal_id, "chain-tx")
            if approve
            else RejectWithdrawal(withdrawal_id, "risk")
        )
        self._both(command, expected)

    @rule(source=accounts, to=accounts, asset=assets, units=st.integers(1, 300_000))
    def transfer(self, source: int, to: int, asset: str, units: int) -> None:
        self._both(
            TransferBetweenAccounts(source, to, asset, units),
            self.ref.transfer(source, to, asset, units),
        )

    @rule(account=accounts, tier=st.integers(0, 2))
    def set_fee_tier(self, account: int, tier: int) -> None:
        self._both(SetFeeTier(account, tier), self.ref.set_fee_tier(account, tier))

    @rule(account=accounts, group=st.sampled_from((0, 7, 9)))
    def set_stp_group(self, account: int, group: int) -> None:
        self._both(SetStpGroup(account, group), self.ref.set_stp_group(account, group))

    # --- orders ------------------------------------------------------------------------------
    @rule(
        account=accounts,
        side=st.sampled_from((BUY, SELL)),
        price=prices,
        size=sizes,
        tif=st.sampled_from((GTC, GTC, IOC, FOK, POC)),
        stp_act=stp_acts,
    )
    def limit_order(
        self, account: int, side: int, price: int, size: int, tif: int, stp_act: int
    ) -> None:
        self._both(
            PlaceOrder(account, MARKET, side, price, size, tif=tif, stp_act=stp_act),
            self.ref.place(account, side, price, size, tif, stp_act=stp_act),
        )

    @rule(
        account=accounts,
        side=st.sampled_from((BUY, SELL)),
        through=st.integers(0, 3),
        size=sizes,
        tif=st.sampled_from((GTC, IOC, FOK)),
        stp_act=stp_acts,
    )
    def crossing_order(
        self, account: int, side: int, through: int, size: int, tif: int, stp_act: int
    ) -> None:
        """A limit order priced at or through the best opposite price, so that it trades."""
        opposite = self.ref.queue(SELL if side == BUY else BUY)
        if opposite:
            best = opposite[0].price_ticks
            price = best + through if side == BUY else max(1, best - through)
        else:
            price = 100
        self._both(
            PlaceOrder(account, MARKET, side, price, size, tif=tif, stp_act=stp_act),
            self.ref.place(account, side, price, size, tif, stp_act=stp_act),
        )

    @rule(
        account=accounts,
        side=st.sampled_from((BUY, SELL)),
        price=prices,
        size=st.integers(2, 40),
        display=st.integers(1, 12),
        tif=st.sampled_from((GTC, GTC, POC, IOC)),
    )
    def iceberg_order(
        self, account: int, side: int, price: int, size: int, display: int, tif: int
    ) -> None:
        self._both(
            PlaceOrder(account, MARKET, side, price, size, tif=tif, display_lots=display),
            self.ref.place(account, side, price, size, tif, display=display),
        )

    @rule(
        account=accounts,
        budget=st.integers(5_000, 300_000),
        tif=st.sampled_from((IOC, FOK)),
        stp_act=stp_acts,
    )
    def market_buy(self, account: int, budget: int, tif: int, stp_act: int) -> None:
        self._both(
            PlaceOrder(account, MARKET, BUY, 0, 0, tif=tif, quote_units=budget, stp_act=stp_act),
            self.ref.place(account, BUY, 0, 0, tif, quote=budget, stp_act=stp_act),
        )

    @rule(account=accounts, size=sizes, tif=st.sampled_from((IOC, FOK)), stp_act=stp_acts)
    def market_sell(self, account: int, size: int, tif: int, stp_act: int) -> None:
        self._both(
            PlaceOrder(account, MARKET, SELL, 0, size, tif=tif, stp_act=stp_act),
            self.ref.place(account, SELL, 0, size, tif, stp_act=stp_act),
        )

    def _pick_order(self, data: st.DataObject) -> tuple[int, int]:
        """(account, order id): usually a live order and its owner, sometimes someone else's
        or a made-up id."""
        live = sorted((o.order_id, o.account) for o in self.ref.orders)
        if live and data.draw(st.integers(0, 5), label="pick live") > 0:
            order_id, account = data.draw(st.sampled_from(live), label="order")
            if data.draw(st.integers(0, 9), label="wrong account") == 0:
                account = data.draw(accounts, label="account")
            return account, order_id
        return data.draw(accounts, label="account"), data.draw(st.integers(1, 300), label="id")

    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        account, order_id = self._pick_order(data)
        self._both(CancelOrder(account, MARKET, order_id), self.ref.cancel(account, order_id))

    @rule(account=accounts, side=st.sampled_from((-1, BUY, SELL)))
    def cancel_all(self, account: int, side: int) -> None:
        self._both(CancelAllOrders(account, MARKET, side), self.ref.cancel_all(account, side))

    @rule(
        data=st.data(),
        price=st.one_of(st.just(0), prices),
        size=st.one_of(st.just(0), st.integers(1, 45)),
    )
    def amend(self, data: st.DataObject, price: int, size: int) -> None:
        account, order_id = self._pick_order(data)
        self._both(
            AmendOrder(account, MARKET, order_id, price, size),
            self.ref.amend(account, order_id, price, size),
        )

    # --- after every step --------------------------------------------------------------------
    @invariant()
    def engine_agrees_with_reference(self) -> None:
        state = self.engine.state
        ledger = state.ledger
        ledger.assert_balanced()  # every asset sums to zero over all ledger accounts
        ledger.assert_no_negative_user_balance()
        invariants.assert_all(state)  # and the engine's own whole-state checks
        if MARKET not in state.markets:
            return
        market = state.markets[MARKET]
        book = market.book
        book.assert_not_crossed()
        book.assert_consistent()
        engine_book = [
            (o.order_id, o.side, o.price_ticks, o.remaining_lots, o.visible_lots)
            for side in (book.bids, book.asks)
            for o in side.iter_orders()
        ]
        assert engine_book == self.ref.book()
        assert book.last_price_ticks == self.ref.last_price_ticks
        # HOLD = the engine's own open orders' reservations + its pending withdrawals
        units = market.units
        reserved: dict[tuple[int, int], int] = {}
        for order in book.orders.values():
            if order.side == BUY:
                key = (order.account, market.quote_asset)
                need = order.price_ticks * order.remaining_lots * units.quote_units_per_tick_lot
            else:
                key = (order.account, market.base_asset)
                need = order.remaining_lots * units.base_units_per_lot
            reserved[key] = reserved.get(key, 0) + need
        for withdrawal in state.withdrawals.values():
            if withdrawal.status == PENDING:
                key = (withdrawal.account, state.asset_index[withdrawal.asset])
                reserved[key] = reserved.get(key, 0) + withdrawal.amount_units
        for account in ACCOUNTS:
            for asset in ASSETS:
                index = state.asset_index[asset]
                held = ledger.balance(account, index, HOLD)
                assert held == reserved.get((account, index), 0), (account, asset)
                assert held == self.ref.held(account, asset), (account, asset)
                assert ledger.balance(account, index, AVAILABLE) == self.ref.available(
                    account, asset
                ), (account, asset)
        for asset in ASSETS:
            collected = ledger.balance(FEES, state.asset_index[asset], AVAILABLE)
            assert collected == self.ref.fees_collected.get(asset, 0), asset

    def teardown(self) -> None:
        if not self.journal:
            return
        replayed = Engine()
        for envelope in self.journal:
            replayed.apply(envelope)
        assert replayed.state_hash() == self.engine.state_hash(), "replay diverged"
        payload = canonical.encode(self.engine.state)
        restored = canonical.load(payload)
        assert canonical.state_hash(restored) == self.engine.state_hash(), "snapshot round trip"
        invariants.assert_all(restored)


EngineAgainstReference.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=50,
    deadline=None,
    derandomize=os.environ.get("CORE_PROPERTY_RANDOM") is None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    print_blob=True,
)
test_engine_matches_reference_model = EngineAgainstReference.TestCase
