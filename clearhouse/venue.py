"""The venue: sequencer + durable journal + engine + snapshots, wired in one place.

    submit(commands) -> stamp seq and time -> journal (group commit: one write, one fsync)
                     -> engine.apply each -> listeners (projections) -> events back to callers

Nothing is applied, and so nothing is acknowledged, before its command is durable; a crash after
the fsync but before `apply` loses nothing, because recovery replays the journal. Recovery is the
newest valid snapshot plus a replay of every journal record after it. On an empty journal the
venue journals its genesis listing first, so a replay rebuilds the very same venue.

By default the journal writer runs in a child process (journal/process.py), so hashing and
fsync of batch k overlap with applying batch k-1 on the other core; `parallel_journal=False`
keeps it in-process.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from clearhouse.config.genesis import default_listing
from clearhouse.core import canonical
from clearhouse.core.commands import (
    AnyCommand,
    Envelope,
    Facts,
    decode_envelope,
    encode_envelope,
)
from clearhouse.core.engine import Engine
from clearhouse.core.events import Event
from clearhouse.journal import SnapshotStore, read_records
from clearhouse.journal.port import JournalPort, LocalJournal
from clearhouse.journal.process import ProcessJournal

MAX_BATCH: Final = 4_096  # commands per group commit; bounds memory and ack latency
DEFAULT_SNAPSHOT_EVERY: Final = 200_000

Listener = Callable[[Envelope, list[Event]], None]
Clock = Callable[[], int]

INTERNAL: Final = Facts()


@dataclass(frozen=True)
class Recovery:
    snapshot_seq: int
    replayed: int
    torn_tail: str  # human-readable report of a truncated torn tail, "" if none


class Venue:
    def __init__(
        self,
        data_dir: Path | None,
        *,
        durable: bool = True,
        clock: Clock = time.time_ns,
        snapshot_every: int = DEFAULT_SNAPSHOT_EVERY,
        genesis: Callable[[], Sequence[AnyCommand]] = default_listing,
        parallel_journal: bool = True,
    ) -> None:
        self.data_dir = data_dir
        self.engine = Engine()
        self.clock = clock
        self.snapshot_every = snapshot_every
        self.listeners: list[Listener] = []
        self._since_snapshot = 0
        self.journal: JournalPort | None = None
        self.snapshots: SnapshotStore | None = None
        self.recovery = Recovery(0, 0, "")
        self._stamped_seq = 0
        self._last_time_ns = 0
        if data_dir is not None:
            data_dir.mkdir(parents=True, exist_ok=True)
            journal_dir = data_dir / "journal"
            self.journal = (
                ProcessJournal(journal_dir, durable=durable)
                if parallel_journal
                else LocalJournal(journal_dir, durable=durable)
            )
            self.snapshots = SnapshotStore(data_dir)
            self.recovery = self._recover()
        self._stamped_seq = self.engine.state.seq
        self._last_time_ns = self.engine.state.time_ns
        if self.engine.state.seq == 0:
            self.submit(genesis())

    # --- recovery ---------------------------------------------------------------------------
    def _recover(self) -> Recovery:
        assert self.journal is not None and self.snapshots is not None and self.data_dir
        snapshot = self.snapshots.latest()
        snapshot_seq = 0
        if snapshot is not None and snapshot.seq <= self.journal.last_seq:
            state = canonical.load(snapshot.payload)
            if canonical.state_hash(state) == snapshot.state_hash:
                self.engine = Engine(state)
                snapshot_seq = snapshot.seq
        replayed = 0
        for record in read_records(self.data_dir / "journal", from_seq=snapshot_seq + 1):
            envelope = decode_envelope(record.payload)
            events = self.engine.apply(envelope)
            for listener in self.listeners:
                listener(envelope, events)
            replayed += 1
        assert self.engine.state.seq == self.journal.last_seq, "journal and state disagree"
        return Recovery(snapshot_seq, replayed, self.journal.recovery or "")

    def replay_into(self, listener: Listener) -> None:
        """Feed every journaled command and its events to a new projection, from seq 1."""
        if self.data_dir is None:
            return
        engine = Engine()
        for record in read_records(self.data_dir / "journal", from_seq=1):
            envelope = decode_envelope(record.payload)
            listener(envelope, engine.apply(envelope))

    # --- the write path -----------------------------------------------------------------------
    def submit(
        self, commands: Sequence[AnyCommand], facts: Facts | Sequence[Facts] = INTERNAL
    ) -> list[list[Event]]:
        """Sequence, journal durably, apply. Returns each command's events, in order.

        Batches are pipelined: batch k is sent to the journal, then batch k-1 (already durable)
        is applied while batch k is made durable."""
        out: list[list[Event]] = []
        pending: list[Envelope] | None = None
        for start in range(0, len(commands), MAX_BATCH):
            chunk = commands[start : start + MAX_BATCH]
            if isinstance(facts, Facts):
                chunk_facts: Iterable[Facts] = [facts] * len(chunk)
            else:
                chunk_facts = facts[start : start + MAX_BATCH]
            envelopes = self.sequence(chunk, chunk_facts)
            if pending is not None:
                self._wait_durable(pending[-1].seq)  # this batch may still be in flight
                out.extend(self.apply(pending))
            pending = envelopes
        if pending is not None:
            self.commit()
            out.extend(self.apply(pending))
        return out

    def _wait_durable(self, seq: int) -> None:
        if self.journal is not None:
            self.journal.wait_for(seq)

    def submit_one(self, command: AnyCommand, facts: Facts = INTERNAL) -> list[Event]:
        envelopes = self.sequence([command], [facts])
        self.commit()
        return self.apply(envelopes)[0]

    def sequence(
        self, commands: Sequence[AnyCommand], facts: Iterable[Facts]
    ) -> list[Envelope]:
        """Stamp seq and time and send the batch to the journal (not yet durable).

        Callers then `commit` (wait until durable) and `apply` these envelopes, in that order;
        the async gateway runs `commit` in a worker thread so the event loop keeps serving."""
        seq = self._stamped_seq
        now = max(self.clock(), self._last_time_ns)
        envelopes = []
        payloads = []
        for command, fact in zip(commands, facts, strict=True):
            seq += 1
            envelope = Envelope(seq, now, command, fact)
            envelopes.append(envelope)
            payloads.append(encode_envelope(envelope))
        if self.journal is not None and envelopes:
            self.journal.send(self._stamped_seq + 1, payloads)
        self._stamped_seq = seq
        self._last_time_ns = now
        return envelopes

    def commit(self) -> None:
        """Block until everything sequenced so far is durable. Touches only the journal, so it
        may run in another thread while the engine is read."""
        if self.journal is not None:
            self.journal.wait()

    def apply(self, envelopes: list[Envelope]) -> list[list[Event]]:
        """Apply durable envelopes in order and tell the listeners."""
        apply = self.engine.apply
        listeners = self.listeners
        results = []
        for envelope in envelopes:
            events = apply(envelope)
            for listener in listeners:
                listener(envelope, events)
            results.append(events)
        self._since_snapshot += len(envelopes)
        if self.snapshot_every and self._since_snapshot >= self.snapshot_every:
            self.snapshot()
        return results

    def snapshot(self) -> int:
        """Write a snapshot of the current state; returns its seq."""
        self._since_snapshot = 0
        if self.snapshots is None:
            return 0
        state = self.engine.state
        payload = canonical.encode(state)
        self.snapshots.write(state.seq, canonical.hash_payload(payload), payload)
        return state.seq

    def state_hash(self) -> str:
        return self.engine.state_hash()

    def close(self) -> None:
        if self.journal is not None:
            self.journal.close()
            self.journal = None


def replay_state_hash(data_dir: Path) -> tuple[int, str]:
    """Rebuild state from the journal alone (no snapshot) and return (last seq, state hash)."""
    engine = Engine()
    for record in read_records(data_dir / "journal", from_seq=1):
        engine.apply(decode_envelope(record.payload))
    return engine.state.seq, engine.state_hash()
