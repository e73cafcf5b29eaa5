"""Webhook queries and mutations: authorize, translate, call the service."""

from __future__ import annotations

from typing import Annotated

import strawberry

from hookwire.domain.errors import DuplicateTargetURL, NotFound, RuleViolation
from hookwire.models import Webhook as WebhookModel
from hookwire.resolvers.pagination import check_first, decode_cursor, encode_cursor
from hookwire.schema.context import Info
from hookwire.schema.errors import ConflictError, NotFoundError, ValidationError
from hookwire.schema.inputs import CreateWebhookInput, UpdateWebhookInput
from hookwire.schema.types import DeletedWebhook, PageInfo, Webhook, WebhookConnection, WebhookEdge
from hookwire.services import webhooks as service

CreateWebhookResult = Annotated[
    Webhook | ValidationError | ConflictError, strawberry.union("CreateWebhookResult")
]
UpdateWebhookResult = Annotated[
    Webhook | ValidationError | ConflictError | NotFoundError,
    strawberry.union("UpdateWebhookResult"),
]
DeleteWebhookResult = Annotated[
    DeletedWebhook | NotFoundError, strawberry.union("DeleteWebhookResult")
]


async def webhook_view(info: Info, model: WebhookModel) -> Webhook:
    """The GraphQL view of a stored webhook, as the caller may see it."""
    caller = await info.context.reader()
    triggers = await service.list_triggers(model)
    return Webhook.of(model, triggers, caller, info.context.runtime.key_ring)


def _changes(input: CreateWebhookInput | UpdateWebhookInput) -> service.WebhookChanges:
    headers = input.custom_headers
    return service.WebhookChanges(
        name=input.name,
        target_url=input.target_url,
        description=input.description,
        custom_headers=None if headers is None else [(h.name, h.values) for h in headers],
        timeout=input.timeout,
        enabled=input.enabled,
    )


def _failure(error: RuleViolation) -> ValidationError | ConflictError:
    if isinstance(error, DuplicateTargetURL):
        return ConflictError.of(error)
    return ValidationError.of(error)


async def webhooks(
    info: Info, first: int | None = 50, after: str | None = None
) -> WebhookConnection:
    caller = await info.context.reader()
    first = check_first(50 if first is None else first)
    scope = WebhookModel.filter(organization_id=caller.organization_id)
    page = scope.order_by("id").prefetch_related("triggers")
    if (cursor := decode_cursor(after)) is not None:
        page = page.filter(id__gt=cursor)
    rows = await page.limit(first + 1)
    edges = []
    for model in rows[:first]:
        triggers = sorted(model.triggers, key=lambda t: t.id)
        keys = [(t.trigger_type, t.trigger_name) for t in triggers]
        node = Webhook.of(model, keys, caller, info.context.runtime.key_ring)
        edges.append(WebhookEdge(cursor=encode_cursor(model.id), node=node))
    return WebhookConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(rows) > first, end_cursor=edges[-1].cursor if edges else None
        ),
        total_count=await scope.count(),
    )


async def webhook(info: Info, id: strawberry.ID) -> Webhook | None:
    caller = await info.context.reader()
    try:
        model = await service.get_webhook(caller.organization_id, id)
    except NotFound:
        return None
    return await webhook_view(info, model)


async def create_webhook(info: Info, input: CreateWebhookInput) -> CreateWebhookResult:
    caller = await info.context.writer()
    changes = _changes(input)
    triggers = [t.key() for t in input.triggers or []]
    try:
        model = await service.create_webhook(
            caller.organization_id, info.context.runtime.key_ring, changes, triggers
        )
    except RuleViolation as error:
        return _failure(error)
    return await webhook_view(info, model)


async def update_webhook(
    info: Info, id: strawberry.ID, input: UpdateWebhookInput
) -> UpdateWebhookResult:
    caller = await info.context.writer()
    changes = _changes(input)
    try:
        model = await service.update_webhook(
            caller.organization_id, info.context.runtime.key_ring, id, changes
        )
    except NotFound as missing:
        return NotFoundError.of(missing)
    except RuleViolation as error:
        return _failure(error)
    return await webhook_view(info, model)


async def delete_webhook(info: Info, id: strawberry.ID) -> DeleteWebhookResult:
    caller = await info.context.writer()
    try:
        deleted = await service.delete_webhook(caller.organization_id, id)
    except NotFound as missing:
        return NotFoundError.of(missing)
    return DeletedWebhook(id=strawberry.ID(str(deleted)))
