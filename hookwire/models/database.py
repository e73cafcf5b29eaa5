"""Opening, migrating and closing the database."""

from __future__ import annotations

from tortoise import Tortoise, connections
from tortoise.migrations.api import migrate

from hookwire.models.config import tortoise_config


async def apply_migrations(database_url: str) -> None:
    """Apply every pending migration (Tortoise's built-in migrations)."""
    await migrate(config=tortoise_config(database_url))
    await Tortoise.close_connections()


async def open_database(database_url: str, *, run_migrations: bool = True) -> None:
    """Migrate if asked, then initialise Tortoise for this process."""
    if run_migrations:
        await apply_migrations(database_url)
    # One database per process: the global fallback lets every task (requests, the
    # worker, subscriptions) reach it, not only the lifespan task that opened it.
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)


async def close_database() -> None:
    await Tortoise.close_connections()


async def database_ready() -> bool:
    """True when a trivial query succeeds."""
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception:
        return False
    return True
