"""A small venue for the core's tests: an `Engine` plus a stand-in sequencer and the words the
rulebook is written in (parties, accounts, deposits, orders in decimal prices and amounts).

Everything goes through `Engine.apply`, exactly as the gateway's commands do; the helpers only
read state to make assertions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any, Final, TypeVar

import msgspec

from clearhouse.config.genesis import default_listing
from clearhouse.core import canonical, invariants
from clearhouse.core.book import BUY, GTC, OrderBook
from clearhouse.core.commands import (
    AnyCommand,
    CreditDeposit,
    DecideKyc,
    Envelope,
    Facts,
    OpenAccount,
    PlaceOrder,
    RegisterParty,
)
from clearhouse.core.compliance.travel_rule_ivms import (
    Beneficiary,
    IdentityPayload,
    NaturalPerson,
    NaturalPersonName,
    NaturalPersonNameId,
    Originator,
    Person,
)
from clearhouse.core.engine import Engine
from clearhouse.core.events import (
    AccountOpened,
    CommandRejected,
    Event,
    OrderAccepted,
    OrderClosed,
    PartyRegistered,
    Traded,
)
from clearhouse.core.ledger import AVAILABLE, FEES, HOLD
from clearhouse.core.state import State
from clearhouse.core.units import MarketUnits, to_units

BTC_USDT: Final = "BTC_USDT"
ETH_USDT: Final = "ETH_USDT"
STEP_NS: Final = 1_000_000  # the stand-in sequencer's clock advances 1 ms per command

E = TypeVar("E", bound=Event)


def state_fingerprint(state: State) -> str:
    """The state hash without the sequence number and clock, which every command advances,
    rejected or not. Two states with equal fingerprints hold the same orders, money, ids."""
    dump = canonical.dump(state)
    del dump["seq"]
    del dump["time_ns"]
    return hashlib.sha256(msgspec.json.encode(dump)).hexdigest()


def verify(party: int, tier: int = 1, country: str = "DE") -> DecideKyc:
    """A passed external verification (what the KYC provider sends back)."""
    return DecideKyc(
        party, tier, "test-kyc", (f"check-{party}",), country, f"doc-{party}", "kyc-officer"
    )


def rejection_label(events: list[Event]) -> str | None:
    if len(events) == 1 and isinstance(events[0], CommandRejected):
        return events[0].label
    assert not any(isinstance(e, CommandRejected) for e in events), events
    return None


def of_type(events: Iterable[Event], kind: type[E]) -> list[E]:
    return [e for e in events if isinstance(e, kind)]


class Venue:
    """An engine fed by a stand-in sequencer that stamps seq and time and keeps the journal."""

    def __init__(self, listing: bool = True) -> None:
        self.engine = Engine()
        self.journal: list[Envelope] = []
        self.time_ns = 0
        if listing:
            for command in default_listing():
                self.ok(command)

    @property
    def state(self) -> State:
        return self.engine.state

    # --- applying commands -------------------------------------------------------------------
    def apply(
        self, command: AnyCommand, facts: Facts | None = None, advance_ns: int = STEP_NS
    ) -> list[Event]:
        self.time_ns += advance_ns
        envelope = Envelope(self.state.seq + 1, self.time_ns, command, facts or Facts())
        self.journal.append(envelope)
        return self.engine.apply(envelope)

    def ok(self, command: AnyCommand, facts: Facts | None = None) -> list[Event]:
        """Apply a command that must be accepted; check the whole-state invariants after it."""
        events = self.apply(command, facts)
        assert rejection_label(events) is None, f"{command} was rejected: {events}"
        invariants.assert_all(self.state)
        return events

    def reject(self, command: AnyCommand, facts: Facts | None = None) -> str:
        """Apply a command that must be refused, and prove it changed nothing."""
        before = state_fingerprint(self.state)
        events = self.apply(command, facts)
        label = rejection_label(events)
        assert label is not None, f"{command} was accepted: {events}"
        assert state_fingerprint(self.state) == before, f"rejected {command} changed the state"
        return label

    # --- identities and money ----------------------------------------------------------------
    def party(self, name: str, country: str = "DE", tier: int = 1) -> int:
        """A person, KYC-verified at `tier` in `country` (0: registered, unverified)."""
        events = self.ok(RegisterParty("person", name, country))
        party = of_type(events, PartyRegistered)[0].party
        if tier:
            self.ok(verify(party, tier, country))
        return party

    def account(self, owner: int, parent: int = 0, beneficial_owner: int = 0) -> int:
        events = self.ok(OpenAccount(owner, parent, beneficial_owner))
        return of_type(events, AccountOpened)[0].account

    def trader(self, name: str, **deposits: int) -> int:
        """A new person with a master account funded with whole units of each asset."""
        account = self.account(self.party(name))
        self.fund(account, **deposits)
        return account

    def fund(self, account: int, **deposits: int) -> None:
        for code, whole in deposits.items():
            units = whole * 10 ** self.state.assets[code].scale
            self.ok(CreditDeposit(account, code, units, f"fund-{account}-{code}-{self.state.seq}"))

    def asset(self, code: str) -> int:
        return self.state.asset_index[code]

    def available(self, account: int, code: str) -> int:
        return int(self.state.ledger.balance(account, self.asset(code), AVAILABLE))

    def held(self, account: int, code: str) -> int:
        return self.state.ledger.balance(account, self.asset(code), HOLD)

    def total(self, account: int, code: str) -> int:
        return self.available(account, code) + self.held(account, code)

    def fees(self, code: str) -> int:
        return self.state.ledger.balance(FEES, self.asset(code), AVAILABLE)

    # --- markets and orders ------------------------------------------------------------------
    def units(self, market: str = BTC_USDT) -> MarketUnits:
        return self.state.markets[market].units

    def book(self, market: str = BTC_USDT) -> OrderBook:
        return self.state.markets[market].book

    def price(self, text: str, market: str = BTC_USDT) -> int:
        return self.units(market).parse_price(text)

    def size(self, text: str, market: str = BTC_USDT) -> int:
        return self.units(market).parse_size(text)

    def quote(self, text: str, market: str = BTC_USDT) -> int:
        """A quote-currency amount in units (no minimum-order check: balances, budgets)."""
        return to_units(text, self.units(market).quote_scale)

    def base(self, text: str, market: str = BTC_USDT) -> int:
        """A base-currency amount in units."""
        return to_units(text, self.units(market).base_scale)

    def limit(
        self,
        account: int,
        side: int,
        price: str,
        amount: str,
        tif: int = GTC,
        market: str = BTC_USDT,
        **extra: Any,
    ) -> PlaceOrder:
        return PlaceOrder(
            account,
            market,
            side,
            self.price(price, market),
            self.size(amount, market),
            tif=tif,
            **extra,
        )

    def place(
        self,
        account: int,
        side: int,
        price: str,
        amount: str,
        tif: int = GTC,
        market: str = BTC_USDT,
        **extra: Any,
    ) -> int:
        """Place an accepted limit order; returns its order id."""
        events = self.ok(self.limit(account, side, price, amount, tif, market, **extra))
        return int(of_type(events, OrderAccepted)[0].order_id)

    def resting(self, market: str = BTC_USDT) -> list[tuple[int, int, int, int]]:
        """Every resting order as (order id, side, price ticks, remaining lots), bids best first
        then asks best first, each level in time priority."""
        book = self.book(market)
        return [
            (o.order_id, o.side, o.price_ticks, o.remaining_lots)
            for side in (book.bids, book.asks)
            for o in side.iter_orders()
        ]

    def queue(self, side: int, price: str, market: str = BTC_USDT) -> list[int]:
        """Order ids at one price level, in time priority."""
        book = self.book(market)
        ticks = self.price(price, market)
        book_side = book.bids if side == BUY else book.asks
        return [o.order_id for o in book_side.iter_orders() if o.price_ticks == ticks]


def trades(events: list[Event]) -> list[Traded]:
    return of_type(events, Traded)


def closed(events: list[Event]) -> dict[int, str]:
    """order id -> finish_as for every order the events closed."""
    return {e.order_id: e.finish_as for e in of_type(events, OrderClosed)}


def travel_rule_data(destination: str, customer: str = "customer-1") -> IdentityPayload:
    """Valid IVMS101 originator and beneficiary data for a withdrawal to `destination` (the
    Travel Rule requires it at or above the threshold, and for assets without a USD price)."""

    def person(primary: str, secondary: str, customer_id: str = "") -> Person:
        name = NaturalPersonName((NaturalPersonNameId(primary, "LEGL", secondary),))
        return Person(NaturalPerson(name, customer_identification=customer_id))

    return IdentityPayload(
        Originator((person("Smith", "Alice", customer),), (customer,)),
        Beneficiary((person("Jones", "Bob"),), (destination,)),
    )
