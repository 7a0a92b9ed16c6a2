"""The gateway's side of the sequencer: many concurrent requests, one ordered, durable stream.

Requests put their command on a bounded queue and await a future. One task drains the queue in
batches: it sequences a batch (seq, time, journal append) on the event loop, runs the fsync in a
worker thread so the loop keeps serving reads, then applies the batch on the loop (the engine
has a single writer and is never touched from another thread) and resolves the futures. So a
client never hears about a command before it is durable.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
from typing import Final

from clearhouse.core.commands import AnyCommand, Facts
from clearhouse.core.events import Event
from clearhouse.venue import MAX_BATCH, Venue

MAX_QUEUED: Final = 50_000  # beyond this, new commands are refused with TOO_BUSY


class VenueBusy(Exception):
    """The command queue is full; the client should retry later."""


class VenueFailed(Exception):
    """The journal could not be written; the venue stopped accepting commands."""


class AsyncSequencer:
    def __init__(self, venue: Venue, max_batch: int = MAX_BATCH, max_queued: int = MAX_QUEUED):
        self.venue = venue
        self.max_batch = max_batch
        self.max_queued = max_queued
        self._queue: list[tuple[AnyCommand, Facts, asyncio.Future[list[Event]]]] = []
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="fsync")
        self.failed: BaseException | None = None
        self.batches = 0

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="sequencer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._executor.shutdown(wait=True)

    async def submit(self, command: AnyCommand, facts: Facts) -> list[Event]:
        if self.failed is not None:
            raise VenueFailed(str(self.failed))
        if len(self._queue) >= self.max_queued:
            raise VenueBusy("command queue full")
        future: asyncio.Future[list[Event]] = asyncio.get_running_loop().create_future()
        self._queue.append((command, facts, future))
        self._wakeup.set()
        return await future

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        venue = self.venue
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._queue:
                batch = self._queue[: self.max_batch]
                del self._queue[: self.max_batch]
                try:
                    envelopes = venue.sequence([c for c, _, _ in batch], [f for _, f, _ in batch])
                    await loop.run_in_executor(self._executor, venue.commit)
                except BaseException as exc:  # a journal that cannot be written stops the venue
                    self.failed = exc
                    for _, _, future in batch + self._queue:
                        if not future.done():
                            future.set_exception(VenueFailed(str(exc)))
                    self._queue.clear()
                    raise
                results = venue.apply(envelopes)
                self.batches += 1
                for (_, _, future), events in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(events)
