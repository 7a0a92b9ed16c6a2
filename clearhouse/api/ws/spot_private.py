"""Private spot channels: spot.orders, spot.usertrades, spot.balances.

A subscription belongs to the account of the key that signed it; keys look like
"spot.orders|<account>|<pair or !all>". Pushes are built once per command and account:
`spot.orders` carries one entry per order the command touched (`put` when accepted, `update`
when it traded or was amended and stays open, `finish` when it closed); `spot.balances` one entry
per currency whose available or frozen amount the command changed.

To describe an order that has just left the book (a maker filled, a cancelled order) the feed
holds references to the open orders of subscribed accounts, taken when they are accepted (or at
subscription time) and dropped when they close; the engine bounds how many there can be.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, ClassVar

from clearhouse.api.ws import frames
from clearhouse.api.ws.frames import ERR_BAD_ARGUMENT, FrameError
from clearhouse.api.ws.hub import Hub
from clearhouse.api.ws.registry import Channel
from clearhouse.api.ws.signing import Session
from clearhouse.api.ws.spot_public import require_market
from clearhouse.api.ws.ws_shapes import (
    record_of_accepted,
    record_of_closed,
    record_of_open_order,
    user_trade,
    ws_order,
)
from clearhouse.core.book import Order
from clearhouse.core.events import (
    Deposited,
    OrderAccepted,
    OrderAmended,
    OrderClosed,
    Traded,
    Transferred,
    WithdrawalApproved,
    WithdrawalRejected,
    WithdrawalRequested,
)
from clearhouse.core.ledger import AVAILABLE, HOLD
from clearhouse.core.units import format_units

ALL = "!all"


def account_topics(hub: Hub, channel: str, topics: list[str] | None, session: Session | None
                   ) -> list[str]:  # fmt: skip
    assert session is not None  # private channels always have one
    names = topics or [ALL]
    out = []
    for name in names:
        pair = ALL if name == ALL else require_market(hub, name).spec.name
        out.append(f"{channel}|{session.account}|{pair}")
    return out


def account_of_key(key: str) -> int:
    return int(key.split("|")[1])


class OpenOrders:
    """Open orders of accounts someone is watching, by reference (see module docstring)."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.by_account: dict[int, dict[int, Order]] = {}
        self._watchers: dict[int, int] = {}

    def retain(self, account: int) -> None:
        count = self._watchers.get(account, 0)
        self._watchers[account] = count + 1
        if count == 0:
            owner = self.hub.venue.engine.state.accounts.get(account)
            orders = owner.iter_open_orders() if owner is not None else []
            self.by_account[account] = {order.order_id: order for order in orders}

    def release(self, account: int) -> None:
        count = self._watchers.get(account, 0) - 1
        if count > 0:
            self._watchers[account] = count
        else:
            self._watchers.pop(account, None)
            self.by_account.pop(account, None)


@dataclass
class _Touched:
    accepted: OrderAccepted | None = None
    traded: bool = False
    amended: bool = False
    closed: OrderClosed | None = None


class OrdersChannel(Channel):
    name: ClassVar[str] = "spot.orders"
    private: ClassVar[bool] = True

    def __init__(self, hub: Hub, open_orders: OpenOrders) -> None:
        super().__init__(hub)
        self.open_orders = open_orders
        self._touched: dict[tuple[int, int], _Touched] = {}
        hub.watch(self.name, self)
        hub.on(OrderAccepted, self.on_accepted)
        hub.on(Traded, self.on_traded)
        hub.on(OrderAmended, self.on_amended)
        hub.on(OrderClosed, self.on_closed)

    def keys(self, topics: list[str] | None, session: Session | None) -> list[str]:
        return account_topics(self.hub, self.name, topics, session)

    def on_first(self, key: str) -> None:
        self.open_orders.retain(account_of_key(key))

    def on_last(self, key: str) -> None:
        self.open_orders.release(account_of_key(key))

    def _touch(self, account: int, order_id: int) -> _Touched | None:
        if account not in self.open_orders.by_account:
            return None
        touched = self._touched.get((account, order_id))
        if touched is None:
            if not self._touched:
                self.hub.mark_dirty(self)
            touched = self._touched[(account, order_id)] = _Touched()
        return touched

    def on_accepted(self, event: OrderAccepted) -> None:
        touched = self._touch(event.account, event.order_id)
        if touched is not None:
            touched.accepted = event

    def on_traded(self, event: Traded) -> None:
        for account, order_id in (
            (event.maker_account, event.maker_order),
            (event.taker_account, event.taker_order),
        ):
            touched = self._touch(account, order_id)
            if touched is not None:
                touched.traded = True

    def on_amended(self, event: OrderAmended) -> None:
        touched = self._touch(event.account, event.order_id)
        if touched is not None:
            touched.amended = True

    def on_closed(self, event: OrderClosed) -> None:
        touched = self._touch(event.account, event.order_id)
        if touched is not None:
            touched.closed = event

    def end_command(self) -> None:
        state = self.hub.venue.engine.state
        entries: dict[tuple[int, str], list[dict[str, Any]]] = {}
        for (account, order_id), touched in self._touched.items():
            orders = self.open_orders.by_account.get(account)
            if orders is None:
                continue
            accepted = touched.accepted
            market_name = accepted.market if accepted else None
            live = orders.get(order_id)
            if live is None and accepted is not None:
                live = state.markets[accepted.market].book.orders.get(order_id)
            if live is not None:
                market_name = live.market
            if market_name is None:
                continue
            market = state.markets[market_name]
            owner = state.accounts.get(account)
            stp_group = owner.stp_group if owner is not None else 0
            out = entries.setdefault((account, market_name), [])
            if accepted is not None:
                out.append(ws_order(market, record_of_accepted(accepted), stp_group, "put"))
            closed = touched.closed
            if closed is not None:
                orders.pop(order_id, None)
                if live is not None:
                    record = record_of_closed(live, closed)
                elif accepted is not None:
                    record = record_of_closed(record_of_accepted(accepted), closed)
                else:
                    continue
                out.append(ws_order(market, record, stp_group, "finish"))
                continue
            if live is not None:
                orders[order_id] = live
                if touched.traded or touched.amended:
                    record = record_of_open_order(live)
                    out.append(ws_order(market, record, stp_group, "update"))
        self._touched.clear()
        publish_by_account(self.hub, self.name, entries)


def publish_by_account(
    hub: Hub, channel: str, entries: dict[tuple[int, str], list[dict[str, Any]]]
) -> None:
    """One message per (account, pair) subscription, and one with everything for "!all"."""
    everything: dict[int, list[dict[str, Any]]] = {}
    for (account, pair), items in entries.items():
        if not items:
            continue
        key = f"{channel}|{account}|{pair}"
        if key in hub.subs:
            hub.publish(key, frames.update(channel, items))
        everything.setdefault(account, []).extend(items)
    for account, items in everything.items():
        key = f"{channel}|{account}|{ALL}"
        if key in hub.subs:
            hub.publish(key, frames.update(channel, items))


class UserTradesChannel(Channel):
    name: ClassVar[str] = "spot.usertrades"
    private: ClassVar[bool] = True

    def __init__(self, hub: Hub) -> None:
        super().__init__(hub)
        self._accounts: dict[int, int] = {}
        self._texts: dict[int, str] = {}  # order id -> text, for this command's new orders
        self._pending: dict[tuple[int, str], list[dict[str, Any]]] = {}
        hub.watch(self.name, self)
        hub.on(OrderAccepted, self.on_accepted)
        hub.on(Traded, self.on_traded)

    def keys(self, topics: list[str] | None, session: Session | None) -> list[str]:
        return account_topics(self.hub, self.name, topics, session)

    def on_first(self, key: str) -> None:
        account = account_of_key(key)
        self._accounts[account] = self._accounts.get(account, 0) + 1

    def on_last(self, key: str) -> None:
        account = account_of_key(key)
        left = self._accounts.get(account, 1) - 1
        if left:
            self._accounts[account] = left
        else:
            self._accounts.pop(account, None)

    def on_accepted(self, event: OrderAccepted) -> None:
        if event.account in self._accounts:
            self._texts[event.order_id] = event.text

    def _text(self, account: int, order_id: int) -> str:
        """The order's client text: from this command's acceptances or the order history."""
        text = self._texts.get(order_id)
        if text is not None:
            return text
        orders = self.hub.runtime.projections.orders
        record = orders.live_record(order_id) or orders.finished_order(account, order_id)
        return record.text if record is not None else ""

    def on_traded(self, event: Traded) -> None:
        accounts = self._accounts
        if event.maker_account not in accounts and event.taker_account not in accounts:
            return
        market = self.hub.venue.engine.state.markets[event.market]
        if not self._pending:
            self.hub.mark_dirty(self)
        for maker, account, order_id in (
            (True, event.maker_account, event.maker_order),
            (False, event.taker_account, event.taker_order),
        ):
            if account in accounts:
                item = user_trade(market, event, maker, self._text(account, order_id))
                self._pending.setdefault((account, event.market), []).append(item)

    def end_command(self) -> None:
        pending, self._pending = self._pending, {}
        self._texts.clear()
        publish_by_account(self.hub, self.name, pending)


class BalancesChannel(Channel):
    name: ClassVar[str] = "spot.balances"
    private: ClassVar[bool] = True

    def __init__(self, hub: Hub) -> None:
        super().__init__(hub)
        self._accounts: set[int] = set()
        self._last: dict[tuple[int, str], tuple[int, int]] = {}  # (total, frozen) last sent
        self._touched: dict[tuple[int, str], str] = {}  # -> change_type
        hub.watch(self.name, self)
        for event_type in (OrderAccepted, OrderAmended, OrderClosed):
            hub.on(event_type, self.on_order)
        hub.on(Traded, self.on_traded)
        hub.on(Deposited, self.on_deposited)
        hub.on(WithdrawalRequested, self.on_withdrawal)
        hub.on(WithdrawalApproved, self.on_withdrawal)
        hub.on(WithdrawalRejected, self.on_withdrawal_rejected)
        hub.on(Transferred, self.on_transferred)

    def keys(self, topics: list[str] | None, session: Session | None) -> list[str]:
        assert session is not None
        if topics:
            raise FrameError(ERR_BAD_ARGUMENT, "spot.balances takes no payload")
        return [f"{self.name}|{session.account}"]

    def on_first(self, key: str) -> None:
        """Remember every balance as it is now, so the first push reports a true change."""
        account = account_of_key(key)
        self._accounts.add(account)
        state = self.hub.venue.engine.state
        for currency, asset in state.asset_index.items():
            available = state.ledger.balance(account, asset, AVAILABLE)
            frozen = state.ledger.balance(account, asset, HOLD)
            self._last[(account, currency)] = (available + frozen, frozen)

    def on_last(self, key: str) -> None:
        account = account_of_key(key)
        self._accounts.discard(account)
        for pair in [pair for pair in self._last if pair[0] == account]:
            del self._last[pair]

    def _touch(self, account: int, currency: str, change_type: str) -> None:
        if account in self._accounts:
            if not self._touched:
                self.hub.mark_dirty(self)
            self._touched.setdefault((account, currency), change_type)

    def _touch_market(self, account: int, market_name: str, change_type: str) -> None:
        if account in self._accounts:
            spec = self.hub.venue.engine.state.markets[market_name].spec
            self._touch(account, spec.base, change_type)
            self._touch(account, spec.quote, change_type)

    def on_order(self, event: OrderAccepted | OrderAmended | OrderClosed) -> None:
        kind = "order-create" if type(event) is OrderAccepted else "order-update"
        self._touch_market(event.account, event.market, kind)

    def on_traded(self, event: Traded) -> None:
        self._touch_market(event.maker_account, event.market, "order-match")
        self._touch_market(event.taker_account, event.market, "order-match")

    def on_deposited(self, event: Deposited) -> None:
        self._touch(event.account, event.asset, "deposit")

    def on_withdrawal(self, event: WithdrawalRequested | WithdrawalApproved) -> None:
        self._touch(event.account, event.asset, "withdraw")

    def on_withdrawal_rejected(self, event: WithdrawalRejected) -> None:
        withdrawal = self.hub.venue.engine.state.withdrawals.get(event.withdrawal_id)
        if withdrawal is not None:
            self._touch(event.account, withdrawal.asset, "withdraw")

    def on_transferred(self, event: Transferred) -> None:
        self._touch(event.from_account, event.asset, "other")
        self._touch(event.to_account, event.asset, "other")

    def end_command(self) -> None:
        state = self.hub.venue.engine.state
        ledger = state.ledger
        now_ns = time.time_ns()
        per_account: dict[int, list[dict[str, Any]]] = {}
        for (account, currency), change_type in self._touched.items():
            asset = state.asset_index[currency]
            scale = state.assets[currency].scale
            available = ledger.balance(account, asset, AVAILABLE)
            frozen = ledger.balance(account, asset, HOLD)
            total = available + frozen
            last_total, last_frozen = self._last.get((account, currency), (0, 0))
            if (total, frozen) == (last_total, last_frozen):
                continue
            self._last[(account, currency)] = (total, frozen)
            per_account.setdefault(account, []).append(
                {
                    "timestamp": str(now_ns // 1_000_000_000),
                    "timestamp_ms": str(now_ns // 1_000_000),
                    "user": str(account),
                    "currency": currency,
                    "change": format_units(total - last_total, scale),
                    "total": format_units(total, scale),
                    "available": format_units(available, scale),
                    "freeze": format_units(frozen, scale),
                    "freeze_change": format_units(frozen - last_frozen, scale),
                    "change_type": change_type,
                }
            )
        self._touched.clear()
        for account, items in per_account.items():
            self.hub.publish(f"{self.name}|{account}", frames.update(self.name, items))
