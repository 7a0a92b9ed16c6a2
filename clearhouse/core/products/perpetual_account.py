"""The futures account: moving money between the spot and futures wallets, position mode,
leverage and margin mode, isolated margin, and seeding the insurance fund.

Gate's words at the edge: leverage "0" means cross margin (with `cross_leverage_limit`), any
other leverage is isolated margin at that leverage; dual mode is hedge mode.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from clearhouse.core.commands import (
    FundInsurance,
    SetLeverage,
    SetPositionMode,
    TransferWallet,
    UpdatePositionMargin,
)
from clearhouse.core.context import Context
from clearhouse.core.errors import INVALID_PARAM_VALUE, Rejected
from clearhouse.core.events import (
    InsuranceFundChanged,
    LeverageSet,
    PositionMarginUpdated,
    PositionModeSet,
    WalletTransferred,
)
from clearhouse.core.ledger import AVAILABLE, EXTERNAL, INSURANCE, ledger_key
from clearhouse.core.products.perpetual import require_contract
from clearhouse.core.products.perpetual_contract import PPM
from clearhouse.core.products.perpetual_errors import (
    INSUFFICIENT_AVAILABLE,
    LEVERAGE_TOO_HIGH,
    LEVERAGE_TOO_LOW,
    LIQUIDATE_IMMEDIATELY,
    ORDER_PENDING,
    POSITION_CROSS_MARGIN,
    POSITION_DUAL_MODE,
    POSITION_EMPTY,
    POSITION_HOLDING,
    REMOVE_TOO_MUCH,
    RISK_LIMIT_EXCEEDED,
)
from clearhouse.core.products.perpetual_fills import finish_position, unindex_position
from clearhouse.core.products.perpetual_state import (
    DUAL_LONG,
    DUAL_SHORT,
    MODE_NAMES,
    SINGLE,
    PerpAccount,
    PerpMarket,
    Position,
)
from clearhouse.core.risk.account_margin import (
    cross_buffer_scaled,
    free_collateral,
    isolated_liquidatable,
    mm_scaled,
    upnl_units,
    value_units,
)
from clearhouse.core.risk.liquidation_index import cross_tag
from clearhouse.core.risk.margin import initial_margin_units
from clearhouse.core.wallet import MAX_AMOUNT_UNITS

if TYPE_CHECKING:
    from clearhouse.core.state import State

SPOT: Final = "spot"
FUTURES: Final = "futures"


def _require_settle_asset(state: State, code: str) -> int:
    asset = state.require_asset(code)
    if asset != state.perps.settle_asset:
        raise Rejected(INVALID_PARAM_VALUE, f"futures wallets hold {state.perps.settle_code} only")
    return asset


def _check_amount(units: int) -> None:
    if not 0 < units <= MAX_AMOUNT_UNITS:
        raise Rejected(INVALID_PARAM_VALUE, "amount must be positive")


def transfer_wallet(state: State, cmd: TransferWallet, ctx: Context) -> None:
    state.require_account(cmd.account)
    if {cmd.from_wallet, cmd.to_wallet} != {SPOT, FUTURES}:
        raise Rejected(INVALID_PARAM_VALUE, "transfers go between the spot and futures wallets")
    asset = _require_settle_asset(state, cmd.asset)
    _check_amount(cmd.amount_units)
    perps = state.perps
    acct = perps.accounts.get(cmd.account)
    if cmd.from_wallet == SPOT:
        state.ledger.require_available(cmd.account, asset, cmd.amount_units)
    elif acct is None or free_collateral(state, acct) < cmd.amount_units:
        raise Rejected(INSUFFICIENT_AVAILABLE, "not enough transferable futures balance")
    # --- nothing above this line writes ---
    acct = perps.account(cmd.account)
    spot_key = ledger_key(cmd.account, asset, AVAILABLE)
    if cmd.from_wallet == SPOT:
        state.ledger.transfer(spot_key, acct.wallet_key, cmd.amount_units)
    else:
        state.ledger.transfer(acct.wallet_key, spot_key, cmd.amount_units)
    if acct.has_cross():
        perps.touched.add(("", cross_tag(cmd.account)))
    ctx.events.append(
        WalletTransferred(cmd.account, cmd.asset, cmd.amount_units, cmd.from_wallet, cmd.to_wallet)
    )


def set_position_mode(state: State, cmd: SetPositionMode, ctx: Context) -> None:
    state.require_account(cmd.account)
    acct = state.perps.accounts.get(cmd.account)
    if acct is not None and acct.positions:
        raise Rejected(POSITION_HOLDING, "close every position before changing the mode")
    if acct is not None and acct.orders:
        raise Rejected(ORDER_PENDING, "cancel every order before changing the mode")
    # --- nothing above this line writes ---
    state.perps.account(cmd.account).dual = cmd.dual
    ctx.events.append(PositionModeSet(cmd.account, cmd.dual))


def _slot(acct: PerpAccount | None, mode: str) -> int:
    if mode not in MODE_NAMES:
        raise Rejected(INVALID_PARAM_VALUE, "mode must be single, dual_long or dual_short")
    slot = MODE_NAMES.index(mode)
    dual = acct is not None and acct.dual
    if (slot != SINGLE) != dual:
        raise Rejected(POSITION_DUAL_MODE, "mode does not match the account's position mode")
    return slot


def _isolated_margin_for(pm: PerpMarket, pos: Position, leverage: int) -> int:
    return initial_margin_units(pm.tiers, abs(pos.cost_units), leverage)


def set_leverage(state: State, cmd: SetLeverage, ctx: Context) -> None:
    """Isolated leverage L (> 0) or cross (0, with an optional cross_leverage_limit). Open
    positions move with it: to isolated they take L's initial margin from the wallet, to cross
    they give their margin back, and either way nothing may become liquidatable."""
    pm = require_contract(state, cmd.contract)
    state.require_account(cmd.account)
    tiers = pm.tiers
    top = tiers.max_leverage(0)
    if cmd.leverage < 0 or cmd.cross_leverage_limit < 0:
        raise Rejected(LEVERAGE_TOO_LOW, "leverage must not be negative")
    if cmd.leverage > top or cmd.cross_leverage_limit > top:
        raise Rejected(LEVERAGE_TOO_HIGH, f"leverage above the maximum of {top}x")
    perps = state.perps
    acct = perps.accounts.get(cmd.account)
    positions = [p for p in acct.positions.values() if p.contract == cmd.contract] if acct else []
    need = 0
    buffer_change = 0
    moves: list[tuple[Position, int]] = []  # (position, new isolated margin)
    for pos in positions:
        notional = abs(value_units(pm, pos))
        if cmd.leverage and cmd.leverage > tiers.max_leverage(notional):
            raise Rejected(RISK_LIMIT_EXCEEDED, "the position is too large for this leverage")
        if cmd.leverage:
            target = _isolated_margin_for(pm, pos, cmd.leverage)
            value = value_units(pm, pos)
            equity = target + value - pos.cost_units
            if PPM * equity < tiers.mm_scaled(abs(value)):
                raise Rejected(LIQUIDATE_IMMEDIATELY, "the position would be liquidated")
            need += target - pos.margin_units
            if pos.leverage == 0:  # cross -> isolated: its cross IM and loss free up
                limit = acct.cross_limit_for(cmd.contract) if acct else 0
                need -= initial_margin_units(tiers, notional, limit)
                need += min(0, upnl_units(pm, pos))
                buffer_change -= PPM * upnl_units(pm, pos) - mm_scaled(pm, pos)
            moves.append((pos, target))
        elif pos.leverage:  # isolated -> cross
            buffer_change += PPM * (pos.margin_units + upnl_units(pm, pos)) - mm_scaled(pm, pos)
            moves.append((pos, 0))
    if acct is not None and need > 0 and need > free_collateral(state, acct):
        raise Rejected(INSUFFICIENT_AVAILABLE, "not enough available margin for this leverage")
    if acct is not None:
        others = any(p.leverage == 0 for p in acct.positions.values() if p.contract != cmd.contract)
        after = cross_buffer_scaled(state, acct) + buffer_change - PPM * max(need, 0)
        # defensive: free collateral already covers the cross IM, which is above the MM
        if (others or (cmd.leverage == 0 and positions)) and after < 0:  # pragma: no cover
            raise Rejected(LIQUIDATE_IMMEDIATELY, "the cross account would be liquidated")
    # --- nothing above this line writes ---
    acct = perps.account(cmd.account)
    acct.settings[cmd.contract] = (cmd.leverage, cmd.cross_leverage_limit)
    ledger = state.ledger
    for pos, target in moves:
        if target:
            delta = target - pos.margin_units
            if delta > 0:
                ledger.transfer(acct.wallet_key, acct.margin_key, delta)
            else:
                ledger.transfer(acct.margin_key, acct.wallet_key, -delta)
            pos.margin_units = target
        else:
            ledger.transfer(acct.margin_key, acct.wallet_key, pos.margin_units)
            pos.margin_units = 0
        unindex_position(pm, pos)
        acct.set_leverage_of(pos, cmd.leverage)
        finish_position(state, pm, pos, ctx)
    for pos in positions:  # a cross position's leverage limit changed: re-check the account
        if pos.leverage == 0:
            perps.touched.add(("", cross_tag(cmd.account)))
    ctx.events.append(
        LeverageSet(cmd.account, cmd.contract, cmd.leverage, cmd.cross_leverage_limit)
    )


def update_position_margin(state: State, cmd: UpdatePositionMargin, ctx: Context) -> None:
    """Add (change > 0) or remove (change < 0) isolated margin (Gate positions/{c}/margin)."""
    pm = require_contract(state, cmd.contract)
    state.require_account(cmd.account)
    acct = state.perps.accounts.get(cmd.account)
    slot = _slot(acct, cmd.mode)
    pos = acct.positions.get((cmd.contract, slot)) if acct else None
    if acct is None or pos is None or pos.size == 0:
        raise Rejected(POSITION_EMPTY, "no position in this contract")
    if pos.leverage == 0:
        raise Rejected(POSITION_CROSS_MARGIN, "cross-margin positions use the whole wallet")
    change = cmd.change_units
    if change == 0 or abs(change) > MAX_AMOUNT_UNITS:
        raise Rejected(INVALID_PARAM_VALUE, "change must be a non-zero amount")
    if change > 0 and change > free_collateral(state, acct):
        raise Rejected(INSUFFICIENT_AVAILABLE, "not enough available margin")
    if change < 0:
        value = value_units(pm, pos)
        margin = pos.margin_units + change
        need = initial_margin_units(pm.tiers, abs(value), pos.leverage)
        if margin < 0 or margin + min(0, value - pos.cost_units) < need:
            raise Rejected(REMOVE_TOO_MUCH, "the position would fall below its initial margin")
    # --- nothing above this line writes ---
    if change > 0:
        state.ledger.transfer(acct.wallet_key, acct.margin_key, change)
    else:
        state.ledger.transfer(acct.margin_key, acct.wallet_key, -change)
    pos.margin_units += change
    pos.update_time_ns = ctx.time_ns
    ctx.events.append(
        PositionMarginUpdated(cmd.account, cmd.contract, MODE_NAMES[slot], change, pos.margin_units)
    )
    finish_position(state, pm, pos, ctx)


def fund_insurance(state: State, cmd: FundInsurance, ctx: Context) -> None:
    """The venue seeds or tops up the insurance fund (from outside, like a deposit)."""
    asset = _require_settle_asset(state, cmd.asset)
    _check_amount(cmd.amount_units)
    # --- nothing above this line writes ---
    state.ledger.move(EXTERNAL, INSURANCE, asset, cmd.amount_units)
    balance = state.ledger.balance(INSURANCE, asset)
    ctx.events.append(InsuranceFundChanged("", cmd.amount_units, balance, "funded"))


__all__ = ["DUAL_LONG", "DUAL_SHORT", "isolated_liquidatable"]
