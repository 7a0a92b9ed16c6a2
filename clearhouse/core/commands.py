"""Commands: everything that can change the venue's state, as small immutable tagged structs.

The journal, the gateway and the tests share these definitions. A command is wrapped in an
`Envelope` by the sequencer, which stamps the sequence number and the time and carries the facts
the gateway observed (source IP, country, API key); the engine reads time only from there.
"""

from __future__ import annotations

import msgspec

from clearhouse.core.compliance.sanctions_payload import ListEntry, ListWallet
from clearhouse.core.compliance.travel_rule_ivms import IdentityPayload
from clearhouse.core.products.perpetual_contract import PerpContract


class Facts(msgspec.Struct, frozen=True, array_like=True, omit_defaults=True):
    """What the gateway observed about a request. The policy gate decides on these."""

    channel: str = "internal"  # rest, ws, admin, internal, sim
    ip: str = ""
    country: str = ""  # ISO 3166 alpha-2 of the IP, "" when unknown
    api_key: str = ""
    actor: str = ""  # admin or operator who issued the command
    reason: str = ""
    device: str = ""
    step_up: str = ""  # a second factor the gateway verified for this request ("totp")


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
    travel_rule: IdentityPayload | None = None  # IVMS101 data, needed at or above the threshold


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
class ListContract(Command, frozen=True, tag=True, array_like=True):
    """List a perpetual contract with every parameter (core/products/perpetual_contract.py)."""

    spec: PerpContract


class TransferWallet(Command, frozen=True, tag=True, array_like=True):
    """Move settle-asset funds between an account's spot and futures wallets."""

    account: int
    asset: str
    amount_units: int
    from_wallet: str  # "spot" | "futures"
    to_wallet: str


class SetPositionMode(Command, frozen=True, tag=True, array_like=True):
    """Gate dual_mode: hedge (dual) mode keeps a long and a short per contract."""

    account: int
    dual: bool


class SetLeverage(Command, frozen=True, tag=True, array_like=True):
    """Isolated margin at `leverage`, or cross margin with leverage 0 (Gate's convention)."""

    account: int
    contract: str
    leverage: int
    cross_leverage_limit: int = 0  # cross only: 0 = the risk tier's maximum


class UpdatePositionMargin(Command, frozen=True, tag=True, array_like=True):
    """Add (> 0) or remove (< 0) isolated margin of a position."""

    account: int
    contract: str
    change_units: int
    mode: str = "single"  # single | dual_long | dual_short


class PlaceContractOrder(Command, frozen=True, tag=True, array_like=True):
    account: int
    contract: str
    size: int  # signed contracts, positive = buy; 0 for a close order
    price_ticks: int  # 0 = market order (ioc or fok, bounded by the price band)
    tif: int = 0  # GTC, IOC, FOK, POC
    reduce_only: bool = False
    close: bool = False  # one-way mode: close the whole position (size 0)
    auto_size: str = ""  # hedge mode close: "close_long" | "close_short" (size 0)
    display_size: int = 0  # iceberg: contracts shown; 0 = fully visible
    stp_act: int = 0  # CN, CO, CB
    text: str = ""


class CancelContractOrder(Command, frozen=True, tag=True, array_like=True):
    account: int
    contract: str
    order_id: int


class CancelAllContractOrders(Command, frozen=True, tag=True, array_like=True):
    account: int
    contract: str
    side: int = -1  # -1 both sides


class PlaceContractTrigger(Command, frozen=True, tag=True, array_like=True):
    """Gate futures price order: when the last (0), mark (1) or index (2) price crosses the
    trigger by `rule` (0: >=, 1: <=), place `order`. A close order makes it a position TP/SL;
    `trail_ppm` > 0 makes it a trailing stop."""

    account: int
    contract: str
    price_type: int
    rule: int
    trigger_price_ticks: int
    expires_at_ns: int  # 0 = never
    order: PlaceContractOrder
    trail_ppm: int = 0


class CancelContractTrigger(Command, frozen=True, tag=True, array_like=True):
    account: int
    contract: str
    trigger_id: int


class ObserveIndexSources(Command, frozen=True, tag=True, array_like=True):
    """Source prices for a contract's index: (source name, price in the contract's ticks,
    weight). The engine excludes outliers, sets the index, samples the premium, moves the mark
    and runs the liquidation engine."""

    contract: str
    sources: tuple[tuple[str, int, int], ...]


class FundInsurance(Command, frozen=True, tag=True, array_like=True):
    """The venue seeds or tops up the insurance fund."""

    asset: str
    amount_units: int


# Commands an account issues about its own futures: the gate's account rules apply to them.
PERPETUAL_ACCOUNT_COMMANDS: tuple[type[Command], ...] = (
    TransferWallet,
    SetPositionMode,
    SetLeverage,
    UpdatePositionMargin,
    PlaceContractOrder,
    CancelContractOrder,
    CancelAllContractOrders,
    PlaceContractTrigger,
    CancelContractTrigger,
)
PERPETUAL_COMMANDS: tuple[type[Command], ...] = PERPETUAL_ACCOUNT_COMMANDS + (
    ListContract,
    ObserveIndexSources,
    FundInsurance,
)



# --- compliance: identities, KYC, jurisdictions (add below) ----------------------------------
class DecideKyc(Command, frozen=True, tag=True, array_like=True):
    """Record an external verification result: the tier it earns, who verified and on what
    evidence. The verified country is write-once; a later change is a four-eyes correction."""

    party: int
    tier: int  # 0 = unverified (no trading, no withdrawal), 1..3 verified
    provider: str  # the verification service, e.g. "onfido"
    evidence_refs: tuple[str, ...]  # the provider's check ids, document scans, ...
    verified_country: str  # ISO 3166-1 alpha-2 (or a 3166-2 subdivision such as UA-43)
    document_hash: str  # hash of the identity (or registry) document the check used
    decided_by: str  # the compliance officer or system that accepted the result
    devices: tuple[str, ...] = ()  # device fingerprints seen during onboarding


class DeclareBusinessStructure(Command, frozen=True, tag=True, array_like=True):
    """A business party's owners (each at least 25 %) and controllers, all person parties."""

    business: int
    owners: tuple[tuple[int, int], ...]  # (person party, share in basis points)
    controllers: tuple[int, ...]


class SetPartyStatus(Command, frozen=True, tag=True, array_like=True):
    party: int
    status: str  # active, review, blocked


class SetAccountStatus(Command, frozen=True, tag=True, array_like=True):
    account: int
    status: str  # active, frozen


class ProposeCountryCorrection(Command, frozen=True, tag=True, array_like=True):
    """First pair of eyes: propose a new verified country (the old record is kept)."""

    party: int
    country: str
    evidence_ref: str


class ApproveCountryCorrection(Command, frozen=True, tag=True, array_like=True):
    """Second pair of eyes: a different actor approves a pending correction."""

    correction_id: int


class RejectCountryCorrection(Command, frozen=True, tag=True, array_like=True):
    correction_id: int


class SetJurisdictionList(Command, frozen=True, tag=True, array_like=True):
    list_name: str  # "blocked" or "restricted"
    codes: tuple[str, ...]  # ISO 3166-1 alpha-2 or 3166-2 subdivision codes


class SetLocalAddressPolicy(Command, frozen=True, tag=True, array_like=True):
    """Whether loopback and private client addresses (no country) are let through."""

    allowed: bool


class SetKycLimits(Command, frozen=True, tag=True, array_like=True):
    """Withdrawal allowance of a verified tier per person per rolling 24 h, per asset.
    Replaces the tier's table; an asset not in it has no allowance."""

    tier: int
    withdrawal_limits: tuple[tuple[str, int], ...]  # (asset, units)


class LoadNetworkRiskList(Command, frozen=True, tag=True, array_like=True):
    """Replace the VPN, Tor or hosting address list and what a match requires."""

    kind: str  # vpn, tor, hosting
    action: str  # step_up, deny
    cidrs: tuple[str, ...]
    source: str  # where the list came from (file name, feed, date)


class EnrolStepUp(Command, frozen=True, tag=True, array_like=True):
    """A party's second factor (a TOTP secret, sealed by the gateway's master key)."""

    party: int
    secret_sealed: bytes



# --- compliance: sanctions screening and travel rule (add below) ------------------------------
class LoadSanctionsList(Command, frozen=True, tag=True, array_like=True):
    """Load a version of one source's sanctions list, replacing that source's previous version;
    if it has names, rescreen every party (removals lift hits as additions impose them). The
    entries travel in the command, so a replay needs nothing but the journal."""

    source: str  # "OFAC-SDN", "UN", "OFAC-DCA", ...: one loaded version per source
    version: str  # content hash of what was loaded (SHA-256 of the source files)
    entries: tuple[ListEntry, ...] = ()  # named entries with their aliases and wallets
    addresses: tuple[ListWallet, ...] = ()  # bare listed addresses (lists without entities)
    published: str = ""  # the publication date the source states, ISO 8601


class ResolveScreeningReview(Command, frozen=True, tag=True, array_like=True):
    """A reviewer's decision on a party's open name hits: "clear" (not them) or "block"
    (confirmed). Needs an actor (Facts.actor) and a reason."""

    party: int
    outcome: str  # "clear" | "block"
    reason: str


class ReleaseFrozenDeposit(Command, frozen=True, tag=True, array_like=True):
    """Release funds frozen on a deposit from a listed address (e.g. under a licence).
    Needs an actor (Facts.actor) and a reason."""

    deposit_id: int
    reason: str


class ConfigureTravelRule(Command, frozen=True, tag=True, array_like=True):
    """Withdrawals valued at or above this many US cents need IVMS101 originator and beneficiary
    data (FATF R.16). 0 = from the first cent, as the EU applies it."""

    threshold_usd_cents: int


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
    DecideKyc,
    DeclareBusinessStructure,
    SetPartyStatus,
    SetAccountStatus,
    ProposeCountryCorrection,
    ApproveCountryCorrection,
    RejectCountryCorrection,
    SetJurisdictionList,
    SetLocalAddressPolicy,
    SetKycLimits,
    LoadNetworkRiskList,
    EnrolStepUp,
    OpenCase,
    UpdateCase,
    CloseCase,
    FileSar,
    SubmitSar,
    SetCasePolicy,
    LoadSanctionsList,
    ResolveScreeningReview,
    ReleaseFrozenDeposit,
    ConfigureTravelRule,
    *PERPETUAL_COMMANDS,
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
    | DecideKyc
    | DeclareBusinessStructure
    | SetPartyStatus
    | SetAccountStatus
    | ProposeCountryCorrection
    | ApproveCountryCorrection
    | RejectCountryCorrection
    | SetJurisdictionList
    | SetLocalAddressPolicy
    | SetKycLimits
    | LoadNetworkRiskList
    | EnrolStepUp
    | OpenCase
    | UpdateCase
    | CloseCase
    | FileSar
    | SubmitSar
    | SetCasePolicy
    | LoadSanctionsList
    | ResolveScreeningReview
    | ReleaseFrozenDeposit
    | ConfigureTravelRule
    | ListContract
    | TransferWallet
    | SetPositionMode
    | SetLeverage
    | UpdatePositionMargin
    | PlaceContractOrder
    | CancelContractOrder
    | CancelAllContractOrders
    | PlaceContractTrigger
    | CancelContractTrigger
    | ObserveIndexSources
    | FundInsurance
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
