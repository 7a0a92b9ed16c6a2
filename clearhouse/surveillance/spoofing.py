"""Spoofing and layering indicators, from the order flow.

`Spoofing` looks for the pattern in REFERENCE.md §5: a large order placed away from the touch
(it is not there to trade), then a fill for the same account on the other side (what the order
was there to help), then the large order cancelled soon after that fill, mostly unfilled.
Several such orders at once is layering; the alert counts them.

`OrderToTrade` watches two ratios per account and market over a window: orders placed against
trades done (order-to-trade ratio), and orders cancelled within a very short lifetime.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Final

from clearhouse.core.book import BUY
from clearhouse.core.events import OrderAccepted, OrderClosed, Traded
from clearhouse.surveillance.alerts import MAX_EVIDENCE_ITEMS, Alert, new_alert
from clearhouse.surveillance.book_view import BookView
from clearhouse.surveillance.params import Params
from clearhouse.surveillance.rules import Rule
from clearhouse.surveillance.venue_model import NS_PER_S, VenueModel

BPS: Final = 10_000
PPM: Final = 1_000_000
MAX_PER_ACCOUNT: Final = 10_000  # timestamps kept per account and market


class _Candidate:
    """A large order resting away from the touch."""

    __slots__ = (
        "order_id", "account", "market", "side", "size_lots", "value_usd", "distance_bps",
        "placed_ns", "fill_ns", "fill_trade",
    )  # fmt: skip

    def __init__(self, event: OrderAccepted, value_usd: int, distance_bps: int) -> None:
        self.order_id = event.order_id
        self.account = event.account
        self.market = event.market
        self.side = event.side
        self.size_lots = event.size_lots
        self.value_usd = value_usd
        self.distance_bps = distance_bps
        self.placed_ns = event.time_ns
        self.fill_ns = 0  # first opposite-side fill after placement
        self.fill_trade = 0


class Spoofing:
    def __init__(self, rule: Rule, rules_version: str, book: BookView) -> None:
        self.rule = rule
        self.rules_version = rules_version
        self.book = book
        params = Params(
            rule,
            {"min_value_usd", "min_distance_bps", "cancel_within", "max_filled_ppm", "window",
             "cooldown"},
        )  # fmt: skip
        self.min_value_usd = params.integer("min_value_usd", 50_000)
        self.min_distance_bps = params.integer("min_distance_bps", 20)
        self.cancel_within_ns = params.duration_ns("cancel_within", "10s")
        self.max_filled_ppm = params.integer("max_filled_ppm", 100_000)
        self.window_ns = params.duration_ns("window", "1h")
        self.cooldown_ns = params.duration_ns("cooldown", "1h")
        self.candidates: dict[int, _Candidate] = {}
        self.by_account: dict[int, set[int]] = {}
        # (account, market) -> recent completed patterns (cancel time, order id, distance, usd)
        self.patterns: dict[tuple[int, str], deque[tuple[int, int, int, int]]] = {}
        self.last_alert: dict[tuple[int, str], int] = {}

    def wants(self, event_name: str) -> bool:
        return event_name in ("OrderAccepted", "Traded", "OrderClosed")

    def on(self, event: Any, name: str, model: VenueModel) -> list[Alert]:
        if type(event) is OrderAccepted:
            self._placed(event, model)
        elif type(event) is Traded:
            self._filled(event)
        elif type(event) is OrderClosed:
            return self._closed(event, model)
        return []

    def _placed(self, event: OrderAccepted, model: VenueModel) -> None:
        if event.price_ticks <= 0 or event.size_lots <= 0:
            return
        same = self.book.touch(event.market, event.side)
        reference = same if same is not None else self.book.touch(event.market, 1 - event.side)
        if reference is None:
            return  # an empty book has no touch to be away from
        # distance behind the touch: lower than the best bid for a buy, higher for a sell
        behind = (
            reference - event.price_ticks if event.side == BUY else event.price_ticks - reference
        )
        distance_bps = behind * BPS // reference
        if distance_bps < self.min_distance_bps:
            return  # most orders: at or near the touch, checked before valuing them
        value = model.order_value_usd(event.market, event.price_ticks, event.size_lots)
        if value is None or value < self.min_value_usd:
            return
        self.candidates[event.order_id] = _Candidate(event, value, distance_bps)
        self.by_account.setdefault(event.account, set()).add(event.order_id)

    def _filled(self, event: Traded) -> None:
        # the maker's side is the taker's opposite; a fill on side s helps spoof orders on 1 - s
        for account, side in (
            (event.taker_account, event.taker_side),
            (event.maker_account, 1 - event.taker_side),
        ):
            for order_id in self.by_account.get(account, ()):
                candidate = self.candidates[order_id]
                if (
                    candidate.market == event.market
                    and candidate.side != side
                    and not candidate.fill_ns
                    and order_id not in (event.maker_order, event.taker_order)
                ):
                    candidate.fill_ns = event.time_ns
                    candidate.fill_trade = event.trade_id

    def _forget(self, candidate: _Candidate) -> None:
        del self.candidates[candidate.order_id]
        ids = self.by_account[candidate.account]
        ids.discard(candidate.order_id)
        if not ids:
            del self.by_account[candidate.account]

    def _closed(self, event: OrderClosed, model: VenueModel) -> list[Alert]:
        candidate = self.candidates.get(event.order_id)
        if candidate is None:
            return []
        self._forget(candidate)
        now = event.time_ns
        if (
            event.finish_as != "cancelled"
            or not candidate.fill_ns
            or now - candidate.fill_ns > self.cancel_within_ns
            or event.filled_lots * PPM > self.max_filled_ppm * candidate.size_lots
        ):
            return []
        key = (candidate.account, candidate.market)
        done = self.patterns.setdefault(key, deque())
        while done and done[0][0] <= now - self.window_ns:
            done.popleft()
        if len(done) >= MAX_PER_ACCOUNT:
            done.popleft()
        done.append((now, candidate.order_id, candidate.distance_bps, candidate.value_usd))
        last = self.last_alert.get(key)
        if last is not None and now - last < self.cooldown_ns:
            return []
        self.last_alert[key] = now
        assert model.envelope is not None
        info = model.accounts.get(candidate.account)
        evidence: dict[str, Any] = {
            "order_id": candidate.order_id,
            "side": "buy" if candidate.side == BUY else "sell",
            "value_usd": candidate.value_usd,
            "distance_from_touch_bps": candidate.distance_bps,
            "placed_ns": candidate.placed_ns,
            "opposite_fill_trade": candidate.fill_trade,
            "opposite_fill_ns": candidate.fill_ns,
            "cancelled_ns": now,
            "ms_from_fill_to_cancel": (now - candidate.fill_ns) // 1_000_000,
            "filled_lots": event.filled_lots,
            "patterns_in_window": len(done),  # more than one at once: layering
            "pattern_orders": [o for _, o, _, _ in done][-MAX_EVIDENCE_ITEMS:],
        }
        summary = (
            f"{self.rule.title}: account {candidate.account} cancelled a {candidate.value_usd} USD "
            f"order {candidate.distance_bps} bps behind the touch "
            f"{evidence['ms_from_fill_to_cancel']} ms after a fill on the other side "
            f"({len(done)} such order(s) in the window)"
        )
        return [
            new_alert(
                self.rule,
                self.rules_version,
                f"account={candidate.account},market={candidate.market}",
                model.envelope.seq,
                now,
                summary,
                evidence,
                subject_party=info.beneficial_owner if info is not None else 0,
                accounts=(candidate.account,),
            )
        ]

    def sweep(self, now_ns: int) -> None:
        for key in [
            k for k, d in self.patterns.items() if not d or d[-1][0] <= now_ns - self.window_ns
        ]:
            del self.patterns[key]
        for key in [k for k, t in self.last_alert.items() if now_ns - t >= self.cooldown_ns]:
            del self.last_alert[key]


class _Flow:
    __slots__ = ("orders", "trades", "quick_cancels", "last_ratio_alert", "last_quick_alert")

    def __init__(self) -> None:
        self.orders: deque[int] = deque()
        self.trades: deque[int] = deque()
        self.quick_cancels: deque[int] = deque()
        self.last_ratio_alert: int | None = None
        self.last_quick_alert: int | None = None


def _slide(times: deque[int], now: int, window_ns: int) -> None:
    while times and times[0] <= now - window_ns:
        times.popleft()
    if len(times) >= MAX_PER_ACCOUNT:
        times.popleft()


class OrderToTrade:
    def __init__(self, rule: Rule, rules_version: str, book: BookView) -> None:
        self.rule = rule
        self.rules_version = rules_version
        self.book = book
        params = Params(
            rule,
            {"window", "cooldown", "min_orders", "max_ratio", "short_lifetime",
             "min_quick_cancels"},
        )  # fmt: skip
        self.window_ns = params.duration_ns("window", "1h")
        self.cooldown_ns = params.duration_ns("cooldown", "1h")
        self.min_orders = params.integer("min_orders", 100, minimum=1)
        self.max_ratio = params.ratio("max_ratio", "50")
        self.short_lifetime_ns = params.duration_ns("short_lifetime", "1s")
        self.min_quick_cancels = params.integer("min_quick_cancels", 50, minimum=1)
        self.flows: dict[tuple[int, str], _Flow] = {}

    def wants(self, event_name: str) -> bool:
        return event_name in ("OrderAccepted", "Traded", "OrderClosed")

    def _flow(self, account: int, market: str) -> _Flow:
        flow = self.flows.get((account, market))
        if flow is None:
            flow = self.flows[(account, market)] = _Flow()
        return flow

    def on(self, event: Any, name: str, model: VenueModel) -> list[Alert]:
        if type(event) is Traded:
            for account in (event.maker_account, event.taker_account):
                trades = self._flow(account, event.market).trades
                _slide(trades, event.time_ns, self.window_ns)
                trades.append(event.time_ns)
            return []
        if type(event) is OrderAccepted:
            flow = self._flow(event.account, event.market)
            _slide(flow.orders, event.time_ns, self.window_ns)
            flow.orders.append(event.time_ns)
            return self._check_ratio(event.account, event.market, flow, model)
        if type(event) is OrderClosed and event.finish_as == "cancelled":
            order = self.book.orders.get(event.order_id)
            if order is None or event.time_ns - order.placed_ns > self.short_lifetime_ns:
                return []
            flow = self._flow(event.account, event.market)
            _slide(flow.quick_cancels, event.time_ns, self.window_ns)
            flow.quick_cancels.append(event.time_ns)
            return self._check_quick(event.account, event.market, flow, model)
        return []

    def _cooling(self, last: int | None, now: int) -> bool:
        return last is not None and now - last < self.cooldown_ns

    def _check_ratio(
        self, account: int, market: str, flow: _Flow, model: VenueModel
    ) -> list[Alert]:
        now = flow.orders[-1]
        _slide(flow.trades, now, self.window_ns)
        orders, trades = len(flow.orders), len(flow.trades)
        ratio = self.max_ratio
        if orders < self.min_orders or orders * ratio.denominator < ratio.numerator * max(
            trades, 1
        ):
            return []
        if self._cooling(flow.last_ratio_alert, now):
            return []
        flow.last_ratio_alert = now
        evidence = {"indicator": "order_to_trade_ratio", "orders": orders, "trades": trades,
                    "max_ratio": str(ratio), "window_s": self.window_ns // NS_PER_S}  # fmt: skip
        summary = (
            f"{self.rule.title}: {orders} orders against {trades} trade(s) in {market} "
            f"(ratio above {ratio})"
        )
        return [self._alert(account, market, "ratio", summary, evidence, model)]

    def _check_quick(
        self, account: int, market: str, flow: _Flow, model: VenueModel
    ) -> list[Alert]:
        now = flow.quick_cancels[-1]
        if len(flow.quick_cancels) < self.min_quick_cancels or self._cooling(
            flow.last_quick_alert, now
        ):
            return []
        flow.last_quick_alert = now
        _slide(flow.orders, now, self.window_ns)
        evidence = {
            "indicator": "short_order_lifetime",
            "quick_cancels": len(flow.quick_cancels),
            "orders": len(flow.orders),
            "max_lifetime_ms": self.short_lifetime_ns // 1_000_000,
            "window_s": self.window_ns // NS_PER_S,
        }
        summary = (
            f"{self.rule.title}: {len(flow.quick_cancels)} orders in {market} cancelled within "
            f"{evidence['max_lifetime_ms']} ms of placement"
        )
        return [self._alert(account, market, "lifetime", summary, evidence, model)]

    def _alert(
        self, account: int, market: str, indicator: str, summary: str, evidence: dict[str, Any],
        model: VenueModel,
    ) -> Alert:  # fmt: skip
        assert model.envelope is not None
        info = model.accounts.get(account)
        return new_alert(
            self.rule,
            self.rules_version,
            f"account={account},market={market},indicator={indicator}",
            model.envelope.seq,
            model.envelope.time_ns,
            summary,
            evidence,
            subject_party=info.beneficial_owner if info is not None else 0,
            accounts=(account,),
        )

    def sweep(self, now_ns: int) -> None:
        cut = now_ns - max(self.window_ns, self.cooldown_ns)
        stale = [
            key
            for key, f in self.flows.items()
            if all(not q or q[-1] <= cut for q in (f.orders, f.trades, f.quick_cancels))
        ]
        for key in stale:
            del self.flows[key]
