"""Fan-out of attempt outcomes to live subscribers, with a bounded queue per subscriber."""

from __future__ import annotations

import asyncio
import contextlib
import json
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

    async def start(self) -> None:
        return None

    @property
    def listened_to(self) -> bool:
        """Whether anyone in this process is subscribed (publishing is pointless if not)."""
        return bool(self._subscribers)

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


CHANNEL = "hookwire:outcomes"


class RedisBus:
    """Outcomes cross processes through Redis pub/sub: one listener per process feeds the
    bounded queues of this process's subscribers."""

    def __init__(self, url: str, channel: str = CHANNEL) -> None:
        from redis.asyncio import Redis

        self._redis = Redis.from_url(url)
        self._channel = channel
        self._local = InMemoryBus()
        self._listener: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()

    async def start(self) -> None:
        """Start listening; returns once the subscription to the channel is live."""
        if self._listener is None:
            self._listener = asyncio.create_task(self._listen())
        await self._listening.wait()

    @property
    def listened_to(self) -> bool:
        """Always: subscribers in other processes cannot be seen from here."""
        return True

    def subscribe(self, organization_id: str) -> Subscriber:
        return self._local.subscribe(organization_id)

    async def publish(self, outcomes: list[Outcome]) -> None:
        """One message per batch, so a busy worker costs Redis one round trip per batch."""
        if outcomes:
            await self._redis.publish(self._channel, json.dumps(outcomes))

    async def _listen(self) -> None:
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(self._channel)
                    self._listening.set()
                    async for message in pubsub.listen():
                        if message["type"] == "message":
                            await self._local.publish(json.loads(message["data"]))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("lost the Redis outcome channel; reconnecting in 1 s")
                await asyncio.sleep(1)

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        await self._local.close()
        await self._redis.aclose()


Bus = InMemoryBus | RedisBus


def bus_for(redis_url: str | None) -> Bus:
    """Redis fan-out when a Redis URL is configured, otherwise this process only."""
    return RedisBus(redis_url) if redis_url else InMemoryBus()
