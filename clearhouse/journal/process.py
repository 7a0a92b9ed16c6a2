"""The journal writer in a child process, so journaling runs on the other core.

Hashing, checksumming, writing and fsyncing every record costs about as much as applying it,
and CPython runs one thread of Python at a time. Exchange-core and LMAX run the journaler in
parallel with the business logic; this does the same with a process: the venue sends each
group-commit batch down a pipe and, while the child makes it durable, applies the previous
(already durable) batch. Nothing is applied or acknowledged before the child reports the batch
durable, exactly as with the in-process writer.

Protocol on the child's stdin (parent -> child), all little-endian:
    batch  := u32 count, u64 first seq, u32 payload bytes, count x u32 lengths, payload bytes
Child's stdout (child -> parent):
    hello  := u32 length, JSON {"last_seq": n, "recovery": text|null} or {"error": text, ...}
    ack    := u64 durable seq (> 0) after each batch;  u64 0 + u32 length + text on failure
The child asks the kernel to kill it when the parent dies (PR_SET_PDEATHSIG), so a crashed
venue never leaves a writer holding the journal's lock.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import os
import select
import signal
import struct
import subprocess
import sys
import time
from array import array
from pathlib import Path
from typing import IO, Any, Final

from clearhouse.journal.errors import JournalCorrupted, JournalError, JournalLocked

BATCH_HEADER: Final = struct.Struct("<IQI")
ACK: Final = struct.Struct("<Q")
LENGTH: Final = struct.Struct("<I")
PIPE_BYTES: Final = 1 << 20  # F_SETPIPE_SZ target: a whole batch fits without blocking
MAX_BATCH_RECORDS: Final = 1 << 16
LOCK_WAIT_S: Final = 10.0
_F_SETPIPE_SZ: Final = 1031
_PR_SET_PDEATHSIG: Final = 1


class JournalProcessFailed(JournalError):
    """The journal process died or could not write; the venue must stop."""


class ProcessJournal:
    """Parent side. `send` a batch, later `wait` until everything sent is durable."""

    def __init__(self, directory: Path, *, durable: bool = True) -> None:
        self.directory = directory
        deadline = time.monotonic() + LOCK_WAIT_S
        while True:
            self._process = subprocess.Popen(
                [
                    sys.executable, "-m", "clearhouse.journal.process",
                    str(directory), str(int(durable)),
                ],  # fmt: skip
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                bufsize=0,
            )
            assert self._process.stdin is not None and self._process.stdout is not None
            self._stdin: IO[bytes] = self._process.stdin
            self._stdout: IO[bytes] = self._process.stdout
            hello = _read_message(self._stdout)
            if "error" not in hello:
                break
            self._process.wait(timeout=10)
            # a writer killed with its parent may still be releasing the lock for a moment
            if hello.get("kind") == "locked" and time.monotonic() < deadline:
                time.sleep(0.05)
                continue
            if hello.get("kind") == "corrupted":
                raise JournalCorrupted(
                    Path(hello["file"]), hello["offset"], hello["seq"], hello["reason"]
                )
            raise JournalProcessFailed(hello["error"])
        _grow_pipe(self._stdin.fileno())
        self.last_seq: int = hello["last_seq"]
        self.recovery: str | None = hello["recovery"]
        self.durable_seq: int = self.last_seq
        self._outstanding = 0  # batches sent, not yet acknowledged

    def send(self, first_seq: int, payloads: list[bytes]) -> None:
        count = len(payloads)
        assert 0 < count <= MAX_BATCH_RECORDS and first_seq == self.last_seq + 1
        lengths = array("I", [len(p) for p in payloads])
        body = b"".join(payloads)
        frame = b"".join((BATCH_HEADER.pack(count, first_seq, len(body)), lengths.tobytes(), body))
        try:
            self._stdin.write(frame)
        except (BrokenPipeError, OSError) as exc:
            raise JournalProcessFailed(f"journal process gone: {exc}") from exc
        self.last_seq = first_seq + count - 1
        self._outstanding += 1

    def wait(self) -> int:
        """Block until every batch sent so far is durable; return the durable seq."""
        return self.wait_for(self.last_seq)

    def wait_for(self, seq: int) -> int:
        """Block until `seq` is durable (later batches may still be in flight)."""
        while self.durable_seq < seq:
            assert self._outstanding, "waiting for a seq that was never sent"
            raw = _read_exact(self._stdout, ACK.size)
            if raw is None:
                raise JournalProcessFailed("journal process exited without acknowledging")
            (acked,) = ACK.unpack(raw)
            if acked == 0:
                raise JournalProcessFailed(_read_text(self._stdout))
            self.durable_seq = acked
            self._outstanding -= 1
        return self.durable_seq

    def ack_fileno(self) -> int:
        """The pipe acknowledgements arrive on, for an event loop to watch: when it is readable,
        `take_acks` collects them without blocking."""
        return self._stdout.fileno()

    def take_acks(self) -> int:
        """Collect the acknowledgements that have arrived, waiting for none that have not;
        return the durable seq. A closed pipe (the writer died) or a failure report raises."""
        fd = self._stdout.fileno()
        if not select.select([fd], [], [], 0)[0]:
            return self.durable_seq
        raw = os.read(fd, ACK.size * max(1, self._outstanding))
        if not raw or not self._outstanding:
            raise JournalProcessFailed("journal process exited without acknowledging")
        torn = len(raw) % ACK.size
        if torn:  # acks are written whole; a short read only splits one
            rest = _read_exact(self._stdout, ACK.size - torn)
            if rest is None:
                raise JournalProcessFailed("journal process exited without acknowledging")
            raw += rest
        for offset in range(0, len(raw), ACK.size):
            (acked,) = ACK.unpack_from(raw, offset)
            if acked == 0:  # a failure report: the rest of it follows the zero
                raise JournalProcessFailed(_read_text_after(raw[offset + ACK.size :], self._stdout))
            self.durable_seq = acked
            self._outstanding -= 1
        return self.durable_seq

    def close(self) -> None:
        if self._process.poll() is None:
            with contextlib.suppress(OSError):
                self._stdin.close()  # EOF: the child commits nothing more and exits
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._stdout.close()


def _grow_pipe(fd: int) -> None:
    # a smaller pipe only means the parent blocks a little more often
    with contextlib.suppress(OSError):
        fcntl.fcntl(fd, _F_SETPIPE_SZ, PIPE_BYTES)


def _read_exact(stream: IO[bytes], size: int) -> bytes | None:
    chunks = []
    while size:
        chunk = stream.read(size)
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _read_text(stream: IO[bytes]) -> str:
    raw = _read_exact(stream, LENGTH.size)
    if raw is None:
        return "journal process exited"
    (length,) = LENGTH.unpack(raw)
    text = _read_exact(stream, length)
    return text.decode() if text is not None else "journal process exited"


def _read_text_after(prefix: bytes, stream: IO[bytes]) -> str:
    """A length-prefixed text of which `prefix` was already read."""
    if len(prefix) < LENGTH.size:
        more = _read_exact(stream, LENGTH.size - len(prefix))
        if more is None:
            return "journal process exited"
        prefix += more
    (length,) = LENGTH.unpack_from(prefix)
    text = prefix[LENGTH.size : LENGTH.size + length]
    if len(text) < length:
        more = _read_exact(stream, length - len(text))
        if more is None:
            return "journal process exited"
        text += more
    return text.decode(errors="replace")


def _read_message(stream: IO[bytes]) -> dict[str, Any]:
    text = _read_text(stream)
    try:
        message = json.loads(text)
    except ValueError:
        return {"error": text, "kind": "crashed"}
    assert isinstance(message, dict)
    return message


# --- child ------------------------------------------------------------------------------------
def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # not Linux: the parent's close() still ends us on EOF
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


def _send(out: IO[bytes], data: bytes) -> None:
    out.write(data)
    out.flush()


def _send_text(out: IO[bytes], text: str) -> None:
    data = text.encode()
    _send(out, LENGTH.pack(len(data)) + data)


def child_main(directory: Path, durable: bool) -> int:
    from clearhouse.journal.writer import JournalWriter

    _die_with_parent()
    stdin = sys.stdin.buffer
    out = sys.stdout.buffer
    try:
        writer = JournalWriter.open(directory, durable=durable)
    except JournalLocked as exc:
        _send_text(out, json.dumps({"error": str(exc), "kind": "locked"}))
        return 1
    except JournalCorrupted as exc:
        _send_text(
            out,
            json.dumps(
                {
                    "error": str(exc),
                    "kind": "corrupted",
                    "file": str(exc.file),
                    "offset": exc.offset,
                    "seq": exc.seq,
                    "reason": exc.reason,
                }
            ),
        )
        return 1
    recovery = writer.recovery
    _send_text(
        out,
        json.dumps({"last_seq": writer.last_seq, "recovery": str(recovery) if recovery else None}),
    )
    try:
        while True:
            header = _read_exact(stdin, BATCH_HEADER.size)
            if header is None:
                return 0  # the parent closed the pipe: a clean stop
            count, first_seq, body_bytes = BATCH_HEADER.unpack(header)
            raw_lengths = _read_exact(stdin, 4 * count)
            body = _read_exact(stdin, body_bytes)
            if raw_lengths is None or body is None:
                return 0  # the parent died mid-frame: the partial batch was never acknowledged
            lengths = array("I")
            lengths.frombytes(raw_lengths)
            if first_seq != writer.last_seq + 1:
                raise JournalError(f"batch starts at {first_seq}, journal at {writer.last_seq}")
            view = memoryview(body)
            offset = 0
            append = writer.append
            for length in lengths:
                append(view[offset : offset + length].tobytes())
                offset += length
            _send(out, ACK.pack(writer.commit()))
    except BaseException as exc:  # report, then die: the parent must stop the venue
        try:
            _send(out, ACK.pack(0))
            _send_text(out, f"journal write failed: {exc!r}")
        finally:
            os._exit(2)
    finally:
        writer.close()


if __name__ == "__main__":
    raise SystemExit(child_main(Path(sys.argv[1]), sys.argv[2] == "1"))
