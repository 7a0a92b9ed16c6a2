"""The engine: `apply(envelope) -> events`. One deterministic state machine; no I/O, no clock.

The whole pipeline, top to bottom:

    sequence/time check -> policy gate -> handler (decide, then write) -> expiries -> triggers
    -> perpetuals: funding and sessions due, liquidations, contract triggers

The dispatch table below is the only place a command type meets its handler.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from clearhouse.core import api_keys, cases, identities, listing, wallet
from clearhouse.core.commands import (
    AdvanceTime,
    AmendOrder,
    ApproveCountryCorrection,
    ApproveWithdrawal,
    CancelAllContractOrders,
    CancelAllOrders,
    CancelContractOrder,
    CancelContractTrigger,
    CancelOrder,
    CancelTriggerOrder,
    CloseCase,
    Command,
    ConfigureTravelRule,
    CreateApiKey,
    CreditDeposit,
    DecideKyc,
    DeclareBusinessStructure,
    EnrolStepUp,
    Envelope,
    FileSar,
    FundInsurance,
    ListAsset,
    ListContract,
    ListSpotMarket,
    LoadNetworkRiskList,
    LoadSanctionsList,
    ObserveIndexSources,
    OnboardUser,
    OpenAccount,
    OpenCase,
    PlaceContractOrder,
    PlaceContractTrigger,
    PlaceOrder,
    PlaceTriggerOrder,
    ProposeCountryCorrection,
    RegisterParty,
    RejectCountryCorrection,
    RejectWithdrawal,
    ReleaseFrozenDeposit,
    RequestWithdrawal,
    ResolveScreeningReview,
    RevokeApiKey,
    SetAccountStatus,
    SetCasePolicy,
    SetFeeTier,
    SetIndexPrice,
    SetJurisdictionList,
    SetKycLimits,
    SetLeverage,
    SetLocalAddressPolicy,
    SetMarketFees,
    SetMarketTrading,
    SetPartyStatus,
    SetPositionMode,
    SetStpGroup,
    SubmitSar,
    TransferBetweenAccounts,
    TransferWallet,
    UpdateCase,
    UpdatePositionMargin,
)
from clearhouse.core.compliance import (
    jurisdiction_commands,
    kyc,
    limits,
    network_risk,
    sanctions_engine,
    travel_rule,
)
from clearhouse.core.context import Context
from clearhouse.core.errors import Rejected
from clearhouse.core.events import ClockAdvanced, CommandRejected, Event, Traded
from clearhouse.core.policy import PolicyGate
from clearhouse.core.products import (
    perpetual,
    perpetual_account,
    perpetual_engine,
    perpetual_prices,
    perpetual_triggers,
    spot,
    spot_triggers,
)
from clearhouse.core.state import State

Handler = Callable[[State, Any, Context], None]


def _advance_time(state: State, cmd: AdvanceTime, ctx: Context) -> None:
    ctx.events.append(ClockAdvanced(ctx.time_ns))


HANDLERS: Final[dict[type[Command], Handler]] = {
    ListAsset: listing.list_asset,
    ListSpotMarket: listing.list_spot_market,
    SetMarketTrading: listing.set_market_trading,
    SetMarketFees: listing.set_market_fees,
    RegisterParty: identities.register_party,
    OpenAccount: identities.open_account,
    SetFeeTier: identities.set_fee_tier,
    SetStpGroup: identities.set_stp_group,
    CreditDeposit: kyc.credit_deposit,  # wallet.credit_deposit, held while unverified
    RequestWithdrawal: wallet.request_withdrawal,
    ApproveWithdrawal: wallet.approve_withdrawal,
    RejectWithdrawal: wallet.reject_withdrawal,
    TransferBetweenAccounts: wallet.transfer_between_accounts,
    PlaceOrder: spot.place_order,
    CancelOrder: spot.cancel_order,
    CancelAllOrders: spot.cancel_all_orders,
    AmendOrder: spot.amend_order,
    PlaceTriggerOrder: spot_triggers.place_trigger_order,
    CancelTriggerOrder: spot_triggers.cancel_trigger_order,
    AdvanceTime: _advance_time,
    CreateApiKey: api_keys.create_api_key,
    RevokeApiKey: api_keys.revoke_api_key,
    OnboardUser: identities.onboard_user,
    SetIndexPrice: listing.set_index_price,
    DecideKyc: kyc.decide_kyc,
    DeclareBusinessStructure: kyc.declare_business_structure,
    SetPartyStatus: kyc.set_party_status,
    SetAccountStatus: kyc.set_account_status,
    EnrolStepUp: kyc.enrol_step_up,
    ProposeCountryCorrection: jurisdiction_commands.propose_country_correction,
    ApproveCountryCorrection: jurisdiction_commands.approve_country_correction,
    RejectCountryCorrection: jurisdiction_commands.reject_country_correction,
    SetJurisdictionList: jurisdiction_commands.set_jurisdiction_list,
    SetLocalAddressPolicy: jurisdiction_commands.set_local_address_policy,
    SetKycLimits: limits.set_kyc_limits,
    LoadNetworkRiskList: network_risk.load_network_risk_list,
    OpenCase: cases.open_case,
    UpdateCase: cases.update_case,
    CloseCase: cases.close_case,
    FileSar: cases.file_sar,
    SubmitSar: cases.submit_sar,
    SetCasePolicy: cases.set_case_policy,
    LoadSanctionsList: sanctions_engine.load_sanctions_list,
    ResolveScreeningReview: sanctions_engine.resolve_screening_review,
    ReleaseFrozenDeposit: sanctions_engine.release_frozen_deposit,
    ConfigureTravelRule: travel_rule.configure_travel_rule,
    ListContract: perpetual.list_contract,
    TransferWallet: perpetual_account.transfer_wallet,
    SetPositionMode: perpetual_account.set_position_mode,
    SetLeverage: perpetual_account.set_leverage,
    UpdatePositionMargin: perpetual_account.update_position_margin,
    FundInsurance: perpetual_account.fund_insurance,
    PlaceContractOrder: perpetual.place_contract_order,
    CancelContractOrder: perpetual.cancel_contract_order,
    CancelAllContractOrders: perpetual.cancel_all_contract_orders,
    PlaceContractTrigger: perpetual_triggers.place_contract_trigger,
    CancelContractTrigger: perpetual_triggers.cancel_contract_trigger,
    ObserveIndexSources: perpetual_prices.observe_index_sources,
}

# Commands whose trades can move a last price and so fire trigger orders.
_MAY_TRADE: Final = (PlaceOrder, AmendOrder)


class Engine:
    def __init__(self, state: State | None = None, gate: PolicyGate | None = None) -> None:
        self.state = state if state is not None else State()
        self.gate = gate if gate is not None else PolicyGate()
        self._handlers = dict(HANDLERS)

    def apply(self, envelope: Envelope) -> list[Event]:
        state = self.state
        if envelope.seq != state.seq + 1:
            raise ValueError(f"sequence gap: expected {state.seq + 1}, got {envelope.seq}")
        if envelope.time_ns < state.time_ns:
            raise ValueError("time went backwards")
        state.seq = envelope.seq
        state.time_ns = envelope.time_ns
        command = envelope.command
        ctx = Context(envelope.seq, envelope.time_ns, envelope.facts)
        try:
            self.gate.check(state, command, envelope.facts)
            self._handlers[type(command)](state, command, ctx)
        except Rejected as rejected:
            ctx.events = [CommandRejected(rejected.label, rejected.message)]
        # expire first: a trigger whose time ran out before this command's trade must not fire
        if state.trigger_expiries and state.trigger_expiries[0][0] <= envelope.time_ns:
            spot_triggers.expire_due(state, ctx)
        if state.triggers_by_id and type(command) in _MAY_TRADE:
            self._fire_triggers(ctx)
        # perpetuals: trigger expiry, funding and sessions due, liquidations, price triggers
        if perpetual_engine.has_work(state, envelope.time_ns):
            perpetual_engine.after_command(state, self.gate, ctx)
        return ctx.events

    def _fire_triggers(self, ctx: Context) -> None:
        traded: list[str] = []
        for event in ctx.events:
            if type(event) is Traded and event.market not in traded:
                traded.append(event.market)
        if traded:
            markets = self.state.markets
            if any(markets[name].triggers.triggers for name in traded):
                spot_triggers.fire_due(self.state, self.gate, ctx, traded)

    def state_hash(self) -> str:
        from clearhouse.core.canonical import state_hash

        return state_hash(self.state)
