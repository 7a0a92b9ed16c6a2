"""The engine: `apply(envelope) -> events`. One deterministic state machine; no I/O, no clock.

The whole pipeline, top to bottom:

    sequence/time check -> policy gate -> handler (decide, then write) -> expiries -> triggers

The dispatch table below is the only place a command type meets its handler.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from clearhouse.core import api_keys, identities, listing, wallet
from clearhouse.core.commands import (
    AdvanceTime,
    AmendOrder,
    ApproveWithdrawal,
    CancelAllOrders,
    CancelOrder,
    CancelTriggerOrder,
    Command,
    CreateApiKey,
    CreditDeposit,
    Envelope,
    ListAsset,
    ListSpotMarket,
    OnboardUser,
    OpenAccount,
    PlaceOrder,
    PlaceTriggerOrder,
    RegisterParty,
    RejectWithdrawal,
    RequestWithdrawal,
    RevokeApiKey,
    SetFeeTier,
    SetIndexPrice,
    SetMarketFees,
    SetMarketTrading,
    SetStpGroup,
    TransferBetweenAccounts,
)
from clearhouse.core.context import Context
from clearhouse.core.errors import Rejected
from clearhouse.core.events import ClockAdvanced, CommandRejected, Event, Traded
from clearhouse.core.policy import PolicyGate
from clearhouse.core.products import spot, spot_triggers
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
    CreditDeposit: wallet.credit_deposit,
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
