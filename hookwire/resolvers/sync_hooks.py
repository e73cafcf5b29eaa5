"""invokeSyncHook."""

from __future__ import annotations

from typing import Annotated

import strawberry

from hookwire.domain.errors import RuleViolation
from hookwire.schema.context import Info
from hookwire.schema.deliveries import AttemptOutcome, SyncHookCall, SyncHookInvocation
from hookwire.schema.errors import ValidationError
from hookwire.schema.scalars import JSON
from hookwire.services import sync_hooks as service

InvokeSyncHookResult = Annotated[
    SyncHookInvocation | ValidationError, strawberry.union("InvokeSyncHookResult")
]


async def invoke_sync_hook(info: Info, name: str, content: JSON) -> InvokeSyncHookResult:
    caller = await info.context.writer()
    try:
        invocation = await service.invoke_sync_hook(
            caller.organization_id, name, content, info.context.runtime
        )
    except RuleViolation as error:
        return ValidationError.of(error)
    return SyncHookInvocation(
        id=strawberry.ID(str(invocation.id)),
        calls=[
            SyncHookCall(
                webhook_id=strawberry.ID(str(call.webhook_id)),
                outcome=AttemptOutcome(call.result.outcome),
                status_code=call.result.status_code,
                duration_ms=call.result.duration_ms,
                error=call.result.error,
                response=None if call.answer is None else JSON(call.answer),
            )
            for call in invocation.calls
        ],
        claims=JSON(invocation.claims),
    )
