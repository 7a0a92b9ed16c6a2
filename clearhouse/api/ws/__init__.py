"""Gate v4 WebSocket gateway: `/ws/v4/` for spot (ccxt's `ccxt.pro.gate` connects here).

    client frame -> endpoint (decode, auth) -> subscribe:  hub.subscribe(topic keys)
                                            -> api call:   sequencer.submit(command, facts)
    venue applies a command -> hub.on_events(events) -> feeds -> connection send queues
                                                    -> writer task per connection -> client

Mount with `routes += websocket_routes(runtime)`. The perpetuals and options issues add their
registries (`futures.*`, `options.*` channels) on `/v4/ws/usdt` the same way `spot_registry`
builds the spot one.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, WebSocketRoute

from clearhouse.api.runtime import Runtime
from clearhouse.api.ws.endpoint import make_endpoint
from clearhouse.api.ws.hub import Hub
from clearhouse.api.ws.limits import DEFAULT_LIMITS, WsLimits
from clearhouse.api.ws.registry import Registry
from clearhouse.api.ws.signing import KeyChecker
from clearhouse.api.ws.spot_api import SpotApi
from clearhouse.api.ws.spot_books import ObuChannel, OrderBookChannel, OrderBookUpdateChannel
from clearhouse.api.ws.spot_private import (
    BalancesChannel,
    OpenOrders,
    OrdersChannel,
    UserTradesChannel,
)
from clearhouse.api.ws.spot_public import (
    BookTickerChannel,
    CandlesticksChannel,
    TickersChannel,
    TradesChannel,
)

SPOT_PATHS = ("/ws/v4/", "/ws/v4")

__all__ = ["WsGateway", "WsLimits", "websocket_routes"]


class WsGateway:
    """The hub, the registries and their routes, built once per application."""

    def __init__(self, runtime: Runtime, limits: WsLimits = DEFAULT_LIMITS) -> None:
        self.runtime = runtime
        checker = KeyChecker(
            runtime.venue, runtime.master_key, limits.request_window_s, limits.secret_cache_entries
        )
        self.hub = Hub(runtime, limits, checker)
        self.spot = self.spot_registry()

    def spot_registry(self) -> Registry:
        hub = self.hub
        registry = Registry("spot")
        open_orders = OpenOrders(hub)
        for channel in (
            TradesChannel(hub),
            TickersChannel(hub),
            BookTickerChannel(hub),
            CandlesticksChannel(hub),
            OrderBookChannel(hub),
            OrderBookUpdateChannel(hub),
            ObuChannel(hub),
            OrdersChannel(hub, open_orders),
            UserTradesChannel(hub),
            BalancesChannel(hub),
        ):
            registry.add_channel(channel)
        SpotApi(self.runtime).register(registry)
        return registry

    def routes(self) -> list[BaseRoute]:
        endpoint = make_endpoint(self.hub, self.spot, self.runtime.client_address)
        return [WebSocketRoute(path, endpoint) for path in SPOT_PATHS]


def websocket_routes(runtime: Runtime, limits: WsLimits = DEFAULT_LIMITS) -> list[BaseRoute]:
    return WsGateway(runtime, limits).routes()
