"""`clearhouse bench`: one seeded workload, replayed by every book and engine configuration.

Each configuration runs in a fresh subprocess so its peak RSS is its own. Throughput is taken
from an untimed pass; per-command latency from a second pass of the same operations on a fresh
book with a `perf_counter_ns` pair around each command (the pair's own cost, ~0.1 µs, is
included in the latency figures, never in throughput).
"""

from __future__ import annotations

import gc
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from clearhouse.bench.workload import ACCOUNTS, CANCEL, LIMIT, MARKET, Op, generate

MODES = ("plain", "liquibook", "book", "engine", "journal_inprocess", "journal")
LATENCY_SAMPLE_CAP = 1_000_000


class _Progress(Protocol):
    def print(self, *objects: Any) -> None: ...


# --- book only ---------------------------------------------------------------------------
def _book_runner() -> Callable[[Op], None]:
    from clearhouse.core.book import BUY, GTC, IOC, NO_LIMIT_KEY, MatchResult, Order, OrderBook

    book = OrderBook()
    result = MatchResult()
    makers, prices, lots = result.makers, result.prices, result.lots
    orders = book.orders
    cancelled = result.stp_cancelled

    def run(op: Op) -> None:
        kind, order_id, side, price, size, account = op
        if kind == CANCEL:
            order = orders.get(order_id)
            if order is not None:
                book.remove(order)
            return
        order = Order(
            order_id, "X", account, account, side, price, size, 0,
            GTC if kind == LIMIT else IOC, 0, 0, 0, "",
        )  # fmt: skip
        if kind == MARKET:
            limit_key = NO_LIMIT_KEY
        else:
            limit_key = -price if side == BUY else price
        if book.would_cross(side, price) or kind == MARKET:
            makers.clear()
            prices.clear()
            lots.clear()
            cancelled.clear()
            filled = book.match(order, limit_key, size, 0, 1, result)
            order.remaining_lots -= filled
            order.visible_lots = order.remaining_lots
        if kind == LIMIT and order.remaining_lots and not result.taker_stopped_by_stp:
            book.rest(order)

    return run


def _plain_runner() -> Callable[[Op], None]:
    from clearhouse.bench.plain_book import PlainBook

    book = PlainBook()

    def run(op: Op) -> None:
        kind, order_id, side, price, size, _ = op
        if kind == LIMIT:
            book.limit(order_id, side, price, size)
        elif kind == CANCEL:
            book.cancel(order_id)
        else:
            book.market(side, size)

    return run


def _liquibook_runner() -> Callable[[Op], None]:
    import liquibook

    book = liquibook.DepthOrderBook("BTC_USDT")
    live: dict[int, Any] = {}
    ioc = liquibook.oc_immediate_or_cancel
    simple_order = liquibook.SimpleOrder

    def run(op: Op) -> None:
        kind, order_id, side, price, size, _ = op
        if kind == LIMIT:
            order = simple_order(side == 0, price, size)
            book.add(order, 0)
            live[order_id] = order
        elif kind == CANCEL:
            order = live.pop(order_id, None)
            if order is not None:
                book.cancel(order)
        else:
            book.add(simple_order(side == 0, 0, size), ioc)

    return run


# --- full engine -------------------------------------------------------------------------
def _setup_commands() -> list[Any]:
    from clearhouse.config.genesis import default_listing
    from clearhouse.core.commands import CreditDeposit, DecideKyc, OpenAccount, RegisterParty

    commands: list[Any] = list(default_listing())
    commands += [RegisterParty("person", f"bench trader {i}", "DE") for i in range(ACCOUNTS)]
    commands += [  # verified: tier 0 may not trade
        DecideKyc(i + 1, 1, "bench", (f"check-{i}",), "DE", f"doc-{i}", "bench")
        for i in range(ACCOUNTS)
    ]
    commands += [OpenAccount(i + 1) for i in range(ACCOUNTS)]
    for account in _accounts():
        commands.append(CreditDeposit(account, "USDT", 10**19, f"bench-usdt-{account}"))
        commands.append(CreditDeposit(account, "BTC", 10**16, f"bench-btc-{account}"))
    return commands


def _accounts() -> list[int]:
    return [10_000_001 + i for i in range(ACCOUNTS)]


def _engine_setup() -> tuple[Any, list[int]]:
    from clearhouse.core.commands import Envelope
    from clearhouse.core.engine import Engine
    from clearhouse.core.events import CommandRejected

    engine = Engine()
    for seq, command in enumerate(_setup_commands(), start=1):
        events = engine.apply(Envelope(seq, seq, command))
        assert type(events[0]) is not CommandRejected, events
    return engine, _accounts()


def _commands(ops: list[Op], accounts: list[int], first_order_id: int) -> list[Any]:
    from clearhouse.core.commands import CancelOrder, PlaceOrder

    out: list[Any] = []
    offset = first_order_id - 1
    last_price = 6_000_000
    # workload sizes are abstract lots; x10 makes each order worth more than the 3 USDT minimum
    scale = 10
    for kind, order_id, side, price, size, account_index in ops:
        account = accounts[account_index]
        if kind == LIMIT:
            out.append(PlaceOrder(account, "BTC_USDT", side, price, size * scale))
            last_price = price
        elif kind == CANCEL:
            out.append(CancelOrder(account, "BTC_USDT", order_id + offset))
        elif side == 0:  # market buy: Gate sizes it in quote; spend what `size` lots would cost
            budget = (last_price + 40) * size * scale * 10  # 10 quote units per tick-lot
            out.append(PlaceOrder(account, "BTC_USDT", 0, 0, 0, tif=1, quote_units=budget))
        else:
            out.append(PlaceOrder(account, "BTC_USDT", 1, 0, size * scale, tif=1))
    return out


def _engine_pass(
    ops: list[Op],
    journal_dir: Path | None,
    timed: bool,
    batch: int = 4_096,  # venue.MAX_BATCH: the venue group-commits up to this many
    parallel_journal: bool = True,
) -> dict[str, Any]:
    """The full engine on the workload. With a journal dir, every batch is journaled durably
    before it is applied, pipelined like `Venue.submit`: batch k goes to the journal, we wait
    until batch k-1 is durable and apply it while batch k is being made durable."""
    from clearhouse.core.commands import Envelope, encode_envelope
    from clearhouse.core.events import CommandRejected

    engine, accounts = _engine_setup()
    commands = _commands(ops, accounts, engine.state.next_order_id)
    journal: Any = None
    if journal_dir is not None:
        from clearhouse.journal.port import LocalJournal
        from clearhouse.journal.process import ProcessJournal

        journal = ProcessJournal(journal_dir) if parallel_journal else LocalJournal(journal_dir)
        setup = [
            encode_envelope(Envelope(seq, seq, c)) for seq, c in enumerate(_setup_commands(), 1)
        ]
        journal.send(1, setup)
        journal.wait()
    apply = engine.apply
    seq = engine.state.seq
    latencies: list[int] = []
    wait_ns: list[int] = []
    ack_ns: list[int] = []
    rejected = 0
    perf = time.perf_counter_ns
    gc.collect()
    gc.disable()
    start = perf()
    pending: list[Any] = []
    pending_started = 0
    for chunk_start in range(0, len(commands) + batch, batch):
        chunk = commands[chunk_start : chunk_start + batch]
        started = perf()
        envelopes = []
        for command in chunk:
            seq += 1
            envelopes.append(Envelope(seq, seq, command))
        if journal is not None and envelopes:
            journal.send(envelopes[0].seq, [encode_envelope(e) for e in envelopes])
        if journal is not None and pending:
            # the previous batch must be durable before it is applied; this one stays in
            # flight on the journal's core meanwhile
            t0 = perf()
            journal.wait_for(pending[-1].seq)
            wait_ns.append(perf() - t0)
        if timed:
            for envelope in pending:
                t0 = perf()
                events = apply(envelope)
                latencies.append(perf() - t0)
                if events and type(events[0]) is CommandRejected:
                    rejected += 1
        else:
            for envelope in pending:
                apply(envelope)
        if pending:
            ack_ns.append(perf() - pending_started)
        pending = envelopes
        pending_started = started
    elapsed = perf() - start
    gc.enable()
    if journal is not None:
        journal.close()
    state = engine.state
    resting = sum(len(m.book.orders) for m in state.markets.values())
    state.ledger.assert_balanced()
    out: dict[str, Any] = {
        "ops": len(commands),
        "seconds": elapsed / 1e9,
        "ops_per_s": len(commands) / (elapsed / 1e9),
        "resting_orders_end": resting,
        "trades": state.next_trade_id - 1,
        "state_hash": engine.state_hash(),
    }
    if timed:
        out["rejected"] = rejected
        out.update(_percentiles("latency_us", latencies))
    if wait_ns:
        # time spent blocked waiting for durability after applying the previous batch
        out.update(_percentiles("durable_wait_us", wait_ns))
        # from a batch's first command being sequenced to its last command applied
        out.update(_percentiles("batch_ack_us", ack_ns))
        out["group_commit_batch"] = batch
        out["parallel_journal"] = parallel_journal
    return out


def _percentiles(prefix: str, samples_ns: list[int]) -> dict[str, float]:
    if not samples_ns:
        return {}
    ordered = sorted(samples_ns)
    n = len(ordered)

    def at(q: float) -> float:
        return ordered[min(n - 1, int(q * n))] / 1000

    return {
        f"{prefix}_p50": at(0.50),
        f"{prefix}_p99": at(0.99),
        f"{prefix}_p99_9": at(0.999),
        f"{prefix}_max": ordered[-1] / 1000,
    }


def _book_pass(
    make: Callable[[], Callable[[Op], None]], ops: list[Op], timed: bool
) -> dict[str, Any]:
    run = make()
    perf = time.perf_counter_ns
    gc.collect()
    gc.disable()
    if not timed:
        start = perf()
        for op in ops:
            run(op)
        elapsed = perf() - start
        gc.enable()
        return {"ops": len(ops), "seconds": elapsed / 1e9, "ops_per_s": len(ops) / (elapsed / 1e9)}
    latencies = []
    for op in ops:
        t0 = perf()
        run(op)
        latencies.append(perf() - t0)
    gc.enable()
    return _percentiles("latency_us", latencies)


def run_mode(mode: str, ops: int, seed: int, journal_dir: Path | None) -> dict[str, Any]:
    workload = generate(ops, seed)
    result: dict[str, Any] = {"mode": mode, "compiled": _compiled()}
    if mode in ("book", "plain", "liquibook"):
        make = {"book": _book_runner, "plain": _plain_runner, "liquibook": _liquibook_runner}[mode]
        result.update(_book_pass(make, workload, timed=False))
        result.update(_book_pass(make, workload, timed=True))
    elif mode == "engine":
        result.update(_engine_pass(workload, None, timed=False))
        timed = _engine_pass(workload, None, timed=True)
        result.update(
            {k: v for k, v in timed.items() if k.startswith("latency") or k == "rejected"}
        )
    elif mode in ("journal", "journal_inprocess"):
        assert journal_dir is not None
        parallel = mode == "journal"
        scratch = Path(tempfile.mkdtemp(prefix="clearhouse-bench-"))
        try:
            result.update(
                _engine_pass(workload, scratch / "journal", timed=False, parallel_journal=parallel)
            )
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        if (journal_dir / "journal").exists():
            shutil.rmtree(journal_dir / "journal")
        timed = _engine_pass(
            workload, journal_dir / "journal", timed=True, parallel_journal=parallel
        )
        result.update(
            {k: v for k, v in timed.items() if k.startswith("latency") or k == "rejected"}
        )
        result["journal_dir"] = str(journal_dir)
    else:
        raise ValueError(f"unknown mode {mode}")
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def memory_per_resting_order(count: int = 50_000) -> dict[str, Any]:
    """Bytes per resting order in the full engine (order, hold, book and account indexes)."""
    import tracemalloc

    from clearhouse.core.commands import Envelope, PlaceOrder

    engine, accounts = _engine_setup()
    seq = engine.state.seq
    commands = [
        PlaceOrder(
            accounts[i % len(accounts)],
            "BTC_USDT",
            i % 2,
            5_000_000 - (i % 500) if i % 2 == 0 else 7_000_000 + (i % 500),
            10 + i % 7,
        )
        for i in range(count)
    ]  # fmt: skip
    envelopes = []
    for command in commands:
        seq += 1
        envelopes.append(Envelope(seq, seq, command))
    del commands
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for envelope in envelopes:
        engine.apply(envelope)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    resting = sum(len(m.book.orders) for m in engine.state.markets.values())
    assert resting == count
    return {"resting_orders": resting, "bytes_per_resting_order": (after - before) / resting}


def _compiled() -> bool:
    import clearhouse.core.book as book

    return not book.__file__.endswith(".py") if book.__file__ else False


def run_all(
    ops: int,
    seed: int,
    journal_dir: Path | None,
    compare: bool,
    progress: _Progress,
    repeat: int = 1,
) -> dict[str, Any]:
    """Run every configuration `repeat` times, interleaved, so a slow spell of a shared machine
    hits all of them alike; each mode reports its median run (by throughput) and the spread."""
    modes = [m for m in MODES if compare or m not in ("plain", "liquibook")]
    keep_journal = journal_dir is not None
    scratch = Path(tempfile.mkdtemp(prefix="clearhouse-bench-")) if journal_dir is None else None
    target = journal_dir if journal_dir is not None else scratch
    assert target is not None
    results: dict[str, Any] = {
        "workload": {"ops": ops, "seed": seed, "mix": "50% limit, 35% cancel, 15% market"},
        "machine": _machine(),
        "repeat": repeat,
    }
    runs: dict[str, list[dict[str, Any]]] = {mode: [] for mode in modes}
    try:
        for round_ in range(repeat):
            for mode in modes:
                progress.print(f"bench: {mode} ({ops:,} ops, run {round_ + 1}/{repeat})")
                args = [sys.executable, "-m", "clearhouse.bench.runner", mode, str(ops), str(seed)]
                if mode == "journal":  # the venue's configuration; its journal is kept
                    args.append(str(target))
                elif mode == "journal_inprocess":
                    args.append(str(target / "inprocess"))
                out = subprocess.run(args, check=True, capture_output=True, text=True)
                runs[mode].append(json.loads(out.stdout))
        for mode, mode_runs in runs.items():
            ordered = sorted(mode_runs, key=lambda r: r["ops_per_s"])
            median = dict(ordered[len(ordered) // 2])
            median["ops_per_s_runs"] = [round(r["ops_per_s"]) for r in mode_runs]
            results[mode] = median
        progress.print("bench: memory per resting order")
        out = subprocess.run(
            [sys.executable, "-m", "clearhouse.bench.runner", "memory", "50000", str(seed)],
            check=True,
            capture_output=True,
            text=True,
        )
        results["memory"] = json.loads(out.stdout)
    finally:
        shutil.rmtree(target / "inprocess", ignore_errors=True)
        if not keep_journal and scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    if "engine" in results and "journal" in results:
        results["same_state_hash"] = (
            results["engine"]["state_hash"] == results["journal"]["state_hash"]
        )
    return results


def _machine() -> dict[str, Any]:
    import platform

    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
    }


if __name__ == "__main__":
    mode_arg, ops_arg, seed_arg = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    if mode_arg == "memory":
        print(json.dumps(memory_per_resting_order(ops_arg)))
    else:
        journal_arg = Path(sys.argv[4]) if len(sys.argv) > 4 else None
        print(json.dumps(run_mode(mode_arg, ops_arg, seed_arg, journal_arg)))
