"""How the worker claims: as much as its room allows in one claim; after a claim fails, or
its rows cannot be made into work, a back-off rather than a tight loop, and nothing kept that
was claimed."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from cryptography.fernet import Fernet

from hookwire.delivery import worker as worker_module
from hookwire.delivery.worker import Worker
from hookwire.models.queue import Claim, ClaimedDelivery, EventRow, WebhookRow
from hookwire.runtime import Runtime
from hookwire.settings import Settings


class _Queue:
    """Stands in for the DeliveryQueue: each claim answers what `answers` says, once `gate`
    opens; notes every claim's limit and what is handed back."""

    def __init__(self, answers: list[Any]) -> None:
        self.answers = answers  # an exception to raise or claims to return, per claim
        self.gate = asyncio.Event()
        self.limits: list[int] = []
        self.released: list[list[str]] = []

    async def claim(self, owner: str, limit: int, lease: timedelta) -> list[Claim]:
        self.limits.append(limit)
        await self.gate.wait()
        answer = self.answers.pop(0) if self.answers else []
        if isinstance(answer, Exception):
            raise answer
        return list(answer)

    async def release(self, owner: str, ids: Sequence[str]) -> None:
        self.released.append(list(ids))

    async def record(self, *args: object) -> None:
        return None


def _run(queue: _Queue, monkeypatch: pytest.MonkeyPatch, batch_size: int, seconds: float) -> None:
    """Run a worker (concurrency 64) against `queue` for `seconds`, then stop it."""
    monkeypatch.setattr(worker_module, "delivery_queue", lambda: queue)

    async def main() -> None:
        settings = Settings.from_env({}, secret_keys=(Fernet.generate_key().decode(),))
        # idle_poll: a worker that found nothing waits this long (or for a wake) before it
        # claims again, longer than any test here runs.
        worker = Worker(
            Runtime.create(settings), concurrency=64, batch_size=batch_size, idle_poll=30.0
        )
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run(stop))
        await asyncio.sleep(seconds)
        queue.gate.set()
        await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(running, 5)

    asyncio.run(main())


def test_one_claim_fills_the_room_when_it_can(monkeypatch: pytest.MonkeyPatch) -> None:
    """Room for 128 (64 senders and 64 ahead): one claim asks for all of it, and when it
    finds nothing due the worker waits (idle_poll) instead of claiming again at once; a stop
    ends the wait."""
    queue = _Queue([])
    _run(queue, monkeypatch, batch_size=128, seconds=0.2)
    assert queue.limits == [128]


def test_a_failed_claim_backs_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first claim fails: the next waits out the back-off (1 s) instead of following at
    once, and the worker stops cleanly during it."""
    queue = _Queue([RuntimeError("database is locked")])
    _run(queue, monkeypatch, batch_size=128, seconds=0.0)
    assert queue.limits == [128]


def test_rows_that_cannot_be_made_into_work_are_handed_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A webhook's custom headers that no master key decrypts: the claimed delivery goes
    back to the queue at once (not when its lease ends), and the worker backs off."""
    delivery = ClaimedDelivery("d-1", "o-1", "e-1", "w-1", 0, 3)
    webhook = WebhookRow("w-1", "https://hooks.test/", "not a Fernet token", 0, True)
    event = EventRow("e-1", "PersonCreated_v1", "{}")
    queue = _Queue([[Claim(delivery, webhook, event)]])
    _run(queue, monkeypatch, batch_size=128, seconds=0.0)
    assert queue.released == [["d-1"]]
    assert queue.limits == [128]
