from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from hookwire.domain.retry_policy import attempt_budget, decide

SCHEDULE = (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def after(attempt: int, outcome: str = "HTTP_ERROR", status: int | None = 500, **kw: object):  # type: ignore[no-untyped-def]
    return decide(
        outcome=outcome,
        status_code=status,
        attempt_number=attempt,
        budget=kw.pop("budget", attempt_budget(SCHEDULE)),  # type: ignore[arg-type]
        schedule=SCHEDULE,
        retry_after_seconds=kw.pop("retry_after", None),  # type: ignore[arg-type]
        now=NOW,
        rng=kw.pop("rng", random.Random(1)),  # type: ignore[arg-type]
    )


def test_default_schedule_gives_eight_attempts_over_about_28_hours() -> None:
    assert attempt_budget(SCHEDULE) == 8
    assert sum(SCHEDULE) / 3600 == pytest.approx(27.6, abs=0.1)


def test_success_ends_the_delivery() -> None:
    assert after(1, "SUCCEEDED", 204).status == "SUCCEEDED"


@pytest.mark.parametrize("attempt", range(1, 8))
def test_each_failure_waits_its_scheduled_delay_within_twenty_percent(attempt: int) -> None:
    for seed in range(50):
        decision = after(attempt, rng=random.Random(seed))
        assert decision.status == "RETRYING" and decision.will_retry
        assert decision.next_attempt_at is not None
        delay = (decision.next_attempt_at - NOW).total_seconds()
        assert 0.8 * SCHEDULE[attempt - 1] <= delay <= 1.2 * SCHEDULE[attempt - 1]


def test_jitter_actually_varies() -> None:
    delays = {after(1, rng=random.Random(seed)).next_attempt_at for seed in range(20)}
    assert len(delays) > 10


def test_the_last_attempt_fails_the_delivery() -> None:
    assert after(8).status == "FAILED"
    assert after(8, "TIMEOUT", None).next_attempt_at is None


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_on_429_and_503_waits_at_least_that_long(status: int) -> None:
    decision = after(1, status=status, retry_after=120.0)
    assert decision.next_attempt_at == NOW + timedelta(seconds=120)


def test_retry_after_never_shortens_the_schedule_and_is_ignored_on_500() -> None:
    assert (after(2, status=429, retry_after=1.0).next_attempt_at - NOW).total_seconds() >= 240  # type: ignore[operator]
    assert (after(1, status=500, retry_after=999.0).next_attempt_at - NOW).total_seconds() <= 6  # type: ignore[operator]


def test_410_gone_stops_and_disables_the_webhook() -> None:
    decision = after(1, status=410)
    assert (decision.status, decision.disable_webhook) == ("FAILED", True)


def test_a_redelivery_budget_of_one_more_attempt() -> None:
    assert after(9, budget=9).status == "FAILED"
    assert after(8, budget=10).status == "RETRYING"
