"""Reading events, deliveries and attempts, and queueing a redelivery."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from tortoise.queryset import QuerySet

from hookwire.domain.errors import NotFound
from hookwire.models import Delivery, DeliveryAttempt, Event, Webhook

STATUSES = ("PENDING", "RETRYING", "SUCCEEDED", "FAILED", "CANCELLED")


def parse_id(raw: str | None, kind: str) -> uuid.UUID:
    """A UUID from the API, or NotFound (a malformed id names nothing)."""
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        raise NotFound(kind, str(raw)) from None


async def get_event(org_id: uuid.UUID, event_id: str) -> Event:
    """The organization's event with this id."""
    event = await Event.get_or_none(id=parse_id(event_id, "event"), organization_id=org_id)
    if event is None:
        raise NotFound("event", event_id)
    return event


async def get_delivery(org_id: uuid.UUID, delivery_id: str) -> Delivery:
    """The organization's delivery with this id."""
    found = await Delivery.get_or_none(id=parse_id(delivery_id, "delivery"), organization_id=org_id)
    if found is None:
        raise NotFound("delivery", delivery_id)
    return found


def deliveries_of(
    org_id: uuid.UUID,
    *,
    webhook_id: uuid.UUID | None = None,
    event_id: uuid.UUID | None = None,
    status: str | None = None,
) -> QuerySet[Delivery]:
    """The organization's deliveries, narrowed by webhook, event and status, oldest first."""
    query = Delivery.filter(organization_id=org_id)
    if webhook_id is not None:
        query = query.filter(webhook_id=webhook_id)
    if event_id is not None:
        query = query.filter(event_id=event_id)
    if status is not None:
        query = query.filter(status=status)
    return query.order_by("id")


async def attempts_of(delivery: Delivery) -> list[DeliveryAttempt]:
    """Every attempt of a delivery, in order."""
    return await DeliveryAttempt.filter(delivery_id=delivery.id).order_by("attempt_number", "id")


async def redeliver(org_id: uuid.UUID, delivery_id: str) -> Delivery:
    """Queue one more attempt now, whatever state the delivery is in."""
    delivery = await get_delivery(org_id, delivery_id)
    if not await Webhook.exists(id=delivery.webhook_id, organization_id=org_id):
        raise NotFound("webhook", str(delivery.webhook_id))
    delivery.status = "RETRYING" if delivery.attempt_count else "PENDING"
    delivery.attempt_budget = max(delivery.attempt_budget, delivery.attempt_count + 1)
    delivery.next_attempt_at = datetime.now(UTC)
    await delivery.save(update_fields=["status", "attempt_budget", "next_attempt_at", "updated_at"])
    return delivery
