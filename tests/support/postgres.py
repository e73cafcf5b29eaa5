"""A throwaway PostgreSQL database for a test, or a skip when no server is reachable."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import pytest

ADMIN_DSN = os.environ.get("HOOKWIRE_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres")


async def _execute(sql: str) -> None:
    connection = await asyncpg.connect(ADMIN_DSN, timeout=3)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@contextmanager
def postgres_database() -> Iterator[str]:
    """Yield the URL of a new database, dropped afterwards."""
    name = f"hookwire_test_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_execute(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as error:
        pytest.skip(f"PostgreSQL is not reachable at {ADMIN_DSN}: {error}")
    try:
        yield ADMIN_DSN.rsplit("/", 1)[0] + "/" + name
    finally:
        asyncio.run(_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


BACKEND = os.environ.get("HOOKWIRE_TEST_BACKEND", "sqlite")


@contextmanager
def fresh_database(directory: Path) -> Iterator[str]:
    """A new, empty database on the backend this run tests (HOOKWIRE_TEST_BACKEND)."""
    if BACKEND == "postgres":
        with postgres_database() as url:
            yield url
    else:
        yield f"sqlite://{directory / 'hookwire.db'}"


def reachable() -> bool:
    """Whether the PostgreSQL server for tests answers."""

    async def ping() -> None:
        connection = await asyncpg.connect(ADMIN_DSN, timeout=3)
        await connection.close()

    try:
        asyncio.run(ping())
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    return True


if __name__ == "__main__":
    raise SystemExit(0 if reachable() else 1)
