"""The state of one spot market: its listing, unit conversions, book and triggers."""

from __future__ import annotations

from clearhouse.core.book import OrderBook
from clearhouse.core.ledger import AVAILABLE, FEES, ledger_key
from clearhouse.core.triggers import TriggerBook
from clearhouse.core.units import Asset, FeeRate, MarketUnits, SpotMarket


class SpotMarketState:
    __slots__ = (
        "spec",
        "units",
        "book",
        "triggers",
        "base_asset",
        "quote_asset",
        "fees_base_key",
        "fees_quote_key",
        "enabled",
    )

    def __init__(
        self, spec: SpotMarket, base: Asset, quote: Asset, base_asset: int, quote_asset: int
    ) -> None:
        self.spec = spec
        self.units = MarketUnits(spec, base, quote)
        self.book = OrderBook()
        self.triggers = TriggerBook()
        self.base_asset = base_asset
        self.quote_asset = quote_asset
        self.fees_base_key = ledger_key(FEES, base_asset, AVAILABLE)
        self.fees_quote_key = ledger_key(FEES, quote_asset, AVAILABLE)
        self.enabled = spec.trading_enabled

    def fee_rate(self, tier: int) -> FeeRate:
        fees = self.spec.fees
        return fees[tier] if tier < len(fees) else fees[-1]
