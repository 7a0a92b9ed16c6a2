"""Identities and accounts: every account has an owner; a sub-account has a parent and a
beneficial owner, and every order carries the beneficial owner into matching."""

from __future__ import annotations

from typing import Final

from clearhouse.core.book import Order

PERSON: Final = "person"
BUSINESS: Final = "business"
PARTY_KINDS: Final = (PERSON, BUSINESS)

ACTIVE: Final = "active"
FROZEN: Final = "frozen"  # no trading, no withdrawals; set by compliance decisions

MAX_SUB_ACCOUNTS: Final = 200
MAX_NAME_CHARS: Final = 200


class Party:
    """A person or business known to the venue (the compliance issue adds KYC evidence)."""

    __slots__ = (
        "party_id",
        "kind",
        "name",
        "country",
        "external_ref",
        "kyc_tier",
        "status",
        "email",
    )

    def __init__(
        self, party_id: int, kind: str, name: str, country: str, external_ref: str
    ) -> None:
        self.party_id = party_id
        self.email = ""
        self.kind = kind
        self.name = name
        self.country = country
        self.external_ref = external_ref
        self.kyc_tier = 0
        self.status = ACTIVE


class Account:
    __slots__ = (
        "account_id",
        "owner",
        "parent",
        "beneficial_owner",
        "label",
        "fee_tier",
        "stp_group",
        "status",
        "open_orders",
        "sub_accounts",
    )

    def __init__(
        self, account_id: int, owner: int, parent: int, beneficial_owner: int, label: str
    ) -> None:
        self.account_id = account_id
        self.owner = owner
        self.parent = parent
        self.beneficial_owner = beneficial_owner
        self.label = label
        self.fee_tier = 0
        self.stp_group = 0
        self.status = ACTIVE
        self.open_orders: dict[int, Order] = {}
        self.sub_accounts: list[int] = []

    @property
    def master(self) -> int:
        return self.parent or self.account_id
