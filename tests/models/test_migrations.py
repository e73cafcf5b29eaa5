"""Tortoise's built-in migrations build the schema on SQLite and PostgreSQL, idempotently."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from tortoise.context import TortoiseContext

from hookwire.models.config import tortoise_config
from hookwire.models.database import apply_migrations
from tests.support.postgres import postgres_database

TABLES = {"organizations", "api_keys", "signing_keys", "webhooks", "triggers"}


async def _migrate_twice_and_list_tables(url: str, list_sql: str) -> set[str]:
    await apply_migrations(url)
    await apply_migrations(url)
    async with TortoiseContext() as context:
        await context.init(config=tortoise_config(url))
        _, rows = await context.connections.get("default").execute_query(list_sql)
        return {row[0] for row in rows}


def test_sqlite(tmp_path: Path) -> None:
    tables = asyncio.run(
        _migrate_twice_and_list_tables(
            f"sqlite://{tmp_path / 'm.db'}", "SELECT name FROM sqlite_master WHERE type='table'"
        )
    )
    assert tables >= TABLES


@pytest.mark.postgres
def test_postgresql() -> None:
    with postgres_database() as url:
        tables = asyncio.run(
            _migrate_twice_and_list_tables(
                url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            )
        )
    assert tables >= TABLES
