"""The one way a command fails: `Rejected(label, message)`.

Labels are Gate API v4 error labels (REFERENCE.md §1) so the gateway can pass them to clients
unchanged and ccxt maps them to its typed exceptions.
"""

from __future__ import annotations


class Rejected(Exception):
    """A command was refused before it changed anything."""

    def __init__(self, label: str, message: str) -> None:
        super().__init__(f"{label}: {message}")
        self.label = label
        self.message = message


# Gate v4 labels used by the core. Keeping them as named constants catches typos at import time.
INVALID_PARAM_VALUE = "INVALID_PARAM_VALUE"
INVALID_PRECISION = "INVALID_PRECISION"
INVALID_CURRENCY = "INVALID_CURRENCY"
INVALID_CURRENCY_PAIR = "INVALID_CURRENCY_PAIR"
AMOUNT_TOO_LITTLE = "AMOUNT_TOO_LITTLE"
AMOUNT_TOO_MUCH = "AMOUNT_TOO_MUCH"
BALANCE_NOT_ENOUGH = "BALANCE_NOT_ENOUGH"
ORDER_NOT_FOUND = "ORDER_NOT_FOUND"
ORDER_CLOSED = "ORDER_CLOSED"
POC_FILL_IMMEDIATELY = "POC_FILL_IMMEDIATELY"
FOK_NOT_FILL = "FOK_NOT_FILL"
TOO_MANY_ORDERS = "TOO_MANY_ORDERS"
REPEATED_CREATION = "REPEATED_CREATION"
USER_NOT_FOUND = "USER_NOT_FOUND"
SUB_ACCOUNT_NOT_FOUND = "SUB_ACCOUNT_NOT_FOUND"
FORBIDDEN = "FORBIDDEN"
ACCOUNT_LOCKED = "ACCOUNT_LOCKED"
TRADE_RESTRICTED = "TRADE_RESTRICTED"
NO_CHANGE = "NO_CHANGE"
INVALID_ARGUMENT = "INVALID_ARGUMENT"
