"""A small venue for the perpetual tests: an `Engine` with the default listing, a stand-in
sequencer, and the words of the futures rulebook (contracts, positions, marks) in decimal prices.

Everything goes through `Engine.apply`; helpers only read state to make assertions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Final, TypeVar

import msgspec

from clearhouse.config.genesis import default_listing
from clearhouse.core import canonical, invariants
from clearhouse.core.book import GTC
from clearhouse.core.commands import (
    AnyCommand,
    CreditDeposit,
    DecideKyc,
    Envelope,
    Facts,
    FundInsurance,
    ObserveIndexSources,
    OpenAccount,
    PlaceContractOrder,
    RegisterParty,
    SetLeverage,
    TransferWallet,
)
from clearhouse.core.engine import Engine
from clearhouse.core.events import (
    AccountOpened,
    CommandRejected,
    ContractOrderAccepted,
    Event,
    PartyRegistered,
)
from clearhouse.core.ledger import AVAILABLE, INSURANCE
from clearhouse.core.products.perpetual_state import PerpMarket, Position
from clearhouse.core.state import State

BTC: Final = "BTC_USDT"
ETH: Final = "ETH_USDT"
XAU: Final = "XAU_USDT"
USDT: Final = 10**8  # units per USDT
STEP_NS: Final = 1_000_000
TICKS: Final = {BTC: Decimal("0.1"), ETH: Decimal("0.01"), XAU: Decimal("0.01")}

E = TypeVar("E", bound=Event)


def fingerprint(state: State) -> str:
    dump = canonical.dump(state)
    del dump["seq"]
    del dump["time_ns"]
    return hashlib.sha256(msgspec.json.encode(dump)).hexdigest()


def rejection(events: list[Event]) -> str | None:
    if len(events) == 1 and isinstance(events[0], CommandRejected):
        return events[0].label
    assert not any(isinstance(e, CommandRejected) for e in events), events
    return None


def of_type(events: Iterable[Event], kind: type[E]) -> list[E]:
    return [e for e in events if isinstance(e, kind)]


def ticks(price: str | int, contract: str = BTC) -> int:
    value = Decimal(str(price)) / TICKS[contract]
    assert value == value.to_integral_value(), f"{price} is off the tick"
    return int(value)


class PerpVenue:
    def __init__(self, start_ns: int = 0) -> None:
        self.engine = Engine()
        self.journal: list[Envelope] = []
        self.time_ns = start_ns
        for command in default_listing():
            self.ok(command)

    @property
    def state(self) -> State:
        return self.engine.state

    def apply(
        self, command: AnyCommand, facts: Facts | None = None, advance_ns: int = STEP_NS
    ) -> list[Event]:
        self.time_ns += advance_ns
        envelope = Envelope(self.state.seq + 1, self.time_ns, command, facts or Facts())
        self.journal.append(envelope)
        return self.engine.apply(envelope)

    def ok(
        self, command: AnyCommand, facts: Facts | None = None, advance_ns: int = STEP_NS
    ) -> list[Event]:
        events = self.apply(command, facts, advance_ns)
        assert rejection(events) is None, f"{command} was rejected: {events}"
        invariants.assert_all(self.state)
        return events

    def reject(self, command: AnyCommand, facts: Facts | None = None) -> str:
        before = fingerprint(self.state)
        events = self.apply(command, facts)
        label = rejection(events)
        assert label is not None, f"{command} was accepted: {events}"
        assert fingerprint(self.state) == before, f"rejected {command} changed the state"
        return label

    # --- people and money --------------------------------------------------------------------
    def trader(self, name: str, futures_usdt: int = 0, spot_usdt: int = 0) -> int:
        party = of_type(self.ok(RegisterParty("person", name, "DE")), PartyRegistered)[0].party
        # a verified person: unverified deposits are held by the compliance layer
        self.ok(DecideKyc(party, 1, "test-kyc", (f"check-{party}",), "DE", f"doc-{party}", "kyc"))
        account = of_type(self.ok(OpenAccount(party)), AccountOpened)[0].account
        total = futures_usdt + spot_usdt
        if total:
            self.ok(CreditDeposit(account, "USDT", total * USDT, f"fund-{account}"))
        if futures_usdt:
            self.ok(TransferWallet(account, "USDT", futures_usdt * USDT, "spot", "futures"))
        return account

    def fund_insurance(self, usdt: int) -> None:
        self.ok(FundInsurance("USDT", usdt * USDT))

    def wallet(self, account: int) -> int:
        """Futures wallet: free plus held for orders, in units."""
        acct = self.state.perps.accounts[account]
        balances = self.state.ledger.balances
        return balances.get(acct.wallet_key, 0) + balances.get(acct.wallet_key | 1, 0)

    def free(self, account: int) -> int:
        acct = self.state.perps.accounts[account]
        return self.state.ledger.balances.get(acct.wallet_key, 0)

    def insurance(self) -> int:
        asset = self.state.asset_index["USDT"]
        return self.state.ledger.balance(INSURANCE, asset, AVAILABLE)

    # --- contracts -------------------------------------------------------------------------
    def market(self, contract: str = BTC) -> PerpMarket:
        return self.state.perps.contracts[contract]

    def position(self, account: int, contract: str = BTC, slot: int = 0) -> Position | None:
        acct = self.state.perps.accounts.get(account)
        return acct.positions.get((contract, slot)) if acct else None

    def size(self, account: int, contract: str = BTC, slot: int = 0) -> int:
        pos = self.position(account, contract, slot)
        return pos.size if pos else 0

    def index(self, price: str | int, contract: str = BTC, **kw: Any) -> list[Event]:
        return self.ok(ObserveIndexSources(contract, (("feed", ticks(price, contract), 1),)), **kw)

    def leverage(self, account: int, leverage: int, contract: str = BTC, limit: int = 0) -> None:
        self.ok(SetLeverage(account, contract, leverage, limit))

    def order(
        self,
        account: int,
        size: int,
        price: str | int,
        contract: str = BTC,
        tif: int = GTC,
        **extra: Any,
    ) -> PlaceContractOrder:
        price_ticks = ticks(price, contract) if price else 0
        return PlaceContractOrder(account, contract, size, price_ticks, tif, **extra)

    def place(
        self,
        account: int,
        size: int,
        price: str | int,
        contract: str = BTC,
        tif: int = GTC,
        **extra: Any,
    ) -> int:
        events = self.ok(self.order(account, size, price, contract, tif, **extra))
        return of_type(events, ContractOrderAccepted)[0].order_id

    def trade(
        self, long: int, short: int, size: int, price: str | int, contract: str = BTC
    ) -> list[Event]:
        """`long` buys `size` contracts from `short` at `price` (short rests, long takes)."""
        self.place(short, -size, price, contract)
        return self.ok(self.order(long, size, price, contract))
