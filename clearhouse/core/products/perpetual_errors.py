"""Gate v4 futures error labels used by the perpetual engine (REFERENCE.md §1), plus one of our
own for a TradFi contract outside its trading session (Gate has none)."""

from __future__ import annotations

from typing import Final

CONTRACT_NOT_FOUND: Final = "CONTRACT_NOT_FOUND"
INSUFFICIENT_AVAILABLE: Final = "INSUFFICIENT_AVAILABLE"
PRICE_TOO_DEVIATED: Final = "PRICE_TOO_DEVIATED"
PRICE_OVER_LIQUIDATION: Final = "PRICE_OVER_LIQUIDATION"  # a close beyond the bankruptcy price
SIZE_TOO_LARGE: Final = "SIZE_TOO_LARGE"
SIZE_TOO_SMALL: Final = "SIZE_TOO_SMALL"
INCREASE_POSITION: Final = "INCREASE_POSITION"  # a reduce-only order would open or grow
REDUCE_EXCEEDED: Final = "REDUCE_EXCEEDED"  # reduce-only orders would close more than is held
POSITION_EMPTY: Final = "POSITION_EMPTY"
POSITION_HOLDING: Final = "POSITION_HOLDING"  # mode change with positions open
ORDER_PENDING: Final = "ORDER_PENDING"  # mode change with orders open
POSITION_CROSS_MARGIN: Final = "POSITION_CROSS_MARGIN"  # isolated-margin change on cross
POSITION_DUAL_MODE: Final = "POSITION_DUAL_MODE"
REMOVE_TOO_MUCH: Final = "REMOVE_TOO_MUCH"
LEVERAGE_TOO_HIGH: Final = "LEVERAGE_TOO_HIGH"
LEVERAGE_TOO_LOW: Final = "LEVERAGE_TOO_LOW"
LIQUIDATE_IMMEDIATELY: Final = "LIQUIDATE_IMMEDIATELY"
RISK_LIMIT_EXCEEDED: Final = "RISK_LIMIT_EXCEEDED"
ORDER_FOK: Final = "ORDER_FOK"
MARKET_CLOSED: Final = "MARKET_CLOSED"  # outside the contract's trading sessions
