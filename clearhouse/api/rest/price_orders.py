"""Spot price-triggered orders (Gate `spot/price_orders`): stop and take-profit on the last price.

Funds are not reserved while a trigger waits; when it fires, its order passes the policy gate and
every check of a new order, and may be refused then (status `failed`, the label in `reason`).
"""

from __future__ import annotations

from typing import Any, Final

from clearhouse.api.endpoint import Call, Endpoint, Handler
from clearhouse.api.errors import ApiError
from clearhouse.api.rest import shapes
from clearhouse.api.rest.common import client_text, projections_of, state_of, venue_now_ns, window
from clearhouse.api.rest.views import SIDE_WORDS, SIDES, TIF_WORDS, seconds_text
from clearhouse.core.book import BUY, GTC, IOC
from clearhouse.core.commands import CancelTriggerOrder, PlaceOrder, PlaceTriggerOrder
from clearhouse.core.errors import ORDER_NOT_FOUND
from clearhouse.core.events import TriggerPlaced
from clearhouse.core.products.spot_market import SpotMarketState
from clearhouse.core.triggers import RULE_GE, RULE_LE
from clearhouse.projections.triggers import OPEN, TriggerRecord

V4: Final = "/api/v4"
TAG: Final = "spot price orders"
RULES: Final = {">=": RULE_GE, "<=": RULE_LE}
RULE_WORDS: Final = {RULE_GE: ">=", RULE_LE: "<="}
NS_PER_S: Final = 1_000_000_000


def price_order_view(record: TriggerRecord, market: SpotMarketState) -> shapes.PriceOrder:
    units = market.units
    order = record.order
    if order.price_ticks:
        price = units.format_price(order.price_ticks)
        amount = units.format_size(order.size_lots)
    else:
        price = "0"
        amount = (
            units.format_quote(order.quote_units)
            if order.quote_units
            else (units.format_size(order.size_lots))
        )
    expiration = 0
    if record.expires_at_ns:
        expiration = max(0, (record.expires_at_ns - record.create_time_ns) // NS_PER_S)
    return shapes.PriceOrder(
        trigger=shapes.PriceOrderTrigger(
            price=units.format_price(record.trigger_price_ticks),
            rule=RULE_WORDS[record.rule],
            expiration=expiration,
        ),
        put=shapes.PriceOrderPut(
            type="limit" if order.price_ticks else "market",
            side=SIDE_WORDS[order.side],
            price=price,
            amount=amount,
            account="normal",
            time_in_force=TIF_WORDS[order.tif],
            auto_borrow=False,
            auto_repay=False,
            text=order.text,
        ),
        id=record.trigger_id,
        user=record.account,
        market=record.market,
        ctime=int(seconds_text(record.create_time_ns)),
        ftime=int(seconds_text(record.finish_time_ns)) if record.finish_time_ns else 0,
        fired_order_id=record.fired_order_id,
        status=record.status,
        reason=record.reason,
    )


def _view(call: Call, record: TriggerRecord) -> shapes.PriceOrder:
    return price_order_view(record, state_of(call).markets[record.market])


async def create_price_order(call: Call) -> shapes.PriceOrderCreated:
    body: shapes.PriceOrderRequest = call.body
    market = state_of(call).require_market(body.market)
    units = market.units
    put = body.put
    side = SIDES[put.side]
    quote_units = 0
    if put.type == "limit":
        tif = GTC if put.time_in_force == "gtc" else IOC
        price_ticks = units.parse_price(put.price)
        size_lots = units.parse_size(put.amount)
    else:  # a market order fires immediate-or-cancel; a buy is sized in quote currency
        tif = IOC
        price_ticks = 0
        if side == BUY:
            size_lots = 0
            quote_units = units.parse_quote_amount(put.amount)
        else:
            size_lots = units.parse_size(put.amount)
    order = PlaceOrder(
        account=call.account, market=market.spec.name, side=side, price_ticks=price_ticks,
        size_lots=size_lots, tif=tif, quote_units=quote_units, text=client_text(put.text),
    )  # fmt: skip
    trigger = body.trigger
    expires_at_ns = 0
    if trigger.expiration:
        expires_at_ns = venue_now_ns(call) + trigger.expiration * NS_PER_S
    command = PlaceTriggerOrder(
        account=call.account,
        market=market.spec.name,
        trigger_price_ticks=units.parse_price(trigger.price),
        rule=RULES[trigger.rule],
        expires_at_ns=expires_at_ns,
        order=order,
    )
    events = await call.submit(command)
    placed = next(e for e in events if type(e) is TriggerPlaced)
    return shapes.PriceOrderCreated(id=placed.trigger_id)


async def list_price_orders(call: Call) -> list[shapes.PriceOrder]:
    query: shapes.PriceOrdersQuery = call.query
    history = projections_of(call).triggers
    if query.market is not None:
        state_of(call).require_market(query.market)
    if query.status == "open":
        records = iter(history.open_for(call.account))
    else:
        records = history.finished_newest_first(call.account)
    chosen = (r for r in records if query.market is None or r.market == query.market)
    return [_view(call, r) for r in window(chosen, query.offset, query.limit)]


def _require(call: Call, trigger_ref: str) -> TriggerRecord:
    record = projections_of(call).triggers.find(call.account, int(trigger_ref))
    if record is None:
        raise ApiError(ORDER_NOT_FOUND, f"price order {trigger_ref} not found")
    return record


async def get_price_order(call: Call) -> shapes.PriceOrder:
    return _view(call, _require(call, call.path.order_id))


async def cancel_price_order(call: Call) -> shapes.PriceOrder:
    record = _require(call, call.path.order_id)
    if record.status != OPEN:
        raise ApiError(ORDER_NOT_FOUND, f"price order {record.trigger_id} is {record.status}")
    await call.submit(CancelTriggerOrder(call.account, record.market, record.trigger_id))
    return _view(call, _require(call, call.path.order_id))


async def cancel_price_orders(call: Call) -> list[shapes.PriceOrder]:
    query: shapes.CancelPriceOrdersQuery = call.query
    if query.market is not None:
        state_of(call).require_market(query.market)
    history = projections_of(call).triggers
    mine = history.open_for(call.account)
    doomed = [r for r in mine if query.market is None or r.market == query.market]
    out: list[shapes.PriceOrder] = []
    for record in doomed:
        await call.submit(CancelTriggerOrder(call.account, record.market, record.trigger_id))
        out.append(_view(call, record))
    return out


def _ep(method: str, path: str, handler: Handler, summary: str, **kwargs: Any) -> Endpoint:
    return Endpoint(method, V4 + path, handler, "signed", summary, TAG, **kwargs)


ENDPOINTS: Final = [
    _ep("POST", "/spot/price_orders", create_price_order, "Place a price-triggered order",
        body=shapes.PriceOrderRequest, response=shapes.PriceOrderCreated, status=201),
    _ep("GET", "/spot/price_orders", list_price_orders, "List price-triggered orders",
        query=shapes.PriceOrdersQuery, response=list[shapes.PriceOrder]),
    _ep("DELETE", "/spot/price_orders", cancel_price_orders, "Cancel open price-triggered orders",
        query=shapes.CancelPriceOrdersQuery, response=list[shapes.PriceOrder]),
    _ep("GET", "/spot/price_orders/{order_id}", get_price_order, "One price-triggered order",
        path_params=shapes.PriceOrderPath, response=shapes.PriceOrder),
    _ep("DELETE", "/spot/price_orders/{order_id}", cancel_price_order,
        "Cancel a price-triggered order", path_params=shapes.PriceOrderPath,
        response=shapes.PriceOrder),
]  # fmt: skip
