"""Reading a deployment's database directly, from outside its processes."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from typing import Any

from tortoise.context import TortoiseContext

from hookwire.models import Delivery, DeliveryAttempt
from hookwire.models.config import tortoise_config


@dataclass(frozen=True)
class QueueState:
    statuses: Counter[str]
    leased: int  # active deliveries a worker holds: claimed, maybe sent, not yet recorded
    attempt_problems: list[str]  # deliveries whose attempt log is inconsistent


async def _inspect(database_url: str) -> QueueState:
    async with TortoiseContext() as context:
        await context.init(config=tortoise_config(database_url))
        rows: list[dict[str, Any]] = await Delivery.all().values(
            "id", "status", "attempt_count", "lease_owner"
        )
        attempts = await DeliveryAttempt.exclude(delivery_id=None).values_list(
            "delivery_id", "attempt_number"
        )
    numbers: dict[Any, list[int]] = {}
    for delivery_id, number in attempts:
        numbers.setdefault(delivery_id, []).append(number)
    problems = []
    for row in rows:
        recorded = sorted(numbers.get(row["id"], []))
        if recorded != list(range(1, row["attempt_count"] + 1)):
            problems.append(
                f"{row['id']}: attempt_count {row['attempt_count']}, attempts {recorded}"
            )
    return QueueState(
        statuses=Counter(row["status"] for row in rows),
        leased=sum(
            1
            for r in rows
            if r["lease_owner"] is not None and r["status"] in ("PENDING", "RETRYING")
        ),
        attempt_problems=problems,
    )


def queue_state(database_url: str) -> QueueState:
    """Delivery statuses, leased deliveries and attempt-log consistency, right now."""
    return asyncio.run(_inspect(database_url))
