"""How far the worker claims ahead of its senders: as many as finish in AHEAD_SECONDS while
receivers answer quickly, never fewer than `concurrency` nor more than AHEAD_MAX times it,
so that a claimed delivery's wait for a sender stays within its lease."""

from __future__ import annotations

import asyncio
import time

import pytest
from cryptography.fernet import Fernet

from hookwire.delivery import worker as worker_module
from hookwire.delivery.worker import AHEAD_MAX, Worker
from hookwire.runtime import Runtime
from hookwire.settings import Settings


def _worker() -> Worker:
    """A Worker at concurrency 64, never run: only its claim-ahead arithmetic is used."""

    async def make() -> Worker:  # the Worker's events belong to a running loop
        settings = Settings.from_env({}, secret_keys=(Fernet.generate_key().decode(),))
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


def test_the_rate_is_measured_over_a_second_at_least() -> None:
    worker = _worker()
    assert _after_a_second_of(worker, 5_000) == AHEAD_MAX * 64
    # Within the next second the last figure holds, however many have finished since.
    assert _after_a_second_of(worker, 0, seconds=0.2) == AHEAD_MAX * 64
    # A second later with nothing finished (receivers stalled): back to `concurrency`.
    assert _after_a_second_of(worker, 0, seconds=1.0) == 64


def test_the_lease_outlasts_the_longest_wait_with_the_defaults() -> None:
    """AHEAD_MAX attempts waited for, then its own, each at the 20 s maximum: under 90 s."""
    longest_timeout = 20.0
    default_lease = Settings.from_env({}, secret_keys=("k",)).delivery_lease
    assert (AHEAD_MAX + 1) * longest_timeout < default_lease
    assert worker_module.AHEAD_SECONDS < 1.0
