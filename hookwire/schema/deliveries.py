"""GraphQL types for events, deliveries, attempts and sync hook invocations."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import strawberry

from hookwire.models import Delivery as DeliveryModel
from hookwire.models import DeliveryAttempt as AttemptModel
from hookwire.models import Event as EventModel
from hookwire.schema.context import Info
from hookwire.schema.scalars import JSON
from hookwire.schema.types import PageInfo, TriggerType, Webhook
from hookwire.services.deliveries import attempts_of


@strawberry.enum
class DeliveryStatus(enum.Enum):
    PENDING = "PENDING"
    RETRYING = "RETRYING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


@strawberry.enum
class AttemptOutcome(enum.Enum):
    SUCCEEDED = "SUCCEEDED"
    HTTP_ERROR = "HTTP_ERROR"
    TIMEOUT = "TIMEOUT"
    CONNECTION_ERROR = "CONNECTION_ERROR"
    TLS_ERROR = "TLS_ERROR"
    BLOCKED = "BLOCKED"


@strawberry.type
class DeliveryAttempt:
    id: strawberry.ID
    delivery_id: strawberry.ID | None = strawberry.field(description="Null for sync hook calls.")
    webhook_id: strawberry.ID
    event_id: strawberry.ID | None = strawberry.field(description="Null for sync hook calls.")
    trigger_type: TriggerType
    trigger_name: str
    attempt_number: int
    outcome: AttemptOutcome
    status_code: int | None
    duration_ms: float
    error: str | None
    response_body: str | None = strawberry.field(description="The first 4 KiB, as text.")
    started_at: datetime
    finished_at: datetime
    will_retry: bool
    next_attempt_at: datetime | None

    @classmethod
    def of(cls, row: AttemptModel) -> DeliveryAttempt:
        return cls.from_message(
            {
                "id": row.id,
                "delivery_id": row.delivery_id,
                "webhook_id": row.webhook_id,
                "event_id": row.event_id,
                **{k: getattr(row, k) for k in _PLAIN},
            }
        )

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> DeliveryAttempt:
        """From a bus message (or the same shape): ids as strings, times as ISO text."""

        def ident(value: object) -> strawberry.ID | None:
            return None if value is None else strawberry.ID(str(value))

        def moment(value: object) -> datetime | None:
            if value is None or isinstance(value, datetime):
                return value
            return datetime.fromisoformat(str(value))

        return cls(
            id=strawberry.ID(str(message["id"])),
            delivery_id=ident(message["delivery_id"]),
            webhook_id=strawberry.ID(str(message["webhook_id"])),
            event_id=ident(message["event_id"]),
            trigger_type=TriggerType(message["trigger_type"]),
            trigger_name=message["trigger_name"],
            attempt_number=message["attempt_number"],
            outcome=AttemptOutcome(message["outcome"]),
            status_code=message["status_code"],
            duration_ms=message["duration_ms"],
            error=message["error"],
            response_body=message["response_body"],
            started_at=moment(message["started_at"]),  # type: ignore[arg-type]
            finished_at=moment(message["finished_at"]),  # type: ignore[arg-type]
            will_retry=message["will_retry"],
            next_attempt_at=moment(message["next_attempt_at"]),
        )


_PLAIN = (
    "trigger_type",
    "trigger_name",
    "attempt_number",
    "outcome",
    "status_code",
    "duration_ms",
    "error",
    "response_body",
    "started_at",
    "finished_at",
    "will_retry",
    "next_attempt_at",
)


@strawberry.type
class Event:
    id: strawberry.ID = strawberry.field(description="event_metadata.event_id")
    name: str
    is_test_event: bool
    timestamp: datetime
    content: JSON = strawberry.field(description="Exactly what goes into trigger_content.")
    _model: strawberry.Private[EventModel]

    @classmethod
    def of(cls, model: EventModel) -> Event:
        return cls(
            id=strawberry.ID(str(model.id)),
            name=model.name,
            is_test_event=model.is_test_event,
            timestamp=model.timestamp,
            content=JSON(model.content),
            _model=model,
        )

    @strawberry.field
    async def deliveries(self, info: Info) -> list[Delivery]:
        rows = await DeliveryModel.filter(event_id=self._model.id).order_by("id")
        return [Delivery.of(row) for row in rows]


@strawberry.type
class Delivery:
    id: strawberry.ID
    webhook_id: strawberry.ID
    status: DeliveryStatus
    attempt_count: int
    next_attempt_at: datetime | None
    created_at: datetime
    _model: strawberry.Private[DeliveryModel]

    @classmethod
    def of(cls, model: DeliveryModel) -> Delivery:
        return cls(
            id=strawberry.ID(str(model.id)),
            webhook_id=strawberry.ID(str(model.webhook_id)),
            status=DeliveryStatus(model.status),
            attempt_count=model.attempt_count,
            next_attempt_at=model.next_attempt_at,
            created_at=model.created_at,
            _model=model,
        )

    @strawberry.field(description="Null once the webhook is deleted.")  # type: ignore[untyped-decorator]
    async def webhook(self, info: Info) -> Webhook | None:
        from hookwire.models import Webhook as WebhookModel
        from hookwire.resolvers.webhooks import webhook_view

        model = await WebhookModel.get_or_none(
            id=self._model.webhook_id, organization_id=self._model.organization_id
        )
        return None if model is None else await webhook_view(info, model)

    @strawberry.field
    async def event(self, info: Info) -> Event:
        return Event.of(await EventModel.get(id=self._model.event_id))

    @strawberry.field
    async def attempts(self, info: Info) -> list[DeliveryAttempt]:
        rows = await attempts_of(self._model)
        return [DeliveryAttempt.of(row) for row in rows]


@strawberry.type
class DeliveryEdge:
    cursor: str
    node: Delivery


@strawberry.type
class DeliveryConnection:
    edges: list[DeliveryEdge]
    page_info: PageInfo


@strawberry.type
class TestEvents:
    events: list[Event]


@strawberry.type
class SyncHookCall:
    webhook_id: strawberry.ID
    outcome: AttemptOutcome
    status_code: int | None
    duration_ms: float
    error: str | None
    response: JSON | None = strawberry.field(
        description="The JSON object the hook answered with, when it did."
    )


@strawberry.type
class SyncHookInvocation:
    id: strawberry.ID = strawberry.field(description="Also the JWT's sub.")
    calls: list[SyncHookCall]
    claims: JSON = strawberry.field(description="Merged answers; reserved JWT claims dropped.")
