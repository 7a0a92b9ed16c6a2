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


# --- perpetual futures ------------------------------------------------------------------------
class ContractListed(Event, frozen=True, tag=True, array_like=True):
    name: str


class WalletTransferred(Event, frozen=True, tag=True, array_like=True):
    account: int
    asset: str
    amount_units: int
    from_wallet: str
    to_wallet: str


class PositionModeSet(Event, frozen=True, tag=True, array_like=True):
    account: int
    dual: bool


class LeverageSet(Event, frozen=True, tag=True, array_like=True):
    account: int
    contract: str
    leverage: int  # 0 = cross
    cross_leverage_limit: int


class PositionMarginUpdated(Event, frozen=True, tag=True, array_like=True):
    account: int
    contract: str
    mode: str
    change_units: int
    margin_units: int


class ContractOrderAccepted(Event, frozen=True, tag=True, array_like=True):
    order_id: int
    account: int
    owner: int
    contract: str
    size: int  # signed contracts
    price_ticks: int  # 0 = market
    tif: int
    reduce_only: bool
    is_close: bool
    kind: str  # normal | liquidation
    text: str
    time_ns: int


class ContractTraded(Event, frozen=True, tag=True, array_like=True):
    """A contract fill. `kind`: trade (book), liquidation (a liquidation or insurance-fund IOC),
    takeover (the fund took a position at its bankruptcy price), adl (auto-deleveraging).
    Takeover and ADL fills have no orders (0) and the fund (account 4) as maker."""

    trade_id: int
    contract: str
    price_ticks: int
    size: int  # signed, the taker's direction
    maker_order: int
    taker_order: int
    maker_account: int
    taker_account: int
    maker_owner: int
    taker_owner: int
    maker_fee_units: int
    taker_fee_units: int
    kind: str
    time_ns: int


class ContractOrderClosed(Event, frozen=True, tag=True, array_like=True):
    order_id: int
    account: int
    contract: str
    finish_as: str  # Gate's words: filled, cancelled, ioc, stp, liquidated, reduce_only, ...
    filled_size: int  # signed
    left_size: int  # signed
    fee_units: int
    time_ns: int


class ContractOrderTrimmed(Event, frozen=True, tag=True, array_like=True):
    """A reduce-only order cut down so it cannot open a position."""

    order_id: int
    account: int
    contract: str
    left_size: int
    reason: str


class PositionUpdated(Event, frozen=True, tag=True, array_like=True):
    account: int
    contract: str
    mode: str  # single | dual_long | dual_short
    size: int
    entry_value_units: int  # signed sum of the open fills' notionals
    margin_units: int  # isolated margin (0 for cross)
    leverage: int  # 0 = cross
    realised_pnl_units: int
    time_ns: int


class ContractPricesUpdated(Event, frozen=True, tag=True, array_like=True):
    contract: str
    index_ticks: int
    mark_ticks: int
    premium_ppb: int  # this observation's premium sample (0 while closed)
    excluded_sources: int


class FundingSettled(Event, frozen=True, tag=True, array_like=True):
    contract: str
    rate_ppb: int  # positive: longs paid shorts
    mark_ticks: int
    positions: int
    paid_units: int
    received_units: int
    dust_units: int
    funding_time_ns: int


class FundingPaid(Event, frozen=True, tag=True, array_like=True):
    account: int
    contract: str
    mode: str
    amount_units: int  # positive = paid, negative = received
    rate_ppb: int
    time_ns: int


class FundingSkipped(Event, frozen=True, tag=True, array_like=True):
    contract: str
    funding_time_ns: int
    reason: str  # closed | no_mark | clock_jump


class Liquidated(Event, frozen=True, tag=True, array_like=True):
    account: int
    contract: str
    mode: str
    size: int  # signed contracts closed (the liquidated side's direction of trade)
    mark_ticks: int
    price_ticks: int  # bankruptcy price (isolated take-over), mark (cross) or IOC limit
    stage: str  # partial | takeover
    margin_units: int
    time_ns: int


class AutoDeleveraged(Event, frozen=True, tag=True, array_like=True):
    account: int
    contract: str
    mode: str
    size: int  # signed contracts traded by the deleveraged position
    price_ticks: int
    time_ns: int


class InsuranceFundChanged(Event, frozen=True, tag=True, array_like=True):
    contract: str
    delta_units: int
    balance_units: int
    reason: str  # funded | surplus | deficit


class InsuranceFundDepleted(Event, frozen=True, tag=True, array_like=True):
    """The fund's equity stayed below zero after ADL (no opposite positions were left)."""

    contract: str
    deficit_units: int


class ContractTriggerPlaced(Event, frozen=True, tag=True, array_like=True):
    trigger_id: int
    account: int
    contract: str
    price_type: int
    rule: int
    trigger_price_ticks: int


class ContractTriggerFired(Event, frozen=True, tag=True, array_like=True):
    trigger_id: int
    account: int
    contract: str
    order_id: int  # 0 when the order was refused
    reject_label: str


class ContractTriggerClosed(Event, frozen=True, tag=True, array_like=True):
    trigger_id: int
    account: int
    contract: str
    reason: str  # cancelled | expired


class ContractSessionChanged(Event, frozen=True, tag=True, array_like=True):
    contract: str
    is_open: bool
    next_change_ns: int


# --- compliance: identities, KYC, jurisdictions -------------------------------------------------
class KycDecided(Event, frozen=True, tag=True, array_like=True):
    record_id: int
    party: int
    tier: int
    verified_country: str
    provider: str
    decided_by: str


class PartyStatusChanged(Event, frozen=True, tag=True, array_like=True):
    party: int
    status: str  # active, review, blocked
    reason: str
    actor: str


class AccountStatusChanged(Event, frozen=True, tag=True, array_like=True):
    account: int
    status: str  # active, frozen
    reason: str
    actor: str


class AccountEligibilityChanged(Event, frozen=True, tag=True, array_like=True):
    """Whether the account may trade changed; an account that may not has no open orders."""

    account: int
    eligible: bool
    reason: str


class BusinessStructureDeclared(Event, frozen=True, tag=True, array_like=True):
    business: int
    owners: tuple[tuple[int, int], ...]
    controllers: tuple[int, ...]
    actor: str


class CountryCorrectionProposed(Event, frozen=True, tag=True, array_like=True):
    correction_id: int
    party: int
    country: str
    proposed_by: str


class CountryCorrected(Event, frozen=True, tag=True, array_like=True):
    correction_id: int
    party: int
    old_country: str
    new_country: str
    proposed_by: str
    approved_by: str


class CountryCorrectionRejected(Event, frozen=True, tag=True, array_like=True):
    correction_id: int
    party: int
    rejected_by: str


class JurisdictionListSet(Event, frozen=True, tag=True, array_like=True):
    list_name: str
    codes: tuple[str, ...]


class LocalAddressPolicySet(Event, frozen=True, tag=True, array_like=True):
    allowed: bool


class KycLimitsSet(Event, frozen=True, tag=True, array_like=True):
    tier: int
    withdrawal_limits: tuple[tuple[str, int], ...]


class NetworkRiskListLoaded(Event, frozen=True, tag=True, array_like=True):
    kind: str
    action: str
    entries: int
    version: str  # SHA-256 of the normalised list


class StepUpEnrolled(Event, frozen=True, tag=True, array_like=True):
    party: int


class DepositHeldForKyc(Event, frozen=True, tag=True, array_like=True):
    """A deposit to an account whose owner is unverified: credited, but not available."""

    deposit_id: int
    account: int
    asset: str
    amount_units: int


class KycHoldReleased(Event, frozen=True, tag=True, array_like=True):
    account: int
    asset: str
    amount_units: int


# --- compliance: sanctions screening and travel rule -------------------------------------------
class SanctionsListLoaded(Event, frozen=True, tag=True, array_like=True):
    source: str
    version: str  # this source's version (content hash of what was loaded)
    entries: int
    addresses: int  # listed addresses, with entities and without
    list_version: str  # the screening version over every loaded list, recorded by decisions
    published: str


class PartyScreened(Event, frozen=True, tag=True, array_like=True):
    """A name-screening decision about a party: at onboarding, on a list change that altered
    it, or after a review. `status` is what the party may do now: clear, review or blocked."""

    party: int
    decision: str  # clear | review | block: what the list alone decides (reviews aside)
    status: str  # clear | review | blocked
    score_ppm: int  # best score, parts per million (0 without a hit)
    entry_id: str  # the best matching entry, "" without a hit
    matched_name: str
    list_version: str
    trigger: str  # onboarding | list_change


class PartiesRescreened(Event, frozen=True, tag=True, array_like=True):
    """Every party was screened against a new list version; `changed` got a PartyScreened."""

    list_version: str
    screened: int
    changed: int


class SanctionsHit(Event, frozen=True, tag=True, array_like=True):
    """A sanctions match that compliance must look at (input for alerts and cases)."""

    kind: str  # name | deposit_address
    party: int
    account: int  # 0 for a name hit (it concerns every account of the party)
    entry_id: str  # the listed entry, or "<source>:<address>" for a bare listed address
    score_ppm: int
    list_version: str
    detail: str


class ScreeningReviewResolved(Event, frozen=True, tag=True, array_like=True):
    party: int
    outcome: str  # clear | block
    status: str
    entries: tuple[str, ...]  # the entry ids the decision was about
    actor: str
    reason: str
    list_version: str


class FundsFrozen(Event, frozen=True, tag=True, array_like=True):
    deposit_id: int
    account: int
    asset: str
    amount_units: int
    chain: str
    address: str
    entry_id: str
    list_version: str


class FundsReleased(Event, frozen=True, tag=True, array_like=True):
    deposit_id: int
    account: int
    asset: str
    amount_units: int
    reason: str  # "delisted", or the reviewer's reason
    actor: str
    list_version: str


class TravelRuleConfigured(Event, frozen=True, tag=True, array_like=True):
    threshold_usd_cents: int


class TravelRuleRecorded(Event, frozen=True, tag=True, array_like=True):
    """IVMS101 data stored with a withdrawal (valued at `value_usd_cents`, -1 if unpriced)."""

    withdrawal_id: int
    value_usd_cents: int
    threshold_usd_cents: int
    originator: str
    beneficiary: str


# --- compliance: AML, surveillance, cases, audit ------------------------------------------------
class CaseOpened(Event, frozen=True, tag=True, array_like=True):
    case_id: int
    key: str
    severity: str
    subject_party: int
    accounts: tuple[int, ...]
    detected_at_ns: int
    actor: str


class CaseUpdated(Event, frozen=True, tag=True, array_like=True):
    case_id: int
    status: str
    assignee: str
    actor: str


class CaseClosed(Event, frozen=True, tag=True, array_like=True):
    case_id: int
    disposition: str
    actor: str


class SarFiled(Event, frozen=True, tag=True, array_like=True):
    case_id: int
    deadline_ns: int
    actor: str


class SarSubmitted(Event, frozen=True, tag=True, array_like=True):
    case_id: int
    reference: str
    late: bool  # submitted after the deadline
    actor: str


class CasePolicySet(Event, frozen=True, tag=True, array_like=True):
    sar_deadline_days: int
    investigation_sla_days: int
