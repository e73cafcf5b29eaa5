"""Writing attempt outcomes: one transaction per batch, then the outcomes go to the bus."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from hookwire.delivery.transport import AttemptResult
from hookwire.domain.retry_policy import RetryDecision
from hookwire.models.ids import uuid7_text
from hookwire.models.queue import AttemptRecord, ClaimedDelivery, DeliveryQueue, Settlement


class Finished(NamedTuple):
    """A claimed delivery after its attempt (or cancelled without one: result is None)."""

    delivery: ClaimedDelivery
    trigger_name: str
    result: AttemptResult | None = None
    decision: RetryDecision | None = None


def attempt_record(
    *,
    organization_id: object,
    webhook_id: object,
    trigger_type: str,
    trigger_name: str,
    attempt_number: int,
    result: AttemptResult,
    decision: RetryDecision | None = None,
    delivery_id: object = None,
    event_id: object = None,
    invocation_id: object = None,
) -> AttemptRecord:
    """The stored record of one call: an attempt of a delivery, or a sync hook call."""
    return AttemptRecord(
        id=uuid7_text(),
        organization_id=str(organization_id),
        delivery_id=_text(delivery_id),
        webhook_id=str(webhook_id),
        event_id=_text(event_id),
        invocation_id=_text(invocation_id),
        trigger_type=trigger_type,
        trigger_name=trigger_name,
        attempt_number=attempt_number,
        outcome=result.outcome,
        status_code=result.status_code,
        duration_ms=result.duration_ms,
        error=result.error,
        response_body=result.response_body,
        started_at=result.started_at,
        finished_at=result.finished_at,
        will_retry=decision.will_retry if decision else False,
        next_attempt_at=decision.next_attempt_at if decision else None,
    )


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def outcome_message(attempt: AttemptRecord) -> dict[str, Any]:
    """An attempt as the bus carries it: JSON-ready, with its organization."""

    def moment(value: datetime | None) -> str | None:
        return None if value is None else value.astimezone(UTC).isoformat()

    return {
        "organization_id": str(attempt.organization_id),
        "id": str(attempt.id),
        "delivery_id": _text(attempt.delivery_id),
        "webhook_id": str(attempt.webhook_id),
        "event_id": _text(attempt.event_id),
        "invocation_id": _text(attempt.invocation_id),
        "trigger_type": attempt.trigger_type,
        "trigger_name": attempt.trigger_name,
        "attempt_number": attempt.attempt_number,
        "outcome": attempt.outcome,
        "status_code": attempt.status_code,
        "duration_ms": attempt.duration_ms,
        "error": attempt.error,
        "response_body": attempt.response_body,
        "started_at": moment(attempt.started_at),
        "finished_at": moment(attempt.finished_at),
        "will_retry": attempt.will_retry,
        "next_attempt_at": moment(attempt.next_attempt_at),
    }


async def record_finished(
    batch: Sequence[Finished], queue: DeliveryQueue, owner: str
) -> list[AttemptRecord]:
    """Store attempts and new delivery states in one transaction; returns the attempts."""
    attempts: list[AttemptRecord] = []
    settlements: dict[str, Settlement] = {}
    gone: dict[str, None] = {}
    for item in batch:
        delivery, result, decision = item.delivery, item.result, item.decision
        if result is None or decision is None:
            settlements[delivery.id] = Settlement("CANCELLED", delivery.attempt_count)
            continue
        attempt_number = delivery.attempt_count + 1
        settlements[delivery.id] = Settlement(
            decision.status, attempt_number, decision.next_attempt_at
        )
        if decision.disable_webhook:
            gone[delivery.webhook_id] = None
        attempts.append(
            attempt_record(
                organization_id=delivery.organization_id,
                webhook_id=delivery.webhook_id,
                trigger_type="event",
                trigger_name=item.trigger_name,
                attempt_number=attempt_number,
                result=result,
                decision=decision,
                delivery_id=delivery.id,
                event_id=delivery.event_id,
            )
        )
    await queue.record(owner, attempts, settlements, list(gone))
    return attempts
