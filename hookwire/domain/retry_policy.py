"""The one place that decides what follows an attempt: done, retry when, or give up."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

JITTER = 0.2  # each delay is scheduled at ±20%
RETRY_AFTER_STATUSES = frozenset({429, 503})


@dataclass(frozen=True)
class RetryDecision:
    status: str  # SUCCEEDED, RETRYING or FAILED
    next_attempt_at: datetime | None = None
    disable_webhook: bool = False

    @property
    def will_retry(self) -> bool:
        return self.status == "RETRYING"


def attempt_budget(schedule: Sequence[float]) -> int:
    """How many attempts a delivery gets: the first, then one per scheduled delay."""
    return len(schedule) + 1


def decide(
    *,
    outcome: str,
    status_code: int | None,
    attempt_number: int,
    budget: int,
    schedule: Sequence[float],
    retry_after_seconds: float | None,
    now: datetime,
    rng: random.Random | None = None,
) -> RetryDecision:
    """What happens after attempt `attempt_number` (1-based) of a delivery."""
    if outcome == "SUCCEEDED":
        return RetryDecision("SUCCEEDED")
    if status_code == 410:
        return RetryDecision("FAILED", disable_webhook=True)
    if attempt_number >= budget or not schedule:
        return RetryDecision("FAILED")
    delay = schedule[min(attempt_number, len(schedule)) - 1]
    delay *= (rng or random).uniform(1 - JITTER, 1 + JITTER)
    if status_code in RETRY_AFTER_STATUSES and retry_after_seconds is not None:
        delay = max(delay, retry_after_seconds)
    return RetryDecision("RETRYING", next_attempt_at=now + timedelta(seconds=delay))
