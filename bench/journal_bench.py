"""Journal throughput benchmark: `python bench/journal_bench.py`.

Appends N payloads of a fixed size, committing every K, with and without fsync, and prints
records/s, the append-only cost per record and commit latency percentiles. The sequencer's
budget is 200,000 commands/s for the whole engine, so the journal's share must stay well
below 5 us per command.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from clearhouse.journal.reader import verify
from clearhouse.journal.writer import JournalWriter


@dataclass(frozen=True, slots=True)
class BenchResult:
    durable: bool
    records: int
    elapsed_s: float
    append_us_per_record: float
    commit_ms_p50: float
    commit_ms_p99: float

    @property
    def records_per_s(self) -> float:
        return self.records / self.elapsed_s


def run(
    directory: Path, *, records: int, payload_bytes: int, commit_every: int, durable: bool
) -> BenchResult:
    payload = bytes(range(256)) * (payload_bytes // 256 + 1)
    payload = payload[:payload_bytes]
    batches, remainder = divmod(records, commit_every)
    commit_s: list[float] = []
    append_s = 0.0
    clock = time.perf_counter
    with JournalWriter.open(directory, durable=durable) as writer:
        append = writer.append
        commit = writer.commit
        started = clock()
        for batch in range(batches + (1 if remainder else 0)):
            count = commit_every if batch < batches else remainder
            t0 = clock()
            for _ in range(count):
                append(payload)
            t1 = clock()
            commit()
            commit_s.append(clock() - t1)
            append_s += t1 - t0
        elapsed = clock() - started
    commit_s.sort()
    return BenchResult(
        durable=durable,
        records=records,
        elapsed_s=elapsed,
        append_us_per_record=append_s / records * 1e6,
        commit_ms_p50=commit_s[len(commit_s) // 2] * 1e3,
        commit_ms_p99=commit_s[min(len(commit_s) - 1, len(commit_s) * 99 // 100)] * 1e3,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--payload-bytes", type=int, default=100)
    parser.add_argument("--commit-every", type=int, default=1_000)
    parser.add_argument("--dir", type=Path, default=None, help="parent for the scratch journal")
    parser.add_argument("--verify", action="store_true", help="also time a full verify")
    args = parser.parse_args(argv)
    for durable in (False, True):
        scratch = Path(tempfile.mkdtemp(prefix="journal-bench-", dir=args.dir))
        try:
            result = run(
                scratch,
                records=args.records,
                payload_bytes=args.payload_bytes,
                commit_every=args.commit_every,
                durable=durable,
            )
            print(
                f"durable={durable!s:5} records={result.records} "
                f"payload={args.payload_bytes}B commit_every={args.commit_every}: "
                f"{result.records_per_s:,.0f} records/s ({result.elapsed_s:.2f} s), "
                f"append {result.append_us_per_record:.2f} us/record, "
                f"commit p50 {result.commit_ms_p50:.3f} ms p99 {result.commit_ms_p99:.3f} ms"
            )
            if args.verify:
                started = time.perf_counter()
                report = verify(scratch)
                took = time.perf_counter() - started
                print(
                    f"  verify: ok={report.ok} {report.records} records in {took:.2f} s "
                    f"({report.records / took:,.0f} records/s)"
                )
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
