"""A deliberately simple model of one spot market, written from the venue's rules and not from
the engine's code: the property tests run both on the same commands and compare.

No cleverness on purpose. Orders are one plain list, sorted into priority whenever we look at
it; balances are *totals* per (account, asset) and what is held is recomputed from the open
orders and pending withdrawals every time it is needed; a fill-or-kill order is tried on a deep
copy of the whole model and kept only if it filled. Where the engine is fast, this is obvious.

The rules, as the model states them:

- Price-time priority: the best price first; at one price, the order that joined the queue
  first. Joining is: resting, an iceberg showing its next slice, an amend that loses priority.
- A taker trades with the head of the opposite queue while it crosses the taker's limit (market
  orders have none): a market buy stops when its quote budget cannot pay one lot at the next
  price, every other taker when it has no lots left. Trades are at the maker's price.
- Self-trade prevention: a maker with the taker's beneficial owner, or the taker's non-zero STP
  group, is never traded with. The taker's `stp_act` decides: cn stops the taker, co cancels the
  maker and goes on, cb does both.
- Fees come out of what each side receives; charges round up, rebates round down.
- A buy holds price x remaining in quote (a market buy its whole budget while it matches); a
  sell holds remaining in base; a pending withdrawal holds its amount.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Final

BUY: Final = 0
SELL: Final = 1
GTC: Final = 0
IOC: Final = 1
FOK: Final = 2
POC: Final = 3
STP_CN: Final = 0
STP_CO: Final = 1
STP_CB: Final = 2
PPM: Final = 1_000_000

INVALID_PARAM_VALUE: Final = "INVALID_PARAM_VALUE"
AMOUNT_TOO_LITTLE: Final = "AMOUNT_TOO_LITTLE"
AMOUNT_TOO_MUCH: Final = "AMOUNT_TOO_MUCH"
BALANCE_NOT_ENOUGH: Final = "BALANCE_NOT_ENOUGH"
POC_FILL_IMMEDIATELY: Final = "POC_FILL_IMMEDIATELY"
FOK_NOT_FILL: Final = "FOK_NOT_FILL"
TOO_MANY_ORDERS: Final = "TOO_MANY_ORDERS"
ORDER_NOT_FOUND: Final = "ORDER_NOT_FOUND"
ORDER_CLOSED: Final = "ORDER_CLOSED"
FORBIDDEN: Final = "FORBIDDEN"


def fee(amount_units: int, rate_ppm: int) -> int:
    """A charge rounded up, a rebate (negative) rounded towards zero: the venue never loses."""
    if rate_ppm >= 0:
        whole, part = divmod(amount_units * rate_ppm, PPM)
        return whole + (1 if part else 0)
    return -((amount_units * -rate_ppm) // PPM)


@dataclass(frozen=True)
class MarketRules:
    base: str
    quote: str
    base_units_per_lot: int
    quote_units_per_tick_lot: int
    min_size_lots: int
    max_size_lots: int
    min_notional_units: int
    max_price_ticks: int
    fees: tuple[tuple[int, int], ...]  # (maker ppm, taker ppm) per fee tier
    max_open_orders: int


@dataclass
class RefAccount:
    owner: int  # the beneficial owner: whose orders must never trade with each other
    master: int
    fee_tier: int = 0
    stp_group: int = 0


@dataclass
class RefOrder:
    order_id: int
    account: int
    owner: int
    stp_group: int
    side: int
    price_ticks: int  # 0: market order
    size_lots: int
    remaining_lots: int
    display_lots: int
    visible_lots: int
    tif: int
    stp_act: int
    filled_lots: int = 0
    joined: int = 0  # when it joined its price's queue; smaller is earlier


@dataclass(frozen=True)
class Fill:
    maker_order: int
    taker_order: int
    price_ticks: int
    size_lots: int
    maker_fee_units: int
    taker_fee_units: int


@dataclass
class Outcome:
    label: str | None = None
    fills: list[Fill] = field(default_factory=list)
    closed: list[tuple[int, str]] = field(default_factory=list)  # (order id, finish_as)


@dataclass
class RefWithdrawal:
    account: int
    asset: str
    amount_units: int
    pending: bool = True


class ReferenceMarket:
    def __init__(self, rules: MarketRules) -> None:
        self.rules = rules
        self.accounts: dict[int, RefAccount] = {}
        self.totals: dict[tuple[int, str], int] = {}  # available + held
        self.fees_collected: dict[str, int] = {}
        self.orders: list[RefOrder] = []  # resting orders, in no particular order
        self.withdrawals: dict[int, RefWithdrawal] = {}
        self.withdrawal_refs: set[tuple[int, str]] = set()
        self.deposit_txids: set[str] = set()
        self.next_order_id = 1
        self.next_withdrawal_id = 1
        self.clock = 0  # queue joining order
        self.last_price_ticks = 0

    # --- reads -------------------------------------------------------------------------------
    def reservation(self, order: RefOrder) -> tuple[str, int]:
        rules = self.rules
        if order.side == BUY:
            return rules.quote, order.price_ticks * order.remaining_lots * (
                rules.quote_units_per_tick_lot
            )
        return rules.base, order.remaining_lots * rules.base_units_per_lot

    def held(self, account: int, asset: str) -> int:
        total = 0
        for order in self.orders:
            if order.account == account:
                order_asset, units = self.reservation(order)
                if order_asset == asset:
                    total += units
        for withdrawal in self.withdrawals.values():
            if withdrawal.pending and withdrawal.account == account and withdrawal.asset == asset:
                total += withdrawal.amount_units
        return total

    def available(self, account: int, asset: str) -> int:
        return self.totals.get((account, asset), 0) - self.held(account, asset)

    def queue(self, side: int) -> list[RefOrder]:
        """One side of the book in priority order."""
        mine = [o for o in self.orders if o.side == side]
        if side == BUY:
            return sorted(mine, key=lambda o: (-o.price_ticks, o.joined))
        return sorted(mine, key=lambda o: (o.price_ticks, o.joined))

    def book(self) -> list[tuple[int, int, int, int, int]]:
        """(order id, side, price ticks, remaining lots, visible lots), bids then asks."""
        return [
            (o.order_id, o.side, o.price_ticks, o.remaining_lots, o.visible_lots)
            for side in (BUY, SELL)
            for o in self.queue(side)
        ]

    def crosses(self, side: int, price_ticks: int) -> bool:
        opposite = self.queue(SELL if side == BUY else BUY)
        if not opposite:
            return False
        best = opposite[0].price_ticks
        return best <= price_ticks if side == BUY else best >= price_ticks

    def open_order_count(self, account: int) -> int:
        return sum(1 for o in self.orders if o.account == account)

    def _own_order(self, account: int, order_id: int) -> RefOrder | None:
        for order in self.orders:
            if order.order_id == order_id and order.account == account:
                return order
        return None

    # --- money -------------------------------------------------------------------------------
    def _add(self, account: int, asset: str, units: int) -> None:
        self.totals[(account, asset)] = self.totals.get((account, asset), 0) + units

    def open_account(self, account: int, owner: int, master: int) -> None:
        self.accounts[account] = RefAccount(owner, master)

    def deposit(self, account: int, asset: str, units: int, txid: str) -> Outcome:
        if txid not in self.deposit_txids:  # a txid is credited once, ever
            self.deposit_txids.add(txid)
            self._add(account, asset, units)
        return Outcome()

    def request_withdrawal(
        self, account: int, asset: str, units: int, client_id: str
    ) -> tuple[Outcome, int]:
        if (account, client_id) in self.withdrawal_refs:
            return Outcome(), 0
        if self.available(account, asset) < units:
            return Outcome(BALANCE_NOT_ENOUGH), 0
        withdrawal_id = self.next_withdrawal_id
        self.next_withdrawal_id += 1
        self.withdrawal_refs.add((account, client_id))
        self.withdrawals[withdrawal_id] = RefWithdrawal(account, asset, units)
        return Outcome(), withdrawal_id

    def finish_withdrawal(self, withdrawal_id: int, approve: bool) -> Outcome:
        withdrawal = self.withdrawals.get(withdrawal_id)
        if withdrawal is None:
            return Outcome(INVALID_PARAM_VALUE)
        if not withdrawal.pending:
            return Outcome(ORDER_CLOSED)
        withdrawal.pending = False
        if approve:
            self._add(withdrawal.account, withdrawal.asset, -withdrawal.amount_units)
        return Outcome()

    def transfer(self, source: int, target: int, asset: str, units: int) -> Outcome:
        if self.accounts[source].master != self.accounts[target].master:
            return Outcome(FORBIDDEN)
        if source == target:
            return Outcome(INVALID_PARAM_VALUE)
        if self.available(source, asset) < units:
            return Outcome(BALANCE_NOT_ENOUGH)
        self._add(source, asset, -units)
        self._add(target, asset, units)
        return Outcome()

    def set_fee_tier(self, account: int, tier: int) -> Outcome:
        self.accounts[account].fee_tier = tier
        return Outcome()

    def set_stp_group(self, account: int, group: int) -> Outcome:
        self.accounts[account].stp_group = group  # orders already placed keep their group
        return Outcome()

    # --- orders ------------------------------------------------------------------------------
    def _check_size(self, lots: int) -> str | None:
        if lots < self.rules.min_size_lots:
            return AMOUNT_TOO_LITTLE
        if lots > self.rules.max_size_lots:
            return AMOUNT_TOO_MUCH
        return None

    def _check_shape(
        self, side: int, price: int, size: int, tif: int, quote: int, display: int
    ) -> tuple[str | None, str, int]:
        """(label or None, asset to reserve, units to reserve) for a new order."""
        rules = self.rules
        if price == 0:
            if tif not in (IOC, FOK) or display:
                return INVALID_PARAM_VALUE, "", 0
            if side == BUY:
                if size or quote <= 0:
                    return INVALID_PARAM_VALUE, "", 0
                if quote < rules.min_notional_units:
                    return AMOUNT_TOO_LITTLE, "", 0
                return None, rules.quote, quote
            if quote:
                return INVALID_PARAM_VALUE, "", 0
            return self._check_size(size), rules.base, size * rules.base_units_per_lot
        if not 0 < price <= rules.max_price_ticks or quote:
            return INVALID_PARAM_VALUE, "", 0
        label = self._check_size(size)
        if label:
            return label, "", 0
        notional = price * size * rules.quote_units_per_tick_lot
        if notional < rules.min_notional_units:
            return AMOUNT_TOO_LITTLE, "", 0
        if display:
            if display < 0 or display >= size or tif in (IOC, FOK):
                return INVALID_PARAM_VALUE, "", 0
            if display < rules.min_size_lots:
                return AMOUNT_TOO_LITTLE, "", 0
        if side == BUY:
            return None, rules.quote, notional
        return None, rules.base, size * rules.base_units_per_lot

    def place(
        self,
        account: int,
        side: int,
        price: int,
        size: int,
        tif: int,
        quote: int = 0,
        display: int = 0,
        stp_act: int = STP_CN,
    ) -> Outcome:
        label, asset, reserve = self._check_shape(side, price, size, tif, quote, display)
        if label:
            return Outcome(label)
        if price and tif == POC and self.crosses(side, price):
            return Outcome(POC_FILL_IMMEDIATELY)
        if (
            price
            and tif in (GTC, POC)
            and (self.open_order_count(account) >= self.rules.max_open_orders)
        ):
            return Outcome(TOO_MANY_ORDERS)
        if self.available(account, asset) < reserve:
            return Outcome(BALANCE_NOT_ENOUGH)
        holder = self.accounts[account]
        taker = RefOrder(
            order_id=self.next_order_id,
            account=account,
            owner=holder.owner,
            stp_group=holder.stp_group,
            side=side,
            price_ticks=price,
            size_lots=size,
            remaining_lots=size if size else self.rules.max_size_lots,
            display_lots=display,
            visible_lots=min(display, size) if display else size,
            tif=tif,
            stp_act=stp_act,
        )
        if tif == FOK:
            trial = copy.deepcopy(self)
            trial_outcome = trial._take(copy.deepcopy(taker), quote)
            if trial_outcome.closed[-1] != (taker.order_id, "filled"):
                return Outcome(FOK_NOT_FILL)
        self.next_order_id += 1
        return self._take(taker, quote)

    def _take(self, taker: RefOrder, budget: int) -> Outcome:
        """Match a new (or re-priced) taker, then rest or close it."""
        rules = self.rules
        per_tick_lot = rules.quote_units_per_tick_lot
        outcome = Outcome()
        budgeted = budget > 0  # a market buy: it may spend its budget down to exactly 0
        stopped_by_stp = False
        traded_at = 0
        while taker.remaining_lots > 0:
            makers = [
                o
                for o in self.queue(SELL if taker.side == BUY else BUY)
                if taker.price_ticks == 0
                or (
                    o.price_ticks <= taker.price_ticks
                    if taker.side == BUY
                    else o.price_ticks >= taker.price_ticks
                )
            ]
            if not makers:
                break
            maker = makers[0]
            lot_cost = maker.price_ticks * per_tick_lot
            if budgeted and budget < lot_cost:
                break
            if maker.owner == taker.owner or (
                taker.stp_group and maker.stp_group == taker.stp_group
            ):
                if taker.stp_act in (STP_CO, STP_CB):
                    self.orders.remove(maker)
                    outcome.closed.append((maker.order_id, "stp"))
                if taker.stp_act in (STP_CN, STP_CB):
                    stopped_by_stp = True
                    break
                continue
            lots = min(maker.visible_lots, taker.remaining_lots)
            if budgeted:
                lots = min(lots, budget // lot_cost)
                budget -= lots * lot_cost
            self._fill(maker, taker, lots, outcome)
            traded_at = maker.price_ticks
        if stopped_by_stp:
            outcome.closed.append((taker.order_id, "stp"))
        elif taker.size_lots == 0:  # a market buy, sized by its budget
            next_ask = self.queue(SELL)
            price_now = next_ask[0].price_ticks if next_ask else traded_at
            spent = budget < price_now * per_tick_lot
            outcome.closed.append((taker.order_id, "filled" if spent else "depth_not_enough"))
        elif taker.remaining_lots == 0:
            outcome.closed.append((taker.order_id, "filled"))
        elif taker.tif in (GTC, POC):
            taker.visible_lots = (
                min(taker.display_lots, taker.remaining_lots)
                if taker.display_lots
                else taker.remaining_lots
            )
            self.clock += 1
            taker.joined = self.clock
            self.orders.append(taker)
        elif taker.price_ticks == 0:
            outcome.closed.append((taker.order_id, "depth_not_enough"))
        else:
            outcome.closed.append((taker.order_id, "ioc"))
        return outcome

    def _fill(self, maker: RefOrder, taker: RefOrder, lots: int, outcome: Outcome) -> None:
        rules = self.rules
        notional = maker.price_ticks * lots * rules.quote_units_per_tick_lot
        base_units = lots * rules.base_units_per_lot
        maker_rate = self._rates(maker.account)[0]
        taker_rate = self._rates(taker.account)[1]
        buyer, seller = (taker, maker) if taker.side == BUY else (maker, taker)
        buyer_fee = fee(base_units, taker_rate if buyer is taker else maker_rate)
        seller_fee = fee(notional, taker_rate if seller is taker else maker_rate)
        self._add(buyer.account, rules.quote, -notional)
        self._add(buyer.account, rules.base, base_units - buyer_fee)
        self._add(seller.account, rules.base, -base_units)
        self._add(seller.account, rules.quote, notional - seller_fee)
        self.fees_collected[rules.base] = self.fees_collected.get(rules.base, 0) + buyer_fee
        self.fees_collected[rules.quote] = self.fees_collected.get(rules.quote, 0) + seller_fee
        maker_fee, taker_fee = (
            (seller_fee, buyer_fee) if taker.side == BUY else (buyer_fee, seller_fee)
        )
        outcome.fills.append(
            Fill(maker.order_id, taker.order_id, maker.price_ticks, lots, maker_fee, taker_fee)
        )
        self.last_price_ticks = maker.price_ticks
        maker.remaining_lots -= lots
        maker.visible_lots -= lots
        maker.filled_lots += lots
        taker.remaining_lots -= lots
        taker.filled_lots += lots
        if maker.remaining_lots == 0:
            self.orders.remove(maker)
            outcome.closed.append((maker.order_id, "filled"))
        elif maker.visible_lots == 0:  # an iceberg shows its next slice, at the back
            maker.visible_lots = min(maker.display_lots, maker.remaining_lots)
            self.clock += 1
            maker.joined = self.clock

    def _rates(self, account: int) -> tuple[int, int]:
        fees = self.rules.fees
        tier = self.accounts[account].fee_tier
        return fees[tier] if tier < len(fees) else fees[-1]

    def cancel(self, account: int, order_id: int) -> Outcome:
        order = self._own_order(account, order_id)
        if order is None:
            return Outcome(ORDER_NOT_FOUND)
        self.orders.remove(order)
        return Outcome(closed=[(order_id, "cancelled")])

    def cancel_all(self, account: int, side: int) -> Outcome:
        doomed = [o for o in self.orders if o.account == account and side in (-1, o.side)]
        for order in doomed:
            self.orders.remove(order)
        return Outcome(closed=[(o.order_id, "cancelled") for o in doomed])

    def amend(self, account: int, order_id: int, price: int, size: int) -> Outcome:
        """Size down at the same price keeps the order's place in its queue; any other change
        takes it out and submits it again, as a taker, under its old id."""
        order = self._own_order(account, order_id)
        if order is None:
            return Outcome(ORDER_NOT_FOUND)
        rules = self.rules
        new_price = price or order.price_ticks
        new_size = size or order.size_lots
        if not 0 < new_price <= rules.max_price_ticks or size < 0:
            return Outcome(INVALID_PARAM_VALUE)
        new_remaining = new_size - order.filled_lots
        if new_remaining <= 0:
            return Outcome(INVALID_PARAM_VALUE)
        label = self._check_size(new_size)
        if label:
            return Outcome(label)
        if new_price * new_remaining * rules.quote_units_per_tick_lot < rules.min_notional_units:
            return Outcome(AMOUNT_TOO_LITTLE)
        if order.display_lots and order.display_lots >= new_remaining:
            return Outcome(INVALID_PARAM_VALUE)
        asset, now_held = self.reservation(order)
        if order.side == BUY:
            need = new_price * new_remaining * rules.quote_units_per_tick_lot
        else:
            need = new_remaining * rules.base_units_per_lot
        if need - now_held > self.available(account, asset):
            return Outcome(BALANCE_NOT_ENOUGH)
        keeps_place = new_price == order.price_ticks and new_remaining <= order.remaining_lots
        if keeps_place:
            order.size_lots = new_size
            order.remaining_lots = new_remaining
            order.visible_lots = min(order.visible_lots, new_remaining)
            return Outcome()
        if order.tif == POC and self.crosses(order.side, new_price):
            return Outcome(POC_FILL_IMMEDIATELY)
        self.orders.remove(order)
        order.price_ticks = new_price
        order.size_lots = new_size
        order.remaining_lots = new_remaining
        order.visible_lots = (
            min(order.display_lots, new_remaining) if order.display_lots else (new_remaining)
        )
        return self._take(order, 0)
