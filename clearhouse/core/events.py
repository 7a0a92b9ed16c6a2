"""Events: what a command did, in the past tense. Projections, the wire and tests read these."""

from __future__ import annotations

import msgspec


class Event(msgspec.Struct, frozen=True, tag=True, array_like=True):
    pass


class CommandRejected(Event, frozen=True, tag=True, array_like=True):
    label: str
    message: str


class AlreadyApplied(Event, frozen=True, tag=True, array_like=True):
    """An idempotent command seen before: nothing changed; `ref` names the original effect."""

    key: str
    ref: int


class AssetListed(Event, frozen=True, tag=True, array_like=True):
    code: str
    scale: int


class MarketListed(Event, frozen=True, tag=True, array_like=True):
    name: str


class MarketTradingSet(Event, frozen=True, tag=True, array_like=True):
    market: str
    enabled: bool


class MarketFeesSet(Event, frozen=True, tag=True, array_like=True):
    market: str
    fees: tuple[tuple[int, int], ...]


class PartyRegistered(Event, frozen=True, tag=True, array_like=True):
    party: int
    kind: str
    name: str


class AccountOpened(Event, frozen=True, tag=True, array_like=True):
    account: int
    owner: int
    parent: int
    beneficial_owner: int


class FeeTierSet(Event, frozen=True, tag=True, array_like=True):
    account: int
    tier: int


class StpGroupSet(Event, frozen=True, tag=True, array_like=True):
    account: int
    group: int


class Deposited(Event, frozen=True, tag=True, array_like=True):
    deposit_id: int
    account: int
    asset: str
    amount_units: int
    txid: str


class WithdrawalRequested(Event, frozen=True, tag=True, array_like=True):
    withdrawal_id: int
    account: int
    asset: str
    amount_units: int
    address: str
    client_id: str


class WithdrawalApproved(Event, frozen=True, tag=True, array_like=True):
    withdrawal_id: int
    account: int
    asset: str
    amount_units: int
    txid: str


class WithdrawalRejected(Event, frozen=True, tag=True, array_like=True):
    withdrawal_id: int
    account: int
    reason: str


class Transferred(Event, frozen=True, tag=True, array_like=True):
    from_account: int
    to_account: int
    asset: str
    amount_units: int


class OrderAccepted(Event, frozen=True, tag=True, array_like=True):
    order_id: int
    account: int
    owner: int
    market: str
    side: int
    price_ticks: int
    size_lots: int
    quote_units: int
    tif: int
    display_lots: int
    text: str
    time_ns: int


class Traded(Event, frozen=True, tag=True, array_like=True):
    trade_id: int
    market: str
    price_ticks: int
    size_lots: int
    taker_side: int
    maker_order: int
    taker_order: int
    maker_account: int
    taker_account: int
    maker_owner: int
    taker_owner: int
    maker_fee_units: int  # in the asset the maker received; negative = rebate
    taker_fee_units: int  # in the asset the taker received
    time_ns: int


class OrderAmended(Event, frozen=True, tag=True, array_like=True):
    order_id: int
    account: int
    market: str
    price_ticks: int
    size_lots: int
    remaining_lots: int
    kept_priority: bool


class OrderClosed(Event, frozen=True, tag=True, array_like=True):
    """An order left the book or finished taking. `finish_as` uses Gate's words."""

    order_id: int
    account: int
    market: str
    finish_as: str  # filled, cancelled, ioc, fok, poc, stp, depth_not_enough, ...
    filled_lots: int
    filled_quote_units: int
    fee_units: int
    time_ns: int


class TriggerPlaced(Event, frozen=True, tag=True, array_like=True):
    trigger_id: int
    account: int
    market: str


class TriggerFired(Event, frozen=True, tag=True, array_like=True):
    trigger_id: int
    account: int
    market: str
    order_id: int  # 0 when the placed order was rejected
    reject_label: str


class TriggerClosed(Event, frozen=True, tag=True, array_like=True):
    trigger_id: int
    account: int
    market: str
    reason: str  # cancelled, expired


class ClockAdvanced(Event, frozen=True, tag=True, array_like=True):
    time_ns: int


class ApiKeyCreated(Event, frozen=True, tag=True, array_like=True):
    key: str
    account: int
    permissions: tuple[str, ...]
    ip_allowlist: tuple[str, ...]


class ApiKeyRevoked(Event, frozen=True, tag=True, array_like=True):
    key: str
    account: int


class IndexPriceSet(Event, frozen=True, tag=True, array_like=True):
    market: str
    price_ticks: int
