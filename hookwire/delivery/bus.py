"""Fan-out of attempt outcomes to live subscribers, with a bounded queue per subscriber."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

log = logging.getLogger(__name__)

QUEUE_SIZE = 1000

Outcome = dict[str, Any]  # a DeliveryAttempt as JSON-ready data, with "organization_id"


class SubscriberDropped(Exception):
    """The subscriber fell QUEUE_SIZE outcomes behind and was dropped."""


class Subscriber:
    def __init__(self, bus: InMemoryBus, organization_id: str) -> None:
        self.organization_id = organization_id
        self.queue: asyncio.Queue[Outcome | None] = asyncio.Queue(QUEUE_SIZE)
        self.dropped = False
        self._bus = bus

    def offer(self, outcome: Outcome) -> None:
        try:
            self.queue.put_nowait(outcome)
        except asyncio.QueueFull:
            # A slow reader must not slow the worker or other readers: drop it.
            log.warning("dropping a subscriber of %s: queue full", self.organization_id)
            self.dropped = True
            while not self.queue.empty():
                self.queue.get_nowait()
            self.end()

    def end(self) -> None:
        """Stop this subscription; the reader sees the end after what is already queued."""
        self._bus.unsubscribe(self)
        if self.queue.full():
            self.queue.get_nowait()
        self.queue.put_nowait(None)

    async def outcomes(self) -> AsyncIterator[Outcome]:
        """Outcomes as they arrive; raises SubscriberDropped if this reader fell behind."""
        try:
            while (outcome := await self.queue.get()) is not None:
                yield outcome
            if self.dropped:
                raise SubscriberDropped("too many outcomes were waiting: subscribe again")
        finally:
            self._bus.unsubscribe(self)


class InMemoryBus:
    """Outcomes published in this process reach subscribers in this process."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[Subscriber]] = {}

    def subscribe(self, organization_id: str) -> Subscriber:
        subscriber = Subscriber(self, organization_id)
        self._subscribers.setdefault(organization_id, set()).add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        group = self._subscribers.get(subscriber.organization_id)
        if group is not None:
            group.discard(subscriber)
            if not group:
                del self._subscribers[subscriber.organization_id]

    async def publish(self, outcomes: list[Outcome]) -> None:
        """Offer each outcome to its organization's subscribers."""
        for outcome in outcomes:
            for subscriber in list(self._subscribers.get(outcome["organization_id"], ())):
                subscriber.offer(outcome)

    async def close(self) -> None:
        """End every subscription (shutdown)."""
        for group in list(self._subscribers.values()):
            for subscriber in list(group):
                subscriber.end()
