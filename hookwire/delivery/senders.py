"""Sending in child processes: the worker keeps the database, sender processes do the HTTPS.

One Python process sends at most what one core can: TLS and HTTP in aiohttp cost about as
much CPU per request as everything else an attempt needs (claiming, signing, recording)
together. With HOOKWIRE_SENDER_PROCESSES=N the worker claims, signs and records as before,
and N child processes (`python -m hookwire.delivery.senders`) each run the same `Transport`,
with the same network policy, for the attempts handed to them. The database keeps one writer
process, which is what SQLite needs.

The parent talks to each child over its stdin and stdout in frames: a 4-byte big-endian
length, then a `marshal`ed list (marshal only carries plain values: no code travels, and a
receiver's JSON answer is plain values). The first frame is the configuration. Requests are
`(id, url, body, headers, timeout, start_within)`; answers are `(id, outcome, status_code,
duration_ms, started_us, finished_us, error, response_body, retry_after_seconds,
response_json)`, times in microseconds since the epoch, `(id, None, message)` when the
child failed to make the attempt, or `(id, None, None)` when it did not start it within
`start_within` seconds (NotStarted). The request `(0,)` makes the child answer every request
still waiting that way. Everything handed over in one pass of the event loop travels as one
frame.

A child runs at most `limit` attempts at once (its share of the worker's concurrency, see
`ProcessTransport.senders_for`, else as many as its Transport's connector allows); the
requests beyond wait in it, in order, for a connection.

A child that dies takes its attempts in flight with it: their `post` raises `SenderLost`,
the worker leaves those deliveries leased, and they are claimed again when the lease ends (at
least once; nothing is lost). The next attempt starts a new child.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import fcntl
import logging
import marshal
import math
import signal
import struct
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from hookwire.delivery.collector import settle_collector
from hookwire.delivery.transport import MAX_CONNECTIONS, AttemptResult, NotStarted, Transport

log = logging.getLogger(__name__)

_LENGTH = struct.Struct(">I")
YOUNG_DEATH = 5.0  # seconds: a child that exits sooner delays the next start
PIPE_BYTES = 1 << 20  # Linux's default ceiling for unprivileged processes
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_DROP_WAITING = (0,)  # a request id 0: answer every request not yet started as not started

Request = tuple[int, str, bytes, tuple[tuple[str, str], ...], float, float | None]


class SenderLost(RuntimeError):
    """A sender process ended before answering; the attempt may or may not have been sent."""


def _frame(items: list[Any]) -> bytes:
    payload = marshal.dumps(items, 4)
    return _LENGTH.pack(len(payload)) + payload


async def _read_frame(reader: asyncio.StreamReader) -> list[Any] | None:
    """The next frame's items, or None at the end of the stream."""
    try:
        head = await reader.readexactly(_LENGTH.size)
        items: list[Any] = marshal.loads(await reader.readexactly(_LENGTH.unpack(head)[0]))
    except asyncio.IncompleteReadError:
        return None
    return items


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


def _moment(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


# --- the parent's side ---------------------------------------------------------------------


class _Child:
    """One sender process, the attempts it has in flight and the task reading its answers."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.started = time.monotonic()
        self.pending: dict[int, asyncio.Future[AttemptResult]] = {}
        self.outbox: list[Request | tuple[int]] = []
        self.reader: asyncio.Task[None] | None = None

    @property
    def alive(self) -> bool:
        return (
            self.process.returncode is None and self.reader is not None and not self.reader.done()
        )


class ProcessTransport:
    """`Transport.post` carried out by `processes` child processes, least busy first."""

    def __init__(
        self,
        processes: int,
        *,
        allowed_networks: Sequence[str] = (),
        resolve: dict[str, str] | None = None,
        ca_bundle: str | None = None,
        user_agent: str = "Hookwire/0.1.0",
    ) -> None:
        if processes < 1:
            raise ValueError("ProcessTransport needs at least one process")
        self._count = processes
        self._config = {
            "allowed_networks": list(allowed_networks),
            "resolve": dict(resolve or {}),
            "ca_bundle": ca_bundle,
            "user_agent": user_agent,
        }
        # Checked here, where a mistake belongs to the caller, rather than in a child.
        Transport(allowed_networks=allowed_networks, resolve=resolve or {}, ca_bundle=ca_bundle)
        self._children: list[_Child] = []
        self._starting: asyncio.Lock | None = None
        self._command = (sys.executable, "-m", "hookwire.delivery.senders")
        self._closing = False
        # A child that dies young is not restarted at once, or a broken installation would
        # start a process per attempt: the wait doubles from 0.5 s up to 30 s.
        self._backoff = 0.0
        self._not_before = 0.0
        self._next_id = 0
        self._flush_scheduled = False
        # Attempts each child runs at once: until senders_for says, as many as its
        # Transport's connector allows anyway.
        self._limit = MAX_CONNECTIONS

    def senders_for(self, concurrency: int) -> int:
        """Each child runs at most its share of `concurrency` attempts at once and keeps the
        rest waiting: the worker keeps three times `concurrency` posts under way, so that a
        child starts its next attempt the moment one ends, not a round trip through this
        process later (which on a busy machine held the senders' connections idle half the
        time). Three, not two: on the benchmark VM requests and answers spend 2 – 7 ms each
        way between the processes, a third of a busy worker's posts at any moment.
        Children started before this call keep the limit they started with."""
        self._limit = -(-concurrency // self._count)
        return 3 * concurrency

    def drop_waiting(self) -> None:
        """Every post waiting in a child for a free connection raises NotStarted."""
        for child in self._children:
            if child.alive:
                child.outbox.append(_DROP_WAITING)
        self._flush()

    async def post(
        self,
        url: str,
        body: bytes,
        headers: Sequence[tuple[str, str]],
        timeout: float,
        start_by: float | None = None,
    ) -> AttemptResult:
        """Send one attempt through the least busy sender process."""
        children = await self._running()
        child = min(children, key=lambda c: len(c.pending))
        self._next_id += 1
        request_id = self._next_id
        future: asyncio.Future[AttemptResult] = asyncio.get_running_loop().create_future()
        child.pending[request_id] = future
        # Seconds rather than a time: the child's clock need not be this one's.
        start_within = None if start_by is None else start_by - time.monotonic()
        child.outbox.append((request_id, url, body, tuple(headers), timeout, start_within))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)
        return await future

    async def close(self) -> None:
        """Let every child finish what it has in flight, then end it."""
        self._closing = True
        self._flush()
        children, self._children = self._children, []
        for child in children:
            if child.process.stdin is not None:
                child.process.stdin.close()
        for child in children:
            try:
                await asyncio.wait_for(child.process.wait(), 60)
            except TimeoutError:
                log.error("sender process %d did not stop; killing it", child.process.pid)
                child.process.kill()
                await child.process.wait()
            if child.reader is not None:
                await child.reader
        self._closing = False  # as with Transport, a later post starts afresh

    @property
    def pids(self) -> list[int]:
        """The process ids of the running children (for tests and operators)."""
        return [child.process.pid for child in self._children if child.alive]

    async def _running(self) -> list[_Child]:
        if len(self._children) == self._count and all(c.alive for c in self._children):
            return self._children
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:
            self._children = [c for c in self._children if c.alive]
            if len(self._children) < self._count:
                await asyncio.sleep(self._not_before - time.monotonic())
            while len(self._children) < self._count:
                self._children.append(await self._spawn())
        return self._children

    async def _spawn(self) -> _Child:
        loop = "uvloop" if type(asyncio.get_running_loop()).__module__.startswith("uvloop") else ""
        process = await asyncio.create_subprocess_exec(
            *self._command,
            *([loop] if loop else []),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert process.stdin is not None
        _widen(process.stdin)
        process.stdin.write(_frame([self._config | {"limit": self._limit}]))
        child = _Child(process)
        child.reader = asyncio.create_task(self._read_answers(child))
        log.info("sender process %d started", process.pid)
        return child

    def _flush(self) -> None:
        self._flush_scheduled = False
        for child in self._children:
            if child.outbox and child.process.stdin is not None:
                outbox, child.outbox = child.outbox, []
                child.process.stdin.write(_frame(outbox))

    async def _read_answers(self, child: _Child) -> None:
        assert child.process.stdout is not None
        try:
            while (answers := await _read_frame(child.process.stdout)) is not None:
                for answer in answers:
                    future = child.pending.pop(answer[0], None)
                    if future is None or future.done():
                        continue
                    if answer[1] is None:
                        if answer[2] is None:
                            future.set_exception(NotStarted("not started in time"))
                        else:
                            future.set_exception(RuntimeError(answer[2]))
                    else:
                        future.set_result(_result(answer))
        finally:
            code = await child.process.wait()
            lost = [f for f in child.pending.values() if not f.done()]
            for future in lost:
                future.set_exception(SenderLost(f"sender process exited with {code}"))
            child.pending.clear()
            if not self._closing:
                if time.monotonic() - child.started < YOUNG_DEATH:
                    self._backoff = min(30.0, max(0.5, 2 * self._backoff))
                    self._not_before = time.monotonic() + self._backoff
                else:
                    self._backoff = 0.0
            if lost or code != 0:
                log.error(
                    "sender process %d exited with %s, %d attempts in flight",
                    child.process.pid,
                    code,
                    len(lost),
                )


def _widen(stdin: asyncio.StreamWriter) -> None:
    """A child's stdin pipe holds PIPE_BYTES instead of 64 KiB, where Linux allows: a frame
    of 30 requests is about 60 kB, and a pipe that holds less makes the child read it over
    several turns of its event loop (requests took 5.7 ms to reach the child at the median
    instead of 3.3)."""
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None)
    if set_size is None:
        return
    with contextlib.suppress(OSError):  # above /proc/sys/fs/pipe-max-size: stay at 64 KiB
        fcntl.fcntl(stdin.get_extra_info("pipe").fileno(), set_size, PIPE_BYTES)


def _result(answer: Sequence[Any]) -> AttemptResult:
    _, outcome, status, duration, started, finished, error, body, retry_after, document = answer
    return AttemptResult(
        outcome=outcome,
        status_code=status,
        duration_ms=duration,
        started_at=_moment(started),
        finished_at=_moment(finished),
        error=error,
        response_body=body,
        retry_after_seconds=retry_after,
        response_json=document,
    )


# --- the child's side ----------------------------------------------------------------------


async def _serve_parent() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin.buffer)
    write_transport, write_protocol = await loop.connect_write_pipe(
        asyncio.streams.FlowControlMixin, sys.stdout.buffer
    )
    writer = asyncio.StreamWriter(write_transport, write_protocol, None, loop)
    first = await _read_frame(reader)
    if not first:
        return
    settle_collector()
    config = first[0]
    transport = Transport(
        allowed_networks=config["allowed_networks"],
        resolve=config["resolve"],
        ca_bundle=config["ca_bundle"],
        user_agent=config["user_agent"],
    )
    answers: list[tuple[Any, ...]] = []
    limit: int = config["limit"]
    waiting: collections.deque[tuple[Request, float]] = collections.deque()
    more = asyncio.Event()

    def flush() -> None:
        if answers:
            writer.write(_frame(answers))
            answers.clear()

    def answer(one: tuple[Any, ...]) -> None:
        if not answers:
            loop.call_soon(flush)
        answers.append(one)

    async def attempt(request: Request) -> None:
        request_id, url, body, headers, timeout, _ = request
        try:
            result = await transport.post(url, body, headers, timeout)
        except Exception as error:
            answer((request_id, None, f"{type(error).__name__}: {error}"))
            return
        answer(
            (
                request_id,
                result.outcome,
                result.status_code,
                result.duration_ms,
                _micros(result.started_at),
                _micros(result.finished_at),
                result.error,
                result.response_body,
                result.retry_after_seconds,
                result.response_json,
            )
        )

    async def connection() -> None:
        """One of `limit`: attempts one waiting request after another until none is left
        and the parent has closed our stdin."""
        while True:
            while not waiting:
                if reading.done():
                    return
                more.clear()
                await more.wait()
            request, start_by = waiting.popleft()
            if time.monotonic() > start_by:
                answer((request[0], None, None))
            else:
                await attempt(request)

    async def read_requests() -> None:
        while (requests := await _read_frame(reader)) is not None:
            now = time.monotonic()
            for request in requests:
                if request == _DROP_WAITING:
                    while waiting:
                        answer((waiting.popleft()[0][0], None, None))
                else:
                    start_within = request[5]
                    waiting.append(
                        (request, math.inf if start_within is None else now + start_within)
                    )
                    more.set()

    reading = asyncio.create_task(read_requests())
    reading.add_done_callback(lambda _: more.set())
    connections = [asyncio.create_task(connection()) for _ in range(limit)]
    try:
        # Until the parent closes our stdin; then finish what was handed over, and end.
        await reading
        await asyncio.gather(*connections)
        flush()
        await writer.drain()
    finally:
        await transport.close()
        write_transport.close()


def main(argv: Sequence[str]) -> None:
    # The parent decides when a sender stops (by closing its stdin); a Ctrl-C or a SIGTERM
    # sent to the whole process group must not cut attempts short.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logging.basicConfig(level=logging.INFO, format="sender %(process)d: %(message)s")
    if "uvloop" in argv:
        import uvloop

        uvloop.run(_serve_parent())
    else:
        asyncio.run(_serve_parent())


if __name__ == "__main__":
    with contextlib.suppress(BrokenPipeError):
        main(sys.argv[1:])
