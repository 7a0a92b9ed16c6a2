"""Spot orders: place, amend, cancel, list, and the caller's fills.

Each write is one engine command carrying the request's facts; the engine decides (policy gate,
balances, book) and the response is read back from the engine (open orders) or the order
history projection (finished ones), which the venue updated before the command was acknowledged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any, Final

from clearhouse.api.endpoint import Call, Endpoint, Handler, settled
from clearhouse.api.errors import (
    INVALID_PARAM_VALUE,
    MISSING_REQUIRED_PARAM,
    ApiError,
)
from clearhouse.api.rest import shapes
from clearhouse.api.rest.common import (
    client_text,
    in_time_range,
    page,
    projections_of,
    state_of,
)
from clearhouse.api.rest.market_numbers import numbers_of
from clearhouse.api.rest.views import (
    SIDES,
    STP_ACTS,
    TIFS,
    my_trade_view,
    order_view,
    parse_iceberg,
    record_of_open_order,
)
from clearhouse.core.book import BUY, FOK, IOC
from clearhouse.core.commands import AmendOrder, CancelAllOrders, CancelOrder, PlaceOrder
from clearhouse.core.errors import ORDER_NOT_FOUND, Rejected
from clearhouse.core.events import Event, OrderAccepted, OrderClosed
from clearhouse.core.products.spot_market import SpotMarketState
from clearhouse.projections.orders import OrderRecord

V4: Final = "/api/v4"
TAG: Final = "spot orders"
MAX_ORDERS_LISTED: Final = 10_000  # bound on how far a listing walks


# --- lookups -------------------------------------------------------------------------------------
def _find(call: Call, market: SpotMarketState, order_ref: str) -> OrderRecord | None:
    """One of the caller's orders in this market, by id or by client text (t-...)."""
    if order_ref.startswith("t-"):
        return _find_by_text(call, market, order_ref)
    order_id = int(order_ref)
    order = market.book.orders.get(order_id)
    if order is not None:
        return record_of_open_order(order) if order.account == call.account else None
    record = projections_of(call).orders.finished_order(call.account, order_id)
    if record is not None and record.market == market.spec.name:
        return record
    return None


def _find_by_text(call: Call, market: SpotMarketState, text: str) -> OrderRecord | None:
    name = market.spec.name
    account = state_of(call).require_account(call.account)
    for order in reversed(account.iter_open_orders()):
        if order.market == name and order.text == text:
            return record_of_open_order(order)
    for record in projections_of(call).orders.finished_newest_first(call.account):
        if record.market == name and record.text == text:
            return record
    return None


def _require(call: Call, market: SpotMarketState, order_ref: str) -> OrderRecord:
    record = _find(call, market, order_ref)
    if record is None:
        raise ApiError(ORDER_NOT_FOUND, f"order {order_ref} not found")
    return record


def _order_id(call: Call, market: SpotMarketState, order_ref: str) -> int:
    if order_ref.startswith("t-"):
        return _require(call, market, order_ref).order_id
    return int(order_ref)


def _view(call: Call, market: SpotMarketState, record: OrderRecord) -> shapes.SpotOrder:
    account = state_of(call).require_account(record.account)
    return order_view(record, market, account.stp_group)


def _view_by_id(call: Call, market: SpotMarketState, order_id: int) -> shapes.SpotOrder:
    return _view(call, market, _require(call, market, str(order_id)))


def _closed_views(
    call: Call, market: SpotMarketState, events: Iterable[Event]
) -> list[shapes.SpotOrder]:
    orders = projections_of(call).orders
    out: list[shapes.SpotOrder] = []
    for event in events:
        if type(event) is OrderClosed:
            record = orders.finished_order(call.account, event.order_id)
            if record is not None:
                out.append(_view(call, market, record))
    return out


# --- place ---------------------------------------------------------------------------------------
def place_order_command(call: Call, body: shapes.OrderRequest) -> PlaceOrder:
    market = state_of(call).require_market(body.currency_pair)
    units = market.units
    side = SIDES[body.side]
    quote_units = 0
    if body.type == "limit":
        if body.price is None:
            raise ApiError(MISSING_REQUIRED_PARAM, "missing required parameter: price")
        tif = TIFS[body.time_in_force or "gtc"]
        numbers = numbers_of(units)
        price_ticks = numbers.parse_price(body.price)
        size_lots = numbers.parse_size(body.amount)
    else:  # market: Gate ignores the price; a buy is sized in quote currency
        tif = TIFS[body.time_in_force or "ioc"]
        if tif != IOC and tif != FOK:
            raise ApiError(INVALID_PARAM_VALUE, "market orders are ioc or fok")
        price_ticks = 0
        if side == BUY:
            size_lots = 0
            quote_units = units.parse_quote_amount(body.amount)
        else:
            size_lots = units.parse_size(body.amount)
    return PlaceOrder(
        account=call.account,
        market=market.spec.name,
        side=side,
        price_ticks=price_ticks,
        size_lots=size_lots,
        tif=tif,
        quote_units=quote_units,
        display_lots=parse_iceberg(units, body.iceberg),
        stp_act=STP_ACTS[body.stp_act or "cn"],
        text=client_text(body.text),
    )


async def create_order(call: Call) -> shapes.SpotOrder:
    command = place_order_command(call, call.body)
    return placed_view(call, command, await call.submit(command))


def placed_view(call: Call, command: PlaceOrder, events: list[Event]) -> shapes.SpotOrder:
    """The order a `place_order_command` placed, once its events are back."""
    market = state_of(call).markets[command.market]
    accepted = next(e for e in events if type(e) is OrderAccepted)
    return _view_by_id(call, market, accepted.order_id)


# --- read ----------------------------------------------------------------------------------------
def _open_records(call: Call, market_name: str | None) -> list[OrderRecord]:
    """The caller's open orders, newest first."""
    account = state_of(call).require_account(call.account)
    return [
        record_of_open_order(order)
        for order in reversed(account.iter_open_orders())
        if market_name is None or order.market == market_name
    ]


async def list_orders(call: Call) -> list[shapes.SpotOrder]:
    query: shapes.OrdersQuery = call.query
    state = state_of(call)
    market_name = None
    if query.currency_pair is not None:
        market_name = state.require_market(query.currency_pair).spec.name
    side = SIDES[query.side] if query.side is not None else None
    records: Iterator[OrderRecord]
    if query.status == "open":
        if market_name is None:
            raise ApiError(MISSING_REQUIRED_PARAM, "missing required parameter: currency_pair")
        records = iter(_open_records(call, market_name))
    else:
        records = projections_of(call).orders.finished_newest_first(call.account)
    chosen = (
        r
        for r in islice(records, MAX_ORDERS_LISTED)
        if (market_name is None or r.market == market_name)
        and (side is None or r.side == side)
        and in_time_range(r.create_time_ns, query.from_, query.to)
    )
    return [_view(call, state.markets[r.market], r) for r in page(chosen, query.page, query.limit)]


async def get_order(call: Call) -> shapes.SpotOrder:
    query: shapes.OrderLookupQuery = call.query
    market = state_of(call).require_market(query.currency_pair)
    return _view(call, market, _require(call, market, call.path.order_id))


async def open_orders(call: Call) -> list[shapes.OpenOrdersGroup]:
    query: shapes.OpenOrdersQuery = call.query
    state = state_of(call)
    by_market: dict[str, list[OrderRecord]] = {}
    market_name = None
    if query.currency_pair is not None:
        market_name = state.require_market(query.currency_pair).spec.name
    for record in _open_records(call, market_name):
        by_market.setdefault(record.market, []).append(record)
    return [
        shapes.OpenOrdersGroup(
            currency_pair=name,
            total=len(records),
            orders=[
                _view(call, state.markets[name], r) for r in page(records, query.page, query.limit)
            ],
        )
        for name, records in sorted(by_market.items())
    ]


# --- amend and cancel ----------------------------------------------------------------------------
async def amend_order(call: Call) -> shapes.SpotOrder:
    params: shapes.AmendParams = call.query
    market = state_of(call).require_market(params.currency_pair)
    if params.amount is None and params.price is None:
        raise ApiError(INVALID_PARAM_VALUE, "amend needs a new amount or a new price")
    units = market.units
    order_id = _order_id(call, market, call.path.order_id)
    command = AmendOrder(
        account=call.account,
        market=market.spec.name,
        order_id=order_id,
        price_ticks=units.parse_price(params.price) if params.price is not None else 0,
        size_lots=units.parse_size(params.amount) if params.amount is not None else 0,
    )
    await call.submit(command)
    return _view_by_id(call, market, order_id)


async def cancel_order(call: Call) -> shapes.SpotOrder:
    command, market = cancel_order_command(call)
    await call.submit(command)
    return cancelled_view(call, command, market)


def cancel_order_command(call: Call) -> tuple[CancelOrder, SpotMarketState]:
    query: shapes.CancelOrderQuery = call.query
    market = state_of(call).require_market(query.currency_pair)
    order_id = _order_id(call, market, call.path.order_id)
    return CancelOrder(call.account, market.spec.name, order_id), market


def cancelled_view(call: Call, command: CancelOrder, market: SpotMarketState) -> shapes.SpotOrder:
    """The order a `cancel_order_command` cancelled, once it is applied."""
    return _view_by_id(call, market, command.order_id)


async def cancel_all(call: Call) -> list[shapes.SpotOrder]:
    query: shapes.CancelAllQuery = call.query
    state = state_of(call)
    side = SIDES[query.side] if query.side is not None else -1
    if query.currency_pair is not None:
        names = [state.require_market(query.currency_pair).spec.name]
    else:
        account = state.require_account(call.account)
        names = sorted({order.market for order in account.iter_open_orders()})
    out: list[shapes.SpotOrder] = []
    for name in names:
        events = await call.submit(CancelAllOrders(call.account, name, side))
        out.extend(_closed_views(call, state.markets[name], events))
    return out


async def cancel_batch(call: Call) -> list[shapes.CancelBatchResult]:
    """The cancels go to the sequencer together (one durable wait for the batch), in order. An
    item naming its order by client text is looked up after the items before it are applied,
    as if each were submitted alone."""
    items: list[shapes.CancelBatchItem] = call.body
    state = state_of(call)
    outcomes: list[asyncio.Future[list[Event]] | ApiError | Rejected] = []
    pending: list[asyncio.Future[list[Event]]] = []
    for item in items:
        try:
            market = state.require_market(item.currency_pair)
            if item.id.startswith("t-") and pending:
                await asyncio.wait(pending)
                pending = []
            order_id = _order_id(call, market, item.id)
            done = call.submit_nowait(CancelOrder(call.account, market.spec.name, order_id))
        except (ApiError, Rejected) as error:  # reported per item, the batch goes on
            outcomes.append(error)
        else:
            outcomes.append(done)
            pending.append(done)
    if pending:
        await asyncio.wait(pending)
    out: list[shapes.CancelBatchResult] = []
    for item, outcome in zip(items, outcomes, strict=True):
        try:
            if isinstance(outcome, asyncio.Future):
                settled(outcome)
            else:
                raise outcome
        except (ApiError, Rejected) as error:
            label, message = error.label, error.message
        else:
            label, message = "", ""
        out.append(
            shapes.CancelBatchResult(
                currency_pair=item.currency_pair,
                id=item.id,
                text=item.text or "",
                succeeded=not label,
                label=label,
                message=message,
                account="spot",
            )  # fmt: skip
        )
    return out


# --- fills ---------------------------------------------------------------------------------------
async def my_trades(call: Call) -> list[shapes.MyTrade]:
    query: shapes.MyTradesQuery = call.query
    state = state_of(call)
    market_name = None
    if query.currency_pair is not None:
        market_name = state.require_market(query.currency_pair).spec.name
    order_id = int(query.order_id) if query.order_id is not None else None
    fills = (
        f
        for f in projections_of(call).user_trades.newest_first(call.account)
        if (market_name is None or f.trade.market == market_name)
        and (order_id is None or f.order_id == order_id)
        and in_time_range(f.trade.time_ns, query.from_, query.to)
    )
    return [
        my_trade_view(f, state.markets[f.trade.market])
        for f in page(fills, query.page, query.limit)
    ]


def _ep(method: str, path: str, handler: Handler, summary: str, **kwargs: Any) -> Endpoint:
    return Endpoint(method, V4 + path, handler, "signed", summary, TAG, **kwargs)


ENDPOINTS: Final = [
    _ep("POST", "/spot/orders", create_order, "Place an order", body=shapes.OrderRequest,
        response=shapes.SpotOrder, status=201),
    _ep("GET", "/spot/orders", list_orders, "List open or finished orders",
        query=shapes.OrdersQuery, response=list[shapes.SpotOrder]),
    _ep("DELETE", "/spot/orders", cancel_all, "Cancel all open orders (of a pair / side)",
        query=shapes.CancelAllQuery, response=list[shapes.SpotOrder]),
    _ep("GET", "/spot/orders/{order_id}", get_order, "One order", query=shapes.OrderLookupQuery,
        path_params=shapes.OrderPath, response=shapes.SpotOrder),
    _ep("DELETE", "/spot/orders/{order_id}", cancel_order, "Cancel an order",
        query=shapes.CancelOrderQuery, path_params=shapes.OrderPath, response=shapes.SpotOrder),
    _ep("PATCH", "/spot/orders/{order_id}", amend_order, "Amend an order's price or amount",
        query=shapes.AmendParams, path_params=shapes.OrderPath, response=shapes.SpotOrder,
        query_and_body=True),
    _ep("POST", "/spot/cancel_batch_orders", cancel_batch, "Cancel orders by id (max 20)",
        body=shapes.CancelBatchRequest, response=list[shapes.CancelBatchResult]),
    _ep("GET", "/spot/open_orders", open_orders, "Open orders grouped by pair",
        query=shapes.OpenOrdersQuery, response=list[shapes.OpenOrdersGroup]),
    _ep("GET", "/spot/my_trades", my_trades, "The caller's fills, newest first",
        query=shapes.MyTradesQuery, response=list[shapes.MyTrade]),
]  # fmt: skip
