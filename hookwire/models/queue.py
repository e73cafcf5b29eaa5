"""The delivery queue: due deliveries are claimed with a lease, in batches."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from hookwire.models.deliveries import Delivery

ACTIVE = ("PENDING", "RETRYING")


def _due(now: datetime) -> Q:
    return Q(status__in=ACTIVE, next_attempt_at__lte=now) & (
        Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)
    )


async def claim_due_deliveries(owner: str, limit: int, lease: timedelta) -> list[Delivery]:
    """Lease up to `limit` due deliveries to `owner`, oldest due first.

    On PostgreSQL the rows are picked with FOR UPDATE SKIP LOCKED, so concurrent workers
    never pick the same row; SQLite runs one writer at a time, which gives the same result.
    """
    now = datetime.now(UTC)
    async with in_transaction() as connection:
        picked = (
            Delivery.filter(_due(now))
            .order_by("next_attempt_at")
            .limit(limit)
            .select_for_update(skip_locked=True)
            .using_db(connection)
        )
        ids = await picked.values_list("id", flat=True)
        if not ids:
            return []
        expires = now + lease
        await (
            Delivery.filter(id__in=ids)
            .using_db(connection)
            .update(lease_owner=owner, lease_expires_at=expires)
        )
        rows = await Delivery.filter(id__in=ids).using_db(connection)
    return sorted(rows, key=lambda d: d.next_attempt_at or now)


async def release_deliveries(owner: str, ids: Sequence[uuid.UUID]) -> None:
    """Give leased deliveries back to the queue at once (a clean shutdown)."""
    if ids:
        await Delivery.filter(id__in=ids, lease_owner=owner).update(
            lease_owner=None, lease_expires_at=None
        )
