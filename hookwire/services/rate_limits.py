"""Per-organization rate limits (the `limits` library): in memory, or in Redis to scale out."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

# SlashID's documented limits, as moving windows: the burst over the window that
# averages out to the sustained rate.
JWKS_LIMIT = parse("60 per 2 minutes")  # 30 a minute, bursts of 60
TEST_EVENTS_LIMIT = parse("50 per 5 minutes")  # 10 events a minute, bursts of 50


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    retry_after_seconds: int = 0


class RateLimits:
    """Moving-window limiters keyed by organization; `cost` counts events, not requests."""

    def __init__(self, redis_url: str | None = None) -> None:
        uri = "async+" + redis_url if redis_url else "async+memory://"
        self._storage = storage_from_string(uri)
        self._limiter = MovingWindowRateLimiter(self._storage)

    async def hit(self, item: RateLimitItem, key: str, cost: int = 1) -> RateDecision:
        """Spend `cost` from the window if it fits; otherwise spend nothing and say when."""
        if await self._limiter.hit(item, key, cost=cost):
            return RateDecision(True)
        stats = await self._limiter.get_window_stats(item, key)
        wait = max(1, math.ceil(stats.reset_time - time.time()))
        if cost > item.amount:
            wait = item.get_expiry()
        return RateDecision(False, wait)
