"""Gate's WebSocket push shapes, built on the REST views so both transports agree field by field.

The pushes differ from the REST objects in small ways Gate documents: `spot.orders` entries
carry `user`, `event` (put / update / finish) and millisecond times as strings; trade pushes
carry integer ids and seconds and the per-market `id_market`.
"""

from __future__ import annotations

from typing import Any

import msgspec

from clearhouse.api.rest.views import (
    SIDE_WORDS,
    millis_fraction_text,
    my_trade_view,
    order_view,
    public_trade_view,
    record_of_open_order,
)
from clearhouse.core.book import BUY, SELL, Order
from clearhouse.core.events import OrderAccepted, OrderClosed, Traded
from clearhouse.core.products.spot_market import SpotMarketState
from clearhouse.projections.orders import OrderRecord
from clearhouse.projections.user_trades import MAKER, TAKER, UserTrade

__all__ = ["record_of_open_order"]


def record_of_accepted(event: OrderAccepted) -> OrderRecord:
    """The order as it was accepted, before it traded."""
    return OrderRecord(
        event.order_id, event.account, event.market, event.side, event.price_ticks,
        event.size_lots, event.quote_units, event.tif, event.display_lots, 0, event.text,
        event.time_ns,
    )  # fmt: skip


def record_of_closed(order: Order | OrderRecord, event: OrderClosed) -> OrderRecord:
    """An order as its closing event left it (as the order-history projection files it)."""
    record = record_of_open_order(order) if isinstance(order, Order) else order
    record.filled_lots = event.filled_lots
    record.filled_quote_units = event.filled_quote_units
    record.fee_units = event.fee_units
    record.finish_as = event.finish_as
    record.update_time_ns = event.time_ns
    if record.size_lots:
        record.remaining_lots = record.size_lots - event.filled_lots
    return record


def ws_order(
    market: SpotMarketState, record: OrderRecord, stp_group: int, event: str
) -> dict[str, Any]:
    """One entry of a `spot.orders` push; `event` is put, update or finish."""
    out = msgspec.structs.asdict(order_view(record, market, stp_group))
    out["create_time_ms"] = str(out["create_time_ms"])
    out["update_time_ms"] = str(out["update_time_ms"])
    out["user"] = record.account
    out["event"] = event
    out["biz_info"] = "-"
    return out


def public_trade(market: SpotMarketState, trade: Traded) -> dict[str, Any]:
    out = msgspec.structs.asdict(public_trade_view(trade, market.units))
    out["id"] = trade.trade_id
    out["id_market"] = trade.trade_id
    out["create_time"] = trade.time_ns // 1_000_000_000
    out["range"] = f"{trade.trade_id}-{trade.trade_id}"
    return out


def user_trade(market: SpotMarketState, trade: Traded, maker: bool, text: str) -> dict[str, Any]:
    if maker:
        side = SELL if trade.taker_side == BUY else BUY
        fill = UserTrade(trade, MAKER, side, trade.maker_order, trade.maker_fee_units, text)
    else:
        fill = UserTrade(
            trade, TAKER, trade.taker_side, trade.taker_order, trade.taker_fee_units, text
        )
    out = msgspec.structs.asdict(my_trade_view(fill, market))
    out["id"] = trade.trade_id
    out["user_id"] = trade.maker_account if maker else trade.taker_account
    out["create_time"] = trade.time_ns // 1_000_000_000
    out["create_time_ms"] = millis_fraction_text(trade.time_ns)
    out["id_market"] = trade.trade_id
    out["side"] = SIDE_WORDS[fill.side]
    return out
