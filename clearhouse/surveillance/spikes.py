"""Volume and price spikes against a rolling baseline (pump-and-dump indicator).

Trades fill fixed buckets of engine time per market. The baseline is the last
`baseline_buckets` closed buckets, empty ones included (quiet time is part of normal). A bucket
whose volume reaches `volume_multiple` times the baseline's mean, or whose price move (first to
latest trade price in the bucket, in bps) reaches `price_move_multiple` times the baseline's
mean move, raises at most one alert per indicator per bucket. Small absolute numbers never
alert (`min_volume_usd`, `min_move_bps`), nor does a market with too little history.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Final

from clearhouse.core.events import Traded
from clearhouse.surveillance.alerts import Alert, new_alert
from clearhouse.surveillance.params import Params
from clearhouse.surveillance.rules import Rule
from clearhouse.surveillance.venue_model import NS_PER_S, VenueModel

BPS: Final = 10_000
MAX_BASELINE_BUCKETS: Final = 10_000


class _Market:
    __slots__ = ("bucket", "lots", "usd", "open_ticks", "last_ticks", "alerted", "baseline")

    def __init__(self, bucket: int, size: int) -> None:
        self.bucket = bucket
        self.lots = 0
        self.usd = 0
        self.open_ticks = 0
        self.last_ticks = 0
        self.alerted: set[str] = set()
        self.baseline: deque[tuple[int, int]] = deque(maxlen=size)  # (lots, move bps)

    def move_bps(self) -> int:
        if not self.open_ticks:
            return 0
        return abs(self.last_ticks - self.open_ticks) * BPS // self.open_ticks


class Spikes:
    def __init__(self, rule: Rule, rules_version: str) -> None:
        self.rule = rule
        self.rules_version = rules_version
        params = Params(
            rule,
            {"bucket", "baseline_buckets", "min_baseline_buckets", "volume_multiple",
             "min_volume_usd", "price_move_multiple", "min_move_bps"},
        )  # fmt: skip
        self.bucket_ns = params.duration_ns("bucket", "1m")
        self.baseline_buckets = params.integer("baseline_buckets", 60, minimum=1)
        if self.baseline_buckets > MAX_BASELINE_BUCKETS:
            self.baseline_buckets = MAX_BASELINE_BUCKETS
        self.min_baseline = params.integer("min_baseline_buckets", 10, minimum=1)
        self.volume_multiple = params.ratio("volume_multiple", "10")
        self.min_volume_usd = params.integer("min_volume_usd", 10_000)
        self.move_multiple = params.ratio("price_move_multiple", "5")
        self.min_move_bps = params.integer("min_move_bps", 200)
        self.markets: dict[str, _Market] = {}

    def wants(self, event_name: str) -> bool:
        return event_name == "Traded"

    def _roll(self, market: _Market, bucket: int) -> None:
        """Close buckets up to `bucket` (exclusive), quiet ones as zeros."""
        gap = bucket - market.bucket
        if gap <= 0:
            return
        market.baseline.append((market.lots, market.move_bps()))
        for _ in range(min(gap - 1, self.baseline_buckets)):
            market.baseline.append((0, 0))
        market.bucket = bucket
        market.lots = 0
        market.usd = 0
        market.open_ticks = market.last_ticks
        market.alerted = set()

    def on(self, event: Any, name: str, model: VenueModel) -> list[Alert]:
        assert type(event) is Traded
        bucket = event.time_ns // self.bucket_ns
        market = self.markets.get(event.market)
        if market is None:
            market = self.markets[event.market] = _Market(bucket, self.baseline_buckets)
            market.open_ticks = event.price_ticks
        self._roll(market, bucket)
        if not market.open_ticks:
            market.open_ticks = event.price_ticks
        market.lots += event.size_lots
        market.usd += model.trade_value_usd(event.market, event.price_ticks, event.size_lots) or 0
        market.last_ticks = event.price_ticks
        baseline = market.baseline
        if len(baseline) < self.min_baseline:
            return []
        alerts: list[Alert] = []
        n = len(baseline)
        volume_sum = sum(lots for lots, _ in baseline)
        vm = self.volume_multiple
        if (
            "volume" not in market.alerted
            and market.usd >= self.min_volume_usd
            and market.lots * n * vm.denominator >= vm.numerator * max(volume_sum, 1)
        ):
            market.alerted.add("volume")
            alerts.append(
                self._alert(
                    event,
                    model,
                    "volume",
                    market,
                    {
                        "bucket_lots": market.lots,
                        "bucket_usd": market.usd,
                        "baseline_mean_lots": volume_sum // n,
                        "volume_multiple": str(vm),
                    },
                )  # fmt: skip
            )
        move = market.move_bps()
        move_sum = sum(m for _, m in baseline)
        mm = self.move_multiple
        if (
            "price" not in market.alerted
            and move >= self.min_move_bps
            and move * n * mm.denominator >= mm.numerator * max(move_sum, 1)
        ):
            market.alerted.add("price")
            alerts.append(
                self._alert(
                    event,
                    model,
                    "price",
                    market,
                    {
                        "move_bps": move,
                        "from_ticks": market.open_ticks,
                        "to_ticks": market.last_ticks,
                        "baseline_mean_move_bps": move_sum // n,
                        "price_move_multiple": str(mm),
                    },
                )  # fmt: skip
            )
        return alerts

    def _alert(
        self, event: Traded, model: VenueModel, indicator: str, market: _Market,
        evidence: dict[str, Any],
    ) -> Alert:  # fmt: skip
        assert model.envelope is not None
        evidence["indicator"] = f"{indicator}_spike"
        evidence["bucket_start_ns"] = market.bucket * self.bucket_ns
        evidence["bucket_s"] = self.bucket_ns // NS_PER_S
        evidence["baseline_buckets"] = len(market.baseline)
        evidence["trade_id"] = event.trade_id
        shown = ", ".join(
            f"{k}={v}" for k, v in evidence.items() if k.startswith(("bucket_", "move"))
        )
        summary = f"{self.rule.title}: {indicator} spike in {event.market} ({shown})"
        return new_alert(
            self.rule,
            self.rules_version,
            f"market={event.market},indicator={indicator}",
            model.envelope.seq,
            event.time_ns,
            summary,
            evidence,
            accounts=(event.maker_account, event.taker_account),
        )

    def sweep(self, now_ns: int) -> None:
        pass  # one small record per market
