"""Request and response shapes of the operator API under /api/ch/v1/admin."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from clearhouse.api.rest.shapes import Body, CurrencyId, DecimalText, PairId, Query

Uid = Annotated[int, Meta(ge=1, le=2**53)]
CountryCode = Annotated[str, Meta(pattern=r"^([A-Z]{2})?$")]
Permission = Literal["read", "spot", "futures", "options", "wallet"]
Cidr = Annotated[str, Meta(min_length=1, max_length=64)]
SignedRate = Annotated[
    str, Meta(pattern=r"^-?[0-9.]{1,20}$", description="a fee rate, e.g. 0.002; negative = rebate")
]


class CreateUser(Body):
    name: Annotated[str, Meta(min_length=1, max_length=200)]
    email: Annotated[str, Meta(max_length=254)]
    country: CountryCode
    kyc_tier: Annotated[int, Meta(ge=0, le=3)]
    parent_uid: Uid | None = None  # open a sub-account of this master account
    kind: Literal["person", "business"] = "person"
    beneficial_owner_name: Annotated[str, Meta(max_length=200)] = ""  # sub-accounts only
    beneficial_owner_country: CountryCode = ""
    permissions: Annotated[list[Permission], Meta(min_length=1, max_length=5)] = msgspec.field(
        default_factory=lambda: ["read", "spot"]
    )
    ip_allowlist: Annotated[list[Cidr], Meta(max_length=64)] = msgspec.field(default_factory=list)


class CreatedUser(msgspec.Struct):
    uid: int
    api_key: str
    api_secret: str  # shown once; the venue keeps it only sealed


class UserPath(Query):
    uid: Uid


class CreateApiKey(Body):
    permissions: Annotated[list[Permission], Meta(min_length=1, max_length=5)]
    ip_allowlist: Annotated[list[Cidr], Meta(max_length=64)] = msgspec.field(default_factory=list)
    label: Annotated[str, Meta(max_length=64)] = ""


class CreatedKey(msgspec.Struct):
    key: str
    secret: str  # shown once


class CreditDeposit(Body):
    uid: Uid
    currency: CurrencyId
    amount: DecimalText
    chain: Annotated[str, Meta(max_length=32)] = ""
    address: Annotated[str, Meta(max_length=128)] = ""
    txid: Annotated[str, Meta(max_length=128)] = ""  # idempotence key; "" = a fresh one


class CreditedDeposit(msgspec.Struct):
    id: int
    uid: int
    currency: str
    amount: str
    txid: str
    status: Literal["DONE"]
    duplicate: bool  # this txid was credited before: nothing changed


class WithdrawalsQuery(Query):
    status: Literal["pending", "done", "rejected"] | None = None
    uid: Uid | None = None
    limit: Annotated[int, Meta(ge=1, le=1000)] = 100


class WithdrawalPath(Query):
    withdrawal_id: Annotated[int, Meta(ge=1, le=2**53)]


class Approve(Body):
    txid: Annotated[str, Meta(max_length=128)] = ""


class Reject(Body):
    reason: Annotated[str, Meta(max_length=512)] = ""


class AdminWithdrawal(msgspec.Struct):
    id: int
    uid: int
    currency: str
    amount: str
    address: str
    chain: str
    client_id: str
    status: Literal["pending", "done", "rejected"]
    txid: str
    timestamp: str


class FeeTier(Body):
    maker: SignedRate
    taker: SignedRate


class FeeTierView(msgspec.Struct):
    maker: str
    taker: str


class AdminMarket(msgspec.Struct):
    name: str
    base: str
    quote: str
    tick_size: str
    lot_size: str
    min_amount: str
    max_amount: str
    min_notional: str
    trading_enabled: bool
    fee_tiers: list[FeeTierView]
    last_price: str
    index_price: str
    open_orders: int


class MarketConfig(Body):
    trading_enabled: bool | None = None
    fee_tiers: Annotated[list[FeeTier], Meta(min_length=1, max_length=32)] | None = None


class AccountConfig(Body):
    fee_tier: Annotated[int, Meta(ge=0, le=31)]


class VenueConfig(Body):
    markets: dict[PairId, MarketConfig] = msgspec.field(default_factory=dict)
    accounts: dict[Annotated[str, Meta(pattern=r"^[0-9]{1,18}$")], AccountConfig] = msgspec.field(
        default_factory=dict
    )


class ConfigApplied(msgspec.Struct):
    changes: list[str]  # one line per command submitted
    seq: int  # the venue's sequence number after the last change


class IndexPrices(Body):
    index: Annotated[dict[PairId, DecimalText], Meta(min_length=1, max_length=1000)]


class IndexPricesSet(msgspec.Struct):
    index: dict[str, str]


class ClockAdvance(Body):
    seconds: Annotated[int, Meta(ge=1, le=366 * 86_400)]


class ClockAdvanced(msgspec.Struct):
    server_time: int  # the venue's (simulated) time, ms
    offset_s: int  # how far the simulated clock runs ahead of the wall clock
