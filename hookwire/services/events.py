"""Events in: emitEvent and generateTestEvents, written with their deliveries in one
transaction (the transactional outbox), so an accepted event is never lost."""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from hookwire.domain.errors import RuleViolation
from hookwire.domain.event_catalog import event_type
from hookwire.domain.sample_events import build_event_content, random_event_fields
from hookwire.domain.storable import check_json, check_text
from hookwire.models import Delivery, Event, IdempotencyKey, Trigger
from hookwire.models.ids import uuid7
from hookwire.services.rate_limits import TEST_EVENTS_LIMIT, RateLimits

IDEMPOTENCY_WINDOW = timedelta(hours=24)
MAX_IDEMPOTENCY_KEY = 255
MAX_TEST_EVENTS = 50


class RateLimited(Exception):
    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(
            "test events are limited to 10 a minute with bursts of 50; "
            f"retry in {retry_after_seconds}s"
        )
        self.message = str(self)
        self.retry_after_seconds = retry_after_seconds


@dataclass(frozen=True)
class TestEventRequest:
    event_name: str
    count: int = 1
    duplicates: bool = False
    analytics_correlation_id: str | None = None


@dataclass(frozen=True)
class NewEvent:
    """An event to store and the number of deliveries to make of it per webhook."""

    event: Event
    copies: int = 1


def _checked_event_name(name: str, field: str) -> str:
    try:
        return event_type(name).name
    except RuleViolation as violation:
        violation.field = field
        raise


def _new_event(
    org_id: uuid.UUID,
    name: str,
    fields: Mapping[str, Any] | None,
    *,
    is_test_event: bool,
) -> Event:
    event_id, timestamp = uuid7(), datetime.now(UTC)
    content = build_event_content(
        name,
        event_id=str(event_id),
        organization_id=str(org_id),
        timestamp=timestamp,
        fields=fields,
        is_test_event=is_test_event,
    )
    return Event(
        id=event_id,
        organization_id=org_id,
        name=name,
        is_test_event=is_test_event,
        timestamp=timestamp,
        content=content,
    )


async def _write_outbox(org_id: uuid.UUID, new_events: Sequence[NewEvent], budget: int) -> int:
    """Store events and one delivery per (copy, enabled subscribed webhook); in a transaction."""
    names = {n.event.name for n in new_events}
    subscriptions = await Trigger.filter(
        trigger_type="event",
        trigger_name__in=names,
        webhook__organization_id=org_id,
        webhook__enabled=True,
    ).values_list("trigger_name", "webhook_id")
    webhooks_by_name: dict[str, list[uuid.UUID]] = {}
    for name, webhook_id in subscriptions:
        webhooks_by_name.setdefault(name, []).append(webhook_id)
    now = datetime.now(UTC)
    deliveries = [
        Delivery(
            id=uuid7(),
            organization_id=org_id,
            event_id=new.event.id,
            webhook_id=webhook_id,
            attempt_budget=budget,
            next_attempt_at=now,
        )
        for new in new_events
        for webhook_id in sorted(webhooks_by_name.get(new.event.name, ()))
        for _ in range(new.copies)
    ]
    await Event.bulk_create([n.event for n in new_events])
    await Delivery.bulk_create(deliveries)
    return len(deliveries)


async def emit_event(
    org_id: uuid.UUID,
    name: str,
    fields: Any,
    idempotency_key: str | None,
    budget: int,
) -> tuple[Event, int]:
    """Store a real event and its deliveries; a repeated idempotency key returns the first."""
    name = _checked_event_name(name, "eventName")
    if fields is not None and not isinstance(fields, dict):
        raise RuleViolation("content must be a JSON object of the event's fields", "content")
    check_json(fields, "content")
    if idempotency_key is not None:
        if not 1 <= len(idempotency_key) <= MAX_IDEMPOTENCY_KEY:
            raise RuleViolation("idempotencyKey must be 1-255 characters", "idempotencyKey")
        check_text(idempotency_key, "idempotencyKey")
    event = _new_event(org_id, name, fields, is_test_event=False)
    try:
        async with in_transaction():
            if idempotency_key is not None:
                first = await _live_idempotent_event(org_id, idempotency_key)
                if first is not None:
                    return first, 0
            created = await _write_outbox(org_id, [NewEvent(event)], budget)
            if idempotency_key is not None:
                await IdempotencyKey.create(
                    organization_id=org_id, key=idempotency_key, event_id=event.id
                )
    except IntegrityError:
        # The same key, in a concurrent request that committed first: answer its event.
        first = await _live_idempotent_event(org_id, idempotency_key or "")
        if first is None:
            raise
        return first, 0
    return event, created


async def _live_idempotent_event(org_id: uuid.UUID, key: str) -> Event | None:
    """The event a key named within the last 24 hours; an older record is removed."""
    record = await IdempotencyKey.filter(organization_id=org_id, key=key).first()
    if record is None:
        return None
    if record.created_at <= datetime.now(UTC) - IDEMPOTENCY_WINDOW:
        await record.delete()
        return None
    return await Event.get(id=record.event_id)


async def generate_test_events(
    org_id: uuid.UUID,
    requests: Sequence[TestEventRequest],
    rate_limits: RateLimits,
    budget: int,
) -> list[Event]:
    """Random test events, delivered like real ones; nothing is made when over the limit."""
    for index, request in enumerate(requests):
        _checked_event_name(request.event_name, f"events[{index}].eventName")
        if not 1 <= request.count <= MAX_TEST_EVENTS:
            raise RuleViolation("count must be between 1 and 50", f"events[{index}].count")
        if request.analytics_correlation_id is not None:
            check_text(request.analytics_correlation_id, f"events[{index}].analyticsCorrelationId")
    if not requests:
        raise RuleViolation("give at least one test event description", "events")
    total = sum(r.count for r in requests)
    decision = await rate_limits.hit(TEST_EVENTS_LIMIT, f"test-events:{org_id}", cost=total)
    if not decision.allowed:
        raise RateLimited(decision.retry_after_seconds)
    rng = random.Random()
    new_events: list[NewEvent] = []
    answered: list[Event] = []
    for request in requests:
        name = event_type(request.event_name).name
        copies = request.count if request.duplicates else 1
        for _ in range(request.count // copies):
            fields = random_event_fields(name, rng, request.analytics_correlation_id)
            event = _new_event(org_id, name, fields, is_test_event=True)
            new_events.append(NewEvent(event, copies))
            answered.extend([event] * copies)
    async with in_transaction():
        await _write_outbox(org_id, new_events, budget)
    return answered
