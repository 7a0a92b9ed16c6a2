"""Listings of products the venue does not offer yet: futures, delivery and options contracts.

ccxt's `load_markets` asks for every product type and fails on an error, so until those products
land (each with its own module of endpoints, like `spot_orders.py`) these answer with empty
lists: true, and enough for spot clients that change nothing but the base URL.
"""

from __future__ import annotations

from typing import Any, Final

from clearhouse.api.endpoint import Call, Endpoint
from clearhouse.api.rest import shapes

V4: Final = "/api/v4"
TAG: Final = "listings"


async def no_listings(call: Call) -> list[dict[str, Any]]:
    return []


ENDPOINTS: Final = [
    Endpoint("GET", V4 + "/futures/{settle}/contracts", no_listings, "public",
             "Perpetual contracts (none listed yet)", TAG, path_params=shapes.SettlePath,
             response=list[dict[str, Any]]),
    Endpoint("GET", V4 + "/delivery/{settle}/contracts", no_listings, "public",
             "Delivery contracts (none listed yet)", TAG, path_params=shapes.SettlePath,
             response=list[dict[str, Any]]),
    Endpoint("GET", V4 + "/options/underlyings", no_listings, "public",
             "Option underlyings (none listed yet)", TAG, response=list[dict[str, Any]]),
]  # fmt: skip
