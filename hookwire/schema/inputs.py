"""GraphQL input types."""

from __future__ import annotations

import strawberry

from hookwire.schema.scalars import JSON, Duration
from hookwire.schema.types import TriggerType


@strawberry.input
class HeaderInput:
    name: str
    values: list[str]


@strawberry.input
class TriggerInput:
    trigger_type: TriggerType
    trigger_name: str

    def key(self) -> tuple[str, str]:
        return (self.trigger_type.value, self.trigger_name)


@strawberry.input
class CreateWebhookInput:
    name: str
    target_url: str
    description: str | None = None
    custom_headers: list[HeaderInput] | None = None
    timeout: Duration | None = None
    enabled: bool | None = None
    triggers: list[TriggerInput] | None = strawberry.field(
        default=None, description="Convenience: attach triggers in the same call."
    )


@strawberry.input(
    description="Every field optional; an omitted field stays as it is; "
    "customHeaders replaces the whole set."
)
class UpdateWebhookInput:
    name: str | None = None
    target_url: str | None = None
    description: str | None = None
    custom_headers: list[HeaderInput] | None = None
    timeout: Duration | None = None
    enabled: bool | None = None


@strawberry.input
class TestEventInput:
    event_name: str
    count: int | None = 1
    duplicates: bool | None = strawberry.field(
        default=False, description="True: the `count` events share one event id and one content."
    )
    analytics_correlation_id: str | None = None


@strawberry.input
class EmitEventInput:
    event_name: str
    content: JSON | None = strawberry.field(
        default=None,
        description="Event-specific fields; event_metadata is filled in by the server.",
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description=(
            "The same key again within 24 hours returns the first event and delivers nothing new."
        ),
    )
