"""Gate's spot WebSocket API: spot.login, order_place, order_cancel, order_cancel_ids,
order_cancel_cp, order_amend and order_status.

Each call runs the REST handler Gate names for it (`rest_bridge`), with the facts this gateway
observed (`Facts(channel="ws", ip, country, api_key)`), so every change is a command through the
sequencer, decided by the policy gate, journaled before it is answered, and answered with the
same order object and error labels as REST. `spot.order_place` answers twice, as Gate does: an
ack as soon as the request is read, then the result.
"""

from __future__ import annotations

from typing import Any

import msgspec

from clearhouse.api.errors import INVALID_KEY, INVALID_PARAM_VALUE, ApiError, from_rejected
from clearhouse.api.params import parse_body
from clearhouse.api.rest import shapes, spot_orders
from clearhouse.api.runtime import Runtime
from clearhouse.api.ws.registry import ApiCall, Registry
from clearhouse.api.ws.rest_bridge import rest_call
from clearhouse.core.errors import Rejected


class OrderRef(msgspec.Struct, frozen=True):
    """spot.order_cancel and spot.order_status."""

    order_id: shapes.OrderIdText
    currency_pair: shapes.PairId
    account: shapes.SpotAccountName = "spot"
    action_mode: str = "FULL"


class AmendRequest(msgspec.Struct, frozen=True):
    order_id: shapes.OrderIdText
    currency_pair: shapes.PairId
    amount: shapes.DecimalText | None = None
    price: shapes.DecimalText | None = None
    amend_text: shapes.ShortText = ""
    account: shapes.SpotAccountName = "spot"
    action_mode: str = "FULL"


class CancelPairRequest(msgspec.Struct, frozen=True):
    currency_pair: shapes.PairId
    side: shapes.SideWord | None = None
    account: shapes.SpotAccountName = "spot"
    action_mode: str = "FULL"


class WsOrderRequest(shapes.OrderRequest, forbid_unknown_fields=False):
    """The REST order body, except that unknown fields are ignored: Gate's WebSocket API
    ignores them and ccxt sends its own `textIsRequired` flag along."""


OrderPlacement = WsOrderRequest | list[WsOrderRequest]


class SpotApi:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def register(self, registry: Registry) -> None:
        registry.add_api("spot.login", self.login, public=True)
        registry.add_api("spot.order_place", self.order_place)
        registry.add_api("spot.order_cancel", self.order_cancel)
        registry.add_api("spot.order_cancel_ids", self.order_cancel_ids)
        registry.add_api("spot.order_cancel_cp", self.order_cancel_cp)
        registry.add_api("spot.order_amend", self.order_amend)
        registry.add_api("spot.order_status", self.order_status)

    def _call(self, call: ApiCall, **parts: Any) -> Any:
        session = call.session
        assert session is not None  # the endpoint refuses session-less calls
        facts = call.conn.facts(session.key)
        return rest_call(self.runtime, facts, session.account, **parts)

    async def login(self, call: ApiCall) -> None:
        if not call.signed or call.session is None:
            raise ApiError(INVALID_KEY, "spot.login needs api_key, signature and timestamp")
        call.conn.session = call.session
        call.ok({"api_key": call.session.key, "uid": str(call.session.account)})

    async def order_place(self, call: ApiCall) -> None:
        call.ack(msgspec.Raw(call.req_param) if call.req_param else None)
        placement = parse_body(call.req_param, OrderPlacement)
        if not isinstance(placement, list):
            order = await spot_orders.create_order(self._call(call, body=placement))
            if placement.action_mode == "ACK":
                call.ok({"id": order.id, "text": order.text, "amend_text": order.amend_text})
            else:
                call.ok(order)
            return
        limit = call.conn.limits.max_batch_orders
        if not 0 < len(placement) <= limit:
            raise ApiError(INVALID_PARAM_VALUE, f"a batch holds 1 to {limit} orders")
        results: list[dict[str, Any]] = []
        for body in placement:
            try:
                placed = await spot_orders.create_order(self._call(call, body=body))
            except (ApiError, Rejected) as error:
                failed = error if isinstance(error, ApiError) else from_rejected(error)
                results.append({"succeeded": False, "label": failed.label,
                                "message": failed.message, "text": body.text or ""})  # fmt: skip
                continue
            results.append({"succeeded": True, **msgspec.structs.asdict(placed)})
        call.ok(results)

    async def order_cancel(self, call: ApiCall) -> None:
        ref = parse_body(call.req_param, OrderRef)
        rest = self._call(
            call,
            path=shapes.OrderPath(ref.order_id),
            query=shapes.CancelOrderQuery(ref.currency_pair, ref.account),
        )
        call.ok(await spot_orders.cancel_order(rest))

    async def order_cancel_ids(self, call: ApiCall) -> None:
        items = parse_body(call.req_param, shapes.CancelBatchRequest)
        call.ok(await spot_orders.cancel_batch(self._call(call, body=items)))

    async def order_cancel_cp(self, call: ApiCall) -> None:
        request = parse_body(call.req_param, CancelPairRequest)
        query = shapes.CancelAllQuery(request.currency_pair, request.side, request.account)
        call.ok(await spot_orders.cancel_all(self._call(call, query=query)))

    async def order_amend(self, call: ApiCall) -> None:
        amend = parse_body(call.req_param, AmendRequest)
        query = shapes.AmendParams(amend.currency_pair, amend.account, amend.amount, amend.price)
        rest = self._call(call, path=shapes.OrderPath(amend.order_id), query=query)
        call.ok(await spot_orders.amend_order(rest))

    async def order_status(self, call: ApiCall) -> None:
        ref = parse_body(call.req_param, OrderRef)
        rest = self._call(
            call,
            path=shapes.OrderPath(ref.order_id),
            query=shapes.OrderLookupQuery(ref.currency_pair, ref.account),
        )
        call.ok(await spot_orders.get_order(rest))
