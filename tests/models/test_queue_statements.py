"""The delivery queue's statements on a database of their own (no worker running): which
deliveries a claim takes and in what order, how it reads the due index, and that recording
is one transaction however many rows it writes."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tortoise.context import TortoiseContext
from tortoise.transactions import in_transaction

from hookwire.delivery.recording import attempt_record
from hookwire.delivery.transport import AttemptResult
from hookwire.models import queue as queue_module
from hookwire.models.config import tortoise_config
from hookwire.models.database import apply_migrations
from hookwire.models.ids import uuid7
from hookwire.models.queue import DeliveryQueue, Settlement
from tests.support.postgres import BACKEND, fresh_database

NOW = datetime.now(UTC)
CONTENT = {"person_id": "p-1", "name": "Zoë", "nested": {"list": [1, 2]}}


# A Tortoise context binds the models' query builders to its database's dialect for the
# rest of the process, which the session's server shares: each run of the suite uses only
# the backend it tests (make test runs these again on PostgreSQL).
sqlite_only = pytest.mark.skipif(BACKEND == "postgres", reason="SQLite's own statements")


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    with fresh_database(tmp_path) as url:
        yield url


def run_with_queue(url: str, scenario: Callable[[DeliveryQueue], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        await apply_migrations(url)
        async with TortoiseContext() as context:
            await context.init(config=tortoise_config(url))
            return await scenario(DeliveryQueue(context.connections.get("default")))

    return asyncio.run(main())


class Rows:
    """Rows written with plain SQL, through the queue's own connection."""

    def __init__(self, queue: DeliveryQueue) -> None:
        self.connection = queue._connection
        self.postgres = self.connection.capabilities.dialect == "postgres"

    async def insert(self, table: str, **row: Any) -> str:
        row.setdefault("id", str(uuid7()))
        names = ", ".join(row)
        if self.postgres:
            marks = ", ".join(
                f"CAST(${n} AS jsonb)" if name == "content" else f"${n}"
                for n, name in enumerate(row, 1)
            )
            values = [uuid.UUID(v) if _is_uuid(v) else v for v in row.values()]
        else:
            marks, values = ", ".join("?" * len(row)), list(row.values())
        await self.connection.execute_query(
            f"INSERT INTO {table} ({names}) VALUES ({marks})", values
        )
        return str(row["id"])

    async def value(self, sql: str, *params: Any) -> Any:
        if self.postgres:
            sql = sql.replace("?", "$1")
            params = tuple(uuid.UUID(p) if _is_uuid(p) else p for p in params)
        _, rows = await self.connection.execute_query(sql, list(params))
        return rows[0][0]

    async def webhook_and_event(self) -> tuple[str, str, str]:
        organization = await self.insert("organizations", name="queue", created_at=NOW)
        webhook = await self.insert(
            "webhooks",
            organization_id=organization,
            name="w",
            description="",
            target_url="https://hooks.test/q",
            custom_headers_encrypted="",
            timeout_ns=7,
            enabled=True,
            created_at=NOW,
            updated_at=NOW,
        )
        event = await self.insert(
            "events",
            organization_id=organization,
            name="PersonCreated_v1",
            is_test_event=False,
            timestamp=NOW,
            content=json.dumps(CONTENT),
            created_at=NOW,
        )
        return organization, webhook, event

    async def delivery(self, organization: str, webhook: str, event: str, **fields: Any) -> str:
        fields.setdefault("status", "PENDING")
        fields.setdefault("attempt_count", 0)
        return await self.insert(
            "deliveries",
            organization_id=organization,
            event_id=event,
            webhook_id=webhook,
            attempt_budget=3,
            created_at=NOW,
            updated_at=NOW,
            **fields,
        )


def _is_uuid(value: object) -> bool:
    if not isinstance(value, str) or len(value) != 36:
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def test_a_claim_takes_the_oldest_due_unleased_active_deliveries(database_url: str) -> None:
    async def scenario(queue: DeliveryQueue) -> dict[str, Any]:
        rows = Rows(queue)
        organization, webhook, event = await rows.webhook_and_event()

        async def add(minutes_ago: float, **fields: Any) -> str:
            due = NOW - timedelta(minutes=minutes_ago)
            return await rows.delivery(organization, webhook, event, next_attempt_at=due, **fields)

        ids = {
            "leased": await add(240, lease_owner="other", lease_expires_at=NOW + timedelta(1)),
            "done": await add(300, status="SUCCEEDED"),
            "oldest": await add(180),
            "retrying": await add(120, status="RETRYING", attempt_count=1),
            "lease_ran_out": await add(60, lease_owner="gone", lease_expires_at=NOW),
            "newest": await add(30),
            "future": await add(-60),
        }
        first = await queue.claim("me", 3, timedelta(seconds=90))
        second = await queue.claim("me", 10, timedelta(seconds=90))
        third = await queue.claim("me", 10, timedelta(seconds=90))
        owners = {
            name: await rows.value("SELECT lease_owner FROM deliveries WHERE id = ?", id_)
            for name, id_ in ids.items()
        }
        return {"ids": ids, "claims": (first, second, third), "owners": owners, "hook": webhook}

    found = run_with_queue(database_url, scenario)
    ids, (first, second, third), hook = found["ids"], found["claims"], found["hook"]

    assert [claim.delivery.id for claim in first] == [
        ids["oldest"],
        ids["retrying"],
        ids["lease_ran_out"],
    ]
    assert [claim.delivery.id for claim in second] == [ids["newest"]]
    assert third == []
    assert found["owners"] == {
        "leased": "other",
        "done": None,
        "oldest": "me",
        "retrying": "me",
        "lease_ran_out": "me",
        "newest": "me",
        "future": None,
    }
    claim = first[1]
    assert (claim.delivery.attempt_count, claim.delivery.attempt_budget) == (1, 3)
    assert claim.webhook is not None and claim.event is not None
    assert (claim.webhook.id, claim.webhook.target_url) == (hook, "https://hooks.test/q")
    assert (claim.webhook.timeout_ns, claim.webhook.enabled) == (7, True)
    assert claim.event.name == "PersonCreated_v1"
    assert json.loads(claim.event.content) == CONTENT
    # As tokens carry it: compact, and "Zoë" as is, however the database stored it.
    assert "Zoë" in claim.event.content and ": " not in claim.event.content


def test_wire_json_keeps_compact_ascii_text_and_rewrites_the_rest() -> None:
    stored = json.dumps(CONTENT, separators=(",", ":"))  # Tortoise's encoding: \u00eb
    wire = json.dumps(CONTENT, separators=(",", ":"), ensure_ascii=False)
    assert queue_module.wire_json(stored, compact=True) == wire
    plain = '{"a":"b","c":[1,2.5,null]}'
    assert queue_module.wire_json(plain, compact=True) is plain  # used as is
    assert queue_module.wire_json('{"a": "b", "c": [1, 2.5, null]}') == plain
    backslash_u = json.dumps({"path": "C:\\users"}, separators=(",", ":"))
    assert queue_module.wire_json(backslash_u, compact=True) == backslash_u


@sqlite_only
def test_a_claim_on_sqlite_reads_the_due_index_in_order(tmp_path: Path) -> None:
    """No sort of every due row per claim: that grew with the backlog."""
    path = tmp_path / "plan.db"
    asyncio.run(apply_migrations(f"sqlite://{path}"))
    with sqlite3.connect(path) as connection:
        plan = connection.execute(
            "EXPLAIN QUERY PLAN " + queue_module._SQLITE_PICK, (NOW, 10)
        ).fetchall()
    details = [row[-1] for row in plan]
    assert any("USING INDEX deliveries_due" in detail for detail in details), details
    assert not any("TEMP B-TREE" in detail for detail in details), details


@sqlite_only
@pytest.mark.parametrize(
    ("sql", "search"),
    [
        # Delivery.attempts, and the cascade when a delivery goes
        (
            "SELECT * FROM delivery_attempts WHERE delivery_id = ? ORDER BY attempt_number, id",
            "(delivery_id=?)",
        ),
        # Event.deliveries, and the cascade when an event goes
        (
            "SELECT * FROM deliveries WHERE organization_id = ? AND event_id = ? ORDER BY id",
            "(event_id=?)",
        ),
    ],
)
def test_reading_one_delivery_or_event_searches_an_index(
    tmp_path: Path, sql: str, search: str
) -> None:
    """Not a scan of every attempt, or of the organization's every delivery."""
    path = tmp_path / "plan.db"
    asyncio.run(apply_migrations(f"sqlite://{path}"))
    with sqlite3.connect(path) as connection:
        plan = connection.execute("EXPLAIN QUERY PLAN " + sql, ("x",) * sql.count("?"))
        details = [row[-1] for row in plan.fetchall()]
    assert any(detail.startswith("SEARCH") and search in detail for detail in details), details


def _attempts(
    organization: str, webhook: str, event: str, delivery_ids: list[str]
) -> list[queue_module.AttemptRecord]:
    result = AttemptResult("SUCCEEDED", 200, 2.5, NOW, NOW + timedelta(milliseconds=2))
    return [
        attempt_record(
            organization_id=organization,
            webhook_id=webhook,
            trigger_type="event",
            trigger_name="PersonCreated_v1",
            attempt_number=1,
            result=result,
            delivery_id=delivery_id,
            event_id=event,
        )
        for delivery_id in delivery_ids
    ]


def test_recording_many_attempts_is_one_transaction(database_url: str) -> None:
    """120 attempts take several INSERT statements on SQLite; they are stored together, and a
    failure in the last one leaves nothing of the batch behind."""

    async def scenario(queue: DeliveryQueue) -> tuple[int, int, str, int, int]:
        rows = Rows(queue)
        organization, webhook, event = await rows.webhook_and_event()
        ids = [
            await rows.delivery(organization, webhook, event, next_attempt_at=NOW)
            for _ in range(240)
        ]
        attempts_sql = "SELECT COUNT(*) FROM delivery_attempts"
        succeeded_sql = "SELECT COUNT(*) FROM deliveries WHERE status = 'SUCCEEDED'"
        claimed = await queue.claim("me", 240, timedelta(seconds=90))
        assert len(claimed) == 240
        good, bad = ids[:120], ids[120:]
        settled = {id_: Settlement("SUCCEEDED", 1) for id_ in good}
        await queue.record("me", _attempts(organization, webhook, event, good), settled, [])
        stored = await rows.value(attempts_sql)
        succeeded = await rows.value(succeeded_sql)

        broken = _attempts(organization, webhook, event, bad)
        broken[-1] = broken[-1]._replace(id=broken[0].id)  # the last row breaks the key
        failure = ""
        try:
            await queue.record("me", broken, {id_: Settlement("SUCCEEDED", 1) for id_ in bad}, [])
        except Exception as error:  # the driver's or Tortoise's IntegrityError
            failure = type(error).__name__
        return (
            stored,
            succeeded,
            failure,
            await rows.value(attempts_sql),
            await rows.value(succeeded_sql),
        )

    stored, succeeded, failure, stored_after, succeeded_after = run_with_queue(
        database_url, scenario
    )
    assert (stored, succeeded) == (120, 120)
    assert "IntegrityError" in failure
    assert (stored_after, succeeded_after) == (120, 120)


@sqlite_only
def test_sqlite_recording_and_claiming_take_one_hand_off(tmp_path: Path) -> None:
    """The fast path is the one taken with the installed aiosqlite and Tortoise: an upgrade
    that removes what it relies on fails here rather than silently going slow."""

    async def scenario(queue: DeliveryQueue) -> bool:
        return queue_module._runs_in_one_hop(queue._connection)

    assert run_with_queue(f"sqlite://{tmp_path / 'hop.db'}", scenario) is True


@sqlite_only
def test_the_sqlite_claim_without_the_one_hand_off_path_claims_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should aiosqlite lose what the fast path relies on, claims go through Tortoise's
    transaction instead, with the same result."""
    monkeypatch.setattr(queue_module, "_runs_in_one_hop", lambda connection: False)

    async def scenario(queue: DeliveryQueue) -> tuple[list[queue_module.Claim], str]:
        rows = Rows(queue)
        organization, webhook, event = await rows.webhook_and_event()
        ids = [
            await rows.delivery(organization, webhook, event, next_attempt_at=NOW - timedelta(1))
            for _ in range(2)
        ]
        claimed = await queue.claim("me", 10, timedelta(seconds=90))
        owner = await rows.value("SELECT lease_owner FROM deliveries WHERE id = ?", ids[1])
        return claimed, owner

    claimed, owner = run_with_queue(f"sqlite://{tmp_path / 'slow.db'}", scenario)
    assert len(claimed) == 2 and owner == "me"
    for claim in claimed:
        assert claim.event is not None and json.loads(claim.event.content) == CONTENT
        assert "Zoë" in claim.event.content


@sqlite_only
def test_a_sqlite_claim_waits_for_a_tortoise_transaction_open_on_the_connection(
    tmp_path: Path,
) -> None:
    """A claim made while a Tortoise transaction is open on SQLite's one connection (between
    two of its hand-offs) runs after it, not inside it: the transaction commits whole, and
    the claim sees what it wrote. (The claim's one hand-off takes Tortoise's lock; a version
    that skipped the lock when no transaction was open was measured, see docs/performance.md,
    fifth round, and this guards any such path.)"""

    async def scenario(queue: DeliveryQueue) -> tuple[bool, list[str], list[str], int]:
        rows = Rows(queue)
        organization, webhook, event = await rows.webhook_and_event()
        first = await rows.delivery(organization, webhook, event, next_attempt_at=NOW)
        async with in_transaction() as connection:
            # Open: BEGIN and a first statement are on the connection, not yet committed.
            await connection.execute_query("UPDATE organizations SET name = 'x'", [])
            claiming = asyncio.create_task(queue.claim("me", 10, timedelta(seconds=90)))
            await asyncio.sleep(0.1)
            waited = not claiming.done()
            second = str(uuid7())
            await connection.execute_query(
                "INSERT INTO deliveries (id, organization_id, event_id, webhook_id, status,"
                " attempt_count, attempt_budget, next_attempt_at, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, 'PENDING', 0, 3, ?, ?, ?)",
                [second, organization, event, webhook, NOW, NOW, NOW],
            )
        claimed = sorted(claim.delivery.id for claim in await claiming)
        renamed = await rows.value("SELECT COUNT(*) FROM organizations WHERE name = 'x'")
        return waited, claimed, sorted([first, second]), renamed

    waited, claimed, expected, renamed = run_with_queue(
        f"sqlite://{tmp_path / 'open.db'}", scenario
    )
    assert waited
    assert claimed == expected
    assert renamed == 1


@sqlite_only
def test_a_failed_sqlite_commit_leaves_no_transaction_open(request: pytest.FixtureRequest) -> None:
    """Whatever fails inside a queue transaction, commit included, is rolled back: an open
    transaction would make every later claim, recording and API write fail."""
    raw = sqlite3.connect(":memory:", isolation_level=None)
    request.addfinalizer(raw.close)
    raw.execute("CREATE TABLE t (x INTEGER)")
    raw.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
    raw.execute(
        "CREATE TABLE child (parent_id INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY"
        " DEFERRED)"
    )
    raw.execute("PRAGMA foreign_keys = ON")
    # The deferred key fails at COMMIT.
    with pytest.raises(sqlite3.IntegrityError), queue_module._sqlite_immediate(raw):
        raw.execute("INSERT INTO t VALUES (1)")
        raw.execute("INSERT INTO child VALUES (7)")
    assert not raw.in_transaction
    assert raw.execute("SELECT COUNT(*) FROM t").fetchone() == (0,)
