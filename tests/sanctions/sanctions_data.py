"""Shared test data access: the lists in ../shared/data/sanctions, loaded once per session.

Tests that need the data skip cleanly when it is absent (the venue itself never needs it).
Set CLEARHOUSE_SHARED_DATA to point elsewhere.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import pytest

from clearhouse.core.compliance.sanctions_list import SanctionsList, combine_lists
from clearhouse.core.compliance.screening import NameScreener
from clearhouse.sanctions import OrphanPolicy, load_ofac_legacy_csv, load_un_consolidated_xml
from clearhouse.sanctions.paths import sanctions_data_dir


def data_dir() -> Path:
    path = sanctions_data_dir()
    if path is None:
        pytest.skip("shared sanctions data not present (../shared/data or CLEARHOUSE_SHARED_DATA)")
    return path


@cache
def sdn_2024_with_aliases() -> SanctionsList:
    """The full 2024-05-03 sdn.csv with the 2021 alt.csv aliases of entries still listed.

    Only sdn.csv was captured for 2024; the 2021 alt.csv is the newest alias file we have, so
    aliases of entries delisted since 2021 are dropped (and counted in the list's notes).
    """
    d = data_dir()
    return load_ofac_legacy_csv(
        d / "ofac_sdn_csv_2024-05-03" / "sdn.csv",
        alt_path=d / "ofac_sdn_csv_2021" / "alt.csv",
        on_orphan=OrphanPolicy.DROP,
    )


@cache
def un_list() -> SanctionsList:
    return load_un_consolidated_xml(data_dir() / "un_consolidated_2026-02" / "UN_consolidated.xml")


@cache
def sdn_and_un() -> SanctionsList:
    return combine_lists("OFAC-SDN+UN", [sdn_2024_with_aliases(), un_list()])


@cache
def sdn_and_un_screener() -> NameScreener:
    return NameScreener(sdn_and_un())


def eval_names(name: str) -> list[str]:
    with (data_dir() / "screening_eval" / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        return [row["full_name"] for row in csv.DictReader(f)]
