"""Sender processes (HOOKWIRE_SENDER_PROCESSES): attempts made by child processes come back
exactly as the in-process transport makes them, and a child that dies loses nothing silently."""

from __future__ import annotations

import asyncio
import fcntl
import os
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet

from hookwire.delivery import worker as worker_module
from hookwire.delivery.recording import Finished
from hookwire.delivery.senders import PIPE_BYTES, ProcessTransport, SenderLost
from hookwire.delivery.signing import JwtSigner, generate_private_key
from hookwire.delivery.transport import AttemptResult, NotStarted, Transport
from hookwire.delivery.worker import Worker
from hookwire.models.queue import Claim, ClaimedDelivery, EventRow, WebhookRow
from hookwire.runtime import Runtime
from hookwire.settings import Settings, SettingsError
from tests.support.receiver import Receiver, Response

HEADERS = [("Content-Type", "application/jwt"), ("X-Token", "t1"), ("X-Token", "t2")]
LOOPBACK_ONLY = ["127.0.0.0/8"]


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


def network(receiver: Receiver) -> dict[str, object]:
    return {
        "allowed_networks": LOOPBACK_ONLY,
        "resolve": {**receiver.resolve, "private.test": "10.1.2.3"},
        "ca_bundle": receiver.ca_bundle_path,
    }


@pytest.fixture
async def senders(receiver: Receiver) -> AsyncIterator[ProcessTransport]:
    transport = ProcessTransport(1, **network(receiver))  # type: ignore[arg-type]
    yield transport
    await transport.close()


def comparable(result: AttemptResult) -> tuple[object, ...]:
    return (
        result.outcome,
        result.status_code,
        result.error,
        result.response_body,
        result.retry_after_seconds,
        result.response_json,
    )


async def test_a_child_makes_the_same_attempts_as_the_transport(
    receiver: Receiver, senders: ProcessTransport
) -> None:
    local = Transport(**network(receiver))  # type: ignore[arg-type]
    cases = [
        ("/ok", Response(200, {"merged": {"é": [1, 2.5, None, True]}})),
        ("/busy", Response(429, "slow down", headers={"Retry-After": "7"})),
        ("/moved", Response(302, headers={"Location": "https://elsewhere.test/"})),
        ("/error", Response(500, "x" * 10_000)),
    ]
    try:
        for path, response in cases:
            receiver.respond(path, response, response)
            here = await local.post(receiver.url(path), b"a.b.c", HEADERS, 5)
            there = await senders.post(receiver.url(path), b"a.b.c", HEADERS, 5)

            assert comparable(there) == comparable(here)
            assert there.started_at.tzinfo is not None
            assert there.started_at <= there.finished_at and there.duration_ms > 0
        blocked = await senders.post("https://private.test/hook", b"x", HEADERS, 5)
    finally:
        await local.close()

    first, second = receiver.requests("/ok")
    assert first.body == second.body == b"a.b.c"
    assert first.headers == {**second.headers, "host": first.headers["host"]}
    assert second.headers["x-token"] == "t1, t2"
    assert blocked.outcome == "BLOCKED"
    assert "10.1.2.3" in (blocked.error or "")
    assert receiver.requests("/private") == []


async def test_concurrent_attempts_are_spread_and_each_gets_its_own_answer(
    receiver: Receiver,
) -> None:
    transport = ProcessTransport(2, **network(receiver))  # type: ignore[arg-type]
    try:
        results = await asyncio.gather(
            *(
                transport.post(receiver.url(f"/many/{n}"), str(n).encode(), HEADERS, 5)
                for n in range(200)
            )
        )
        pids = transport.pids
    finally:
        await transport.close()

    assert [r.outcome for r in results] == ["SUCCEEDED"] * 200
    assert len(set(pids)) == 2
    assert sorted(r.body for r in receiver.requests() if r.path.startswith("/many/")) == sorted(
        str(n).encode() for n in range(200)
    )


async def test_closing_lets_attempts_in_flight_finish(receiver: Receiver) -> None:
    transport = ProcessTransport(1, **network(receiver))  # type: ignore[arg-type]
    receiver.respond("/slow", Response(201, delay=0.5))
    await transport.post(receiver.url("/warm"), b"x", HEADERS, 5)
    (pid,) = transport.pids

    attempt = asyncio.create_task(transport.post(receiver.url("/slow"), b"x", HEADERS, 5))
    await asyncio.sleep(0.1)
    await transport.close()

    assert (await attempt).status_code == 201
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


async def in_flight_on_a_warm_child(
    receiver: Receiver, senders: ProcessTransport, path: str, timeout: float
) -> tuple[int, asyncio.Task[AttemptResult]]:
    """The one child's pid, and an attempt to `path` that it has started."""
    await senders.post(receiver.url("/warm"), b"x", HEADERS, 5)
    (pid,) = senders.pids
    attempt = asyncio.create_task(senders.post(receiver.url(path), b"x", HEADERS, timeout))
    await asyncio.sleep(0.15)
    return pid, attempt


async def test_a_child_that_dies_fails_its_attempts_and_the_next_one_starts_a_new_child(
    receiver: Receiver, senders: ProcessTransport
) -> None:
    receiver.respond("/hang", Response(200, delay=5))
    first, attempt = await in_flight_on_a_warm_child(receiver, senders, "/hang", 10)

    os.kill(first, signal.SIGKILL)

    with pytest.raises(SenderLost):
        await attempt
    result = await senders.post(receiver.url("/after"), b"x", HEADERS, 5)
    assert result.outcome == "SUCCEEDED"
    assert senders.pids != [first] and len(senders.pids) == 1


async def test_a_child_ignores_sigterm_sent_to_the_process_group(
    receiver: Receiver, senders: ProcessTransport
) -> None:
    """Stopping `hookwire serve` with a signal to its group must not cut attempts short:
    the parent decides when its children stop."""
    receiver.respond("/during-term", Response(200, delay=0.5))
    pid, attempt = await in_flight_on_a_warm_child(receiver, senders, "/during-term", 5)

    os.kill(pid, signal.SIGTERM)

    assert (await attempt).outcome == "SUCCEEDED"
    assert senders.pids == [pid]


async def test_a_child_runs_its_share_of_the_concurrency_and_keeps_the_rest_waiting(
    receiver: Receiver, senders: ProcessTransport
) -> None:
    """A worker at concurrency 2 keeps 6 posts under way; the child has 2 attempts at the
    receiver at any moment and starts each waiting one as an answer comes in."""
    assert senders.senders_for(2) == 6
    receiver.respond("/queued", Response(200, delay=0.5))

    attempts = [
        asyncio.create_task(senders.post(receiver.url("/queued"), str(n).encode(), HEADERS, 5))
        for n in range(5)
    ]
    await asyncio.to_thread(receiver.wait_for, 2, "/queued")
    await asyncio.sleep(0.2)  # the first two are not answered for another 0.3 s
    at_once = len(receiver.requests("/queued"))
    results = await asyncio.gather(*attempts)

    received = [r.body for r in receiver.requests("/queued")]
    assert at_once == 2
    assert [r.outcome for r in results] == ["SUCCEEDED"] * 5
    assert sorted(received[:2]) == [b"0", b"1"]  # the first two, then the waiting ones
    assert sorted(received) == [b"0", b"1", b"2", b"3", b"4"]


@pytest.mark.skipif(not hasattr(fcntl, "F_GETPIPE_SZ"), reason="Linux pipes only")
async def test_a_childs_stdin_pipe_holds_a_whole_frame_of_requests(
    receiver: Receiver, senders: ProcessTransport
) -> None:
    """A frame of 30 requests is about 60 kB: in a 64 KiB pipe the child reads it over several
    turns of its event loop, and its connections wait for it."""
    await senders.post(receiver.url("/warm"), b"x", HEADERS, 5)
    (child,) = senders._children
    assert child.process.stdin is not None
    pipe = child.process.stdin.get_extra_info("pipe").fileno()
    assert fcntl.fcntl(pipe, fcntl.F_GETPIPE_SZ) == PIPE_BYTES


async def test_an_attempt_still_waiting_at_its_start_by_is_not_started(
    receiver: Receiver, senders: ProcessTransport
) -> None:
    senders.senders_for(1)
    receiver.respond("/busy-line", Response(200, delay=0.5))
    first = asyncio.create_task(senders.post(receiver.url("/busy-line"), b"1", HEADERS, 5))
    late = asyncio.create_task(
        senders.post(receiver.url("/busy-line"), b"2", HEADERS, 5, start_by=time.monotonic() + 0.2)
    )
    patient = asyncio.create_task(
        senders.post(receiver.url("/busy-line"), b"3", HEADERS, 5, start_by=time.monotonic() + 30)
    )

    assert (await first).outcome == "SUCCEEDED"
    with pytest.raises(NotStarted):
        await late
    assert (await patient).outcome == "SUCCEEDED"
    assert [r.body for r in receiver.requests("/busy-line")] == [b"1", b"3"]


async def test_dropping_what_waits_leaves_attempts_in_flight_alone(
    receiver: Receiver, senders: ProcessTransport
) -> None:
    """What a stopping worker does: attempts under way finish, the waiting ones are handed
    back unsent (NotStarted), and the child goes on serving later posts."""
    senders.senders_for(1)
    receiver.respond("/stopping", Response(200, delay=0.5))
    attempts = [
        asyncio.create_task(senders.post(receiver.url("/stopping"), str(n).encode(), HEADERS, 5))
        for n in range(3)
    ]
    await asyncio.to_thread(receiver.wait_for, 1, "/stopping")

    senders.drop_waiting()
    first, *waiting = await asyncio.gather(*attempts, return_exceptions=True)
    after = await senders.post(receiver.url("/after-drop"), b"x", HEADERS, 5)

    assert isinstance(first, AttemptResult) and first.outcome == "SUCCEEDED"
    assert [type(w) for w in waiting] == [NotStarted, NotStarted]
    assert [r.body for r in receiver.requests("/stopping")] == [b"0"]
    assert after.outcome == "SUCCEEDED"


class _OneClaimQueue:
    """Stands in for the DeliveryQueue: the first claim answers `claims`, later ones
    nothing; notes what is handed back."""

    def __init__(self, claims: list[Claim]) -> None:
        self.claims = claims
        self.released: list[str] = []

    async def claim(self, owner: str, limit: int, lease: timedelta) -> list[Claim]:
        claims, self.claims = self.claims[:limit], self.claims[limit:]
        return claims

    async def release(self, owner: str, ids: Sequence[str]) -> None:
        self.released.extend(ids)


async def test_a_stopping_worker_hands_back_the_attempts_waiting_in_its_sender_process(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Concurrency 1 and one sender process: the worker claims two (its concurrency and as
    many ahead, at a rate too slow to claim more), one attempt at the receiver and one waiting
    in the child for the connection. Stopping lets the first finish and be recorded, and hands
    the other back to the queue unsent."""
    receiver.respond("/stopping-worker", Response(200, delay=0.6))
    webhook = WebhookRow("w-1", receiver.url("/stopping-worker"), "", 0, True)
    event = EventRow("e-1", "PersonCreated_v1", "{}")
    queue = _OneClaimQueue(
        [
            Claim(ClaimedDelivery(f"d-{n}", str(uuid.uuid4()), "e-1", "w-1", 0, 3), webhook, event)
            for n in range(3)
        ]
    )
    recorded: list[str] = []

    async def record(batch: list[Finished], *_: object) -> list[object]:
        recorded.extend(finished.delivery.id for finished in batch)
        return []

    monkeypatch.setattr(worker_module, "delivery_queue", lambda: queue)
    monkeypatch.setattr(worker_module, "record_finished", record)
    runtime = Runtime.create(Settings.from_env({}, secret_keys=(Fernet.generate_key().decode(),)))
    runtime.delivery_transport = ProcessTransport(1, **network(receiver))  # type: ignore[arg-type]
    signer = JwtSigner(generate_private_key(), "k1")

    async def signer_for(organization_id: uuid.UUID) -> JwtSigner:
        return signer

    monkeypatch.setattr(runtime.signers, "signer_for", signer_for)
    worker = Worker(runtime, concurrency=1, idle_poll=30.0)
    stop = asyncio.Event()
    try:
        running = asyncio.create_task(worker.run(stop))
        await asyncio.to_thread(receiver.wait_for, 1, "/stopping-worker")
        await asyncio.sleep(0.1)  # well inside the first attempt's 0.6 s
        stop.set()
        await asyncio.wait_for(running, 10)
    finally:
        await runtime.delivery_transport.close()

    assert len(receiver.requests("/stopping-worker")) == 1
    assert recorded == ["d-0"] and queue.released == ["d-1"]
    assert [claim.delivery.id for claim in queue.claims] == ["d-2"]  # never claimed


def test_the_setting_takes_a_count_from_0_to_64() -> None:
    assert Settings.from_env({}, secret_keys=("k",)).sender_processes == 0
    read = Settings.from_env({"HOOKWIRE_SENDER_PROCESSES": " 3 "}, secret_keys=("k",))
    assert read.sender_processes == 3
    assert (
        Settings.from_env({"HOOKWIRE_SENDER_PROCESSES": ""}, secret_keys=("k",)).sender_processes
        == 0
    )
    for wrong in ("-1", "65", "two", "1.5"):
        with pytest.raises(SettingsError, match="HOOKWIRE_SENDER_PROCESSES"):
            Settings.from_env({"HOOKWIRE_SENDER_PROCESSES": wrong}, secret_keys=("k",))


async def test_a_child_that_cannot_start_is_retried_after_a_growing_wait(
    receiver: Receiver, senders: ProcessTransport
) -> None:
    """A broken installation must not start a process per attempt."""
    working = senders._command
    senders._command = (sys.executable, "-c", "raise SystemExit(3)")

    with pytest.raises(SenderLost, match="exited with 3"):
        await senders.post(receiver.url("/never"), b"x", HEADERS, 5)
    started = time.monotonic()
    with pytest.raises(SenderLost):
        await senders.post(receiver.url("/never"), b"x", HEADERS, 5)
    first_wait = time.monotonic() - started
    senders._command = working
    started = time.monotonic()
    result = await senders.post(receiver.url("/recovered"), b"x", HEADERS, 5)
    second_wait = time.monotonic() - started

    assert first_wait >= 0.5 and second_wait >= 1.0
    assert result.outcome == "SUCCEEDED"
    assert receiver.requests("/never") == []
