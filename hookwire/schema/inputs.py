"""GraphQL input types."""

from __future__ import annotations

import strawberry

from hookwire.schema.scalars import Duration
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
