"""Sanctions screening benchmark: name screening and address lookups on one core.

Workload:
- list: the full OFAC SDN sdn.csv of 2024-05-03 with the aliases of alt.csv (the 2021 file, the
  newest alias file in shared data; aliases of entries delisted since are dropped) plus the UN
  consolidated list of 2026-02, combined into one list version;
- name queries: the screening evaluation set (UN positives untreated and treated, global and US
  negatives, US Congress names), screened one at a time in file order;
- address lookups: every address of the 2025-11-19 OFAC crypto list plus as many random
  unlisted EVM addresses, against the 2024-09-27 list.

Latency is reported per query both as wall time and as thread CPU time (the machine is shared,
so wall time includes time spent waiting for a core). "cold" clears the per-token memo before
every query (worst case: every token is new); "warm" keeps it, as a running venue would.
Run:  python bench/screening_bench.py [--repeat N]
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from clearhouse.core.compliance.addresses import AddressScreener
from clearhouse.core.compliance.sanctions_list import combine_lists
from clearhouse.core.compliance.screening import NameScreener
from clearhouse.sanctions import (
    OrphanPolicy,
    load_ofac_crypto_addresses,
    load_ofac_legacy_csv,
    load_un_consolidated_xml,
)
from clearhouse.sanctions.paths import sanctions_data_dir

EVAL_SETS = (
    "positives_un_untreated",
    "positives_un_treated",
    "validation_negatives_global",
    "validation_negatives_us",
    "positives_us_congress_untreated",
)


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summarise(wall_s: Sequence[float], cpu_s: Sequence[float]) -> dict[str, float]:
    return {
        "count": len(wall_s),
        "wall_us_p50": round(percentile(wall_s, 0.50) * 1e6, 1),
        "wall_us_p99": round(percentile(wall_s, 0.99) * 1e6, 1),
        "cpu_us_p50": round(percentile(cpu_s, 0.50) * 1e6, 1),
        "cpu_us_p99": round(percentile(cpu_s, 0.99) * 1e6, 1),
        "cpu_us_mean": round(statistics.fmean(cpu_s) * 1e6, 1),
        "queries_per_s_cpu": round(len(cpu_s) / sum(cpu_s), 1),
        "queries_per_s_wall": round(len(wall_s) / sum(wall_s), 1),
    }


def timed(
    calls: Sequence[Callable[[], object]], before: Callable[[], None] | None = None
) -> tuple[list[float], list[float]]:
    wall: list[float] = []
    cpu: list[float] = []
    for call in calls:
        if before is not None:
            before()
        w0, c0 = time.perf_counter(), time.thread_time()
        call()
        cpu.append(time.thread_time() - c0)
        wall.append(time.perf_counter() - w0)
    return wall, cpu


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="passes over the query set")
    args = parser.parse_args(argv)
    data = sanctions_data_dir()
    if data is None:
        print(json.dumps({"error": "shared sanctions data not found"}))
        return 2

    t0 = time.perf_counter()
    sdn = load_ofac_legacy_csv(
        data / "ofac_sdn_csv_2024-05-03" / "sdn.csv",
        alt_path=data / "ofac_sdn_csv_2021" / "alt.csv",
        on_orphan=OrphanPolicy.DROP,
    )
    un = load_un_consolidated_xml(data / "un_consolidated_2026-02" / "UN_consolidated.xml")
    lst = combine_lists("OFAC-SDN+UN", [sdn, un])
    t_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    screener = NameScreener(lst)
    t_index = time.perf_counter() - t0

    queries: list[str] = []
    for name in EVAL_SETS:
        with (data / "screening_eval" / f"{name}.csv").open(encoding="utf-8", newline="") as f:
            queries += [row["full_name"] for row in csv.DictReader(f)]
    calls: list[Callable[[], object]] = [partial(screener.screen, q) for q in queries]
    cold_wall: list[float] = []
    cold_cpu: list[float] = []
    warm_wall: list[float] = []
    warm_cpu: list[float] = []
    for _ in range(args.repeat):
        w, c = timed(calls, before=screener.clear_caches)
        cold_wall += w
        cold_cpu += c
    for _ in range(args.repeat):
        w, c = timed(calls)
        warm_wall += w
        warm_cpu += c

    old = AddressScreener(
        address_lists=[load_ofac_crypto_addresses(data / "ofac_crypto_addresses_2024-09-27")]
    )
    new_list = load_ofac_crypto_addresses(data / "ofac_crypto_addresses_2025-11-19")
    rng = random.Random(20240927)
    lookups = [(a.chain, a.address) for a in new_list.addresses]
    lookups += [
        ("ETH", "0x" + "".join(rng.choice("0123456789abcdef") for _ in range(40)))
        for _ in range(len(lookups))
    ]
    address_calls: list[Callable[[], object]] = [partial(old.screen, c, a) for c, a in lookups]
    a_wall: list[float] = []
    a_cpu: list[float] = []
    for _ in range(args.repeat * 5):
        w, c = timed(address_calls)
        a_wall += w
        a_cpu += c

    result: dict[str, Any] = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "list": {
            "version": lst.version,
            "entries": len(lst.entries),
            "indexed_names": screener.name_count,
            "distinct_tokens": screener.token_count,
            "load_s": round(t_load, 3),
            "index_build_s": round(t_index, 3),
            "notes": list(lst.notes),
        },
        "name_screening_cold": summarise(cold_wall, cold_cpu),
        "name_screening_warm": summarise(warm_wall, warm_cpu),
        "address_screening": {"listed_addresses": old.address_count, **summarise(a_wall, a_cpu)},
        "reference": {"watchman_ms_per_search": 0.85, "target_p99_us": 1000},
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
