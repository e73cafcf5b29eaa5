"""The delivery queue: due deliveries are claimed with a lease, in batches; attempts and the
states they leave deliveries in are written back in batches.

The worker's hot path is plain SQL on rows of text ids rather than ORM objects: a claim
picks the oldest due deliveries through the `deliveries_due` index, leases them and returns
each one's webhook and event, and a batch of outcomes is a few multi-row inserts plus one
UPDATE per distinct new state, in one transaction. The statements are built once for both
databases and run through Tortoise's connection; on SQLite each claim and each recording is
one hand-off to the driver's thread (see _run_sqlite_transaction).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, cast

import aiosqlite
from tortoise.backends.base.client import BaseDBAsyncClient, TransactionalDBClient
from tortoise.backends.sqlite.client import SqliteClient
from tortoise.transactions import in_transaction

from hookwire.models.deliveries import Delivery

ACTIVE = ("PENDING", "RETRYING")
_ACTIVE_SQL = ", ".join(f"'{status}'" for status in ACTIVE)  # ACTIVE as an SQL list
GONE_REASON = "disabled automatically: the target answered 410 Gone"
_SQLITE_IDS_PER_STATEMENT = 900  # parameters: under 999, the limit of SQLite before 3.32

# What an attempt needs of the delivery's webhook comes back with the claim, by scalar
# subqueries (NULL when the webhook was deleted): one statement per batch.
_CLAIMED_COLUMNS = """
    {d}.id, {d}.organization_id, {d}.event_id, {d}.webhook_id, {d}.attempt_count,
    {d}.attempt_budget, {d}.next_attempt_at,
    (SELECT target_url FROM webhooks w WHERE w.id = {d}.webhook_id),
    (SELECT custom_headers_encrypted FROM webhooks w WHERE w.id = {d}.webhook_id),
    (SELECT timeout_ns FROM webhooks w WHERE w.id = {d}.webhook_id),
    (SELECT enabled FROM webhooks w WHERE w.id = {d}.webhook_id)
"""

# PostgreSQL: one statement; the locking CTE runs once, and SKIP LOCKED makes concurrent
# workers take different rows. Each row brings its event too (NULL when deleted); jsonb
# comes back as its text, which asyncpg would otherwise hand back as text anyway, or not.
# Parameters: owner, lease expiry, now, limit.
_POSTGRES_CLAIM = f"""
    WITH picked AS (
        SELECT id FROM deliveries
        WHERE status IN ({_ACTIVE_SQL}) AND next_attempt_at <= $3
          AND (lease_expires_at IS NULL OR lease_expires_at < $3)
        ORDER BY next_attempt_at LIMIT $4
        FOR UPDATE SKIP LOCKED
    )
    UPDATE deliveries AS d SET lease_owner = $1, lease_expires_at = $2
    FROM picked WHERE d.id = picked.id
    RETURNING {_CLAIMED_COLUMNS.format(d="d")},
        (SELECT name FROM events e WHERE e.id = d.event_id),
        (SELECT content::text FROM events e WHERE e.id = d.event_id)
"""

# SQLite: the due rows picked and read as one JSON array (one row for the driver to step and
# convert, where RETURNING gives one per delivery), then leased by the ids in that array, and
# their events read once each (an event fans out to several deliveries, and its content is
# the largest thing a claim reads), in one IMMEDIATE transaction. Parameters: now, limit;
# then owner, lease expiry, the array; then the array.
_SQLITE_PICK = f"""
    SELECT json_group_array(json_array({_CLAIMED_COLUMNS.format(d="d")}))
    FROM (
        SELECT * FROM deliveries INDEXED BY deliveries_due
        WHERE status IN ({_ACTIVE_SQL}) AND next_attempt_at <= ?1
          AND (lease_expires_at IS NULL OR lease_expires_at < ?1)
        ORDER BY next_attempt_at LIMIT ?2
    ) AS d
"""
_SQLITE_LEASE = """
    UPDATE deliveries SET lease_owner = ?1, lease_expires_at = ?2
    WHERE id IN (SELECT json_extract(value, '$[0]') FROM json_each(?3))
"""
_SQLITE_EVENTS = """
    SELECT id, name, content FROM events
    WHERE id IN (SELECT json_extract(value, '$[2]') FROM json_each(?1))
"""
_DIALECTS = ("sqlite", "postgres")


class ClaimedDelivery(NamedTuple):
    """A leased delivery: the part of its row that its attempt and record need."""

    id: str  # ids are UUIDs as text, the form they travel in (JWT claims, SQL, bus)
    organization_id: str
    event_id: str
    webhook_id: str
    attempt_count: int
    attempt_budget: int


class Settlement(NamedTuple):
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
    if dialect not in _DIALECTS:
        raise NotImplementedError(f"the delivery queue runs on SQLite or PostgreSQL, not {dialect}")
    if dialect == "sqlite" and not _sqlite_has_json():
        raise RuntimeError(
            f"the delivery queue needs SQLite's JSON functions (built in from SQLite 3.38);"
            f" this Python's SQLite {sqlite3.sqlite_version} lacks them: use PostgreSQL or a"
            f" newer SQLite"
        )
    return dialect


def _sqlite_has_json() -> bool:
    with contextlib.closing(sqlite3.connect(":memory:")) as probe:
        try:
            probe.execute("SELECT json_group_array(json_array(json_extract('[1]', '$[0]')))")
        except sqlite3.OperationalError:
            return False
    return True


def _text(value: object) -> str:
    # SQLite hands back the stored text; asyncpg a uuid.UUID.
    return value if isinstance(value, str) else str(value)


def _marks(dialect: str, first: int, count: int) -> str:
    mark = "?" if dialect == "sqlite" else "$"
    return ", ".join(f"{mark}{n}" for n in range(first, first + count))


def _claims_from_rows(rows: Sequence[Sequence[Any]], events: Mapping[str, EventRow]) -> list[Claim]:
    """Claims of rows of _CLAIMED_COLUMNS (any further columns ignored), with their events."""
    # RETURNING follows no ORDER BY; within one backend the stored times compare in order.
    # Rows are lists (SQLite's JSON) or asyncpg Records: both unpack by position.
    found = sorted(rows, key=lambda row: row[6])
    claims: list[Claim] = []
    for row in found:
        delivery = ClaimedDelivery(
            _text(row[0]), _text(row[1]), _text(row[2]), _text(row[3]), row[4], row[5]
        )
        url = row[7]
        webhook = None
        if url is not None:
            webhook = WebhookRow(delivery.webhook_id, url, row[8], row[9], bool(row[10]))
        claims.append(Claim(delivery, webhook, events.get(delivery.event_id)))
    return claims


def _events_from_rows(found: Iterable[Sequence[Any]], compact: bool) -> dict[str, EventRow]:
    """EventRows by id, each content made wire JSON once, of (id, name, stored content)."""
    events: dict[str, EventRow] = {}
    for event_id, name, stored in found:
        key = _text(event_id)
        if key not in events and name is not None:
            events[key] = EventRow(key, name, wire_json(stored, compact))
    return events


def wire_json(stored: str, compact: bool = False) -> str:
    """An event's stored content as tokens carry it: compact JSON, non-ASCII as is.

    `compact` says the text is Tortoise's JSONField encoding (SQLite): compact and ASCII,
    with non-ASCII escaped as \\uXXXX. Without escapes that is already the wire form, which
    skips parsing and serializing every event's content; PostgreSQL's jsonb text has spaces.
    """
    if compact and "\\u" not in stored:
        return stored
    return json.dumps(json.loads(stored), separators=(",", ":"), ensure_ascii=False)


class WebhookRow(NamedTuple):
    """What sending needs of a webhook."""

    id: str
    target_url: str
    custom_headers_encrypted: str
    timeout_ns: int
    enabled: bool


class EventRow(NamedTuple):
    """What signing needs of an event; `content` is its JSON as tokens carry it (wire_json)."""

    id: str
    name: str
    content: str


class Claim(NamedTuple):
    """A leased delivery with its webhook (None if deleted since) and event."""

    delivery: ClaimedDelivery
    webhook: WebhookRow | None
    event: EventRow | None  # None if deleted since


async def insert_attempts(attempts: Sequence[AttemptRecord], connection: BaseDBAsyncClient) -> None:
    """Store attempts (sync hook calls, here), in the caller's transaction."""
    await _run(connection, _insert_statements(_dialect(connection), attempts))


# --- the statements ----------------------------------------------------------------------

# SQL text, its parameters (a list of parameter lists when `many`), and `many`.
Statement = tuple[str, list[Any], bool]


def _insert_statements(dialect: str, attempts: Sequence[AttemptRecord]) -> list[Statement]:
    if not attempts:
        return []
    columns = ", ".join(AttemptRecord._fields)
    width = len(AttemptRecord._fields)
    if dialect == "postgres":
        sql = f"INSERT INTO delivery_attempts ({columns}) VALUES ({_marks(dialect, 1, width)})"
        return [(sql, [list(attempt) for attempt in attempts], True)]
    # SQLite: many rows per statement, which aiosqlite's thread steps once (executemany would
    # step, and take the GIL back, once per row).
    statements: list[Statement] = []
    per_statement = _SQLITE_IDS_PER_STATEMENT // width
    for start in range(0, len(attempts), per_statement):
        chunk = attempts[start : start + per_statement]
        row = f"({', '.join('?' * width)})"
        sql = f"INSERT INTO delivery_attempts ({columns}) VALUES {', '.join([row] * len(chunk))}"
        statements.append((sql, [value for attempt in chunk for value in attempt], False))
    return statements


def _id_in(
    dialect: str, column: str, first: int, ids: Sequence[str]
) -> list[tuple[str, list[Any]]]:
    """`column` among `ids` as SQL and parameters: PostgreSQL takes one array parameter (one
    statement text for any count, prepared once); SQLite gets chunks of placeholders."""
    if dialect == "postgres":
        return [(f"{column} = ANY(${first}::uuid[])", [list(ids)])]
    return [
        (f"{column} IN ({_marks(dialect, first, len(chunk))})", list(chunk))
        for chunk in (
            ids[start : start + _SQLITE_IDS_PER_STATEMENT]
            for start in range(0, len(ids), _SQLITE_IDS_PER_STATEMENT)
        )
    ]


def _record_statements(
    dialect: str,
    owner: str,
    attempts: Sequence[AttemptRecord],
    settlements: Mapping[str, Settlement],
    gone_webhooks: Sequence[str],
) -> list[Statement]:
    mark = "?" if dialect == "sqlite" else "$"
    cast = "" if dialect == "sqlite" else "::timestamptz"
    statements = _insert_statements(dialect, attempts)
    groups: dict[Settlement, list[str]] = {}
    for delivery_id, settlement in settlements.items():
        groups.setdefault(settlement, []).append(delivery_id)
    now = datetime.now(UTC)
    for settlement, ids in groups.items():
        state = [settlement.status, settlement.attempt_count, settlement.next_attempt_at, now]
        update = (
            # A delivery cancelled while its attempt was in flight (its webhook deleted or
            # disabled) counts the attempt but stays cancelled. One whose lease ran out and
            # that another worker claimed meanwhile is that worker's to settle: the attempt
            # is stored, the delivery's state is left alone.
            f"UPDATE deliveries SET"
            f" status = CASE WHEN status = 'CANCELLED' THEN status ELSE {mark}1 END,"
            f" attempt_count = {mark}2,"
            f" next_attempt_at = CASE WHEN status = 'CANCELLED' THEN NULL ELSE {mark}3{cast} END,"
            f" lease_owner = NULL, lease_expires_at = NULL, updated_at = {mark}4"
            f" WHERE lease_owner = {mark}5 AND "
        )
        for where, ids_params in _id_in(dialect, "id", 6, ids):
            statements.append((update + where, [*state, owner, *ids_params], False))
    if gone_webhooks:
        disabled = "0" if dialect == "sqlite" else "false"
        for where, params in _id_in(dialect, "id", 2, gone_webhooks):
            statements.append(
                (
                    f"UPDATE webhooks SET enabled = {disabled}, disabled_reason = {mark}1"
                    f" WHERE {where}",
                    [GONE_REASON, *params],
                    False,
                )
            )
        for where, params in _id_in(dialect, "webhook_id", 1, gone_webhooks):
            statements.append(
                (
                    "UPDATE deliveries SET status = 'CANCELLED', next_attempt_at = NULL"
                    f" WHERE status IN ({_ACTIVE_SQL}) AND {where}",
                    params,
                    False,
                )
            )
    return statements


def _release_statements(dialect: str, owner: str, ids: Sequence[str]) -> list[Statement]:
    mark = "?" if dialect == "sqlite" else "$"
    return [
        (
            "UPDATE deliveries SET lease_owner = NULL, lease_expires_at = NULL"
            f" WHERE lease_owner = {mark}1 AND {where}",
            [owner, *params],
            False,
        )
        for where, params in _id_in(dialect, "id", 2, ids)
    ]


# --- the queue ---------------------------------------------------------------------------


class DeliveryQueue:
    """Where a worker claims deliveries and records their attempts, through Tortoise's
    connection (PostgreSQL's pool, or SQLite's one).

    On PostgreSQL the claimed rows are picked with FOR UPDATE SKIP LOCKED, so concurrent
    workers never pick the same row; SQLite runs one writer at a time, which gives the same
    result.
    """

    def __init__(self, connection: BaseDBAsyncClient) -> None:
        self._connection = connection
        self._dialect = _dialect(connection)

    async def claim(self, owner: str, limit: int, lease: timedelta) -> list[Claim]:
        """Lease up to `limit` due deliveries to `owner`, oldest due first, with what their
        attempts need of their webhooks and events."""
        now = datetime.now(UTC)
        expires = now + lease
        if self._dialect == "postgres":
            _, rows = await self._connection.execute_query(
                _POSTGRES_CLAIM, [owner, expires, now, limit]
            )
            found = cast("Sequence[Sequence[Any]]", rows)
            events = _events_from_rows(((row[2], row[11], row[12]) for row in found), False)
            return _claims_from_rows(found, events)
        if _runs_in_one_hop(self._connection):
            async with self._connection.acquire_connection() as connection:
                picked, event_rows = await connection._execute(
                    _sqlite_claim, connection._conn, owner, expires, now, limit
                )
        else:
            async with in_transaction() as connection:
                _, rows = await connection.execute_query(_SQLITE_PICK, [now, limit])
                picked = rows[0][0]
                await connection.execute_query(_SQLITE_LEASE, [owner, expires, picked])
                _, event_rows = await connection.execute_query(_SQLITE_EVENTS, [picked])
        return _claims_from_rows(json.loads(picked), _events_from_rows(event_rows, True))

    async def record(
        self,
        owner: str,
        attempts: Sequence[AttemptRecord],
        settlements: Mapping[str, Settlement],
        gone_webhooks: Sequence[str],
    ) -> None:
        """In one transaction: store attempts, settle the deliveries `owner` still holds,
        disable webhooks that answered 410 and cancel their pending deliveries."""
        statements = _record_statements(self._dialect, owner, attempts, settlements, gone_webhooks)
        if _runs_in_one_hop(self._connection):
            await _run_sqlite_transaction(self._connection, statements)
            return
        async with in_transaction() as connection:
            await _run(connection, statements)

    async def release(self, owner: str, ids: Sequence[str]) -> None:
        """Give leased deliveries back to the queue at once (a clean shutdown)."""
        await _run(self._connection, _release_statements(self._dialect, owner, ids))


async def _run(connection: BaseDBAsyncClient, statements: Sequence[Statement]) -> None:
    for sql, params, many in statements:
        if many:
            await connection.execute_many(sql, params)
        else:
            await connection.execute_query(sql, params)


def _runs_in_one_hop(connection: BaseDBAsyncClient) -> bool:
    """Whether a transaction can run on `connection`'s SQLite thread in one hand-off."""
    return (
        isinstance(connection, SqliteClient)
        and not isinstance(connection, TransactionalDBClient)
        and hasattr(aiosqlite.Connection, "_execute")
    )


async def _run_sqlite_transaction(
    client: BaseDBAsyncClient, statements: Sequence[Statement]
) -> None:
    """Run `statements` in one transaction on SQLite, in one hand-off to the driver's thread.

    Tortoise's transaction costs five hand-offs to aiosqlite's thread and back (a COMMIT and
    a BEGIN to open it, one per statement, the COMMIT): each waits for the busy event loop to
    pick up its result (2 – 3 ms under load) while Tortoise's lock keeps every claim and API
    query off the one connection. Here the whole transaction is one function that runs on
    that thread, under the same lock. aiosqlite has no public call for this, so it goes
    through `Connection._execute` (there in aiosqlite 0.22; tests/models/test_queue_statements.py
    checks that this path is taken).
    """
    async with client.acquire_connection() as connection:
        await connection._execute(_sqlite_transaction, connection._conn, statements)


def _sqlite_claim(
    raw: sqlite3.Connection, owner: str, expires: datetime, now: datetime, limit: int
) -> tuple[str, list[Any]]:
    """DeliveryQueue.claim on aiosqlite's thread: the claimed rows as one JSON array, and
    the rows of their events."""
    with _sqlite_immediate(raw):
        (picked,) = raw.execute(_SQLITE_PICK, (now, limit)).fetchone()
        raw.execute(_SQLITE_LEASE, (owner, expires, picked))
        events = raw.execute(_SQLITE_EVENTS, (picked,)).fetchall()
    return cast(str, picked), events


def _sqlite_transaction(raw: sqlite3.Connection, statements: Sequence[Statement]) -> None:
    """The body of _run_sqlite_transaction, on aiosqlite's thread."""
    with _sqlite_immediate(raw):
        for sql, params, many in statements:
            if many:
                raw.executemany(sql, params)
            else:
                raw.execute(sql, params)


@contextlib.contextmanager
def _sqlite_immediate(raw: sqlite3.Connection) -> Iterator[None]:
    """A write transaction on Tortoise's autocommit connection: committed, or rolled back."""
    raw.execute("BEGIN IMMEDIATE")
    try:
        yield
        raw.commit()
    except BaseException:
        if raw.in_transaction:  # a failed COMMIT can leave it open
            raw.rollback()
        raise


def delivery_queue() -> DeliveryQueue:
    """The queue of this process's database.

    On SQLite this is Tortoise's one connection, which the API shares: a second connection
    of the worker's own was tried, and measured no faster (its statements wait for the GIL
    as Tortoise's do), while it would let the worker's commits break the API's deferred
    transactions (SQLITE_BUSY_SNAPSHOT) under load.
    """
    return DeliveryQueue(Delivery._meta.db)
