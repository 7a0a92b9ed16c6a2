"""Spot trading: how an order becomes trades and where the money moves.

Every handler decides first (reading state, raising `Rejected`) and only then writes, so a
rejected command changes nothing. Money moves only through the ledger: a buy reserves quote at
its limit price, a sell reserves base; each fill posts from the two holds to the counterparties
and takes each side's fee from what that side receives (Gate's default), rounded up.
"""

from __future__ import annotations

from collections.abc import Set
from typing import TYPE_CHECKING

from clearhouse.core.book import (
    BUY,
    FOK,
    GTC,
    IOC,
    NO_LIMIT_KEY,
    POC,
    SELL,
    STP_CB,
    STP_CN,
    MatchResult,
    Order,
)
from clearhouse.core.commands import AmendOrder, CancelAllOrders, CancelOrder, PlaceOrder
from clearhouse.core.context import Context
from clearhouse.core.errors import (
    AMOUNT_TOO_LITTLE,
    FOK_NOT_FILL,
    INVALID_PARAM_VALUE,
    ORDER_NOT_FOUND,
    POC_FILL_IMMEDIATELY,
    TOO_MANY_ORDERS,
    TRADE_RESTRICTED,
    Rejected,
)
from clearhouse.core.events import OrderAccepted, OrderAmended, OrderClosed, Traded
from clearhouse.core.ledger import AVAILABLE, Ledger, ledger_key
from clearhouse.core.products.spot_market import SpotMarketState
from clearhouse.core.units import PPM

if TYPE_CHECKING:
    from clearhouse.core.accounts import Account
    from clearhouse.core.state import State

MAX_TEXT_CHARS = 64  # client order ids ("text"); Gate allows 28 after "t-", we allow slack

_match_result = MatchResult()


def _fresh_match_result() -> MatchResult:
    result = _match_result
    result.makers.clear()
    result.prices.clear()
    result.lots.clear()
    result.stp_cancelled.clear()
    result.ineligible_cancelled.clear()
    result.taker_stopped_by_stp = False
    result.budget_left = 0
    return result


def _fee(amount_units: int, rate_ppm: int) -> int:
    # inlined units.fee_units: charges round up, rebates round down (venue's favour)
    if rate_ppm >= 0:
        return -((-amount_units * rate_ppm) // PPM)
    return -((amount_units * -rate_ppm) // PPM)


# --- validation ----------------------------------------------------------------------------------
def _validate_place(
    state: State, market: SpotMarketState, account: Account, cmd: PlaceOrder
) -> tuple[int, int]:
    """Check a new order against the market and the book; returns (asset, units to reserve)."""
    asset, units_to_reserve = validate_shape(market, cmd)
    tif = cmd.tif
    if cmd.price_ticks:
        if tif == POC and market.book.would_cross(cmd.side, cmd.price_ticks):
            raise Rejected(POC_FILL_IMMEDIATELY, "order would match immediately; post-only refused")
        if (tif == GTC or tif == POC) and (
            account.open_orders_by_market.get(cmd.market, 0)
            >= market.spec.max_open_orders_per_account
        ):
            raise Rejected(TOO_MANY_ORDERS, "too many open orders")
    return asset, units_to_reserve


def validate_shape(market: SpotMarketState, cmd: PlaceOrder) -> tuple[int, int]:
    """Checks that depend only on the order and its market; returns (asset, units to reserve)."""
    if not market.enabled:
        raise Rejected(TRADE_RESTRICTED, f"trading of {cmd.market} is suspended")
    side = cmd.side
    if side != BUY and side != SELL:
        raise Rejected(INVALID_PARAM_VALUE, "side must be buy or sell")
    tif = cmd.tif
    if tif < GTC or tif > POC:
        raise Rejected(INVALID_PARAM_VALUE, "time_in_force must be gtc, ioc, fok or poc")
    if len(cmd.text) > MAX_TEXT_CHARS:
        raise Rejected(INVALID_PARAM_VALUE, f"text longer than {MAX_TEXT_CHARS} characters")
    if cmd.stp_act < STP_CN or cmd.stp_act > STP_CB:
        raise Rejected(INVALID_PARAM_VALUE, "stp_act must be cn, co or cb")
    units = market.units
    spec = market.spec
    if cmd.price_ticks == 0:  # market order
        if tif != IOC and tif != FOK:
            raise Rejected(INVALID_PARAM_VALUE, "market orders must be ioc or fok")
        if cmd.display_lots:
            raise Rejected(INVALID_PARAM_VALUE, "market orders cannot be iceberg orders")
        if side == BUY:
            if cmd.size_lots or cmd.quote_units <= 0:
                raise Rejected(INVALID_PARAM_VALUE, "a market buy is sized in quote currency")
            if cmd.quote_units < spec.min_notional_units:
                raise Rejected(AMOUNT_TOO_LITTLE, "order value below the market minimum")
            return market.quote_asset, cmd.quote_units
        if cmd.quote_units:
            raise Rejected(INVALID_PARAM_VALUE, "a market sell is sized in base currency")
        units.check_size(cmd.size_lots)
        return market.base_asset, cmd.size_lots * units.base_units_per_lot
    if cmd.price_ticks < 0 or cmd.price_ticks > spec.max_price_ticks:
        raise Rejected(INVALID_PARAM_VALUE, "price out of range")
    if cmd.quote_units:
        raise Rejected(INVALID_PARAM_VALUE, "limit orders are sized in base currency")
    units.check_size(cmd.size_lots)
    notional = cmd.price_ticks * cmd.size_lots * units.quote_units_per_tick_lot
    if notional < spec.min_notional_units:
        raise Rejected(AMOUNT_TOO_LITTLE, "order value below the market minimum")
    if cmd.display_lots:
        if cmd.display_lots < 0 or cmd.display_lots >= cmd.size_lots:
            raise Rejected(INVALID_PARAM_VALUE, "iceberg must show less than the order amount")
        if tif == IOC or tif == FOK:
            raise Rejected(INVALID_PARAM_VALUE, "iceberg orders must be gtc or poc")
        if cmd.display_lots < spec.min_size_lots:
            raise Rejected(AMOUNT_TOO_LITTLE, "iceberg slice below the minimum amount")
    if side == BUY:
        return market.quote_asset, notional
    return market.base_asset, cmd.size_lots * units.base_units_per_lot


def _check_fok(
    market: SpotMarketState, taker: Order, cmd: PlaceOrder, eligible: Set[int]
) -> None:
    book = market.book
    if cmd.quote_units:
        if not _budget_fillable(market, taker, cmd.quote_units, eligible):
            raise Rejected(FOK_NOT_FILL, "not enough liquidity to fill the whole order")
        return
    limit_key = _limit_key(taker)
    if book.fillable_lots(taker, limit_key, taker.size_lots, eligible) < taker.size_lots:
        raise Rejected(FOK_NOT_FILL, "not enough liquidity to fill the whole order")


def _budget_fillable(
    market: SpotMarketState, taker: Order, budget: int, eligible: Set[int]
) -> bool:
    """Can a FOK market buy spend its budget, down to less than one lot at the last price?"""
    side = market.book.asks
    per = market.units.quote_units_per_tick_lot
    stops = taker.stp_act != 1
    lots_left = market.spec.max_size_lots  # a market buy takes at most this many lots
    for key in reversed(side.keys):
        level = side.levels[key]
        price = level.price_ticks
        affordable = budget // (price * per)
        if affordable == 0:
            return True
        if affordable > lots_left:
            return False  # the size cap would stop it with budget the book could still take
        available = 0
        hidden = 0  # iceberg lots behind their slices: they requeue behind any self order
        maker = level.head
        while maker is not None and available < affordable:
            if maker.account not in eligible:
                pass  # matching would cancel it: it offers nothing
            elif maker.owner == taker.owner or (
                taker.stp_group and maker.stp_group == taker.stp_group
            ):
                if stops:
                    return False
            else:
                available += maker.visible_lots
                hidden += maker.remaining_lots - maker.visible_lots
            maker = maker.next
        available += hidden
        take = affordable if available > affordable else available
        budget -= take * price * per
        lots_left -= take
        if take == affordable:
            return True
    return False


def _limit_key(order: Order) -> int:
    if order.price_ticks == 0:
        return NO_LIMIT_KEY
    return -order.price_ticks if order.side == BUY else order.price_ticks


# --- handlers ------------------------------------------------------------------------------------
def place_order(state: State, cmd: PlaceOrder, ctx: Context) -> None:
    market = state.require_market(cmd.market)
    account = state.require_account(cmd.account)
    asset, reserve_units = _validate_place(state, market, account, cmd)
    ledger = state.ledger
    ledger.require_available(cmd.account, asset, reserve_units)
    taker = Order(
        state.next_order_id,
        cmd.market,
        cmd.account,
        account.beneficial_owner,
        cmd.side,
        cmd.price_ticks,
        cmd.size_lots,
        cmd.display_lots,
        cmd.tif,
        account.stp_group,
        cmd.stp_act,
        ctx.time_ns,
        cmd.text,
    )
    if cmd.tif == FOK:
        _check_fok(market, taker, cmd, state.identity.eligible_accounts)
    # --- nothing above this line writes ---
    state.next_order_id += 1
    ledger.reserve_into(taker, cmd.account, asset, reserve_units)
    ctx.events.append(
        OrderAccepted(
            taker.order_id,
            cmd.account,
            taker.owner,
            cmd.market,
            cmd.side,
            cmd.price_ticks,
            cmd.size_lots,
            cmd.quote_units,
            cmd.tif,
            cmd.display_lots,
            cmd.text,
            ctx.time_ns,
        )
    )
    _execute(state, market, account, taker, cmd.quote_units, ctx)


def _execute(
    state: State,
    market: SpotMarketState,
    account: Account,
    taker: Order,
    quote_budget: int,
    ctx: Context,
) -> None:
    """Match a taker that already holds its funds, settle the fills, then rest or close it."""
    book = market.book
    result = _fresh_match_result()
    result.budget_left = quote_budget  # a market buy facing no asks keeps its whole budget
    max_lots = taker.remaining_lots if not quote_budget else market.spec.max_size_lots
    # most limit orders rest without crossing: skip the matcher for them
    if book.would_cross(taker.side, taker.price_ticks) if taker.price_ticks else (
        book.asks.keys if taker.side == BUY else book.bids.keys
    ):
        filled = book.match(
            taker,
            _limit_key(taker),
            max_lots,
            quote_budget,
            market.units.quote_units_per_tick_lot,
            result,
            state.identity.eligible_accounts,
        )
        if filled:
            _settle(state, market, account, taker, result, ctx)
        for maker in result.stp_cancelled:
            _close_resting(state, market, maker, "stp", ctx)
        for maker in result.ineligible_cancelled:  # pre-trade eligibility, second line
            _close_resting(state, market, maker, "cancelled", ctx)
    if result.taker_stopped_by_stp:
        _close_taker(state, taker, "stp", ctx, market)
    elif quote_budget:
        spent_all = result.budget_left < _one_lot_cost(market, result) or taker.tif == FOK
        _close_taker(state, taker, "filled" if spent_all else "depth_not_enough", ctx, market)
    elif taker.remaining_lots == 0:
        _close_taker(state, taker, "filled", ctx, market)
    elif taker.tif == GTC or taker.tif == POC:
        book.rest(taker)
        account.link_order(taker)
    elif taker.price_ticks == 0:
        _close_taker(state, taker, "depth_not_enough", ctx, market)
    else:
        _close_taker(state, taker, "ioc", ctx, market)


def _one_lot_cost(market: SpotMarketState, result: MatchResult) -> int:
    """One more lot at the next ask or, the asks used up, at the last fill's price; 0 when there
    was nothing to buy, so any budget left over means the depth was not enough."""
    best = market.book.asks.best_price() or (result.prices[-1] if result.prices else 0)
    return best * market.units.quote_units_per_tick_lot


def _charge(ledger: Ledger, payer_key: int, fees_key: int, fee: int) -> None:
    if fee > 0:
        ledger.transfer(payer_key, fees_key, fee)
    elif fee < 0:
        ledger.transfer(fees_key, payer_key, -fee)


def _settle(
    state: State,
    market: SpotMarketState,
    account: Account,
    taker: Order,
    result: MatchResult,
    ctx: Context,
) -> None:
    ledger = state.ledger
    accounts = state.accounts
    per_tick_lot = market.units.quote_units_per_tick_lot
    per_lot = market.units.base_units_per_lot
    base = market.base_asset
    quote = market.quote_asset
    taker_rate = market.fee_rate(account.fee_tier).taker_ppm
    taker_side = taker.side
    taker_limit = taker.price_ticks
    events = ctx.events
    name = market.spec.name
    now = ctx.time_ns
    fees_base = market.fees_base_key
    fees_quote = market.fees_quote_key
    taker_base_key = ledger_key(taker.account, base, AVAILABLE)
    taker_quote_key = ledger_key(taker.account, quote, AVAILABLE)
    makers = result.makers
    prices = result.prices
    lots_list = result.lots
    filled = 0
    for i in range(len(makers)):
        maker = makers[i]
        price = prices[i]
        lots = lots_list[i]
        filled += lots
        notional = price * lots * per_tick_lot
        base_units = lots * per_lot
        maker_account = accounts[maker.account]
        maker_rate = market.fee_rate(maker_account.fee_tier).maker_ppm
        if taker_side == BUY:
            # taker pays quote, receives base; maker pays base, receives quote
            maker_quote_key = ledger_key(maker.account, quote, AVAILABLE)
            ledger.post(taker, maker_quote_key, notional)
            if taker_limit:
                # a buy reserved at its limit; release the price improvement at once
                improvement = (taker_limit - price) * lots * per_tick_lot
                if improvement:
                    ledger.release(taker, improvement)
            ledger.post(maker, taker_base_key, base_units)
            taker_fee = _fee(base_units, taker_rate)
            maker_fee = _fee(notional, maker_rate)
            _charge(ledger, taker_base_key, fees_base, taker_fee)
            _charge(ledger, maker_quote_key, fees_quote, maker_fee)
        else:
            maker_base_key = ledger_key(maker.account, base, AVAILABLE)
            ledger.post(taker, maker_base_key, base_units)
            ledger.post(maker, taker_quote_key, notional)
            taker_fee = _fee(notional, taker_rate)
            maker_fee = _fee(base_units, maker_rate)
            _charge(ledger, taker_quote_key, fees_quote, taker_fee)
            _charge(ledger, maker_base_key, fees_base, maker_fee)
        taker.filled_quote_units += notional
        taker.fee_units += taker_fee
        maker.filled_lots += lots
        maker.filled_quote_units += notional
        maker.fee_units += maker_fee
        maker.update_time_ns = now
        trade_id = state.next_trade_id
        state.next_trade_id = trade_id + 1
        events.append(
            Traded(
                trade_id,
                name,
                price,
                lots,
                taker_side,
                maker.order_id,
                taker.order_id,
                maker.account,
                taker.account,
                maker.owner,
                taker.owner,
                maker_fee,
                taker_fee,
                now,
            )
        )
        # an iceberg maker can appear several times in one match (slice after slice); it is
        # finished at the fill that empties its hold, which is its last one
        if maker.remaining_lots == 0 and maker.remaining_units == 0:
            ledger.close_spent(maker)
            maker_account.unlink_order(maker)
            events.append(
                OrderClosed(
                    maker.order_id,
                    maker.account,
                    name,
                    "filled",
                    maker.filled_lots,
                    maker.filled_quote_units,
                    maker.fee_units,
                    now,
                )
            )
    taker.filled_lots += filled
    if taker.size_lots:  # a market buy has no size in lots, only a budget
        taker.remaining_lots -= filled
        shown = taker.remaining_lots
        if taker.display_lots and taker.display_lots < shown:
            shown = taker.display_lots
        taker.visible_lots = shown
    taker.update_time_ns = now


def _close_taker(
    state: State, taker: Order, finish_as: str, ctx: Context, market: SpotMarketState
) -> None:
    state.ledger.void(taker)
    ctx.events.append(
        OrderClosed(
            taker.order_id,
            taker.account,
            market.spec.name,
            finish_as,
            taker.filled_lots,
            taker.filled_quote_units,
            taker.fee_units,
            ctx.time_ns,
        )
    )


def _close_resting(
    state: State, market: SpotMarketState, order: Order, finish_as: str, ctx: Context
) -> None:
    """Close an order that is (or was, for STP) on the book: release its hold, forget it."""
    state.ledger.void(order)
    state.accounts[order.account].unlink_order(order)
    order.update_time_ns = ctx.time_ns
    ctx.events.append(
        OrderClosed(
            order.order_id,
            order.account,
            market.spec.name,
            finish_as,
            order.filled_lots,
            order.filled_quote_units,
            order.fee_units,
            ctx.time_ns,
        )
    )


def _own_open_order(state: State, market: SpotMarketState, account: int, order_id: int) -> Order:
    order = market.book.orders.get(order_id)
    if order is None or order.account != account:
        # never tell one account whether another account's order exists
        raise Rejected(ORDER_NOT_FOUND, f"order {order_id} not found")
    return order


def cancel_order(state: State, cmd: CancelOrder, ctx: Context) -> None:
    market = state.require_market(cmd.market)
    order = _own_open_order(state, market, cmd.account, cmd.order_id)
    # --- nothing above this line writes ---
    market.book.remove(order)
    _close_resting(state, market, order, "cancelled", ctx)


def cancel_all_orders(state: State, cmd: CancelAllOrders, ctx: Context) -> None:
    market = state.require_market(cmd.market)
    account = state.require_account(cmd.account)
    if cmd.side not in (-1, BUY, SELL):
        raise Rejected(INVALID_PARAM_VALUE, "side must be buy, sell or both")
    # --- nothing above this line writes ---
    name = market.spec.name
    doomed = sorted(
        (
            order
            for order in account.iter_open_orders()
            if order.market == name and (cmd.side == -1 or order.side == cmd.side)
        ),
        key=lambda order: order.order_id,
    )
    for order in doomed:
        market.book.remove(order)
        _close_resting(state, market, order, "cancelled", ctx)


def amend_order(state: State, cmd: AmendOrder, ctx: Context) -> None:
    """Size down at the same price keeps time priority; a price change or a larger size loses it
    (the order leaves the book and is matched again as if new, keeping its id)."""
    market = state.require_market(cmd.market)
    account = state.require_account(cmd.account)
    order = _own_open_order(state, market, cmd.account, cmd.order_id)
    if not market.enabled:  # a re-priced order can trade; while suspended only cancels go
        raise Rejected(TRADE_RESTRICTED, f"trading of {cmd.market} is suspended")
    if len(cmd.text) > MAX_TEXT_CHARS:
        raise Rejected(INVALID_PARAM_VALUE, f"text longer than {MAX_TEXT_CHARS} characters")
    units = market.units
    new_price = cmd.price_ticks or order.price_ticks
    new_size = cmd.size_lots or order.size_lots
    if new_price < 0 or new_price > market.spec.max_price_ticks or cmd.size_lots < 0:
        raise Rejected(INVALID_PARAM_VALUE, "price or amount out of range")
    new_remaining = new_size - order.filled_lots
    if new_remaining <= 0:
        raise Rejected(INVALID_PARAM_VALUE, "new amount must exceed the amount already filled")
    units.check_size(new_size)
    if new_price * new_remaining * units.quote_units_per_tick_lot < market.spec.min_notional_units:
        raise Rejected(AMOUNT_TOO_LITTLE, "order value below the market minimum")
    if order.display_lots and order.display_lots >= new_remaining:
        raise Rejected(INVALID_PARAM_VALUE, "iceberg must show less than the order amount")
    keeps_priority = new_price == order.price_ticks and new_remaining <= order.remaining_lots
    hold = order
    if order.side == BUY:
        need = new_price * new_remaining * units.quote_units_per_tick_lot
    else:
        need = new_remaining * units.base_units_per_lot
    extra = need - hold.remaining_units
    if extra > 0:
        state.ledger.require_available(order.account, hold.asset, extra)
    if not keeps_priority and order.tif == POC:
        crossed = _crosses_without(market, order, new_price)
        if crossed:
            raise Rejected(POC_FILL_IMMEDIATELY, "amended post-only order would match")
    # --- nothing above this line writes ---
    if extra > 0:
        state.ledger.extend(hold, extra)
    elif extra < 0:
        state.ledger.release(hold, -extra)
    if cmd.text:
        order.text = cmd.text
    order.update_time_ns = ctx.time_ns
    if keeps_priority:
        market.book.reduce_visible(order, order.remaining_lots - new_remaining)
        order.size_lots = new_size
        ctx.events.append(
            OrderAmended(
                order.order_id, order.account, cmd.market, new_price, new_size, new_remaining, True
            )
        )
        return
    market.book.remove(order)
    account.unlink_order(order)
    order.price_ticks = new_price
    order.size_lots = new_size
    order.remaining_lots = new_remaining
    order.visible_lots = (
        min(order.display_lots, new_remaining) if order.display_lots else new_remaining
    )
    ctx.events.append(
        OrderAmended(
            order.order_id, order.account, cmd.market, new_price, new_size, new_remaining, False
        )
    )
    _execute(state, market, account, order, 0, ctx)


def _crosses_without(market: SpotMarketState, order: Order, price_ticks: int) -> bool:
    return market.book.would_cross(order.side, price_ticks)
