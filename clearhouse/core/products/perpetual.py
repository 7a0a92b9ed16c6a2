"""Perpetual futures orders: listing a contract, placing and cancelling contract orders.

An order's size is Gate's signed integer number of contracts (positive = buy). Each handler
decides first (reading state, raising `Rejected`) and only then writes. A new order reserves,
as its hold in the futures wallet, the initial margin of the part that can open a position
(at its limit price, or at the price-protection limit for a market order) plus the taker fee
on the whole; reduce-only orders reserve only the fee. Fills are settled in perpetual_fills.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from clearhouse.core import calendar
from clearhouse.core.book import BUY, FOK, GTC, IOC, POC, SELL, STP_CB, STP_CN
from clearhouse.core.commands import (
    CancelAllContractOrders,
    CancelContractOrder,
    ListContract,
    PlaceContractOrder,
)
from clearhouse.core.context import Context
from clearhouse.core.errors import (
    INVALID_PARAM_VALUE,
    NO_CHANGE,
    ORDER_NOT_FOUND,
    POC_FILL_IMMEDIATELY,
    TOO_MANY_ORDERS,
    TRADE_RESTRICTED,
    Rejected,
)
from clearhouse.core.events import ContractListed, ContractOrderAccepted
from clearhouse.core.ledger import INSURANCE
from clearhouse.core.products.perpetual_contract import (
    PPM,
    fee_rate,
    units_per_tick_contract,
    validate,
)
from clearhouse.core.products.perpetual_errors import (
    CONTRACT_NOT_FOUND,
    INCREASE_POSITION,
    INSUFFICIENT_AVAILABLE,
    MARKET_CLOSED,
    ORDER_FOK,
    POSITION_DUAL_MODE,
    POSITION_EMPTY,
    PRICE_OVER_LIQUIDATION,
    PRICE_TOO_DEVIATED,
    REDUCE_EXCEEDED,
    RISK_LIMIT_EXCEEDED,
    SIZE_TOO_LARGE,
    SIZE_TOO_SMALL,
)
from clearhouse.core.products.perpetual_fills import (
    cancel_resting,
    closable_lots,
    execute,
    fee_units,
    new_order,
    position_slot,
    signed,
    slot_for,
)
from clearhouse.core.products.perpetual_state import (
    DEFAULT_LEVERAGE,
    FUTURES_WALLET_OFFSET,
    NORMAL,
    PerpAccount,
    PerpMarket,
    PerpOrder,
)
from clearhouse.core.products.perpetual_triggers import PerpTriggerBook
from clearhouse.core.products.spot import MAX_TEXT_CHARS
from clearhouse.core.risk.account_margin import equity_units, free_collateral, upnl_units
from clearhouse.core.risk.margin import zero_equity_ticks

if TYPE_CHECKING:
    from clearhouse.core.state import State

MAX_CONTRACTS: Final = 2_000
CLOSE_LONG: Final = "close_long"
CLOSE_SHORT: Final = "close_short"


def require_contract(state: State, name: str) -> PerpMarket:
    pm = state.perps.contracts.get(name)
    if pm is None:
        raise Rejected(CONTRACT_NOT_FOUND, f"contract {name!r} not found")
    return pm


def require_trading(pm: PerpMarket, time_ns: int) -> None:
    if not pm.enabled:
        raise Rejected(TRADE_RESTRICTED, f"trading of {pm.spec.name} is suspended")
    sessions = pm.spec.sessions
    if sessions and not calendar.is_open(sessions, time_ns):
        reopen_s = calendar.next_change_ns(sessions, time_ns) // 1_000_000_000
        raise Rejected(
            MARKET_CLOSED,
            f"{pm.spec.name} is outside its trading session; it reopens at unix time {reopen_s}",
        )


# --- listing -------------------------------------------------------------------------------------
def list_contract(state: State, cmd: ListContract, ctx: Context) -> None:
    spec = cmd.spec
    perps = state.perps
    name = spec.name
    if not (1 <= len(name) <= 32) or not name.replace("_", "").isalnum() or name != name.upper():
        raise Rejected(INVALID_PARAM_VALUE, f"contract {name!r} must be 1-32 upper-case letters")
    if name in perps.contracts:
        raise Rejected(NO_CHANGE, f"contract {name} already listed")
    if len(perps.contracts) >= MAX_CONTRACTS:
        raise Rejected(INVALID_PARAM_VALUE, "too many contracts")
    settle = state.require_asset(spec.settle)
    if perps.settle_asset and settle != perps.settle_asset:
        raise Rejected(INVALID_PARAM_VALUE, f"contracts settle in {perps.settle_code} only")
    validate(spec)
    k = units_per_tick_contract(spec, state.assets[spec.settle].scale)
    # --- nothing above this line writes ---
    perps.settle_asset = settle
    perps.settle_code = spec.settle
    perps.account(INSURANCE)  # the fund's futures account exists from the first listing on
    pm = PerpMarket(spec, k, PerpTriggerBook(), state.assets[spec.settle].scale)
    pm.next_funding_ns = (ctx.time_ns // pm.interval_ns + 1) * pm.interval_ns
    pm.session_open = calendar.is_open(spec.sessions, ctx.time_ns)
    pm.next_session_change_ns = calendar.next_change_ns(spec.sessions, ctx.time_ns)
    perps.contracts[name] = pm
    perps.reschedule()
    ctx.events.append(ContractListed(name))


# --- placing -------------------------------------------------------------------------------------
class OrderPlan:
    __slots__ = ("side", "lots", "limit_ticks", "slot", "reduce_only", "per_lot", "is_close")

    def __init__(self) -> None:
        self.side = BUY
        self.lots = 0
        self.limit_ticks = 0
        self.slot = 0
        self.reduce_only = False
        self.per_lot = 0
        self.is_close = False


def _close_target(acct: PerpAccount | None, pm: PerpMarket, cmd: PlaceContractOrder) -> OrderPlan:
    """A close order (Gate: size 0 with close=true, or auto_size in hedge mode)."""
    plan = OrderPlan()
    if cmd.size != 0:
        raise Rejected(INVALID_PARAM_VALUE, "a close order has size 0")
    dual = acct is not None and acct.dual
    if cmd.close and dual:
        raise Rejected(POSITION_DUAL_MODE, "in dual mode close with auto_size")
    if cmd.auto_size and not dual:
        raise Rejected(INVALID_PARAM_VALUE, "auto_size is only for dual mode")
    if cmd.auto_size and cmd.auto_size not in (CLOSE_LONG, CLOSE_SHORT):
        raise Rejected(INVALID_PARAM_VALUE, "auto_size must be close_long or close_short")
    closing_long = not dual or cmd.auto_size == CLOSE_LONG
    if dual:
        slot = 1 if closing_long else 2
        pos = acct.positions.get((pm.spec.name, slot)) if acct else None
    else:
        pos = acct.positions.get((pm.spec.name, 0)) if acct else None
    if pos is None or pos.size == 0:
        raise Rejected(POSITION_EMPTY, "no position to close")
    plan.side = SELL if pos.size > 0 else BUY
    plan.lots = abs(pos.size)
    plan.reduce_only = True
    plan.is_close = True
    return plan


def plan_order(
    state: State,
    pm: PerpMarket,
    acct: PerpAccount | None,
    cmd: PlaceContractOrder,
    owner: int,
    stp_group: int,
) -> OrderPlan:
    """Every check a new order must pass, reading state only."""
    spec = pm.spec
    if cmd.tif < GTC or cmd.tif > POC:
        raise Rejected(INVALID_PARAM_VALUE, "tif must be gtc, ioc, fok or poc")
    if cmd.stp_act < STP_CN or cmd.stp_act > STP_CB:
        raise Rejected(INVALID_PARAM_VALUE, "stp_act must be cn, co or cb")
    if len(cmd.text) > MAX_TEXT_CHARS:
        raise Rejected(INVALID_PARAM_VALUE, f"text longer than {MAX_TEXT_CHARS} characters")
    if cmd.close or cmd.auto_size:
        plan = _close_target(acct, pm, cmd)
    else:
        plan = OrderPlan()
        if cmd.size == 0:
            raise Rejected(SIZE_TOO_SMALL, "size must not be zero")
        plan.side = BUY if cmd.size > 0 else SELL
        plan.lots = abs(cmd.size)
        plan.reduce_only = cmd.reduce_only
    lots = plan.lots
    if lots < spec.min_size:
        raise Rejected(SIZE_TOO_SMALL, f"size below the minimum of {spec.min_size} contracts")
    if lots > spec.max_size:
        raise Rejected(SIZE_TOO_LARGE, f"size above the maximum of {spec.max_size} contracts")
    dual = acct is not None and acct.dual
    plan.slot = slot_for(dual, plan.side, plan.reduce_only)
    reference = pm.mark_ticks or pm.book.last_price_ticks
    band = reference * spec.price_deviate_ppm // PPM
    if cmd.price_ticks == 0:
        if cmd.tif != IOC and cmd.tif != FOK:
            raise Rejected(INVALID_PARAM_VALUE, "market orders must be ioc or fok")
        if not reference:
            raise Rejected(INVALID_PARAM_VALUE, "no mark price yet: use a limit order")
        # price protection: a market order never trades beyond mark +- the deviation band
        plan.limit_ticks = reference + band if plan.side == BUY else max(1, reference - band)
    else:
        if not 0 < cmd.price_ticks <= spec.max_price_ticks:
            raise Rejected(INVALID_PARAM_VALUE, "price out of range")
        if reference and abs(cmd.price_ticks - reference) > band:
            raise Rejected(PRICE_TOO_DEVIATED, "price too far from the mark price")
        plan.limit_ticks = cmd.price_ticks
    if cmd.display_size:
        if cmd.display_size < 0 or cmd.display_size >= lots or plan.reduce_only:
            raise Rejected(
                INVALID_PARAM_VALUE, "an iceberg shows less than its size, not reduce-only"
            )
        if cmd.tif != GTC and cmd.tif != POC:
            raise Rejected(INVALID_PARAM_VALUE, "iceberg orders must be gtc or poc")
    closable = closable_lots(acct, spec.name, plan.slot, plan.side) if acct else 0
    if plan.reduce_only:
        if closable == 0:
            raise Rejected(INCREASE_POSITION, "reduce-only order would open a position")
        pending = _pending_reduce_only(acct, spec.name, plan.slot, plan.side)
        if pending + lots > closable:
            raise Rejected(REDUCE_EXCEEDED, "reduce-only orders would close more than is held")
    if closable:
        _bound_by_bankruptcy(state, pm, acct, plan, cmd.tif)
    if cmd.price_ticks and cmd.tif == POC and pm.book.would_cross(plan.side, cmd.price_ticks):
        raise Rejected(POC_FILL_IMMEDIATELY, "order would match immediately; post-only refused")
    if cmd.tif == GTC or cmd.tif == POC:
        open_here = sum(1 for o in acct.orders.values() if o.market == spec.name) if acct else 0
        if open_here >= spec.max_open_orders_per_account:
            raise Rejected(TOO_MANY_ORDERS, "too many open orders")
    plan.per_lot = _margin_per_lot(state, pm, acct, plan, closable)
    if plan.per_lot:
        free = free_collateral(state, acct) if acct else 0
        if plan.per_lot * lots > free:
            raise Rejected(INSUFFICIENT_AVAILABLE, "not enough available margin")
    if cmd.tif == FOK and not _fok_fillable(pm, plan, cmd, owner, stp_group):
        raise Rejected(ORDER_FOK, "not enough liquidity to fill the whole order")
    return plan


def _bound_by_bankruptcy(
    state: State, pm: PerpMarket, acct: PerpAccount | None, plan: OrderPlan, tif: int
) -> None:
    """An order that closes a position never trades beyond that position's bankruptcy price
    (where its margin, or for cross the account's equity, is used up): a loss the user cannot
    pay would fall on the insurance fund. Takers (ioc, fok, market) are bounded there; a
    resting order priced beyond it is refused (Gate: PRICE_OVER_LIQUIDATION)."""
    assert acct is not None
    pos = acct.positions[(pm.spec.name, position_slot(acct, plan.slot))]
    others = pos.margin_units if pos.leverage else equity_units(state, acct) - upnl_units(pm, pos)
    bankrupt = zero_equity_ticks(pos.size, pos.cost_units, others, pm.k, pm.spec.max_price_ticks)
    beyond = plan.limit_ticks < bankrupt if plan.side == SELL else plan.limit_ticks > bankrupt
    if not beyond:
        return
    if tif == GTC or tif == POC:
        raise Rejected(PRICE_OVER_LIQUIDATION, "a closing order beyond the bankruptcy price")
    plan.limit_ticks = bankrupt


def _pending_reduce_only(acct: PerpAccount | None, contract: str, slot: int, side: int) -> int:
    if acct is None:
        return 0
    return sum(
        o.remaining_lots
        for o in acct.orders.values()
        if o.market == contract and o.reduce_only and o.side == side and o.slot == slot
    )


def _margin_per_lot(
    state: State, pm: PerpMarket, acct: PerpAccount | None, plan: OrderPlan, closable: int
) -> int:
    """Initial margin of the opening part plus the taker fee, per contract (rounded up)."""
    spec = pm.spec
    lots = plan.lots
    price = plan.limit_ticks
    k = pm.k
    tiers = pm.tiers
    opening = 0 if plan.reduce_only else lots - (closable if plan.slot == 0 else 0)
    opening = max(opening, 0)
    im = 0
    if opening:
        name = spec.name
        leverage = acct.leverage_for(name) if acct else DEFAULT_LEVERAGE
        effective = leverage or (acct.cross_limit_for(name) if acct else 0)
        held = 0
        if acct is not None:
            pos = acct.positions.get((name, position_slot(acct, plan.slot)))
            if pos is not None and (pos.size > 0) == (plan.side == BUY):
                held = abs(pos.size)
        after = (held + opening) * price * k
        if after > tiers.caps[-1]:
            raise Rejected(RISK_LIMIT_EXCEEDED, "position would exceed the largest risk limit")
        if leverage and leverage > tiers.max_leverage(after):
            raise Rejected(
                RISK_LIMIT_EXCEEDED,
                f"a position of this size allows at most {tiers.max_leverage(after)}x",
            )
        rate = tiers.imr[tiers.index(after)]
        if effective:
            rate = max(rate, -(-PPM // effective))
        im = -(-(opening * price * k * rate) // PPM)
    fee = fee_units(lots * price * k, max(fee_rate(spec, 0).taker_ppm, 0))
    return -(-(im + fee) // lots)


def _fok_fillable(
    pm: PerpMarket, plan: OrderPlan, cmd: PlaceContractOrder, owner: int, stp_group: int
) -> bool:
    probe = PerpOrder(0, pm.spec.name, cmd.account, owner, plan.side, plan.limit_ticks, plan.lots,
                      0, cmd.tif, stp_group, cmd.stp_act, 0, "")  # fmt: skip
    limit_key = -plan.limit_ticks if plan.side == BUY else plan.limit_ticks
    return pm.book.fillable_lots(probe, limit_key, plan.lots) >= plan.lots


def place_contract_order(state: State, cmd: PlaceContractOrder, ctx: Context) -> None:
    pm = require_contract(state, cmd.contract)
    account = state.require_account(cmd.account)
    require_trading(pm, ctx.time_ns)
    perps = state.perps
    acct = perps.accounts.get(cmd.account)
    plan = plan_order(state, pm, acct, cmd, account.beneficial_owner, account.stp_group)
    # --- nothing above this line writes ---
    acct = perps.account(cmd.account)
    order = new_order(
        state, pm, acct, account.beneficial_owner, plan.side, plan.limit_ticks, plan.lots, ctx,
        tif=cmd.tif, slot=plan.slot, reduce_only=plan.reduce_only, display_lots=cmd.display_size,
        stp_group=account.stp_group, stp_act=cmd.stp_act, text=cmd.text, is_close=plan.is_close,
    )  # fmt: skip
    order.hold_per_lot = plan.per_lot
    state.ledger.reserve_into(
        order, cmd.account + FUTURES_WALLET_OFFSET, perps.settle_asset, plan.per_lot * plan.lots
    )
    ctx.events.append(
        ContractOrderAccepted(
            order.order_id, cmd.account, order.owner, pm.spec.name,
            signed(plan.side, plan.lots), cmd.price_ticks, cmd.tif, plan.reduce_only,
            plan.is_close, NORMAL, cmd.text, ctx.time_ns,
        )
    )  # fmt: skip
    execute(state, pm, order, ctx)


# --- cancelling ----------------------------------------------------------------------------------
def _own_order(pm: PerpMarket, account: int, order_id: int) -> PerpOrder:
    order = pm.book.orders.get(order_id)
    if order is None or order.account != account:
        raise Rejected(ORDER_NOT_FOUND, f"order {order_id} not found")
    return order  # type: ignore[return-value]


def cancel_contract_order(state: State, cmd: CancelContractOrder, ctx: Context) -> None:
    pm = require_contract(state, cmd.contract)
    order = _own_order(pm, cmd.account, cmd.order_id)
    # --- nothing above this line writes ---
    cancel_resting(state, pm, order, "cancelled", ctx)


def cancel_all_contract_orders(state: State, cmd: CancelAllContractOrders, ctx: Context) -> None:
    pm = require_contract(state, cmd.contract)
    state.require_account(cmd.account)
    if cmd.side not in (-1, BUY, SELL):
        raise Rejected(INVALID_PARAM_VALUE, "side must be buy, sell or both")
    # --- nothing above this line writes ---
    acct = state.perps.accounts.get(cmd.account)
    if acct is None:
        return
    name = pm.spec.name
    doomed = sorted(
        (o for o in acct.orders.values() if o.market == name and cmd.side in (-1, o.side)),
        key=lambda o: o.order_id,
    )
    for order in doomed:
        cancel_resting(state, pm, order, "cancelled", ctx)
