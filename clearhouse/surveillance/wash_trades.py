"""Wash trades: both sides of a trade controlled by one person, directly or through links.

The engine's self-trade prevention stops an account group matching itself, so a wash trader
uses accounts that look unrelated to the matcher. This detector links the two sides of every
trade by evidence: the same beneficial owner, the same master account, the same owning party,
or an IP address or device both accounts used within `link_window`. Trades between linked
accounts in one market are counted over `window`; `min_trades` of them raise an alert that
names every link found.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Final

from clearhouse.core.events import Traded
from clearhouse.surveillance.alerts import MAX_EVIDENCE_ITEMS, Alert, new_alert
from clearhouse.surveillance.params import Params
from clearhouse.surveillance.rules import Rule
from clearhouse.surveillance.venue_model import AccountInfo, VenueModel

LINKS: Final = ("beneficial_owner", "master", "owner", "ip", "device")
MAX_TRADES_PER_PAIR: Final = 1_000


def _shared(a: dict[str, int], b: dict[str, int], since_ns: int) -> list[str]:
    if len(b) < len(a):
        a, b = b, a
    return sorted(k for k, t in a.items() if t >= since_ns and b.get(k, -1) >= since_ns)


class WashTrades:
    def __init__(self, rule: Rule, rules_version: str) -> None:
        self.rule = rule
        self.rules_version = rules_version
        params = Params(rule, {"links", "link_window", "window", "cooldown", "min_trades"})
        self.links = params.choices("links", list(LINKS), LINKS)
        self.link_window_ns = params.duration_ns("link_window", "30d")
        self.window_ns = params.duration_ns("window", "24h")
        self.cooldown_ns = params.duration_ns("cooldown", "24h")
        self.min_trades = params.integer("min_trades", 1, minimum=1)
        # (market, low account, high account) -> recent linked trades (time, trade id, usd)
        self.pairs: dict[tuple[str, int, int], deque[tuple[int, int, int]]] = {}
        self.last_alert: dict[tuple[str, int, int], int] = {}

    def wants(self, event_name: str) -> bool:
        return event_name == "Traded"

    def link_reasons(
        self, event: Traded, maker: AccountInfo | None, taker: AccountInfo | None, now: int
    ) -> list[str]:
        links = self.links
        reasons: list[str] = []
        if "beneficial_owner" in links and event.maker_owner == event.taker_owner:
            reasons.append(f"same beneficial owner {event.maker_owner}")
        if maker is None or taker is None:
            return reasons
        if "master" in links and maker.master == taker.master:
            reasons.append(f"same master account {maker.master}")
        if "owner" in links and maker.owner == taker.owner:
            reasons.append(f"same owning party {maker.owner}")
        since = now - self.link_window_ns
        if "ip" in links:
            reasons += [f"shared IP {ip}" for ip in _shared(maker.ips, taker.ips, since)]
        if "device" in links:
            reasons += [f"shared device {d}" for d in _shared(maker.devices, taker.devices, since)]
        return reasons

    def on(self, event: Any, name: str, model: VenueModel) -> list[Alert]:
        assert type(event) is Traded
        if event.maker_account == event.taker_account:
            return []  # the engine never matches an account with itself
        now = event.time_ns
        maker = model.accounts.get(event.maker_account)
        taker = model.accounts.get(event.taker_account)
        reasons = self.link_reasons(event, maker, taker, now)
        if not reasons:
            return []
        low, high = sorted((event.maker_account, event.taker_account))
        key = (event.market, low, high)
        trades = self.pairs.setdefault(key, deque())
        while trades and trades[0][0] <= now - self.window_ns:
            trades.popleft()
        if len(trades) >= MAX_TRADES_PER_PAIR:
            trades.popleft()
        value = model.trade_value_usd(event.market, event.price_ticks, event.size_lots) or 0
        trades.append((now, event.trade_id, value))
        last = self.last_alert.get(key)
        if len(trades) < self.min_trades or (last is not None and now - last < self.cooldown_ns):
            return []
        self.last_alert[key] = now
        assert model.envelope is not None
        group = f"market={event.market},accounts={low}+{high}"
        owners = {event.maker_owner, event.taker_owner}
        evidence: dict[str, Any] = {
            "links": reasons,
            "trades": len(trades),
            "trade_ids": [t for _, t, _ in trades][-MAX_EVIDENCE_ITEMS:],
            "value_usd": sum(v for _, _, v in trades),
            "maker": {"account": event.maker_account, "beneficial_owner": event.maker_owner},
            "taker": {"account": event.taker_account, "beneficial_owner": event.taker_owner},
        }
        summary = (
            f"{self.rule.title}: {len(trades)} trade(s) in {event.market} between accounts "
            f"{low} and {high} ({'; '.join(reasons)})"
        )
        return [
            new_alert(
                self.rule,
                self.rules_version,
                group,
                model.envelope.seq,
                now,
                summary,
                evidence,
                subject_party=event.maker_owner if len(owners) == 1 else 0,
                accounts=(low, high),
            )
        ]

    def sweep(self, now_ns: int) -> None:
        stale = [k for k, t in self.pairs.items() if not t or t[-1][0] <= now_ns - self.window_ns]
        for key in stale:
            del self.pairs[key]
        for key in [k for k, t in self.last_alert.items() if now_ns - t >= self.cooldown_ns]:
            del self.last_alert[key]
