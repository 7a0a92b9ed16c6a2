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

# Compliance: sanctions screening and the Travel Rule (no Gate equivalent; clear names instead).
SANCTIONS_BLOCKED = "SANCTIONS_BLOCKED"  # a party behind the account is blocked by screening
SANCTIONS_REVIEW = "SANCTIONS_REVIEW"  # a party behind the account awaits a screening review
ADDRESS_SANCTIONED = "ADDRESS_SANCTIONED"  # the destination address is on a sanctions list
TRAVEL_RULE_REQUIRED = "TRAVEL_RULE_REQUIRED"  # originator/beneficiary data missing
TRAVEL_RULE_INVALID = "TRAVEL_RULE_INVALID"  # the data breaks an IVMS101 / FATF R.16 rule

# Compliance: identities, KYC and jurisdictions (Gate's label where it has one).
KYC_REQUIRED = "KYC_REQUIRED"  # unverified (tier 0): no trading, no withdrawal
JURISDICTION_BLOCKED = "JURISDICTION_BLOCKED"  # the verified country is on the blocked list
JURISDICTION_RESTRICTED = "JURISDICTION_RESTRICTED"  # KYC or IP country restricted: no trading
STEP_UP_REQUIRED = "STEP_UP_REQUIRED"  # a sensitive action needs a verified second factor
WITHDRAWAL_OVER_LIMIT = "WITHDRAWAL_OVER_LIMIT"  # Gate's label: the 24 h allowance is used up
