"""The Redis server for scale-out tests, or a skip when none is reachable."""

from __future__ import annotations

import asyncio
import os

import pytest
from redis.asyncio import Redis

REDIS_URL = os.environ.get("HOOKWIRE_TEST_REDIS", "redis://127.0.0.1:6379/0")


def require_redis() -> str:
    """The Redis URL for tests; skips the test when the server does not answer."""

    async def ping() -> None:
        client = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        try:
            await client.ping()
        finally:
            await client.aclose()

    try:
        asyncio.run(ping())
    except Exception as error:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {error}")
    return REDIS_URL
