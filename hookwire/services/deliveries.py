"""Reading events, deliveries and attempts, and queueing a redelivery."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

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


async def first_deliveries_of_webhooks(
    org_id: uuid.UUID,
    webhook_ids: Sequence[uuid.UUID],
    *,
    size: int,
    after: uuid.UUID | None = None,
    status: str | None = None,
) -> dict[uuid.UUID, list[Delivery]]:
    """Each webhook's first `size` deliveries (with `status`, after the id `after`) in id
    order, for many webhooks at once: one windowed query for the ids, one for the rows."""
    if not webhook_ids or size <= 0:
        return {webhook_id: [] for webhook_id in webhook_ids}
    connection = Delivery._meta.db
    postgres = connection.capabilities.dialect == "postgres"
    params: list[Any] = []

    def mark(value: Any) -> str:
        # SQLite stores ids as text; numbers stay numbers (an int compared with text is
        # always smaller in SQLite, which would make `n <= '20'` true for every row).
        params.append(str(value) if isinstance(value, uuid.UUID) and not postgres else value)
        return f"${len(params)}" if postgres else "?"

    if postgres:
        params.append(list(webhook_ids))
        among = "webhook_id = ANY($1::uuid[])"
    else:
        among = f"webhook_id IN ({', '.join(mark(w) for w in webhook_ids)})"
    where = [among, f"organization_id = {mark(org_id)}"]
    if status is not None:
        where.append(f"status = {mark(status)}")
    if after is not None:
        where.append(f"id > {mark(after)}")
    sql = (
        "SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY webhook_id ORDER BY id) AS n"
        f" FROM deliveries WHERE {' AND '.join(where)}) AS page WHERE n <= {mark(size)}"
    )
    _, rows = await connection.execute_query(sql, params)
    found = await Delivery.filter(id__in=[row[0] for row in rows]).order_by("id")
    pages: dict[uuid.UUID, list[Delivery]] = {webhook_id: [] for webhook_id in webhook_ids}
    for delivery in found:
        pages[delivery.webhook_id].append(delivery)
    return pages


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
