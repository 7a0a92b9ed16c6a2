"""The commands that create a venue's listings on an empty journal.

Configuration is journaled like every other change, so the default venue is simply the first
commands of a new journal, and a replay rebuilds it exactly.
"""

from __future__ import annotations

from clearhouse.core.calendar import GOLD_SESSIONS
from clearhouse.core.commands import (
    AnyCommand,
    ListAsset,
    ListContract,
    ListSpotMarket,
    SetKycLimits,
)
from clearhouse.core.products.perpetual_contract import PerpContract, RiskTier

# Scales are fine enough that every trade's base and quote amounts are whole units:
# BTC_USDT tick 0.01 x lot 0.00001 = 1e-7 USDT, so USDT needs at least 7 decimals.
DEFAULT_ASSETS: tuple[tuple[str, int], ...] = (
    ("USDT", 8),
    ("BTC", 8),
    ("ETH", 8),
    ("GT", 8),
)

# Withdrawal allowance per verified person per rolling 24 h, in whole units of each asset, by KYC
# tier. Tier 0 (unverified) has none and cannot be given any; an unlisted asset has none.
DEFAULT_WITHDRAWAL_LIMITS: dict[int, dict[str, int]] = {
    1: {"USDT": 100_000, "BTC": 5, "ETH": 60, "GT": 50_000},
    2: {"USDT": 2_000_000, "BTC": 100, "ETH": 1_200, "GT": 1_000_000},
    3: {"USDT": 20_000_000, "BTC": 1_000, "ETH": 12_000, "GT": 10_000_000},
}


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
    scales = dict(DEFAULT_ASSETS)
    commands += [
        SetKycLimits(
            tier,
            tuple((code, whole * 10 ** scales[code]) for code, whole in sorted(limits.items())),
        )
        for tier, limits in sorted(DEFAULT_WITHDRAWAL_LIMITS.items())
    ]
    commands += [ListContract(spec) for spec in DEFAULT_CONTRACTS]
    return commands


_U = 10**8  # one USDT in units


def _tiers(*rows: tuple[int, int, int]) -> tuple[RiskTier, ...]:
    """(tier cap in USDT, MMR ppm, max leverage) rows as risk tiers."""
    return tuple(RiskTier(cap * _U, mmr, 1_000_000 // leverage) for cap, mmr, leverage in rows)


# USDT-margined perpetuals. Tiers: BTC as REFERENCE.md's Binance BTCUSDT 2021 table; ETH and
# gold in the same shape with lower leverage for gold. One tick of one contract is a whole
# number of USDT units: BTC 0.1 x 0.0001 BTC, ETH 0.01 x 0.01 ETH, XAU 0.01 x 0.001 oz.
DEFAULT_CONTRACTS: tuple[PerpContract, ...] = (
    PerpContract(
        name="BTC_USDT",
        underlying="BTC",
        settle="USDT",
        quanto_multiplier="0.0001",
        tick_size="0.1",
        risk_tiers=_tiers(
            (50_000, 4_000, 125),
            (250_000, 5_000, 100),
            (1_000_000, 10_000, 50),
            (10_000_000, 25_000, 20),
            (20_000_000, 50_000, 10),
            (50_000_000, 100_000, 5),
        ),
    ),
    PerpContract(
        name="ETH_USDT",
        underlying="ETH",
        settle="USDT",
        quanto_multiplier="0.01",
        tick_size="0.01",
        risk_tiers=_tiers(
            (50_000, 5_000, 100),
            (250_000, 6_500, 75),
            (1_000_000, 10_000, 50),
            (5_000_000, 20_000, 25),
            (20_000_000, 50_000, 10),
            (50_000_000, 100_000, 5),
        ),
    ),
    PerpContract(
        name="XAU_USDT",
        underlying="XAU",
        settle="USDT",
        quanto_multiplier="0.001",
        tick_size="0.01",
        risk_tiers=_tiers(
            (100_000, 5_000, 50),
            (500_000, 10_000, 25),
            (2_000_000, 25_000, 10),
            (10_000_000, 50_000, 5),
        ),
        sessions=GOLD_SESSIONS,  # Sunday 23:00 to Friday 22:00 UTC, daily break 22:00-23:00
        index_method="clip",
    ),
)
