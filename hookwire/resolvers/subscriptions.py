"""Live attempt outcomes of the caller's organization."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from graphql import GraphQLError

from hookwire.delivery.bus import SubscriberDropped
from hookwire.schema.context import Info
from hookwire.schema.deliveries import DeliveryAttempt


async def delivery_outcomes(
    info: Info, webhook_id: strawberry.ID | None = None, event_id: strawberry.ID | None = None
) -> AsyncGenerator[DeliveryAttempt, None]:
    caller = await info.context.reader()
    subscriber = info.context.runtime.bus.subscribe(str(caller.organization_id))
    try:
        async for message in subscriber.outcomes():
            if webhook_id is not None and message["webhook_id"] != str(webhook_id):
                continue
            if event_id is not None and message["event_id"] != str(event_id):
                continue
            yield DeliveryAttempt.from_message(message)
    except SubscriberDropped as dropped:
        raise GraphQLError(str(dropped), extensions={"code": "SUBSCRIBER_TOO_SLOW"}) from None
