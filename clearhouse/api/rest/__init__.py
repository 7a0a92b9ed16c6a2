"""Gate API v4 REST routes under /api/v4, one module per area; a product adds its module here."""

from __future__ import annotations

from clearhouse.api.endpoint import Endpoint
from clearhouse.api.rest import (
    account,
    market_data,
    pending_products,
    price_orders,
    spot_orders,
    wallet,
)


def endpoints() -> list[Endpoint]:
    return [
        *market_data.ENDPOINTS,
        *account.ENDPOINTS,
        *spot_orders.ENDPOINTS,
        *price_orders.ENDPOINTS,
        *wallet.ENDPOINTS,
        *pending_products.ENDPOINTS,
    ]
