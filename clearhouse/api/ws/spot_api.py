"""Gate's spot WebSocket API: spot.login, order_place, order_cancel, order_cancel_ids,
order_cancel_cp, order_amend and order_status.

Each call runs the REST handler Gate names for it (`rest_bridge`), with the facts this gateway
observed (`Facts(channel="ws", ip, country, api_key)`), so every change is a command through the
sequencer, decided by the policy gate, journaled before it is answered, and answered with the
same order object and error labels as REST. `spot.order_place` answers twice, as Gate does: an
ack as soon as the request is read, then the result.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import msgspec

from clearhouse.api import geofence
from clearhouse.api.endpoint import Call, settled
from clearhouse.api.errors import INVALID_KEY, INVALID_PARAM_VALUE, ApiError, from_rejected
from clearhouse.api.params import parse_body
from clearhouse.api.rest import shapes, spot_orders
from clearhouse.api.runtime import Runtime
from clearhouse.api.ws.registry import ApiCall, Registry
from clearhouse.api.ws.rest_bridge import rest_call
from clearhouse.core.commands import CancelOrder, PlaceOrder
from clearhouse.core.errors import Rejected
from clearhouse.core.events import Event
from clearhouse.core.products.spot_market import SpotMarketState


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
        registry.add_direct_api("spot.order_place", self.order_place)
        registry.add_direct_api("spot.order_cancel", self.order_cancel)
        registry.add_api("spot.order_cancel_ids", self.order_cancel_ids)
        registry.add_api("spot.order_cancel_cp", self.order_cancel_cp)
        registry.add_api("spot.order_amend", self.order_amend)
        registry.add_api("spot.order_status", self.order_status)

    def _call(self, call: ApiCall, **parts: Any) -> Call:
        session = call.session
        assert session is not None  # the endpoint refuses session-less calls
        facts = call.conn.facts(session.key)
        return rest_call(self.runtime, facts, session.account, **parts)

    async def login(self, call: ApiCall) -> None:
        if not call.signed or call.session is None:
            raise ApiError(INVALID_KEY, "spot.login needs api_key, signature and timestamp")
        refused = geofence.login_refusal(self.runtime.venue.engine.state, call.conn.ip)
        if refused is not None:  # VPN / Tor / hosting lists
            raise refused
        call.conn.session = call.session
        call.ok({"api_key": call.session.key, "uid": str(call.session.account)})

    # order_place and order_cancel are direct handlers (registry.DirectHandler): they validate
    # and submit at once and answer from the submission's done-callback, like the REST handler
    # they share the steps of (command, submit, view), without a task per request.
    def order_place(self, call: ApiCall) -> asyncio.Future[Any] | None:
        call.ack(msgspec.Raw(call.req_param) if call.req_param else None)
        placement = parse_body(call.req_param, OrderPlacement)
        if isinstance(placement, list):
            return call.answer_later(self._place_batch(call, placement))
        rest = self._call(call, body=placement)
        command = spot_orders.place_order_command(rest, placement)
        done = rest.submit_nowait(command)
        ack_only = placement.action_mode == "ACK"
        done.add_done_callback(functools.partial(self._placed, call, rest, command, ack_only))
        return done

    def _placed(
        self, call: ApiCall, rest: Call, command: PlaceOrder, ack_only: bool,
        done: asyncio.Future[list[Event]],
    ) -> None:  # fmt: skip
        if done.cancelled():
            return
        try:
            order = spot_orders.placed_view(rest, command, settled(done))
        except Exception as error:
            call.refuse(error)
            return
        if ack_only:
            call.ok({"id": order.id, "text": order.text, "amend_text": order.amend_text})
        else:
            call.ok(order)

    async def _place_batch(self, call: ApiCall, placement: list[WsOrderRequest]) -> None:
        """The orders go to the sequencer together, in order, for one durable wait; each is
        answered on its own as it would be alone (an order refused does not stop the others)."""
        limit = call.conn.limits.max_batch_orders
        if not 0 < len(placement) <= limit:
            raise ApiError(INVALID_PARAM_VALUE, f"a batch holds 1 to {limit} orders")
        submitted: list[tuple[Call, PlaceOrder, asyncio.Future[list[Event]]] | Exception] = []
        for body in placement:
            rest = self._call(call, body=body)
            try:
                command = spot_orders.place_order_command(rest, body)
                submitted.append((rest, command, rest.submit_nowait(command)))
            except (ApiError, Rejected) as error:
                submitted.append(error)
        pending = [entry[2] for entry in submitted if isinstance(entry, tuple)]
        if pending:
            await asyncio.wait(pending)
        results: list[dict[str, Any]] = []
        for body, entry in zip(placement, submitted, strict=True):
            try:
                if isinstance(entry, Exception):
                    raise entry
                placed = spot_orders.placed_view(entry[0], entry[1], settled(entry[2]))
            except (ApiError, Rejected) as error:
                failed = error if isinstance(error, ApiError) else from_rejected(error)
                results.append({"succeeded": False, "label": failed.label,
                                "message": failed.message, "text": body.text or ""})  # fmt: skip
                continue
            results.append({"succeeded": True, **msgspec.structs.asdict(placed)})
        call.ok(results)

    def order_cancel(self, call: ApiCall) -> asyncio.Future[Any] | None:
        ref = parse_body(call.req_param, OrderRef)
        rest = self._call(
            call,
            path=shapes.OrderPath(ref.order_id),
            query=shapes.CancelOrderQuery(ref.currency_pair, ref.account),
        )
        command, market = spot_orders.cancel_order_command(rest)
        done = rest.submit_nowait(command)
        done.add_done_callback(functools.partial(self._cancelled, call, rest, command, market))
        return done

    def _cancelled(
        self, call: ApiCall, rest: Call, command: CancelOrder, market: SpotMarketState,
        done: asyncio.Future[list[Event]],
    ) -> None:  # fmt: skip
        if done.cancelled():
            return
        try:
            settled(done)
            order = spot_orders.cancelled_view(rest, command, market)
        except Exception as error:
            call.refuse(error)
            return
        call.ok(order)

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
