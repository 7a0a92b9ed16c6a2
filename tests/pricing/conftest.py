"""Fixtures for the pricing tests (the inputs themselves live in pricing_cases.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pricing_cases import OptionSet, make_option_set, shared_data_dir


@pytest.fixture(scope="session")
def option_set() -> OptionSet:
    return make_option_set(20_000, seed=20260524)


@pytest.fixture(scope="session")
def large_option_set() -> OptionSet:
    return make_option_set(400_000, seed=7)


@pytest.fixture(scope="session")
def deribit_chain_paths() -> list[Path]:
    directory = shared_data_dir() / "market" / "options"
    paths = sorted(directory.glob("deribit_BTC_option_chain_*.csv"))
    if not paths:
        pytest.skip(f"no Deribit option chains under {directory}")
    return paths
