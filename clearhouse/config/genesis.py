"""The commands that create a venue's listings on an empty journal.

Configuration is journaled like every other change, so the default venue is simply the first
commands of a new journal, and a replay rebuilds it exactly.
"""

from __future__ import annotations

from clearhouse.core.commands import AnyCommand, ListAsset, ListSpotMarket

# Scales are fine enough that every trade's base and quote amounts are whole units:
# BTC_USDT tick 0.01 x lot 0.00001 = 1e-7 USDT, so USDT needs at least 7 decimals.
DEFAULT_ASSETS: tuple[tuple[str, int], ...] = (
    ("USDT", 8),
    ("BTC", 8),
    ("ETH", 8),
    ("GT", 8),
)


def default_listing() -> list[AnyCommand]:
    commands: list[AnyCommand] = [ListAsset(code, scale) for code, scale in DEFAULT_ASSETS]
    commands += [
        ListSpotMarket(
            name="BTC_USDT",
            base="BTC",
            quote="USDT",
            tick_size="0.01",
            lot_size="0.00001",
            min_size_lots=1,  # 0.00001 BTC
            max_size_lots=100_000_000,  # 1,000 BTC
            min_notional_units=3 * 10**8,  # 3 USDT, Gate's minimum order value
            fees=((1000, 2000), (900, 1800), (800, 1600), (0, 1000)),
        ),
        ListSpotMarket(
            name="ETH_USDT",
            base="ETH",
            quote="USDT",
            tick_size="0.01",
            lot_size="0.0001",
            min_size_lots=1,
            max_size_lots=100_000_000,  # 10,000 ETH
            min_notional_units=3 * 10**8,
            fees=((1000, 2000), (900, 1800), (800, 1600), (0, 1000)),
        ),
    ]
    return commands
