"""How far the worker claims ahead of its senders: as many as finish in AHEAD_SECONDS while
receivers answer quickly, never fewer than `concurrency` nor more than AHEAD_MAX times it;
and a claimed delivery that waited for a sender until its lease would not outlast the
attempt goes back to the queue unsent."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import cast

import pytest
from cryptography.fernet import Fernet

from hookwire.delivery import worker as worker_module
from hookwire.delivery.transport import AttemptResult, NotStarted
from hookwire.delivery.worker import AHEAD_MAX, LEASE_MARGIN, Target, Worker, _Ready
from hookwire.models.queue import ClaimedDelivery, DeliveryQueue, EventRow
from hookwire.runtime import Runtime
from hookwire.settings import Settings


def _worker(lease: str = "90s") -> Worker:
    """A Worker at concurrency 64, never run: its claim-ahead arithmetic and single attempts
    are used."""

    async def make() -> Worker:  # the Worker's events belong to a running loop
        settings = Settings.from_env(
            {"HOOKWIRE_DELIVERY_LEASE": lease}, secret_keys=(Fernet.generate_key().decode(),)
        )
        return Worker(Runtime.create(settings), concurrency=64)

    return asyncio.run(make())


def _after_a_second_of(worker: Worker, finished: int, seconds: float = 1.0) -> int:
    worker._finished_count = finished
    worker._rate_since = time.monotonic() - seconds
    return worker._ahead_allowed()


@pytest.mark.parametrize(
    ("finished_per_second", "expected"),
    [
        (0, 64),  # nothing finished: one batch of senders' worth, as before any rate is known
        (100, 64),  # slow receivers: never fewer than `concurrency`
        (400, 100),
        (600, 150),  # as many as finish in AHEAD_SECONDS
        (100_000, AHEAD_MAX * 64),  # never more than AHEAD_MAX times `concurrency`
    ],
)
def test_claims_run_ahead_by_the_recent_rate_within_bounds(
    finished_per_second: int, expected: int
) -> None:
    worker = _worker()
    # abs=1: a little more than the second passes between setting up and measuring.
    assert _after_a_second_of(worker, finished_per_second) == pytest.approx(expected, abs=1)


def test_the_rate_is_measured_over_a_second_or_a_quarter_with_enough_attempts() -> None:
    worker = _worker()
    assert _after_a_second_of(worker, 5_000) == AHEAD_MAX * 64
    # Within the next quarter second the last figure holds, however many have finished.
    assert _after_a_second_of(worker, 0, seconds=0.2) == AHEAD_MAX * 64
    # A second later with nothing finished (receivers stalled): back to `concurrency`.
    assert _after_a_second_of(worker, 0, seconds=1.0) == 64
    # A quarter second with fewer than `concurrency` finished is too little to tell a rate.
    assert _after_a_second_of(worker, 63, seconds=0.3) == 64
    # With `concurrency` of them it is enough: 300 in 0.3 s is 1,000/s, 250 in 0.25 s.
    assert _after_a_second_of(worker, 300, seconds=0.3) == pytest.approx(250, abs=3)


def test_a_worker_starting_on_a_backlog_claims_ahead_within_a_quarter_second() -> None:
    """Before any rate is known a worker claims `concurrency` ahead; as soon as a quarter
    second has shown a rate, not a whole second later (a fifth of a short busy spell)."""
    worker = _worker()
    assert worker._ahead_allowed() == 64
    assert _after_a_second_of(worker, 2_000, seconds=0.26) == AHEAD_MAX * 64


class _Queue:
    """Stands in for the DeliveryQueue: notes what is handed back."""

    def __init__(self) -> None:
        self.released: list[list[str]] = []

    async def release(self, owner: str, ids: Sequence[str]) -> None:
        self.released.append(list(ids))


class _Sender:
    """Stands in for the Transport: notes what is sent and by when it must start, answers
    200, or raises NotStarted as a sender process does when the attempt waited too long."""

    def __init__(self, started: bool = True) -> None:
        self.posted: list[bytes] = []
        self.start_by: list[float | None] = []
        self.started = started

    async def post(
        self,
        url: str,
        body: bytes,
        headers: Sequence[tuple[str, str]],
        timeout: float,
        start_by: float | None = None,
    ) -> AttemptResult:
        self.start_by.append(start_by)
        if not self.started:
            raise NotStarted("not started in time")
        self.posted.append(body)
        now = datetime.now(UTC)
        return AttemptResult("SUCCEEDED", 200, 1.0, now, now)

    def senders_for(self, concurrency: int) -> int:
        return concurrency

    def drop_waiting(self) -> None:
        return None


def _attempt_with_lease_left(
    seconds: float, lease: str = "90s", timeout: float = 5.0, started: bool = True
) -> tuple[_Queue, _Sender, Worker]:
    """One signed delivery attempted when its lease has `seconds` left."""
    worker, queue, sender = _worker(lease), _Queue(), _Sender(started)
    worker._queue = cast(DeliveryQueue, queue)
    worker.runtime.delivery_transport = sender
    delivery = ClaimedDelivery("d-1", "o-1", "e-1", "w-1", 0, 3)
    target = Target("https://hooks.test/", (("Content-Type", "application/jwt"),), timeout, True)
    event = EventRow("e-1", "PersonCreated_v1", "{}")
    ready = _Ready(delivery, target, event, lease_ends=time.monotonic() + seconds)
    ready.body, ready.signed_at = b"token", time.monotonic()
    asyncio.run(worker._attempt(ready))
    return queue, sender, worker


def test_an_attempt_that_would_outlast_its_lease_goes_back_unsent() -> None:
    """Claimed ahead, then kept waiting by slow receivers until its lease would run out
    during the attempt: sending it could race another worker that claims it then."""
    queue, sender, worker = _attempt_with_lease_left(5.0 + LEASE_MARGIN - 1)
    assert sender.posted == []
    assert queue.released == [["d-1"]]
    assert worker._finished.empty()  # nothing recorded: it was not attempted


def test_an_attempt_the_lease_outlasts_is_sent() -> None:
    queue, sender, worker = _attempt_with_lease_left(5.0 + LEASE_MARGIN + 1)
    assert sender.posted == [b"token"]
    assert queue.released == []
    assert worker._finished.qsize() == 1


def test_the_sender_is_told_by_when_the_attempt_must_start() -> None:
    """A sender process may keep an attempt waiting for a connection: it must not start it
    later than the lease allows: with 20 s of a 90 s lease left, a 5 s timeout and a margin
    of a tenth of the lease (9 s), 6 s from now."""
    before = time.monotonic()
    _, sender, _ = _attempt_with_lease_left(20.0)
    (start_by,) = sender.start_by
    assert start_by is not None
    assert before + 6.0 - 0.5 <= start_by <= time.monotonic() + 6.0


def test_an_attempt_the_sender_did_not_start_in_time_goes_back_unsent() -> None:
    queue, sender, worker = _attempt_with_lease_left(60.0, started=False)
    assert sender.posted == []
    assert queue.released == [["d-1"]]
    assert worker._finished.empty()


def test_a_short_lease_keeps_a_margin_of_a_tenth_of_itself() -> None:
    """A 3 s lease (as fast tests use) with a 2 s timeout: 0.3 s of margin, not 10 s."""
    _, sent, _ = _attempt_with_lease_left(2.5, lease="3s", timeout=2.0)
    _, late, _ = _attempt_with_lease_left(2.2, lease="3s", timeout=2.0)
    assert (sent.posted, late.posted) == ([b"token"], [])


def test_a_lease_shorter_than_the_timeout_still_sends() -> None:
    """Against the guidance, but not a reason to hand the delivery back for ever."""
    _, sender, _ = _attempt_with_lease_left(9.5, lease="10s", timeout=20.0)
    assert sender.posted == [b"token"]


def test_claiming_ahead_stays_within_a_lease_of_the_defaults() -> None:
    """AHEAD_SECONDS of attempts ahead at the default lease leaves room for the longest
    timeout (20 s) and the margin."""
    default_lease = Settings.from_env({}, secret_keys=("k",)).delivery_lease
    assert default_lease > worker_module.AHEAD_SECONDS + 20.0 + LEASE_MARGIN
