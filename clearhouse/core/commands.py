"""Commands: everything that can change the venue's state, as small immutable tagged structs.

The journal, the gateway and the tests share these definitions. A command is wrapped in an
`Envelope` by the sequencer, which stamps the sequence number and the time and carries the facts
the gateway observed (source IP, country, API key); the engine reads time only from there.
"""

from __future__ import annotations

import msgspec


class Facts(msgspec.Struct, frozen=True, array_like=True, omit_defaults=True):
    """What the gateway observed about a request. The policy gate decides on these."""

    channel: str = "internal"  # rest, ws, admin, internal, sim
    ip: str = ""
    country: str = ""  # ISO 3166 alpha-2 of the IP, "" when unknown
    api_key: str = ""
    actor: str = ""  # admin or operator who issued the command
    reason: str = ""
    device: str = ""


class Command(msgspec.Struct, frozen=True, tag=True, array_like=True):
    pass


# --- configuration ---------------------------------------------------------------------------
class ListAsset(Command, frozen=True, tag=True, array_like=True):
    code: str
    scale: int


class ListSpotMarket(Command, frozen=True, tag=True, array_like=True):
    name: str
    base: str
    quote: str
    tick_size: str
    lot_size: str
    min_size_lots: int
    max_size_lots: int
    min_notional_units: int
    fees: tuple[tuple[int, int], ...] = ((1000, 2000),)  # (maker_ppm, taker_ppm) per fee tier
    max_open_orders_per_account: int = 1_000


class SetMarketTrading(Command, frozen=True, tag=True, array_like=True):
    market: str
    enabled: bool


class SetMarketFees(Command, frozen=True, tag=True, array_like=True):
    """Replace a market's fee schedule: (maker_ppm, taker_ppm) per fee tier."""

    market: str
    fees: tuple[tuple[int, int], ...]


# --- identities and accounts -----------------------------------------------------------------
class RegisterParty(Command, frozen=True, tag=True, array_like=True):
    """A person or a business that can own accounts or be their beneficial owner."""

    kind: str  # "person" | "business"
    name: str
    country: str = ""
    external_ref: str = ""  # the onboarding system's id, for idempotence


class OpenAccount(Command, frozen=True, tag=True, array_like=True):
    owner: int  # party id
    parent: int = 0  # account id of the master account for a sub-account
    beneficial_owner: int = 0  # party id; defaults to the owner
    label: str = ""


class SetFeeTier(Command, frozen=True, tag=True, array_like=True):
    account: int
    tier: int


class SetStpGroup(Command, frozen=True, tag=True, array_like=True):
    account: int
    group: int


# --- money in, out and around ----------------------------------------------------------------
class CreditDeposit(Command, frozen=True, tag=True, array_like=True):
    account: int
    asset: str
    amount_units: int
    txid: str  # idempotence key: a txid credited once is never credited again
    chain: str = ""
    address: str = ""


class RequestWithdrawal(Command, frozen=True, tag=True, array_like=True):
    account: int
    asset: str
    amount_units: int
    client_id: str  # idempotence key per account
    address: str
    chain: str = ""


class ApproveWithdrawal(Command, frozen=True, tag=True, array_like=True):
    withdrawal_id: int
    txid: str = ""


class RejectWithdrawal(Command, frozen=True, tag=True, array_like=True):
    withdrawal_id: int
    reason: str = ""


class TransferBetweenAccounts(Command, frozen=True, tag=True, array_like=True):
    """Main <-> sub-account transfer within one master account's family."""

    from_account: int
    to_account: int
    asset: str
    amount_units: int
    client_id: str = ""


# --- trading ---------------------------------------------------------------------------------
class PlaceOrder(Command, frozen=True, tag=True, array_like=True):
    account: int
    market: str
    side: int  # BUY=0, SELL=1
    price_ticks: int  # 0 for a market order
    size_lots: int  # base lots; 0 for a market buy, which is sized by quote_units
    tif: int = 0  # GTC, IOC, FOK, POC
    quote_units: int = 0  # market buy budget in quote units (Gate: amount is in quote)
    display_lots: int = 0  # iceberg: shown slice; 0 = fully visible
    stp_act: int = 0  # CN, CO, CB
    text: str = ""  # client order id


class CancelOrder(Command, frozen=True, tag=True, array_like=True):
    account: int
    market: str
    order_id: int


class CancelAllOrders(Command, frozen=True, tag=True, array_like=True):
    account: int
    market: str
    side: int = -1  # -1 both sides


class AmendOrder(Command, frozen=True, tag=True, array_like=True):
    account: int
    market: str
    order_id: int
    price_ticks: int = 0  # 0 = unchanged
    size_lots: int = 0  # new total size; 0 = unchanged
    text: str = ""


class PlaceTriggerOrder(Command, frozen=True, tag=True, array_like=True):
    """Spot price order: when the last price crosses `trigger_price_ticks`, place `order`."""

    account: int
    market: str
    trigger_price_ticks: int
    rule: int  # 0: last >= trigger, 1: last <= trigger
    expires_at_ns: int  # 0 = never
    order: PlaceOrder


class CancelTriggerOrder(Command, frozen=True, tag=True, array_like=True):
    account: int
    market: str
    trigger_id: int


class AdvanceTime(Command, frozen=True, tag=True, array_like=True):
    """No change but the clock: lets expiries fire when nothing else happens."""


# --- access ----------------------------------------------------------------------------------
class CreateApiKey(Command, frozen=True, tag=True, array_like=True):
    """Register an API key. The gateway generates the secret and seals it with the venue's
    master key; the engine only ever holds the sealed form."""

    account: int
    key: str
    secret_sealed: bytes
    permissions: tuple[str, ...]  # subset of api_keys.PERMISSIONS; ("read",) = read-only
    ip_allowlist: tuple[str, ...] = ()  # CIDRs; empty = any address
    label: str = ""


class RevokeApiKey(Command, frozen=True, tag=True, array_like=True):
    account: int
    key: str


class OnboardUser(Command, frozen=True, tag=True, array_like=True):
    """Admin onboarding in one atomic step: party, account (or sub-account) and first API key."""

    name: str
    email: str
    country: str
    kyc_tier: int
    key: str
    secret_sealed: bytes
    permissions: tuple[str, ...]
    parent: int = 0  # master account id for a sub-account
    beneficial_owner_name: str = ""  # a sub-account's beneficial owner, when not the owner
    beneficial_owner_country: str = ""
    kind: str = "person"
    ip_allowlist: tuple[str, ...] = ()


# --- market-wide inputs ----------------------------------------------------------------------
class SetIndexPrice(Command, frozen=True, tag=True, array_like=True):
    """An index price observation (a feed, or the demo admin). Integer ticks of the market."""

    market: str
    price_ticks: int


# --- perpetual futures (add below) ----------------------------------------------------------


# --- compliance: identities, KYC, jurisdictions (add below) ----------------------------------


# --- compliance: sanctions screening and travel rule (add below) ------------------------------


# --- compliance: AML, surveillance, cases, audit (add below) ----------------------------------
class OpenCase(Command, frozen=True, tag=True, array_like=True):
    """Open a compliance case, from an alert (`key` = the alert id: opening twice is a no-op) or
    by hand. `detected_at_ns` is when the activity was detected (0 = now); a SAR deadline runs
    from it."""

    title: str
    severity: str  # low, medium, high, critical
    subject_party: int = 0  # the beneficial owner the case is about, 0 if none (e.g. an IP)
    accounts: tuple[int, ...] = ()
    detected_at_ns: int = 0
    key: str = ""  # idempotence key
    rule_id: str = ""
    rule_version: str = ""  # content hash of the rule file that raised the alert
    alert_ids: tuple[str, ...] = ()
    summary: str = ""


class UpdateCase(Command, frozen=True, tag=True, array_like=True):
    """Start investigating, assign, add a note or attach alerts."""

    case_id: int
    status: str = ""  # "investigating" or "" (unchanged)
    assignee: str = ""
    note: str = ""
    alert_ids: tuple[str, ...] = ()


class CloseCase(Command, frozen=True, tag=True, array_like=True):
    case_id: int
    disposition: str  # see core.cases.DISPOSITIONS
    rationale: str


class FileSar(Command, frozen=True, tag=True, array_like=True):
    """Decide that a suspicious activity report is due: the case enters state `sar` with a
    deadline counted from detection."""

    case_id: int
    rationale: str


class SubmitSar(Command, frozen=True, tag=True, array_like=True):
    """The SAR went to the financial intelligence unit under `reference`."""

    case_id: int
    reference: str


class SetCasePolicy(Command, frozen=True, tag=True, array_like=True):
    sar_deadline_days: int
    investigation_sla_days: int


COMMAND_TYPES: tuple[type[Command], ...] = (
    ListAsset,
    ListSpotMarket,
    SetMarketTrading,
    SetMarketFees,
    RegisterParty,
    OpenAccount,
    SetFeeTier,
    SetStpGroup,
    CreditDeposit,
    RequestWithdrawal,
    ApproveWithdrawal,
    RejectWithdrawal,
    TransferBetweenAccounts,
    PlaceOrder,
    CancelOrder,
    CancelAllOrders,
    AmendOrder,
    PlaceTriggerOrder,
    CancelTriggerOrder,
    AdvanceTime,
    CreateApiKey,
    RevokeApiKey,
    OnboardUser,
    SetIndexPrice,
    OpenCase,
    UpdateCase,
    CloseCase,
    FileSar,
    SubmitSar,
    SetCasePolicy,
)

AnyCommand = (
    ListAsset
    | ListSpotMarket
    | SetMarketTrading
    | SetMarketFees
    | RegisterParty
    | OpenAccount
    | SetFeeTier
    | SetStpGroup
    | CreditDeposit
    | RequestWithdrawal
    | ApproveWithdrawal
    | RejectWithdrawal
    | TransferBetweenAccounts
    | PlaceOrder
    | CancelOrder
    | CancelAllOrders
    | AmendOrder
    | PlaceTriggerOrder
    | CancelTriggerOrder
    | AdvanceTime
    | CreateApiKey
    | RevokeApiKey
    | OnboardUser
    | SetIndexPrice
    | OpenCase
    | UpdateCase
    | CloseCase
    | FileSar
    | SubmitSar
    | SetCasePolicy
)


class Envelope(msgspec.Struct, frozen=True, array_like=True):
    """One journal record: a command with its sequence number, time and observed facts."""

    seq: int
    time_ns: int
    command: AnyCommand
    facts: Facts = Facts()


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(Envelope)


def encode_envelope(envelope: Envelope) -> bytes:
    return _encoder.encode(envelope)


def decode_envelope(payload: bytes) -> Envelope:
    return _decoder.decode(payload)
