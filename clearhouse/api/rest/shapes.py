"""Gate API v4 request and response shapes for spot, wallet and account, with Gate's field names.

Numbers are decimal strings, as at Gate; times are as Gate sends them (seconds as strings,
milliseconds as integers, trade `create_time_ms` as a string with a fraction). Request types
forbid unknown fields, so a misspelt parameter is refused rather than ignored.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta, field

from clearhouse.core.compliance.travel_rule_ivms import IdentityPayload

# --- reusable parameter types ----------------------------------------------------------------
PairId = Annotated[str, Meta(pattern=r"^[A-Z0-9_]{1,32}$", description="currency pair, BTC_USDT")]
CurrencyId = Annotated[str, Meta(pattern=r"^[A-Z0-9_]{1,32}$", description="currency, e.g. BTC")]
DecimalText = Annotated[
    str, Meta(pattern=r"^[0-9.]{1,40}$", description="a plain decimal number as a string")
]
OrderIdText = Annotated[
    str,
    Meta(
        pattern=r"^([0-9]{1,18}|t-[0-9A-Za-z_.-]{1,28})$",
        description="order id, or the client's text (t-...) of a recent order",
    ),
]
Limit100 = Annotated[int, Meta(ge=1, le=1000)]
Page = Annotated[int, Meta(ge=1, le=100_000)]
Seconds = Annotated[int, Meta(ge=0, le=10**11, description="Unix seconds")]
Offset = Annotated[int, Meta(ge=0, le=100_000)]
SpotAccountName = Literal["spot"]
SideWord = Literal["buy", "sell"]
ShortText = Annotated[str, Meta(max_length=128)]


class Query(msgspec.Struct, forbid_unknown_fields=True):
    """Base of query-string shapes: unknown parameters are refused."""


class Body(msgspec.Struct, forbid_unknown_fields=True):
    """Base of JSON request bodies: unknown fields are refused."""


# --- public market data ----------------------------------------------------------------------
class CurrencyChain(msgspec.Struct):
    name: str
    addr: str
    withdraw_disabled: bool
    withdraw_delayed: bool
    deposit_disabled: bool


class Currency(msgspec.Struct):
    currency: str
    name: str
    delisted: bool
    withdraw_disabled: bool
    withdraw_delayed: bool
    deposit_disabled: bool
    trade_disabled: bool
    fixed_rate: str
    chain: str
    chains: list[CurrencyChain]


class CurrencyPath(Query):
    currency: CurrencyId


class CurrencyPair(msgspec.Struct):
    id: str
    base: str
    base_name: str
    quote: str
    quote_name: str
    fee: str  # taker fee of the base tier, in percent
    maker_fee_rate: str  # maker fee of the base tier, in percent (ccxt reads it)
    min_base_amount: str
    min_quote_amount: str
    max_base_amount: str
    amount_precision: int
    precision: int
    trade_status: Literal["tradable", "untradable"]
    sell_start: int
    buy_start: int
    delisting_time: int
    type: str


class CurrencyPairPath(Query):
    currency_pair: PairId


class MarginCurrencyPair(msgspec.Struct):
    id: str
    base: str
    quote: str
    leverage: int
    min_base_amount: str
    min_quote_amount: str
    max_quote_amount: str
    status: int


class TickersQuery(Query):
    currency_pair: PairId | None = None
    timezone: Literal["utc0", "utc8", "all"] = "all"


class Ticker(msgspec.Struct):
    currency_pair: str
    last: str
    lowest_ask: str
    lowest_size: str
    highest_bid: str
    highest_size: str
    change_percentage: str
    base_volume: str
    quote_volume: str
    high_24h: str
    low_24h: str


class OrderBookQuery(Query):
    currency_pair: PairId
    interval: Literal["0"] = "0"  # no price aggregation
    limit: Annotated[int, Meta(ge=1, le=1000)] = 10
    with_id: bool = False


# [price, amount] (a fixed-length list rather than a tuple: plain JSON Schema "items")
BookLevel = Annotated[list[str], Meta(min_length=2, max_length=2)]


class OrderBook(msgspec.Struct, omit_defaults=True):
    current: int  # ms
    update: int  # ms of the book's last change
    asks: list[BookLevel]
    bids: list[BookLevel]
    id: int | msgspec.UnsetType = msgspec.UNSET  # the book's update id, with `with_id=true`


CandleInterval = Literal["10s", "1m", "5m", "15m", "30m", "1h", "4h", "8h", "1d", "7d"]
# time (s), quote volume, close, high, low, open, base volume, window closed ("true"/"false")
CandleRow = Annotated[list[str], Meta(min_length=8, max_length=8)]


class CandlesticksQuery(Query):
    currency_pair: PairId
    limit: Limit100 = 100
    from_: Seconds | None = field(name="from", default=None)
    to: Seconds | None = None
    interval: CandleInterval = "30m"


class TradesQuery(Query):
    currency_pair: PairId
    limit: Limit100 = 100
    last_id: Annotated[str, Meta(pattern=r"^[0-9]{1,18}$")] | None = None
    reverse: bool = False
    from_: Seconds | None = field(name="from", default=None)
    to: Seconds | None = None
    page: Page = 1


class PublicTrade(msgspec.Struct):
    id: str
    create_time: str
    create_time_ms: str
    currency_pair: str
    side: str
    amount: str
    price: str


class ServerTime(msgspec.Struct):
    server_time: int  # ms


# --- accounts and fees -----------------------------------------------------------------------
class AccountsQuery(Query):
    currency: CurrencyId | None = None


class SpotAccount(msgspec.Struct):
    currency: str
    available: str
    locked: str


class FeeQuery(Query):
    currency_pair: PairId | None = None
    settle: Annotated[str, Meta(max_length=16)] | None = None


class TradingFee(msgspec.Struct):
    user_id: int
    taker_fee: str
    maker_fee: str
    gt_discount: bool
    gt_taker_fee: str
    gt_maker_fee: str
    loan_fee: str
    point_type: str
    currency_pair: str
    futures_taker_fee: str
    futures_maker_fee: str
    delivery_taker_fee: str
    delivery_maker_fee: str


class KeyMode(msgspec.Struct):
    mode: int  # 1 classic account, 2 unified account


class AccountDetail(msgspec.Struct):
    user_id: int
    ip_whitelist: list[str]
    currency_pairs: list[str]
    key: KeyMode
    tier: int
    copy_trading_role: int


# --- orders ------------------------------------------------------------------------------------
TimeInForceWord = Literal["gtc", "ioc", "poc", "fok"]
StpActWord = Literal["cn", "co", "cb", "-"]


class OrderRequest(Body):
    currency_pair: PairId
    side: SideWord
    amount: DecimalText
    type: Literal["limit", "market"] = "limit"
    price: DecimalText | None = None
    time_in_force: TimeInForceWord | None = None
    account: SpotAccountName = "spot"
    text: Annotated[str, Meta(max_length=30)] | None = None
    iceberg: DecimalText | None = None
    auto_borrow: Literal[False] = False
    auto_repay: Literal[False] = False
    stp_act: StpActWord | None = None
    action_mode: Literal["ACK", "RESULT", "FULL"] = "FULL"


class SpotOrder(msgspec.Struct):
    id: str
    text: str
    amend_text: str
    create_time: str
    update_time: str
    create_time_ms: int
    update_time_ms: int
    status: Literal["open", "closed", "cancelled"]
    currency_pair: str
    type: Literal["limit", "market"]
    account: str
    side: str
    amount: str
    price: str
    time_in_force: str
    iceberg: str
    left: str
    filled_amount: str
    fill_price: str
    filled_total: str
    avg_deal_price: str
    fee: str
    fee_currency: str
    point_fee: str
    gt_fee: str
    gt_maker_fee: str
    gt_taker_fee: str
    gt_discount: bool
    rebated_fee: str
    rebated_fee_currency: str
    stp_id: int
    stp_act: str
    finish_as: str


class OrdersQuery(Query):
    status: Literal["open", "finished"]
    currency_pair: PairId | None = None
    page: Page = 1
    limit: Limit100 = 100
    account: SpotAccountName = "spot"
    from_: Seconds | None = field(name="from", default=None)
    to: Seconds | None = None
    side: SideWord | None = None


class OrderPath(Query):
    order_id: OrderIdText


class OrderLookupQuery(Query):
    currency_pair: PairId
    account: SpotAccountName = "spot"


class CancelOrderQuery(Query):
    currency_pair: PairId
    account: SpotAccountName = "spot"
    action_mode: Literal["ACK", "RESULT", "FULL"] = "FULL"


class AmendParams(Query):
    """Gate's amend: in the query, the body, or (as ccxt sends it) both."""

    currency_pair: PairId
    account: SpotAccountName = "spot"
    amount: DecimalText | None = None
    price: DecimalText | None = None
    action_mode: Literal["ACK", "RESULT", "FULL"] = "FULL"


class CancelAllQuery(Query):
    currency_pair: PairId | None = None
    side: SideWord | None = None
    account: SpotAccountName = "spot"
    action_mode: Literal["ACK", "RESULT", "FULL"] = "FULL"


class OpenOrdersQuery(Query):
    page: Page = 1
    limit: Limit100 = 100
    account: SpotAccountName = "spot"
    # not in Gate's documentation, but ccxt sends them: a pair filter, and status=open
    currency_pair: PairId | None = None
    status: Literal["open"] = "open"


class OpenOrdersGroup(msgspec.Struct):
    currency_pair: str
    total: int
    orders: list[SpotOrder]


class CancelBatchItem(Body):
    currency_pair: PairId
    id: OrderIdText
    account: SpotAccountName = "spot"
    text: Annotated[str, Meta(max_length=30)] | None = None


MAX_BATCH_CANCEL = 20  # Gate's limit per batch cancel
CancelBatchRequest = Annotated[
    list[CancelBatchItem], Meta(min_length=1, max_length=MAX_BATCH_CANCEL)
]


class CancelBatchResult(msgspec.Struct):
    currency_pair: str
    id: str
    text: str
    succeeded: bool
    label: str
    message: str
    account: str


class MyTradesQuery(Query):
    currency_pair: PairId | None = None
    limit: Limit100 = 100
    page: Page = 1
    order_id: Annotated[str, Meta(pattern=r"^[0-9]{1,18}$")] | None = None
    account: SpotAccountName = "spot"
    from_: Seconds | None = field(name="from", default=None)
    to: Seconds | None = None


class MyTrade(msgspec.Struct):
    id: str
    create_time: str
    create_time_ms: str
    currency_pair: str
    side: str
    role: Literal["maker", "taker"]
    amount: str
    price: str
    order_id: str
    fee: str
    fee_currency: str
    point_fee: str
    gt_fee: str
    amend_text: str
    text: str


# --- price-triggered orders ------------------------------------------------------------------
class TriggerSpec(Body):
    price: DecimalText
    rule: Literal[">=", "<="]
    expiration: Annotated[int, Meta(ge=0, le=30 * 86_400)] = 0  # seconds; 0 = never


class TriggeredOrderSpec(Body):
    side: SideWord
    price: DecimalText
    amount: DecimalText
    type: Literal["limit", "market"] = "limit"
    account: Literal["normal", "spot"] = "normal"
    time_in_force: Literal["gtc", "ioc"] = "gtc"
    auto_borrow: Literal[False] = False
    auto_repay: Literal[False] = False
    text: Annotated[str, Meta(max_length=30)] | None = None


class PriceOrderRequest(Body):
    trigger: TriggerSpec
    put: TriggeredOrderSpec
    market: PairId


class PriceOrderCreated(msgspec.Struct):
    id: int


class PriceOrderTrigger(msgspec.Struct):
    price: str
    rule: str
    expiration: int


class PriceOrderPut(msgspec.Struct):
    type: str
    side: str
    price: str
    amount: str
    account: str
    time_in_force: str
    auto_borrow: bool
    auto_repay: bool
    text: str


class PriceOrder(msgspec.Struct):
    trigger: PriceOrderTrigger
    put: PriceOrderPut
    id: int
    user: int
    market: str
    ctime: int
    ftime: int
    fired_order_id: int
    status: str
    reason: str


class PriceOrdersQuery(Query):
    status: Literal["open", "finished"]
    market: PairId | None = None
    account: Literal["normal", "spot"] = "normal"
    limit: Limit100 = 100
    offset: Offset = 0


class PriceOrderPath(Query):
    order_id: Annotated[str, Meta(pattern=r"^[0-9]{1,18}$")]


class CancelPriceOrdersQuery(Query):
    market: PairId | None = None
    account: Literal["normal", "spot"] = "normal"


# --- wallet ------------------------------------------------------------------------------------
class LedgerQuery(Query):
    currency: CurrencyId | None = None
    from_: Seconds | None = field(name="from", default=None)
    to: Seconds | None = None
    limit: Annotated[int, Meta(ge=1, le=500)] = 100
    offset: Offset = 0


class LedgerRecord(msgspec.Struct):
    """A deposit or a withdrawal (ids start with "d" or "w", as ccxt expects)."""

    id: str
    txid: str
    withdraw_order_id: str
    timestamp: str
    amount: str
    fee: str
    currency: str
    address: str
    memo: str
    status: str
    chain: str


class WithdrawRequest(Body):
    currency: CurrencyId
    amount: DecimalText
    address: Annotated[str, Meta(min_length=1, max_length=128)]
    chain: Annotated[str, Meta(max_length=32)] = ""
    memo: Annotated[str, Meta(max_length=0)] | None = None  # memos are not supported
    withdraw_order_id: Annotated[str, Meta(pattern=r"^[0-9A-Za-z_.-]{1,64}$")] | None = None
    # Clearhouse extension: IVMS101 originator and beneficiary (FATF Travel Rule), required at
    # or above the venue's threshold (GET /api/ch/v1/admin/travel_rule)
    travel_rule: IdentityPayload | None = None


class SubAccountTransferRequest(Body):
    currency: CurrencyId
    sub_account: Annotated[str, Meta(pattern=r"^[0-9]{1,18}$")]
    direction: Literal["to", "from"]
    amount: DecimalText
    client_order_id: Annotated[str, Meta(pattern=r"^[0-9A-Za-z_.-]{1,64}$")] | None = None
    sub_account_type: Literal["spot"] = "spot"


class TransferCreated(msgspec.Struct):
    tx_id: int


class SubAccountTransfersQuery(Query):
    sub_uid: Annotated[str, Meta(pattern=r"^[0-9]{1,18}(,[0-9]{1,18}){0,19}$")] | None = None
    from_: Seconds | None = field(name="from", default=None)
    to: Seconds | None = None
    limit: Annotated[int, Meta(ge=1, le=1000)] = 100
    offset: Offset = 0


class SubAccountTransfer(msgspec.Struct):
    timest: str
    uid: str
    sub_account: str
    sub_account_type: str
    currency: str
    amount: str
    direction: Literal["to", "from"]
    source: str
    client_order_id: str
    status: str


# --- not-yet-listed products ---------------------------------------------------------------------
class SettlePath(Query):
    settle: Literal["usdt", "btc"]
