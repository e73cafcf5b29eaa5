"""Delivery queries, pagination and redeliver."""

from __future__ import annotations

from typing import Annotated

import strawberry
from tortoise.queryset import QuerySet

from hookwire.domain.errors import NotFound
from hookwire.models import Delivery as DeliveryModel
from hookwire.resolvers.pagination import check_first, decode_cursor, encode_cursor
from hookwire.schema.context import Info
from hookwire.schema.deliveries import Delivery, DeliveryConnection, DeliveryEdge, DeliveryStatus
from hookwire.schema.errors import NotFoundError
from hookwire.schema.types import PageInfo
from hookwire.services import deliveries as service

RedeliverResult = Annotated[Delivery | NotFoundError, strawberry.union("RedeliverResult")]


async def delivery_page(
    query: QuerySet[DeliveryModel], first: int | None, after: str | None
) -> DeliveryConnection:
    """One page of deliveries in id (creation) order."""
    size = check_first(50 if first is None else first)
    if (cursor := decode_cursor(after)) is not None:
        query = query.filter(id__gt=cursor)
    rows = await query.limit(size + 1)
    edges = [
        DeliveryEdge(cursor=encode_cursor(row.id), node=Delivery.of(row)) for row in rows[:size]
    ]
    return DeliveryConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(rows) > size, end_cursor=edges[-1].cursor if edges else None
        ),
    )


async def delivery(info: Info, id: strawberry.ID) -> Delivery | None:
    caller = await info.context.reader()
    try:
        return Delivery.of(await service.get_delivery(caller.organization_id, id))
    except NotFound:
        return None


async def deliveries(
    info: Info,
    webhook_id: strawberry.ID | None = None,
    event_id: strawberry.ID | None = None,
    status: DeliveryStatus | None = None,
    first: int | None = 50,
    after: str | None = None,
) -> DeliveryConnection:
    caller = await info.context.reader()
    try:
        query = service.deliveries_of(
            caller.organization_id,
            webhook_id=None if webhook_id is None else service.parse_id(webhook_id, "webhook"),
            event_id=None if event_id is None else service.parse_id(event_id, "event"),
            status=None if status is None else status.value,
        )
    except NotFound:
        query = DeliveryModel.filter(id__isnull=True)  # a malformed id matches nothing
    return await delivery_page(query, first, after)


async def redeliver(info: Info, delivery_id: strawberry.ID) -> RedeliverResult:
    caller = await info.context.writer()
    try:
        row = await service.redeliver(caller.organization_id, delivery_id)
    except NotFound as missing:
        return NotFoundError.of(missing)
    info.context.runtime.wake_worker()
    return Delivery.of(row)
