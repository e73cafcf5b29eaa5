"""GraphQL object types for organizations, webhooks, triggers and the event catalog."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from hookwire.domain.access import Caller
from hookwire.domain.go_duration import format_go_duration
from hookwire.domain.master_keys import MasterKeyRing
from hookwire.models import Webhook as WebhookModel
from hookwire.schema.context import Info
from hookwire.schema.scalars import Duration
from hookwire.services.webhooks import TriggerKey, decrypt_headers

if TYPE_CHECKING:
    from hookwire.schema.deliveries import DeliveryConnection, DeliveryStatus

REDACTED = "[redacted]"


@strawberry.enum
class TriggerType(enum.Enum):
    EVENT = "event"
    SYNC_HOOK = "sync_hook"


@strawberry.enum
class Role(enum.Enum):
    ADMIN = "admin"
    MEMBER = "member"


@strawberry.type
class Header:
    name: str
    values: list[str]


@strawberry.type
class Trigger:
    trigger_type: TriggerType
    trigger_name: str

    @classmethod
    def of(cls, key: TriggerKey) -> Trigger:
        return cls(trigger_type=TriggerType(key[0]), trigger_name=key[1])


@strawberry.type
class Webhook:
    id: strawberry.ID
    name: str
    description: str
    target_url: str
    timeout: Duration = strawberry.field(
        description='"0s" means the defaults: 10s for events, 2s for sync hooks.'
    )
    enabled: bool
    disabled_reason: str | None
    triggers: list[Trigger]
    created_at: datetime
    updated_at: datetime
    _model: strawberry.Private[WebhookModel]
    _caller: strawberry.Private[Caller]
    _ring: strawberry.Private[MasterKeyRing]

    @strawberry.field(  # type: ignore[untyped-decorator]
        description="Values are visible to ADMIN keys; MEMBER keys see them redacted."
    )
    def custom_headers(self) -> list[Header]:
        # Decrypted only when asked for: listing webhooks rarely needs the headers.
        return [
            Header(name=name, values=values if self._caller.can_write else [REDACTED] * len(values))
            for name, values in decrypt_headers(self._model.custom_headers_encrypted, self._ring)
        ]

    @strawberry.field
    async def deliveries(
        self,
        info: Info,
        first: int | None = 20,
        after: str | None = None,
        status: Annotated[DeliveryStatus, strawberry.lazy("hookwire.schema.deliveries")]
        | None = None,
    ) -> Annotated[DeliveryConnection, strawberry.lazy("hookwire.schema.deliveries")]:
        from hookwire.resolvers.deliveries import webhook_deliveries

        return await webhook_deliveries(info, uuid.UUID(self.id), first, after, status)

    @classmethod
    def of(
        cls,
        model: WebhookModel,
        triggers: list[TriggerKey],
        caller: Caller,
        ring: MasterKeyRing,
    ) -> Webhook:
        return cls(
            id=strawberry.ID(str(model.id)),
            name=model.name,
            description=model.description,
            target_url=model.target_url,
            timeout=Duration(format_go_duration(model.timeout_ns)),
            enabled=model.enabled,
            disabled_reason=model.disabled_reason,
            triggers=[Trigger.of(t) for t in triggers],
            created_at=model.created_at,
            updated_at=model.updated_at,
            _model=model,
            _caller=caller,
            _ring=ring,
        )


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class WebhookEdge:
    cursor: str
    node: Webhook


@strawberry.type
class WebhookConnection:
    edges: list[WebhookEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class DeletedWebhook:
    id: strawberry.ID


@strawberry.type
class EventField:
    name: str
    type: str
    description: str


@strawberry.type
class EventType:
    name: str = strawberry.field(description='e.g. "PersonCreated_v1" or "token_minted"')
    trigger_type: TriggerType
    description: str
    fields: list[EventField]


@strawberry.type
class SigningKey:
    kid: str
    created_at: datetime
    activates_at: datetime
    retires_at: datetime | None
    status: str = strawberry.field(description="PENDING, ACTIVE, RETIRING or RETIRED.")


@strawberry.type
class Organization:
    id: strawberry.ID
    name: str
    signing_keys: list[SigningKey]
