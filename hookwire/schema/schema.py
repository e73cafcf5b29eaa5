"""The Schema, built once from the resolvers."""

from __future__ import annotations

from pathlib import Path

import strawberry
from strawberry.extensions import DisableIntrospection
from strawberry.schema.config import StrawberryConfig

from hookwire.resolvers import deliveries as delivery_resolvers
from hookwire.resolvers import event_types as event_type_resolvers
from hookwire.resolvers import events as event_resolvers
from hookwire.resolvers import organization as organization_resolvers
from hookwire.resolvers import subscriptions as subscription_resolvers
from hookwire.resolvers import sync_hooks as sync_hook_resolvers
from hookwire.resolvers import triggers as trigger_resolvers
from hookwire.resolvers import webhooks as webhook_resolvers
from hookwire.schema.errors import ConflictError, NotFoundError, RateLimitedError, ValidationError
from hookwire.schema.hygiene import hygiene_extensions
from hookwire.schema.scalars import SCALAR_MAP
from hookwire.schema.types import Role


@strawberry.type
class Query:
    organization = strawberry.field(
        organization_resolvers.organization, description="The caller's."
    )
    webhooks = strawberry.field(webhook_resolvers.webhooks)
    webhook = strawberry.field(
        webhook_resolvers.webhook, description="Null when absent or owned by another organization."
    )
    triggers = strawberry.field(trigger_resolvers.triggers)
    event_types = strawberry.field(event_type_resolvers.event_types)
    event = strawberry.field(event_resolvers.event)
    delivery = strawberry.field(delivery_resolvers.delivery)
    deliveries = strawberry.field(delivery_resolvers.deliveries)


@strawberry.type
class Mutation:
    create_webhook = strawberry.mutation(webhook_resolvers.create_webhook)
    update_webhook = strawberry.mutation(webhook_resolvers.update_webhook)
    delete_webhook = strawberry.mutation(webhook_resolvers.delete_webhook)
    add_trigger = strawberry.mutation(trigger_resolvers.add_trigger, description="Idempotent.")
    remove_trigger = strawberry.mutation(
        trigger_resolvers.remove_trigger, description="Idempotent."
    )
    generate_test_events = strawberry.mutation(event_resolvers.generate_test_events)
    emit_event = strawberry.mutation(event_resolvers.emit_event)
    invoke_sync_hook = strawberry.mutation(
        sync_hook_resolvers.invoke_sync_hook,
        description="name comes from the SYNC_HOOK catalog.",
    )
    redeliver = strawberry.mutation(delivery_resolvers.redeliver)
    rotate_signing_key = strawberry.mutation(organization_resolvers.rotate_signing_key)


@strawberry.type
class Subscription:
    delivery_outcomes = strawberry.subscription(
        subscription_resolvers.delivery_outcomes,
        description=(
            "Every attempt outcome of the caller's organization (async deliveries and sync "
            "hook calls), optionally narrowed to one webhook or one event, pushed as soon as "
            "the attempt ends."
        ),
    )


def build_schema(*, production: bool = False) -> strawberry.Schema:
    """The Hookwire schema; production turns introspection off."""
    extensions = hygiene_extensions()
    if production:
        extensions.append(DisableIntrospection)
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Role, ValidationError, ConflictError, NotFoundError, RateLimitedError],
        extensions=extensions,
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
    )


SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"


def export_sdl() -> str:
    """The SDL committed as schema.graphql."""
    return build_schema().as_str() + "\n"
