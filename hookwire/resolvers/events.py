"""Events in: emitEvent and generateTestEvents; the event query."""

from __future__ import annotations

from typing import Annotated

import strawberry

from hookwire.domain.errors import NotFound, RuleViolation
from hookwire.schema.context import Info
from hookwire.schema.deliveries import Event, TestEvents
from hookwire.schema.errors import ErrorCode, RateLimitedError, ValidationError
from hookwire.schema.inputs import EmitEventInput, TestEventInput
from hookwire.services import deliveries as delivery_service
from hookwire.services import events as service

GenerateTestEventsResult = Annotated[
    TestEvents | ValidationError | RateLimitedError, strawberry.union("GenerateTestEventsResult")
]
EmitEventResult = Annotated[Event | ValidationError, strawberry.union("EmitEventResult")]


async def event(info: Info, id: strawberry.ID) -> Event | None:
    caller = await info.context.reader()
    try:
        return Event.of(await delivery_service.get_event(caller.organization_id, id))
    except NotFound:
        return None


async def emit_event(info: Info, input: EmitEventInput) -> EmitEventResult:
    caller = await info.context.writer()
    runtime = info.context.runtime
    try:
        row, created = await service.emit_event(
            caller.organization_id,
            input.event_name,
            input.content,
            input.idempotency_key,
            runtime.attempt_budget,
        )
    except RuleViolation as error:
        return ValidationError.of(error)
    if created:
        runtime.wake_worker()
    return Event.of(row)


async def generate_test_events(
    info: Info, events: list[TestEventInput]
) -> GenerateTestEventsResult:
    caller = await info.context.writer()
    runtime = info.context.runtime
    requests = [
        service.TestEventRequest(
            event_name=e.event_name,
            count=1 if e.count is None else e.count,
            duplicates=bool(e.duplicates),
            analytics_correlation_id=e.analytics_correlation_id,
        )
        for e in events
    ]
    try:
        rows = await service.generate_test_events(
            caller.organization_id, requests, runtime.rate_limits, runtime.attempt_budget
        )
    except RuleViolation as error:
        return ValidationError.of(error)
    except service.RateLimited as limited:
        return RateLimitedError(
            code=ErrorCode.RATE_LIMITED,
            message=limited.message,
            retry_after_seconds=limited.retry_after_seconds,
        )
    runtime.wake_worker()
    return TestEvents(events=[Event.of(row) for row in rows])
