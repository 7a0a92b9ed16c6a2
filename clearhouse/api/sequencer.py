"""The gateway's side of the sequencer: many concurrent requests, one ordered, durable stream.

Requests put their command on a bounded queue and await a future. Group commit, driven by the
event loop without a task of its own:

* While no batch is in the journal, the first command queued in a loop iteration schedules a
  batch: everything queued by then is sequenced (seq, time) and sent to the journal.
* While a batch is in the journal, commands wait in the queue: the next batch is everything
  that arrived meanwhile, one durable wait for all of them.
* When the journal reports the batch durable, the next batch is sent first (so its fsync runs
  on the journal's core while this one is applied here), then the durable batch is applied on
  the loop (the engine has a single writer and is never touched from another thread) and its
  futures resolved.

The journal writer process reports durability on a pipe the loop watches, so no thread is
involved; an in-process journal (`parallel_journal=False`) waits in a worker thread instead.
Either way a client never hears about a command before it is durable.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
from collections import deque
from typing import Final

from clearhouse.core.commands import AnyCommand, Envelope, Facts
from clearhouse.core.events import Event
from clearhouse.journal.process import ProcessJournal
from clearhouse.venue import MAX_BATCH, Venue

MAX_QUEUED: Final = 50_000  # beyond this, new commands are refused with TOO_BUSY

log = logging.getLogger("clearhouse.api.sequencer")

Waiter = asyncio.Future[list[Event]]
Batch = tuple[list[Envelope], list[Waiter]]


class VenueBusy(Exception):
    """The command queue is full; the client should retry later."""


class VenueFailed(Exception):
    """The journal could not be written; the venue stopped accepting commands."""


class AsyncSequencer:
    def __init__(self, venue: Venue, max_batch: int = MAX_BATCH, max_queued: int = MAX_QUEUED):
        self.venue = venue
        self.max_batch = max_batch
        self.max_queued = max_queued
        self._commands: list[AnyCommand] = []  # queued, not yet sequenced
        self._facts: list[Facts] = []
        self._waiters: list[Waiter] = []
        # sequenced and sent to the journal, not yet durable: at most one batch, see above
        self._in_journal: deque[Batch] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._scheduled = False
        self._draining = False
        self._ack_fd: int | None = None
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._committing: asyncio.Future[None] | None = None
        self.failed: BaseException | None = None
        self.batches = 0

    def start(self) -> None:
        if self._loop is not None:
            return
        loop = self._loop = asyncio.get_running_loop()
        self._draining = False
        journal = self.venue.journal
        if isinstance(journal, ProcessJournal):
            self._ack_fd = journal.ack_fileno()
            loop.add_reader(self._ack_fd, self._on_acks)
        elif journal is not None:
            self._executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="fsync")

    async def stop(self) -> None:
        """Stop after making durable, applying and answering everything already submitted."""
        loop = self._loop
        if loop is None:
            return
        self._draining = True
        if self._committing is not None:
            with contextlib.suppress(BaseException):
                await self._committing  # its callback applies what it made durable
        if self._ack_fd is not None:
            loop.remove_reader(self._ack_fd)
            self._ack_fd = None
        try:
            while self.failed is None and (self._in_journal or self._commands):
                if not self._in_journal:
                    self._send_batch()
                    continue
                self.venue.commit()
                self._apply([self._in_journal.popleft() for _ in range(len(self._in_journal))])
        except BaseException as exc:
            self._fail(exc)
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        self._loop = None

    async def submit(self, command: AnyCommand, facts: Facts) -> list[Event]:
        return await self.submit_nowait(command, facts)

    def submit_nowait(self, command: AnyCommand, facts: Facts) -> Waiter:
        """Queue a command; the future resolves with its events once it is durable and applied."""
        if self.failed is not None:
            raise VenueFailed(str(self.failed))
        if len(self._commands) >= self.max_queued:
            raise VenueBusy("command queue full")
        if self._loop is None:
            self.start()
        loop = self._loop
        assert loop is not None
        future: Waiter = loop.create_future()
        self._commands.append(command)
        self._facts.append(facts)
        self._waiters.append(future)
        if not self._scheduled and not self._in_journal:
            self._scheduled = True
            loop.call_soon(self._flush)
        return future

    # --- group commit --------------------------------------------------------------------------
    def _flush(self) -> None:
        self._scheduled = False
        if not self._in_journal and self._commands and self.failed is None and self._loop:
            self._send_batch()

    def _send_batch(self) -> None:
        """Sequence the queued commands (up to a batch) and send them to the journal."""
        size = self.max_batch
        commands, self._commands = self._commands[:size], self._commands[size:]
        facts, self._facts = self._facts[:size], self._facts[size:]
        waiters, self._waiters = self._waiters[:size], self._waiters[size:]
        try:
            envelopes = self.venue.sequence(commands, facts)
        except BaseException as exc:  # a journal that cannot be written stops the venue
            self._fail(exc, waiters)
            return
        self._in_journal.append((envelopes, waiters))
        loop = self._loop
        if self._ack_fd is not None or self._draining or loop is None:
            return  # _on_acks (or stop) hears when it is durable
        if self._executor is not None:
            self._committing = loop.run_in_executor(self._executor, self.venue.commit)
            self._committing.add_done_callback(self._on_committed)
        else:  # no journal: durable as soon as sequenced
            loop.call_soon(self._on_durable, envelopes[-1].seq)

    def _on_acks(self) -> None:
        journal = self.venue.journal
        assert isinstance(journal, ProcessJournal)
        try:
            durable_seq = journal.take_acks()
        except BaseException as exc:
            self._fail(exc)
            return
        self._on_durable(durable_seq)

    def _on_committed(self, done: asyncio.Future[None]) -> None:
        self._committing = None
        error = None if done.cancelled() else done.exception()
        if error is not None:
            self._fail(error)
        elif self._in_journal:
            self._on_durable(self._in_journal[-1][0][-1].seq)

    def _on_durable(self, durable_seq: int) -> None:
        """Everything up to `durable_seq` is durable: send the next batch, then apply these."""
        in_journal = self._in_journal
        durable = []
        while in_journal and in_journal[0][0][-1].seq <= durable_seq:
            durable.append(in_journal.popleft())
        if not durable or self.failed is not None:
            return
        if self._commands and not in_journal:
            self._send_batch()  # its fsync overlaps the apply below
        self._apply(durable)

    def _apply(self, batches: list[Batch]) -> None:
        apply = self.venue.apply
        for at, (envelopes, waiters) in enumerate(batches):
            try:
                results = apply(envelopes)
            except BaseException as exc:  # the engine never raises; if it did, stop writing
                self._fail(exc, [w for _, ws in batches[at:] for w in ws])
                return
            self.batches += 1
            for future, events in zip(waiters, results, strict=True):
                if not future.done():
                    future.set_result(events)

    def _fail(self, exc: BaseException, waiters: list[Waiter] | None = None) -> None:
        if self.failed is None:
            log.error("the venue stopped accepting commands: %r", exc, exc_info=exc)
        self.failed = exc
        if self._ack_fd is not None and self._loop is not None:
            self._loop.remove_reader(self._ack_fd)
            self._ack_fd = None
        pending = list(waiters or ())
        for _, batch_waiters in self._in_journal:
            pending += batch_waiters
        pending += self._waiters
        self._in_journal.clear()
        self._commands, self._facts, self._waiters = [], [], []
        for future in pending:
            if not future.done():
                future.set_exception(VenueFailed(str(exc)))
