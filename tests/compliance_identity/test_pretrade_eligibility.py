"""Pre-trade eligibility on both sides of every match: an order never fills against a counterparty
who may not trade at that moment. Taking someone's right to trade away cancels their resting
orders in that same command; and the matcher itself skips and cancels any maker outside the
eligible set, so even a book that somehow kept such an order cannot trade with it.

The property at the end runs random streams of KYC decisions, blocks, unblocks, freezes,
restrictions and orders, and checks after every command that no trade has an ineligible party on
either side, that the eligible set is exactly what a recomputation says, and that replay and a
snapshot round trip give the same state.
"""

from __future__ import annotations

import os
from typing import Final

import pytest
from core_harness import BTC_USDT, Venue, closed, of_type, trades
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from identity_support import OFFICER, A, assert_eligibility_consistent, kyc, sub_account

from clearhouse.core import canonical, invariants
from clearhouse.core.book import BUY, FOK, IOC, SELL
from clearhouse.core.commands import (
    AnyCommand,
    CancelAllOrders,
    DeclareBusinessStructure,
    PlaceOrder,
    PlaceTriggerOrder,
    RegisterParty,
    SetAccountStatus,
    SetJurisdictionList,
    SetPartyStatus,
    TransferBetweenAccounts,
)
from clearhouse.core.compliance.identity_eligibility import trade_problem
from clearhouse.core.engine import Engine
from clearhouse.core.errors import ACCOUNT_LOCKED, FOK_NOT_FILL
from clearhouse.core.events import Event, PartyRegistered, TriggerClosed, TriggerFired
from clearhouse.core.triggers import RULE_GE


@pytest.fixture
def venue() -> Venue:
    return Venue()


def test_an_order_never_fills_against_a_maker_blocked_in_between(venue: Venue) -> None:
    bob = venue.trader("Bob", BTC=1)
    alice = venue.trader("Alice", USDT=100_000)
    ask = venue.place(bob, SELL, "50000", "0.1")
    events = venue.ok(SetPartyStatus(venue.state.accounts[bob].owner, "blocked"), OFFICER)
    assert closed(events) == {ask: "cancelled"}
    events = venue.ok(venue.limit(alice, BUY, "50000", "0.1", tif=IOC))
    assert trades(events) == []


def test_the_matcher_skips_and_cancels_a_maker_outside_the_eligible_set(venue: Venue) -> None:
    bob = venue.trader("Bob", BTC=1)
    carol = venue.trader("Carol", BTC=1)
    alice = venue.trader("Alice", USDT=100_000)
    stale = venue.place(bob, SELL, "50000", "0.1")  # first in time at the best price
    good = venue.place(carol, SELL, "50000", "0.1")
    # a book that kept an order of an account that may no longer trade (no rule cancels it)
    venue.state.identity.eligible_accounts.discard(bob)
    events = venue.apply(venue.limit(alice, BUY, "50000", "0.1"))
    (trade,) = trades(events)
    assert (trade.maker_order, trade.maker_account) == (good, carol)
    assert closed(events)[stale] == "cancelled"
    assert venue.held(bob, "BTC") == 0 and venue.available(bob, "BTC") == A
    invariants.assert_all(venue.state)


def test_fill_or_kill_does_not_count_on_an_ineligible_maker(venue: Venue) -> None:
    bob = venue.trader("Bob", BTC=1)
    alice = venue.trader("Alice", USDT=100_000)
    venue.place(bob, SELL, "50000", "0.1")
    venue.state.identity.eligible_accounts.discard(bob)
    assert venue.reject(venue.limit(alice, BUY, "50000", "0.1", tif=FOK)) == FOK_NOT_FILL
    budget = PlaceOrder(alice, BTC_USDT, BUY, 0, 0, FOK, quote_units=1_000 * A)
    assert venue.reject(budget) == FOK_NOT_FILL


def test_blocking_cancels_waiting_trigger_orders_too(venue: Venue) -> None:
    alice = venue.trader("Alice", USDT=100_000)
    order = venue.limit(alice, BUY, "50000", "0.01")
    venue.ok(PlaceTriggerOrder(alice, BTC_USDT, venue.price("60000"), RULE_GE, 0, order))
    events = venue.ok(SetPartyStatus(venue.state.accounts[alice].owner, "blocked"), OFFICER)
    assert [e.reason for e in of_type(events, TriggerClosed)] == ["cancelled"]


def test_a_trigger_that_fires_for_an_account_that_may_not_trade_is_refused(venue: Venue) -> None:
    alice = venue.trader("Alice", USDT=100_000)
    bob = venue.trader("Bob", BTC=1)
    carol = venue.trader("Carol", USDT=100_000)
    order = venue.limit(alice, BUY, "50000", "0.01")
    venue.ok(PlaceTriggerOrder(alice, BTC_USDT, venue.price("50000"), RULE_GE, 0, order))
    venue.state.identity.eligible_accounts.discard(alice)  # stale, as above
    venue.place(bob, SELL, "50000", "0.02")
    events = venue.apply(venue.limit(carol, BUY, "50000", "0.01"))
    (fired,) = of_type(events, TriggerFired)
    assert (fired.order_id, fired.reject_label) == (0, ACCOUNT_LOCKED)


# --- property -------------------------------------------------------------------------------------
PEOPLE: Final = (("Ann", "DE"), ("Ben", "FR"), ("Cem", "IT"), ("Dov", "DE"), ("Eli", "FR"))
STATUSES: Final = ("active", "active", "active", "review", "blocked")
RESTRICTABLE: Final = ("DE", "FR", "IT")


class EligibilityMachine(RuleBasedStateMachine):
    """Accounts: one master per person, a sub-account of Ann's run for Eli, and a business
    owned by Cem and controlled by Dov."""

    def __init__(self) -> None:
        super().__init__()
        self.venue = Venue()
        self.parties: list[int] = []
        self.accounts: list[int] = []
        self.trades = 0

    @initialize()
    def open_venue(self) -> None:
        venue = self.venue
        for name, country in PEOPLE:
            party = venue.party(name, country)
            self.parties.append(party)
            account = venue.account(party)
            venue.fund(account, USDT=1_000_000, BTC=20)
            self.accounts.append(account)
        ann, _, cem, dov, eli = self.parties
        desk = sub_account(venue, self.accounts[0], eli)
        venue.ok(TransferBetweenAccounts(self.accounts[0], desk, "USDT", 100_000 * A))
        venue.ok(TransferBetweenAccounts(self.accounts[0], desk, "BTC", 2 * A))
        self.accounts.append(desk)
        events = venue.ok(RegisterParty("business", "Cem & Dov Ltd", "DE"))
        firm = of_type(events, PartyRegistered)[0].party
        venue.ok(DeclareBusinessStructure(firm, ((cem, 5_000),), (dov,)), OFFICER)
        venue.ok(kyc(firm, country="DE", document="registry-1"))
        self.parties.append(firm)
        account = venue.account(firm)
        venue.fund(account, USDT=1_000_000, BTC=20)
        self.accounts.append(account)
        assert ann == self.parties[0]

    def _apply(self, command: AnyCommand, officer: bool = False) -> list[Event]:
        events = self.venue.apply(command, OFFICER if officer else None)
        state = self.venue.state
        for trade in trades(events):
            self.trades += 1
            for account in (trade.maker_account, trade.taker_account):
                assert trade_problem(state, account) is None, (trade, account)
                assert account in state.identity.eligible_accounts
        return events

    @rule(
        who=st.integers(0, 6),
        side=st.sampled_from((BUY, SELL)),
        price=st.integers(49_990, 50_010),
        lots=st.integers(1, 3),
        ioc=st.booleans(),
    )
    def order(self, who: int, side: int, price: int, lots: int, ioc: bool) -> None:
        account = self.accounts[who]
        self._apply(
            PlaceOrder(account, BTC_USDT, side, price * 100, lots * 10_000, IOC if ioc else 0)
        )

    @rule(maker=st.integers(0, 6), taker=st.integers(0, 6), price=st.integers(49_990, 50_010))
    def cross(self, maker: int, taker: int, price: int) -> None:
        """A resting ask and a buy that crosses it: a trade, if both may trade."""
        ticks = price * 100
        self._apply(PlaceOrder(self.accounts[maker], BTC_USDT, SELL, ticks, 10_000))
        self._apply(PlaceOrder(self.accounts[taker], BTC_USDT, BUY, ticks, 20_000, IOC))

    @rule(who=st.integers(0, 6))
    def cancel(self, who: int) -> None:
        self._apply(CancelAllOrders(self.accounts[who], BTC_USDT))

    @rule(who=st.integers(0, 5), status=st.sampled_from(STATUSES))
    def party_status(self, who: int, status: str) -> None:
        self._apply(SetPartyStatus(self.parties[who], status), officer=True)

    @rule(who=st.integers(0, 4), tier=st.integers(0, 2))
    def kyc_decision(self, who: int, tier: int) -> None:
        party = self.parties[who]
        self._apply(kyc(party, tier=tier, country=PEOPLE[who][1]), officer=True)

    @rule(who=st.integers(0, 6), frozen=st.booleans())
    def account_status(self, who: int, frozen: bool) -> None:
        status = "frozen" if frozen else "active"
        self._apply(SetAccountStatus(self.accounts[who], status), officer=True)

    @rule(codes=st.sets(st.sampled_from(RESTRICTABLE), max_size=2))
    def restrict(self, codes: set[str]) -> None:
        self._apply(SetJurisdictionList("restricted", tuple(sorted(codes))), officer=True)

    @invariant()
    def eligibility_is_consistent(self) -> None:
        assert_eligibility_consistent(self.venue)
        invariants.assert_all(self.venue.state)

    def teardown(self) -> None:
        venue = self.venue
        if not venue.journal:
            return
        replayed = Engine()
        for envelope in venue.journal:
            replayed.apply(envelope)
        assert replayed.state_hash() == venue.engine.state_hash()
        restored = canonical.load(canonical.encode(venue.state))
        assert canonical.state_hash(restored) == venue.engine.state_hash()
        assert restored.identity.eligible_accounts == venue.state.identity.eligible_accounts


TestEligibility = EligibilityMachine.TestCase
TestEligibility.settings = settings(
    max_examples=int(os.environ.get("CLEARHOUSE_PROPERTY_EXAMPLES", "100")),
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
