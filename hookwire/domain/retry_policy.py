"""The one place that decides what follows an attempt: done, retry when, or give up."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

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


# Decisions without a time are the same every time: shared rather than built per attempt.
_SUCCEEDED = RetryDecision("SUCCEEDED")
_FAILED = RetryDecision("FAILED")
_GONE = RetryDecision("FAILED", disable_webhook=True)


def decide(
    *,
    outcome: str,
    status_code: int | None,
    attempt_number: int,
    budget: int,
    schedule: Sequence[float],
    retry_after_seconds: float | None,
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> RetryDecision:
    """What happens after attempt `attempt_number` (1-based) of a delivery; a retry is
    scheduled from `now` (the current time if not given)."""
    if outcome == "SUCCEEDED":
        return _SUCCEEDED
    if status_code == 410:
        return _GONE
    if attempt_number >= budget or not schedule:
        return _FAILED
    delay = schedule[min(attempt_number, len(schedule)) - 1]
    delay *= (rng or random).uniform(1 - JITTER, 1 + JITTER)
    if status_code in RETRY_AFTER_STATUSES and retry_after_seconds is not None:
        delay = max(delay, retry_after_seconds)
    start = datetime.now(UTC) if now is None else now
    return RetryDecision("RETRYING", next_attempt_at=start + timedelta(seconds=delay))
