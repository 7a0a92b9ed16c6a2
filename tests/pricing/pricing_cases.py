"""Inputs shared by the pricing tests: a seeded option set spanning the venue's range, and
where the real Deribit chains live. (A uniquely named module rather than conftest.py, so the
tests can import it unambiguously next to the other test packages' conftest files.)"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

HOUR_YEARS = 1.0 / (365.0 * 24.0)
REPO_ROOT = Path(__file__).resolve().parents[2]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class OptionSet:
    forward: FloatArray
    strike: FloatArray
    time_years: FloatArray
    vol: FloatArray
    rate: FloatArray
    is_call: npt.NDArray[np.bool_]

    @property
    def size(self) -> int:
        return int(self.forward.size)

    def subset(self, index: npt.NDArray[np.intp] | slice) -> OptionSet:
        return OptionSet(
            self.forward[index],
            self.strike[index],
            self.time_years[index],
            self.vol[index],
            self.rate[index],
            self.is_call[index],
        )


def make_option_set(size: int, seed: int) -> OptionSet:
    """One hour to two years, vol 5 % to 300 % (both log-uniform), strikes within ±8 standard
    deviations for 80 % of the options and deep in or out of the money (|ln(K/F)| up to 4,
    whatever the vol) for the rest, all strikes within F/55 … 55·F (|ln(K/F)| ≤ 4: beyond that
    the price's own rounding, ε·K, exceeds 1e-10·F); rates −1 % to 10 %; half calls."""
    rng = np.random.default_rng(seed)
    forward = rng.uniform(100.0, 100_000.0, size)
    time_years = np.exp(rng.uniform(np.log(HOUR_YEARS), np.log(2.0), size))
    vol = np.exp(rng.uniform(np.log(0.05), np.log(3.0), size))
    log_moneyness = rng.uniform(-8.0, 8.0, size) * vol * np.sqrt(time_years)
    deep = rng.random(size) < 0.2
    log_moneyness[deep] = rng.uniform(-4.0, 4.0, int(deep.sum()))
    log_moneyness = np.clip(log_moneyness, -4.0, 4.0)
    strike = forward * np.exp(log_moneyness)
    rate = rng.uniform(-0.01, 0.10, size)
    is_call = rng.random(size) < 0.5
    return OptionSet(forward, strike, time_years, vol, rate, is_call)


def shared_data_dir() -> Path:
    """`$CLEARHOUSE_SHARED_DATA`, else `../shared/data` beside the repository."""
    configured = os.environ.get("CLEARHOUSE_SHARED_DATA")
    if configured:
        return Path(configured)
    return REPO_ROOT.parent / "shared" / "data"
