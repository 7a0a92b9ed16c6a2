"""Each account's own fills (Gate `GET /spot/my_trades`), newest last, in a ring buffer."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, Final

from clearhouse.core.book import BUY, SELL
from clearhouse.core.commands import Envelope
from clearhouse.core.events import Event, Traded
from clearhouse.projections.orders import OrderHistory

MAX_USER_TRADES_PER_ACCOUNT: Final = 2_000
MAKER: Final = "maker"
TAKER: Final = "taker"


class UserTrade:
    __slots__ = ("trade", "role", "side", "order_id", "fee_units", "text")

    def __init__(
        self, trade: Traded, role: str, side: int, order_id: int, fee_units: int, text: str
    ) -> None:
        self.trade = trade
        self.role = role
        self.side = side
        self.order_id = order_id
        self.fee_units = fee_units  # in the asset this side received; negative = rebate
        self.text = text


class UserTrades:
    def __init__(self, orders: OrderHistory, capacity: int = MAX_USER_TRADES_PER_ACCOUNT) -> None:
        self.orders = orders
        self.capacity = capacity
        self.by_account: dict[int, deque[UserTrade]] = {}

    def handlers(self) -> dict[type[Event], Callable[[Envelope, Any], None]]:
        return {Traded: self._on_traded}

    def _on_traded(self, envelope: Envelope, event: Traded) -> None:
        maker_side = SELL if event.taker_side == BUY else BUY
        self._add(event.maker_account, UserTrade(
            event, MAKER, maker_side, event.maker_order, event.maker_fee_units,
            self._text(event.maker_order),
        ))  # fmt: skip
        self._add(event.taker_account, UserTrade(
            event, TAKER, event.taker_side, event.taker_order, event.taker_fee_units,
            self._text(event.taker_order),
        ))  # fmt: skip

    def _text(self, order_id: int) -> str:
        record = self.orders.live_record(order_id)
        return record.text if record is not None else ""

    def _add(self, account: int, fill: UserTrade) -> None:
        ring = self.by_account.get(account)
        if ring is None:
            ring = self.by_account[account] = deque(maxlen=self.capacity)
        ring.append(fill)

    def newest_first(self, account: int) -> Iterator[UserTrade]:
        return reversed(self.by_account.get(account, ()))
