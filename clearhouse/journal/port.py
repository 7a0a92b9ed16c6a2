"""How the venue talks to its journal: `send` a sequenced batch, `wait` until all sent batches
are durable. Two implementations with the same guarantee:

- `LocalJournal`: the writer in this process; `send` buffers, `wait` writes and fsyncs.
- `ProcessJournal` (process.py): the writer in a child process on the other core; `send` pipes
  the batch over and returns at once, so the venue can apply the previous durable batch while
  this one is being hashed, written and fsynced.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from clearhouse.journal.writer import JournalWriter


class JournalPort(Protocol):
    last_seq: int

    @property
    def recovery(self) -> str | None: ...

    def send(self, first_seq: int, payloads: list[bytes]) -> None: ...

    def wait(self) -> int: ...

    def wait_for(self, seq: int) -> int: ...

    def close(self) -> None: ...


class LocalJournal:
    def __init__(self, directory: Path, *, durable: bool = True) -> None:
        self.writer = JournalWriter.open(directory, durable=durable)
        self.last_seq = self.writer.last_seq

    @property
    def recovery(self) -> str | None:
        report = self.writer.recovery
        return str(report) if report else None

    def send(self, first_seq: int, payloads: list[bytes]) -> None:
        assert first_seq == self.last_seq + 1
        append = self.writer.append
        for payload in payloads:
            append(payload)
        self.last_seq = self.writer.last_seq

    def wait(self) -> int:
        return self.writer.commit()

    def wait_for(self, seq: int) -> int:
        if self.writer.durable_seq >= seq:
            return self.writer.durable_seq
        return self.writer.commit()

    def close(self) -> None:
        self.writer.close()
