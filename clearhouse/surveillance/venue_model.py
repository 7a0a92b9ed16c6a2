"""What surveillance knows about the venue, learned only from the journaled stream.

Monitoring is a read model: it sees each command's envelope and events, in journal order, and
nothing else (no engine state, no wall clock), so replaying the journal rebuilds it exactly.
From that stream this model keeps what rules need to read an event in context: who owns an
account and who its beneficial owner is, the owner's KYC country, which IPs and devices an
account used, when it was opened and last active, and what an asset is worth in USD.

`observation(event)` turns an event into a flat mapping of named fields (documented in
rules/README.md), which is what declarative rules test, group and aggregate.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any, Final

from clearhouse.core.commands import (
    Envelope,
    ListSpotMarket,
    OnboardUser,
    RegisterParty,
)
from clearhouse.core.events import (
    AccountOpened,
    ApiKeyCreated,
    AssetListed,
    CommandRejected,
    Deposited,
    Event,
    IndexPriceSet,
    MarketListed,
    OrderAccepted,
    PartyRegistered,
    Traded,
    Transferred,
    WithdrawalApproved,
    WithdrawalRequested,
)
from clearhouse.core.state import State
from clearhouse.surveillance.rules import Valuation

CLIENT_CHANNELS: Final = frozenset({"rest", "ws"})  # the facts of these describe the customer
MAX_LINKS_PER_ACCOUNT: Final = 64  # IPs (and devices) remembered per account, newest kept
NS_PER_S: Final = 1_000_000_000
REQUEST_EVERY_NS: Final = 60 * 1_000_000_000  # a steady session is one Request a minute
MAX_PRICE_HOPS: Final = 3  # BTC from ETH_BTC from ETH_USDT, and no further (no price loops)
REQUEST: Final = "Request"  # the pseudo-event for a customer's command: IP, device, country
COUNTRY_FIELDS: Final = ("verified_country", "new_country")  # on identity events with `party`

Observation = dict[str, Any]


class AccountInfo:
    __slots__ = (
        "account",
        "owner",
        "parent",
        "beneficial_owner",
        "opened_at_ns",
        "last_active_ns",
        "deposits",
        "ips",
        "devices",
    )

    def __init__(
        self, account: int, owner: int, parent: int, beneficial_owner: int, opened_at_ns: int
    ) -> None:
        self.account = account
        self.owner = owner
        self.parent = parent
        self.beneficial_owner = beneficial_owner
        self.opened_at_ns = opened_at_ns
        self.last_active_ns = 0
        self.deposits = 0
        self.ips: dict[str, int] = {}  # ip -> last seen ns
        self.devices: dict[str, int] = {}

    @property
    def master(self) -> int:
        return self.parent or self.account


class MarketInfo:
    __slots__ = ("name", "base", "quote", "tick", "lot")

    def __init__(self, name: str, base: str, quote: str, tick: Fraction, lot: Fraction) -> None:
        self.name = name
        self.base = base
        self.quote = quote
        self.tick = tick  # quote per base, per tick
        self.lot = lot  # base per lot


def _remember(links: dict[str, int], key: str, time_ns: int) -> None:
    links.pop(key, None)
    links[key] = time_ns  # dicts keep insertion order: newest last
    if len(links) > MAX_LINKS_PER_ACCOUNT:
        del links[next(iter(links))]


class VenueModel:
    def __init__(self, valuation: Valuation | None = None) -> None:
        self.valuation = valuation or Valuation()
        self.scales: dict[str, int] = {}
        self.markets: dict[str, MarketInfo] = {}
        self.last_price: dict[str, tuple[MarketInfo, int]] = {}  # asset -> (market, ticks)
        self._usd_per_tick_lot: dict[str, tuple[Fraction, int, int]] = {}
        # account -> (ip, device, country, engine time) of its last Request pseudo-event
        self._last_request: dict[int, tuple[str, str, str, int]] = {}
        self.party_country: dict[int, str] = {}
        self.accounts: dict[int, AccountInfo] = {}
        self.keys: dict[str, int] = {}  # API key -> account
        self.envelope: Envelope | None = None
        self.client = False
        self.client_account: int | None = None
        self.request: Observation | None = None  # the current Request pseudo-event, if any
        self._cached_event: Event | None = None
        self._cached: Observation = {}
        self._learners: dict[type[Event], Callable[[Any], None]] = {
            AccountOpened: self._account_opened,
            ApiKeyCreated: self._key_created,
            AssetListed: self._asset_listed,
            Deposited: self._deposited,
            IndexPriceSet: self._index_price,
            MarketListed: self._market_listed,
            OrderAccepted: self._order_accepted,
            PartyRegistered: self._party_registered,
            Traded: self._traded,
            Transferred: self._transferred,
            WithdrawalRequested: self._withdrawal_requested,
        }
        self._party_queue: list[str] = []  # countries of the parties this command registers

    def seed(self, state: State) -> None:
        """Start from an engine's state instead of its journal (a venue without a data dir):
        listings, parties, accounts and keys as they are now; activity history starts empty."""
        for code, asset in state.assets.items():
            self.scales[code] = asset.scale
        for name, market in state.markets.items():
            spec = market.spec
            self.markets[name] = MarketInfo(
                name, spec.base, spec.quote,
                Fraction(Decimal(spec.tick_size)), Fraction(Decimal(spec.lot_size)),
            )  # fmt: skip
            if market.book.last_price_ticks:
                self.last_price[spec.base] = (self.markets[name], market.book.last_price_ticks)
        for party_id, party in state.parties.items():
            self.party_country[party_id] = party.country
        for account_id, account in state.accounts.items():
            self.accounts[account_id] = AccountInfo(
                account_id, account.owner, account.parent, account.beneficial_owner, 0
            )
        for key, api_key in state.api_keys.items():
            self.keys[key] = api_key.account

    # --- the current command --------------------------------------------------------------------
    def begin(self, envelope: Envelope) -> None:
        self.envelope = envelope
        facts = envelope.facts
        self.client = facts.channel in CLIENT_CHANNELS
        # the account a customer's command came from (by its API key), if any
        self.client_account = self.keys.get(facts.api_key) if self.client else None
        self._cached_event = None
        command = envelope.command
        if type(command) is RegisterParty:
            self._party_queue = [command.country]
        elif type(command) is OnboardUser:
            self._party_queue = [command.country, command.beneficial_owner_country]
        elif self._party_queue:
            self._party_queue = []

    def request_account(self) -> int | None:
        return self.client_account

    def request_due(self) -> int | None:
        """The account of a customer's command when it makes a Request pseudo-event: when the
        account's IP, device or IP country changed, or REQUEST_EVERY_NS passed since its last
        one. So rules over Requests see access (who, from where, how often per minute), not
        every order of a busy trader: O(1) per order, and a burst of orders is one access."""
        account = self.client_account
        if account is None or self.envelope is None:
            return None
        facts = self.envelope.facts
        now = self.envelope.time_ns
        last = self._last_request.get(account)
        if (
            last is not None
            and last[0] == facts.ip
            and last[1] == facts.device
            and last[2] == facts.country
            and now - last[3] < REQUEST_EVERY_NS
        ):
            return None
        self._last_request[account] = (facts.ip, facts.device, facts.country, now)
        return account

    def request_observation(self, account: int, events: list[Event]) -> Observation:
        assert self.envelope is not None
        obs = self._base(REQUEST)
        obs["command"] = type(self.envelope.command).__name__
        obs["rejected"] = bool(events) and type(events[0]) is CommandRejected
        self._with_account(obs, account)
        return obs

    def touch_request(self, account: int) -> None:
        """Remember the IP and device of a Request (after the rules have seen it)."""
        info = self.accounts.get(account)
        if info is None or self.envelope is None:
            return
        facts = self.envelope.facts
        now = self.envelope.time_ns
        if facts.ip:
            _remember(info.ips, facts.ip, now)
        if facts.device:
            _remember(info.devices, facts.device, now)

    def end(self) -> None:
        """After the command's events: a customer's request is activity, even a refused one
        (dormancy is measured up to, not including, the command being looked at)."""
        account = self.client_account
        info = self.accounts.get(account) if account is not None else None
        if info is not None and self.envelope is not None:
            info.last_active_ns = self.envelope.time_ns

    # --- observations ---------------------------------------------------------------------------
    def observation(self, event: Event) -> Observation:
        """The event as named fields plus context; cached while rules look at the same event."""
        if event is self._cached_event:
            return self._cached
        obs = self._base(type(event).__name__)
        for name in event.__struct_fields__:
            obs[name] = getattr(event, name)
        account = obs.get("account")
        if type(event) is Transferred:
            account = event.from_account
            obs["counterparty_account"] = event.to_account
            obs["direction"] = "internal"
        elif type(event) is Traded:
            account = event.taker_account
            obs["counterparty_account"] = event.maker_account
            obs["value_usd"] = self.trade_value_usd(
                event.market, event.price_ticks, event.size_lots
            )
        elif type(event) is Deposited:
            obs["direction"] = "in"
        elif type(event) in (WithdrawalRequested, WithdrawalApproved):
            obs["direction"] = "out"
        if isinstance(account, int) and not isinstance(account, bool):
            self._with_account(obs, account)
        elif isinstance(obs.get("party"), int):
            obs["beneficial_owner"] = obs["party"]
            obs["kyc_country"] = self.party_country.get(obs["party"]) or None
        asset = obs.get("asset")
        units = obs.get("amount_units")
        if isinstance(asset, str) and isinstance(units, int) and "value_usd" not in obs:
            obs["value_usd"] = self.value_usd(asset, units)
        if type(event) is Deposited:
            info = self.accounts.get(event.account)
            obs["first_deposit"] = info is not None and info.deposits == 0
        self._cached_event = event
        self._cached = obs
        return obs

    def _base(self, name: str) -> Observation:
        envelope = self.envelope
        assert envelope is not None
        facts = envelope.facts
        client = self.client
        return {
            "event": name,
            "seq": envelope.seq,
            "time_ns": envelope.time_ns,
            "channel": facts.channel,
            "actor": facts.actor or None,
            "ip": (facts.ip or None) if client else None,
            "ip_country": (facts.country or None) if client else None,
            "device": (facts.device or None) if client else None,
        }

    def _with_account(self, obs: Observation, account: int) -> None:
        obs["account"] = account
        info = self.accounts.get(account)
        if info is None:
            return
        now = obs["time_ns"]
        obs["owner"] = info.owner
        obs["master"] = info.master
        obs["beneficial_owner"] = info.beneficial_owner
        kyc = self.party_country.get(info.beneficial_owner) or self.party_country.get(info.owner)
        obs["kyc_country"] = kyc or None
        obs["account_age_s"] = (now - info.opened_at_ns) // NS_PER_S
        obs["idle_s"] = (now - info.last_active_ns) // NS_PER_S if info.last_active_ns else None
        ip_country = obs.get("ip_country")
        obs["country_mismatch"] = bool(kyc and ip_country and kyc != ip_country)

    # --- learning (after the rules have seen the event) ---------------------------------------
    def learn(self, event: Event) -> None:
        learner = self._learners.get(type(event))
        if learner is not None:
            learner(event)
        elif hasattr(event, "party"):
            self._party_event(event)

    def _party_event(self, event: Event) -> None:
        """KYC decisions and country corrections (core/compliance) carry the verified country;
        read by field name so this model keeps up with new identity events."""
        for name in COUNTRY_FIELDS:
            country = getattr(event, name, None)
            if isinstance(country, str) and country:
                self.party_country[getattr(event, "party")] = country  # noqa: B009
                return

    def _asset_listed(self, event: AssetListed) -> None:
        self.scales[event.code] = event.scale

    def _market_listed(self, event: MarketListed) -> None:
        command = self.envelope.command if self.envelope is not None else None
        if type(command) is ListSpotMarket and command.name == event.name:
            self.markets[event.name] = MarketInfo(
                event.name,
                command.base,
                command.quote,
                Fraction(Decimal(command.tick_size)),
                Fraction(Decimal(command.lot_size)),
            )

    def _party_registered(self, event: PartyRegistered) -> None:
        country = self._party_queue.pop(0) if self._party_queue else ""
        self.party_country[event.party] = country

    def _account_opened(self, event: AccountOpened) -> None:
        assert self.envelope is not None
        self.accounts[event.account] = AccountInfo(
            event.account, event.owner, event.parent, event.beneficial_owner, self.envelope.time_ns
        )

    def _key_created(self, event: ApiKeyCreated) -> None:
        self.keys[event.key] = event.account

    def _active(self, account: int) -> None:
        info = self.accounts.get(account)
        if info is not None and self.envelope is not None:
            info.last_active_ns = self.envelope.time_ns

    def _deposited(self, event: Deposited) -> None:
        info = self.accounts.get(event.account)
        if info is not None:
            info.deposits += 1
        self._active(event.account)

    def _withdrawal_requested(self, event: WithdrawalRequested) -> None:
        self._active(event.account)

    def _transferred(self, event: Transferred) -> None:
        self._active(event.from_account)
        self._active(event.to_account)

    def _order_accepted(self, event: OrderAccepted) -> None:
        self._active(event.account)

    def _traded(self, event: Traded) -> None:
        self._learn_price(event.market, event.price_ticks)

    def _index_price(self, event: IndexPriceSet) -> None:
        self._learn_price(event.market, event.price_ticks)

    def _learn_price(self, market_name: str, price_ticks: int) -> None:
        # on the write path for every trade: keep the ticks, value only when asked
        market = self.markets.get(market_name)
        if market is not None and price_ticks > 0:
            self.last_price[market.base] = (market, price_ticks)

    # --- valuation ------------------------------------------------------------------------------
    def usd_per_unit(self, asset: str, depth: int = 0) -> Fraction | None:
        """USD per whole unit: fixed, else the last trade or index price against a priced quote
        (at most MAX_PRICE_HOPS markets away), else the reference price."""
        fixed = self.valuation.fixed_usd.get(asset)
        if fixed is not None:
            return fixed
        last = self.last_price.get(asset)
        if last is not None and depth < MAX_PRICE_HOPS:
            market, ticks = last
            quote_usd = self.usd_per_unit(market.quote, depth + 1)
            if quote_usd is not None:
                return ticks * market.tick * quote_usd
        return self.valuation.reference_usd.get(asset)

    def value_usd(self, asset: str, amount_units: int) -> int | None:
        """Whole USD, rounded down; None when the asset has no price at all."""
        price = self.usd_per_unit(asset)
        scale = self.scales.get(asset)
        if price is None or scale is None:
            return None
        return int(amount_units * price.numerator // (price.denominator * 10**scale))

    def trade_value_usd(self, market_name: str, price_ticks: int, size_lots: int) -> int | None:
        """Whole USD of `size_lots` at `price_ticks`, rounded down. On the write path for every
        trade: integer arithmetic with a per-market factor cached while the quote's price holds
        (a stablecoin's fixed price is the same object every time)."""
        market = self.markets.get(market_name)
        if market is None:
            return None
        quote_usd = self.usd_per_unit(market.quote)
        if quote_usd is None:
            return None
        cached = self._usd_per_tick_lot.get(market_name)
        if cached is None or cached[0] is not quote_usd:
            factor = market.tick * market.lot * quote_usd
            cached = (quote_usd, factor.numerator, factor.denominator)
            self._usd_per_tick_lot[market_name] = cached
        return price_ticks * size_lots * cached[1] // cached[2]

    def order_value_usd(self, market_name: str, price_ticks: int, size_lots: int) -> int | None:
        return self.trade_value_usd(market_name, price_ticks, size_lots)
