"""Contract fills: how a matched contract order changes positions and where the money moves.

The book (core/book.py) matches contracts exactly as it matches spot lots; this module settles
each fill for both sides, in this order:

1. release the order's hold for the filled contracts (margin + fee reserved at placement) to
   the futures wallet;
2. reduce the opposite position first: realised PnL = exit value - the closed share of the
   entry value, paid by / to PERP_SETTLEMENT. An isolated position's PnL lands in its own margin
   (a loss never reaches the wallet) and the closed share of the margin returns to the wallet;
3. open the rest: entry value grows by the fill notional; an isolated position moves its
   initial margin from the wallet into its margin account;
4. charge the fee from the wallet (maker rebates paid by FEES; liquidation fills pay the
   clearance fee to the insurance fund).

A loss that the position's margin (isolated) or the wallet (cross) cannot pay is paid by the
insurance fund and recorded (InsuranceFundChanged, reason "deficit"): a user balance never goes
below zero. The fund itself may dip below zero inside a command; the liquidation engine then
auto-deleverages it back (risk/insurance.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from clearhouse.core.book import BUY, GTC, NO_LIMIT_KEY, POC, STP_CO, MatchResult
from clearhouse.core.context import Context
from clearhouse.core.events import (
    ContractOrderClosed,
    ContractOrderTrimmed,
    ContractTraded,
    InsuranceFundChanged,
    PositionUpdated,
)
from clearhouse.core.ledger import (
    AVAILABLE,
    FEES,
    INSURANCE,
    PERP_SETTLEMENT,
    ledger_key,
)
from clearhouse.core.products.perpetual_contract import PPM, fee_rate
from clearhouse.core.products.perpetual_state import (
    DUAL_LONG,
    DUAL_SHORT,
    LIQUIDATION,
    MODE_NAMES,
    NORMAL,
    SINGLE,
    PerpAccount,
    PerpMarket,
    PerpOrder,
    Position,
)
from clearhouse.core.risk.liquidation_index import cross_tag, isolated_tag
from clearhouse.core.risk.margin import initial_margin_units

if TYPE_CHECKING:
    from clearhouse.core.state import State

MAX_TRIM_WALK: Final = 10_000  # makers looked at before a match to keep reduce-only orders honest

_match_result = MatchResult()


def fee_units(notional_units: int, rate_ppm: int) -> int:
    """Charges round up, rebates round down (the venue's favour)."""
    if rate_ppm >= 0:
        return -((-notional_units * rate_ppm) // PPM)
    return -((notional_units * -rate_ppm) // PPM)


def signed(side: int, lots: int) -> int:
    return lots if side == BUY else -lots


def new_order(
    state: State,
    pm: PerpMarket,
    acct: PerpAccount,
    owner: int,
    side: int,
    price_ticks: int,
    lots: int,
    ctx: Context,
    *,
    tif: int,
    slot: int,
    reduce_only: bool,
    kind: str = NORMAL,
    display_lots: int = 0,
    stp_group: int = 0,
    stp_act: int = 0,
    text: str = "",
    is_close: bool = False,
) -> PerpOrder:
    order = PerpOrder(
        state.next_order_id, pm.spec.name, acct.account_id, owner, side, price_ticks, lots,
        display_lots, tif, stp_group, stp_act, ctx.time_ns, text,
    )  # fmt: skip
    state.next_order_id += 1
    order.reduce_only = reduce_only
    order.slot = slot
    order.kind = kind
    order.is_close = is_close
    order.hold_per_lot = 0
    return order


def position_slot(acct: PerpAccount, order_slot: int) -> int:
    return order_slot if acct.dual else SINGLE


def get_or_open_position(
    state: State, pm: PerpMarket, acct: PerpAccount, slot: int, ctx: Context
) -> Position:
    key = (pm.spec.name, slot)
    pos = acct.positions.get(key)
    if pos is None:
        perps = state.perps
        pos = Position(
            perps.next_position_id, acct, pm.spec.name, slot, acct.leverage_for(pm.spec.name)
        )
        perps.next_position_id += 1
        pos.open_time_ns = ctx.time_ns
        acct.positions[key] = pos
        pm.positions[pos.position_id] = pos
        if pos.leverage == 0:
            acct.cross_count += 1
    return pos


def fund_pays(state: State, pm: PerpMarket, credit_key: int, units: int, ctx: Context) -> None:
    """The insurance fund covers a loss nobody else can pay; recorded."""
    if units <= 0:
        return
    fund_key = ledger_key(INSURANCE, state.perps.settle_asset, AVAILABLE)
    state.ledger.transfer(fund_key, credit_key, units)
    ctx.events.append(
        InsuranceFundChanged(
            pm.spec.name, -units, state.ledger.balances.get(fund_key, 0), "deficit"
        )
    )


def realise(
    state: State, pm: PerpMarket, pos: Position, pnl: int, share: int, ctx: Context
) -> None:
    """Settle the PnL of a reduce with PERP_SETTLEMENT and give back `share`, the closed part of
    an isolated position's margin. Isolated: a loss is paid from that share first, then from the
    rest of the position's margin, never from the wallet. Cross: the wallet pays or receives."""
    ledger = state.ledger
    clearing = ledger_key(PERP_SETTLEMENT, state.perps.settle_asset, AVAILABLE)
    acct = pos.owner
    pos.realised_pnl_units += pnl
    if pos.leverage:  # isolated
        if pnl >= 0:
            ledger.transfer(clearing, acct.wallet_key, pnl)
            release = share
        else:
            loss = -pnl
            paid = min(loss, pos.margin_units)
            ledger.transfer(acct.margin_key, clearing, paid)
            pos.margin_units -= paid
            fund_pays(state, pm, clearing, loss - paid, ctx)
            release = min(max(share - loss, 0), pos.margin_units)
        ledger.transfer(acct.margin_key, acct.wallet_key, release)
        pos.margin_units -= release
        return
    if pnl >= 0:
        ledger.transfer(clearing, acct.wallet_key, pnl)
        return
    if acct.is_fund:  # the fund may dip below zero; ADL restores it (risk/insurance.py)
        ledger.transfer(acct.wallet_key, clearing, -pnl)
        return
    paid = min(-pnl, ledger.balances.get(acct.wallet_key, 0))
    ledger.transfer(acct.wallet_key, clearing, paid)
    fund_pays(state, pm, clearing, -pnl - paid, ctx)


def reduce_position(
    state: State, pm: PerpMarket, pos: Position, lots: int, price_ticks: int, ctx: Context
) -> int:
    """Close `lots` of `pos` at `price_ticks`; returns the realised PnL."""
    size = pos.size
    abs_size = size if size > 0 else -size
    assert 0 < lots <= abs_size
    full = lots == abs_size
    removed = pos.cost_units if full else pos.cost_units * lots // abs_size
    share = pos.margin_units if full else pos.margin_units * lots // abs_size
    value = lots * price_ticks * pm.k
    pnl = value - removed if size > 0 else -removed - value
    pos.cost_units -= removed
    pos.size = size - lots if size > 0 else size + lots
    realise(state, pm, pos, pnl, share, ctx)
    if full and pos.margin_units:  # rounding left a unit or two: the wallet gets it back
        state.ledger.transfer(pos.owner.margin_key, pos.owner.wallet_key, pos.margin_units)
        pos.margin_units = 0
    return pnl


def open_position(
    state: State, pm: PerpMarket, pos: Position, side: int, lots: int, price_ticks: int
) -> None:
    notional = lots * price_ticks * pm.k
    if side == BUY:
        pos.size += lots
        pos.cost_units += notional
    else:
        pos.size -= lots
        pos.cost_units -= notional
    if pos.leverage:
        acct = pos.owner
        total = abs(pos.cost_units)
        need = initial_margin_units(pm.tiers, total, pos.leverage) - pos.margin_units
        if need > 0:
            moved = min(need, state.ledger.balances.get(acct.wallet_key, 0))
            state.ledger.transfer(acct.wallet_key, acct.margin_key, moved)
            pos.margin_units += moved


def charge_fee(state: State, pm: PerpMarket, pos: Position, fee: int, to_fund: bool) -> int:
    """Take the fee from the wallet (never more than is there); returns what was charged."""
    acct = pos.owner
    ledger = state.ledger
    asset = state.perps.settle_asset
    if acct.is_fund or fee == 0:
        return 0
    payee = ledger_key(INSURANCE if to_fund else FEES, asset, AVAILABLE)
    if fee < 0:
        ledger.transfer(payee, acct.wallet_key, -fee)
    else:
        fee = min(fee, ledger.balances.get(acct.wallet_key, 0))
        ledger.transfer(acct.wallet_key, payee, fee)
    pos.realised_pnl_units -= fee
    return fee


def apply_fill(
    state: State,
    pm: PerpMarket,
    acct: PerpAccount,
    order_slot: int,
    side: int,
    lots: int,
    price_ticks: int,
    fee_ppm: int,
    to_fund: bool,
    ctx: Context,
) -> int:
    """Position, PnL, margin and fee of one side of one fill; returns the fee charged."""
    slot = position_slot(acct, order_slot)
    pos = get_or_open_position(state, pm, acct, slot, ctx)
    size = pos.size
    opening = lots
    if size and (size > 0) != (side == BUY):
        closing = min(lots, abs(size))
        reduce_position(state, pm, pos, closing, price_ticks, ctx)
        opening = lots - closing
    if slot != SINGLE:
        # a hedge-mode slot holds one direction only; reduce-only orders are trimmed before any
        # match so that they can never overshoot it
        assert opening == 0 or (slot == DUAL_LONG) == (side == BUY), "hedge slot overshot"
    if opening:
        open_position(state, pm, pos, side, opening, price_ticks)
    fee = charge_fee(state, pm, pos, fee_units(lots * price_ticks * pm.k, fee_ppm), to_fund)
    pos.update_time_ns = ctx.time_ns
    finish_position(state, pm, pos, ctx)
    return fee


def finish_position(state: State, pm: PerpMarket, pos: Position, ctx: Context) -> None:
    """After a change: report it, forget a flat position, and have it checked at the end of the
    command (exact check, then liquidation or re-indexing)."""
    acct = pos.owner
    ctx.events.append(
        PositionUpdated(
            acct.account_id, pos.contract, MODE_NAMES[pos.slot], pos.size, pos.cost_units,
            pos.margin_units, pos.leverage, pos.realised_pnl_units, ctx.time_ns,
        )
    )  # fmt: skip
    perps = state.perps
    if pos.size == 0:
        assert pos.margin_units == 0, "a flat position keeps no margin"
        unindex_position(pm, pos)
        del acct.positions[(pos.contract, pos.slot)]
        del pm.positions[pos.position_id]
        if pos.leverage == 0:
            acct.cross_count -= 1
    if acct.is_fund:
        return
    if pos.leverage and pos.size:
        perps.touched.add((pos.contract, isolated_tag(pos.position_id)))
    # the wallet backs every cross position: fees and isolated margin taken from it move them
    if not pos.leverage or acct.has_cross():
        perps.touched.add(("", cross_tag(acct.account_id)))


def unindex_position(pm: PerpMarket, pos: Position) -> None:
    if pos.index_item:
        side = pm.index.rise if pos.index_rising else pm.index.fall
        side.items.discard(pos.index_item)
        pos.index_item = 0


# --- orders ----------------------------------------------------------------------------------
def close_order(
    state: State, pm: PerpMarket, order: PerpOrder, finish_as: str, ctx: Context
) -> None:
    """An order finished: return its hold, unlink it, report it."""
    state.ledger.void(order)
    acct = state.perps.accounts[order.account]
    acct.orders.pop(order.order_id, None)
    order.update_time_ns = ctx.time_ns
    ctx.events.append(
        ContractOrderClosed(
            order.order_id, order.account, pm.spec.name, finish_as,
            signed(order.side, order.filled_lots), signed(order.side, order.remaining_lots),
            order.fee_units, ctx.time_ns,
        )
    )  # fmt: skip


def cancel_resting(
    state: State, pm: PerpMarket, order: PerpOrder, finish_as: str, ctx: Context
) -> None:
    pm.book.remove(order)
    close_order(state, pm, order, finish_as, ctx)


def shrink_resting(
    state: State, pm: PerpMarket, order: PerpOrder, keep_lots: int, reason: str, ctx: Context
) -> None:
    """Cut a resting reduce-only order down to `keep_lots` (cancel it at 0)."""
    if keep_lots <= 0:
        cancel_resting(state, pm, order, reason, ctx)
        return
    cut = order.remaining_lots - keep_lots
    pm.book.reduce_visible(order, cut)
    order.size_lots -= cut
    state.ledger.release(order, min(cut * order.hold_per_lot, order.remaining_units))
    ctx.events.append(
        ContractOrderTrimmed(
            order.order_id, order.account, pm.spec.name, signed(order.side, keep_lots), reason
        )
    )


def closable_lots(acct: PerpAccount, contract: str, slot: int, side: int) -> int:
    """Contracts an order on `side` for `slot` can close now."""
    pos = acct.positions.get((contract, position_slot(acct, slot)))
    if pos is None or pos.size == 0:
        return 0
    if (pos.size > 0) == (side == BUY):
        return 0
    return abs(pos.size)


def trim_reduce_only(
    state: State, pm: PerpMarket, acct: PerpAccount, ctx: Context, keep_order: int = 0
) -> None:
    """Keep every slot's reduce-only orders within what its position can close (newest cut
    first), so a reduce-only order never opens a position."""
    name = pm.spec.name
    orders = sorted(
        (
            o
            for o in acct.orders.values()
            if o.market == name and o.reduce_only and o.kind == NORMAL
        ),
        key=lambda o: o.order_id,
    )
    if not orders:
        return
    budget: dict[tuple[int, int], int] = {}
    for order in orders:
        key = (position_slot(acct, order.slot), order.side)
        if key not in budget:
            budget[key] = closable_lots(acct, name, order.slot, order.side)
        left = budget[key]
        if order.order_id == keep_order:
            budget[key] = max(0, left - order.remaining_lots)
            continue
        if order.remaining_lots > left:
            if order.order_id in pm.book.orders:
                reason = "position_closed" if left == 0 else "reduce_only"
                shrink_resting(state, pm, order, left, reason, ctx)
            left = min(left, order.remaining_lots)
        budget[key] = left - min(left, order.remaining_lots)


def pre_trim_makers(state: State, pm: PerpMarket, taker: PerpOrder, ctx: Context) -> None:
    """Walk the makers the taker can reach and cut reduce-only makers whose account's position
    would already be closed by that account's earlier makers in the queue (a match cannot be
    undone, so this happens before it)."""
    book = pm.book
    side = book.asks if taker.side == BUY else book.bids
    limit_key = _limit_key(taker)
    reach = taker.remaining_lots
    used: dict[tuple[int, int], int] = {}
    room: dict[tuple[int, int], int] = {}
    accounts = state.perps.accounts
    doomed: list[tuple[PerpOrder, int]] = []
    walked = 0
    for key in reversed(side.keys):
        if key < limit_key or reach <= 0 or walked >= MAX_TRIM_WALK:
            break
        maker = side.levels[key].head
        while maker is not None and reach > 0 and walked < MAX_TRIM_WALK:
            walked += 1
            order: PerpOrder = maker  # type: ignore[assignment]
            maker = maker.next
            if order.owner == taker.owner or (
                taker.stp_group and order.stp_group == taker.stp_group
            ):
                if taker.stp_act == STP_CO:
                    continue
                reach = 0
                break
            acct = accounts[order.account]
            slot = position_slot(acct, order.slot)
            account_key = (order.account, slot)
            if account_key not in room:
                room[account_key] = closable_lots(acct, pm.spec.name, order.slot, order.side)
                used[account_key] = 0
            fill = min(order.remaining_lots, reach)
            left = room[account_key] - used[account_key]
            if order.reduce_only:
                if fill > left:
                    keep = order.remaining_lots - (fill - left)
                    doomed.append((order, keep))
                    fill = left
                used[account_key] += fill
            elif slot == SINGLE and left > 0:
                used[account_key] += min(fill, left)
            reach -= fill
    for order, keep in doomed:
        shrink_resting(state, pm, order, keep, "reduce_only", ctx)


def _limit_key(order: PerpOrder) -> int:
    if order.price_ticks == 0:
        return NO_LIMIT_KEY
    return -order.price_ticks if order.side == BUY else order.price_ticks


def _fresh_result() -> MatchResult:
    result = _match_result
    result.makers.clear()
    result.prices.clear()
    result.lots.clear()
    result.stp_cancelled.clear()
    result.taker_stopped_by_stp = False
    result.budget_left = 0
    return result


def _release_for(state: State, order: PerpOrder, lots: int) -> None:
    if order.remaining_units:
        units = min(lots * order.hold_per_lot, order.remaining_units)
        state.ledger.release(order, units)


def execute(state: State, pm: PerpMarket, taker: PerpOrder, ctx: Context) -> int:
    """Match a taker that already holds its margin, settle every fill, then rest or close it.
    Returns the contracts filled."""
    book = pm.book
    perps = state.perps
    accounts = perps.accounts
    taker_acct = accounts[taker.account]
    crosses = (
        book.would_cross(taker.side, taker.price_ticks)
        if taker.price_ticks
        else bool(book.asks.keys if taker.side == BUY else book.bids.keys)
    )
    filled = 0
    stopped = False
    if crosses:
        pre_trim_makers(state, pm, taker, ctx)
        result = _fresh_result()
        filled = book.match(taker, _limit_key(taker), taker.remaining_lots, 0, 1, result)
        makers = list(result.makers)
        prices = list(result.prices)
        lots_list = list(result.lots)
        stp_cancelled = list(result.stp_cancelled)
        stopped = result.taker_stopped_by_stp
        if filled:
            _settle(state, pm, taker, taker_acct, makers, prices, lots_list, ctx)
        for maker in stp_cancelled:
            close_order(state, pm, maker, "stp", ctx)  # type: ignore[arg-type]
    name = pm.spec.name
    if filled and name not in perps.traded:
        perps.traded.append(name)
    if stopped:
        close_order(state, pm, taker, "stp", ctx)
    elif taker.remaining_lots == 0:
        close_order(state, pm, taker, "filled", ctx)
    elif taker.tif == GTC or taker.tif == POC:
        book.rest(taker)
        taker_acct.orders[taker.order_id] = taker
    else:
        close_order(state, pm, taker, "ioc", ctx)
    return filled


def _settle(
    state: State,
    pm: PerpMarket,
    taker: PerpOrder,
    taker_acct: PerpAccount,
    makers: Sequence[object],
    prices: list[int],
    lots_list: list[int],
    ctx: Context,
) -> None:
    accounts = state.perps.accounts
    spec = pm.spec
    name = spec.name
    now = ctx.time_ns
    taker_liq = taker.kind != NORMAL
    taker_tier = _fee_tier(state, taker.account)
    taker_ppm = spec.clearance_fee_ppm if taker_liq else fee_rate(spec, taker_tier).taker_ppm
    touched: list[PerpAccount] = [taker_acct]
    filled = 0
    for i in range(len(makers)):
        maker: PerpOrder = makers[i]  # type: ignore[assignment]
        price = prices[i]
        lots = lots_list[i]
        filled += lots
        maker_acct = accounts[maker.account]
        maker_ppm = fee_rate(spec, _fee_tier(state, maker.account)).maker_ppm
        _release_for(state, maker, lots)
        _release_for(state, taker, lots)
        maker_fee = apply_fill(
            state, pm, maker_acct, maker.slot, maker.side, lots, price, maker_ppm, False, ctx
        )
        taker_fee = apply_fill(
            state, pm, taker_acct, taker.slot, taker.side, lots, price, taker_ppm, taker_liq, ctx
        )
        maker.filled_lots += lots
        maker.filled_quote_units += lots * price * pm.k
        maker.fee_units += maker_fee
        maker.update_time_ns = now
        taker.fee_units += taker_fee
        taker.filled_quote_units += lots * price * pm.k
        trade_id = state.next_trade_id
        state.next_trade_id = trade_id + 1
        ctx.events.append(
            ContractTraded(
                trade_id, name, price, signed(taker.side, lots), maker.order_id, taker.order_id,
                maker.account, taker.account, maker.owner, taker.owner, maker_fee, taker_fee,
                taker.kind if taker_liq else NORMAL, now,
            )
        )  # fmt: skip
        if maker_acct not in touched:
            touched.append(maker_acct)
        # an iceberg maker can fill slice after slice in one match: close it once, at the end
        if maker.remaining_lots == 0 and not maker.closed and maker.order_id not in pm.book.orders:
            close_order(state, pm, maker, "filled", ctx)
    taker.filled_lots += filled
    taker.remaining_lots -= filled
    shown = taker.remaining_lots
    if taker.display_lots and taker.display_lots < shown:
        shown = taker.display_lots
    taker.visible_lots = shown
    taker.update_time_ns = now
    for acct in touched:
        if not acct.is_fund:
            trim_reduce_only(state, pm, acct, ctx, keep_order=taker.order_id)


def _fee_tier(state: State, account: int) -> int:
    user = state.accounts.get(account)
    return user.fee_tier if user is not None else 0


def slot_for(dual: bool, side: int, reduce_only: bool) -> int:
    """Gate's hedge mode: buy opens long, sell opens short; reduce-only closes the other."""
    if not dual:
        return SINGLE
    if side == BUY:
        return DUAL_SHORT if reduce_only else DUAL_LONG
    return DUAL_LONG if reduce_only else DUAL_SHORT


__all__ = ["LIQUIDATION", "execute", "apply_fill", "new_order", "slot_for"]
