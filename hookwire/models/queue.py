"""The delivery queue: due deliveries are claimed with a lease, in batches; attempts and the
states they leave deliveries in are written back in batches.

The worker's hot path is plain SQL on rows of text ids rather than ORM objects: claiming is
one statement instead of a transaction of three queries, and a batch of outcomes is one
multi-row insert plus one UPDATE per distinct new state. Fewer statements count twice on
SQLite, where each one is a round trip through the driver's thread that then waits for the
busy event loop to come back to it, and holds the one connection meanwhile.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from tortoise.backends.base.client import BaseDBAsyncClient

from hookwire.models.deliveries import Delivery

ACTIVE = ("PENDING", "RETRYING")
_SQLITE_IDS_PER_STATEMENT = 900  # under 999, the variable limit of SQLite before 3.32

# What an attempt needs of the delivery's webhook and event comes back with the claim, by
# scalar subqueries (NULL when the webhook was deleted): one statement per batch.
_CLAIM_RETURNING = """
    RETURNING {d}.id, {d}.organization_id, {d}.event_id, {d}.webhook_id, {d}.attempt_count,
        {d}.attempt_budget, {d}.next_attempt_at,
        (SELECT target_url FROM webhooks w WHERE w.id = {d}.webhook_id),
        (SELECT custom_headers_encrypted FROM webhooks w WHERE w.id = {d}.webhook_id),
        (SELECT timeout_ns FROM webhooks w WHERE w.id = {d}.webhook_id),
        (SELECT enabled FROM webhooks w WHERE w.id = {d}.webhook_id),
        (SELECT name FROM events e WHERE e.id = {d}.event_id),
        (SELECT content{text} FROM events e WHERE e.id = {d}.event_id)
"""

# Parameters: owner, lease expiry, now, limit.
_CLAIM_SQL = {
    "sqlite": """
        UPDATE deliveries SET lease_owner = ?1, lease_expires_at = ?2
        WHERE id IN (
            SELECT id FROM deliveries
            WHERE status IN ('PENDING', 'RETRYING') AND next_attempt_at <= ?3
              AND (lease_expires_at IS NULL OR lease_expires_at < ?3)
            ORDER BY next_attempt_at LIMIT ?4
        )
    """
    + _CLAIM_RETURNING.format(d="deliveries", text=""),
    # The locking CTE runs once; SKIP LOCKED makes concurrent workers take different rows.
    "postgres": """
        WITH picked AS (
            SELECT id FROM deliveries
            WHERE status IN ('PENDING', 'RETRYING') AND next_attempt_at <= $3
              AND (lease_expires_at IS NULL OR lease_expires_at < $3)
            ORDER BY next_attempt_at LIMIT $4
            FOR UPDATE SKIP LOCKED
        )
        UPDATE deliveries AS d SET lease_owner = $1, lease_expires_at = $2
        FROM picked WHERE d.id = picked.id
    """
    # jsonb as its text: asyncpg would otherwise hand it back as text anyway, or not.
    + _CLAIM_RETURNING.format(d="d", text="::text"),
}


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    """A leased delivery: the part of its row that its attempt and record need."""

    id: str  # ids are UUIDs as text, the form they travel in (JWT claims, SQL, bus)
    organization_id: str
    event_id: str
    webhook_id: str
    attempt_count: int
    attempt_budget: int


@dataclass(frozen=True, slots=True)
class Settlement:
    """The state a delivery is left in after an attempt (or a cancellation), lease released."""

    status: str
    attempt_count: int
    next_attempt_at: datetime | None = None


class AttemptRecord(NamedTuple):
    """One call as stored: the columns of delivery_attempts, in order."""

    id: str
    organization_id: str
    delivery_id: str | None  # None for a sync hook call
    webhook_id: str
    event_id: str | None  # None for a sync hook call
    invocation_id: str | None
    trigger_type: str
    trigger_name: str
    attempt_number: int
    outcome: str
    status_code: int | None
    duration_ms: float
    error: str | None
    response_body: str | None
    started_at: datetime
    finished_at: datetime
    will_retry: bool
    next_attempt_at: datetime | None


def _dialect(connection: BaseDBAsyncClient) -> str:
    dialect = connection.capabilities.dialect
    if dialect not in _CLAIM_SQL:
        raise NotImplementedError(f"the delivery queue runs on SQLite or PostgreSQL, not {dialect}")
    if dialect == "sqlite" and sqlite3.sqlite_version_info < (3, 35):
        raise RuntimeError(
            f"the delivery queue needs SQLite 3.35 or newer (UPDATE ... RETURNING); this Python"
            f" uses SQLite {sqlite3.sqlite_version}: use PostgreSQL or a newer SQLite"
        )
    return dialect


def _text(value: object) -> str:
    # SQLite hands back the stored text; asyncpg a uuid.UUID.
    return value if isinstance(value, str) else str(value)


def _marks(dialect: str, first: int, count: int) -> str:
    mark = "?" if dialect == "sqlite" else "$"
    return ", ".join(f"{mark}{n}" for n in range(first, first + count))


async def claim_due_deliveries(owner: str, limit: int, lease: timedelta) -> list[Claim]:
    """Lease up to `limit` due deliveries to `owner`, oldest due first, with what their
    attempts need of their webhooks and events.

    On PostgreSQL the rows are picked with FOR UPDATE SKIP LOCKED, so concurrent workers
    never pick the same row; SQLite runs one writer at a time, which gives the same result.
    """
    connection = Delivery._meta.db
    now = datetime.now(UTC)
    _, rows = await connection.execute_query(
        _CLAIM_SQL[_dialect(connection)], [owner, now + lease, now, limit]
    )
    # RETURNING follows no ORDER BY; within one backend the stored times compare in order.
    # Rows are sqlite3.Row or asyncpg Record: both unpack like tuples.
    found = sorted((tuple(row) for row in rows), key=lambda row: row[6])
    claims: list[Claim] = []
    for (
        delivery_id,
        organization_id,
        event_id,
        webhook_id,
        attempt_count,
        budget,
        _,
        url,
        headers,
        timeout_ns,
        enabled,
        name,
        content,
    ) in found:
        delivery = ClaimedDelivery(
            _text(delivery_id),
            _text(organization_id),
            _text(event_id),
            _text(webhook_id),
            attempt_count,
            budget,
        )
        webhook = None
        if url is not None:
            webhook = WebhookRow(delivery.webhook_id, url, headers, timeout_ns, bool(enabled))
        event = None if name is None else EventRow(delivery.event_id, name, content)
        claims.append(Claim(delivery, webhook, event))
    return claims


class WebhookRow(NamedTuple):
    """What sending needs of a webhook."""

    id: str
    target_url: str
    custom_headers_encrypted: str
    timeout_ns: int
    enabled: bool


class EventRow(NamedTuple):
    """What signing needs of an event; `content` is its stored JSON text."""

    id: str
    name: str
    content: str


class Claim(NamedTuple):
    """A leased delivery with its webhook (None if deleted since) and event."""

    delivery: ClaimedDelivery
    webhook: WebhookRow | None
    event: EventRow | None


async def insert_attempts(attempts: Sequence[AttemptRecord], connection: BaseDBAsyncClient) -> None:
    """Store attempts of deliveries, in the caller's transaction."""
    if not attempts:
        return
    columns = ", ".join(AttemptRecord._fields)
    values = _marks(_dialect(connection), 1, len(AttemptRecord._fields))
    sql = f"INSERT INTO delivery_attempts ({columns}) VALUES ({values})"
    await connection.execute_many(sql, [list(attempt) for attempt in attempts])


async def settle_deliveries(
    settlements: Mapping[str, Settlement], connection: BaseDBAsyncClient
) -> None:
    """Store each delivery's new state and release its lease, one UPDATE per distinct state,
    in the caller's transaction.

    A batch of first attempts that succeeded is one statement; retries each have their own
    (jittered) time.
    """
    dialect = _dialect(connection)
    mark = "?" if dialect == "sqlite" else "$"
    cast = "" if dialect == "sqlite" else "::timestamptz"
    groups: dict[Settlement, list[str]] = {}
    for delivery_id, settlement in settlements.items():
        groups.setdefault(settlement, []).append(delivery_id)
    now = datetime.now(UTC)
    for settlement, ids in groups.items():
        state = [settlement.status, settlement.attempt_count, settlement.next_attempt_at, now]
        sql = (
            # A delivery cancelled while its attempt was in flight (its webhook deleted or
            # disabled) counts the attempt but stays cancelled.
            f"UPDATE deliveries SET"
            f" status = CASE WHEN status = 'CANCELLED' THEN status ELSE {mark}1 END,"
            f" attempt_count = {mark}2,"
            f" next_attempt_at = CASE WHEN status = 'CANCELLED' THEN NULL ELSE {mark}3{cast} END,"
            f" lease_owner = NULL, lease_expires_at = NULL, updated_at = {mark}4 WHERE id"
        )
        if dialect == "postgres":  # one statement text for any count: asyncpg prepares it once
            await connection.execute_query(f"{sql} = ANY($5::uuid[])", [*state, ids])
            continue
        for start in range(0, len(ids), _SQLITE_IDS_PER_STATEMENT):
            chunk = ids[start : start + _SQLITE_IDS_PER_STATEMENT]
            await connection.execute_query(
                f"{sql} IN ({_marks(dialect, 5, len(chunk))})", [*state, *chunk]
            )


async def release_deliveries(owner: str, ids: Sequence[str]) -> None:
    """Give leased deliveries back to the queue at once (a clean shutdown)."""
    if ids:
        await Delivery.filter(id__in=ids, lease_owner=owner).update(
            lease_owner=None, lease_expires_at=None
        )
