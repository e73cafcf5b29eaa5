"""Trigger queries and mutations."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

import strawberry

from hookwire.domain.errors import NotFound, RuleViolation
from hookwire.models import Webhook as WebhookModel
from hookwire.resolvers.webhooks import webhook_view
from hookwire.schema.context import Info
from hookwire.schema.errors import NotFoundError, ValidationError
from hookwire.schema.inputs import TriggerInput
from hookwire.schema.types import Trigger, Webhook
from hookwire.services import webhooks as service

TriggerChange = Callable[[uuid.UUID, str, tuple[str, str]], Awaitable[WebhookModel]]
TriggerResult = Annotated[
    Webhook | ValidationError | NotFoundError, strawberry.union("TriggerResult")
]


async def triggers(info: Info, webhook_id: strawberry.ID) -> list[Trigger]:
    caller = await info.context.reader()
    try:
        model = await service.get_webhook(caller.organization_id, webhook_id)
    except NotFound:
        return []
    return [Trigger.of(key) for key in await service.list_triggers(model)]


async def _change_trigger(
    info: Info, webhook_id: strawberry.ID, trigger: TriggerInput, change: TriggerChange
) -> TriggerResult:
    caller = await info.context.writer()
    try:
        model = await change(caller.organization_id, webhook_id, trigger.key())
    except NotFound as missing:
        return NotFoundError.of(missing)
    except RuleViolation as error:
        return ValidationError.of(error)
    return await webhook_view(info, model)


async def add_trigger(
    info: Info, webhook_id: strawberry.ID, trigger: TriggerInput
) -> TriggerResult:
    return await _change_trigger(info, webhook_id, trigger, service.add_trigger)


async def remove_trigger(
    info: Info, webhook_id: strawberry.ID, trigger: TriggerInput
) -> TriggerResult:
    return await _change_trigger(info, webhook_id, trigger, service.remove_trigger)
