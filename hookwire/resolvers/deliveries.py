"""Delivery queries, pagination and redeliver."""

from __future__ import annotations

import uuid
from typing import Annotated

import strawberry
from strawberry.dataloader import DataLoader
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
    return page_of(await query.limit(size + 1), size)


# A webhook's page of deliveries: webhook id, rows wanted (the page and one more, to tell
# whether there is a next page), the cursor's id, the status asked for.
PageKey = tuple[uuid.UUID, int, uuid.UUID | None, str | None]


def webhook_deliveries_loader(org_id: uuid.UUID) -> DataLoader[PageKey, list[DeliveryModel]]:
    """Loads `Webhook.deliveries` for every webhook of a response in one windowed query per
    distinct page request, instead of one query per webhook."""

    async def load(keys: list[PageKey]) -> list[list[DeliveryModel]]:
        groups: dict[tuple[int, uuid.UUID | None, str | None], list[uuid.UUID]] = {}
        for webhook_id, size, after, status in keys:
            groups.setdefault((size, after, status), []).append(webhook_id)
        pages: dict[PageKey, list[DeliveryModel]] = {}
        for (size, after, status), webhook_ids in groups.items():
            found = await service.first_deliveries_of_webhooks(
                org_id, webhook_ids, size=size, after=after, status=status
            )
            for webhook_id, rows in found.items():
                pages[(webhook_id, size, after, status)] = rows
        return [pages[key] for key in keys]

    # No cache: on a WebSocket the context, and so the loader, outlives one operation, and a
    # later query must see deliveries made since. Batching needs none.
    return DataLoader(load_fn=load, cache=False)


async def webhook_deliveries(
    info: Info,
    webhook_id: uuid.UUID,
    first: int | None,
    after: str | None,
    status: DeliveryStatus | None,
) -> DeliveryConnection:
    """`Webhook.deliveries`: a page of one webhook's deliveries, batched with its siblings'."""
    caller = await info.context.reader()
    size = check_first(20 if first is None else first)
    cursor = decode_cursor(after)
    loader = info.context.loader(
        "webhook_deliveries", lambda: webhook_deliveries_loader(caller.organization_id)
    )
    key = (webhook_id, size + 1, cursor, None if status is None else status.value)
    return page_of(await loader.load(key), size)


def page_of(rows: list[DeliveryModel], size: int) -> DeliveryConnection:
    """A connection of the first `size` of `rows`, which hold one more if a next page exists."""
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
