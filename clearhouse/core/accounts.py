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
# Party statuses besides ACTIVE (core/compliance/kyc.py): a party held for a compliance review
# or blocked may neither trade nor withdraw; a business any of whose owners is blocked is blocked.
REVIEW: Final = "review"
BLOCKED: Final = "blocked"

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
        "orders_head",
        "open_order_count",
        "open_orders_by_market",
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
        # open orders as an intrusive list through the orders themselves: O(1) add and remove
        # with no per-order index entry (memory per resting order is a budget)
        self.orders_head: Order | None = None
        self.open_order_count = 0
        self.open_orders_by_market: dict[str, int] = {}  # for per-market open-order limits
        self.sub_accounts: list[int] = []

    def link_order(self, order: Order) -> None:
        head = self.orders_head
        order.account_prev = None
        order.account_next = head
        if head is not None:
            head.account_prev = order
        self.orders_head = order
        self.open_order_count += 1
        counts = self.open_orders_by_market
        counts[order.market] = counts.get(order.market, 0) + 1

    def unlink_order(self, order: Order) -> None:
        prev = order.account_prev
        nxt = order.account_next
        if prev is None:
            assert self.orders_head is order, "order not linked to this account"
            self.orders_head = nxt
        else:
            prev.account_next = nxt
        if nxt is not None:
            nxt.account_prev = prev
        order.account_prev = None
        order.account_next = None
        self.open_order_count -= 1
        self.open_orders_by_market[order.market] -= 1

    def iter_open_orders(self) -> list[Order]:
        """Open orders, oldest first."""
        out: list[Order] = []
        order = self.orders_head
        while order is not None:
            out.append(order)
            order = order.account_next
        out.reverse()
        return out

    @property
    def open_orders(self) -> dict[int, Order]:
        """Open orders by id (a fresh dict: for reads, not the hot path)."""
        return {order.order_id: order for order in self.iter_open_orders()}

    @property
    def master(self) -> int:
        return self.parent or self.account_id
