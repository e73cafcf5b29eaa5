"""Events, the deliveries they fan out to (the outbox and the queue), and every attempt."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from hookwire.models.ids import uuid7
from hookwire.models.tenancy import Organization


class Event(Model):
    # id is the public event id (event_metadata.event_id, the JWT's sub).
    id = fields.UUIDField(primary_key=True, default=uuid7)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="events", on_delete=fields.CASCADE
    )
    organization_id: Any
    name = fields.CharField(max_length=128)
    is_test_event = fields.BooleanField(default=False)
    timestamp = fields.DatetimeField()
    content: dict[str, Any] = fields.JSONField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "events"


class IdempotencyKey(Model):
    # An emitEvent key and the event it produced; a key older than 24 hours may be reused.
    id = fields.UUIDField(primary_key=True, default=uuid7)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="idempotency_keys", on_delete=fields.CASCADE
    )
    organization_id: Any
    key = fields.CharField(max_length=255)
    event: fields.ForeignKeyRelation[Event] = fields.ForeignKeyField(
        "models.Event", related_name="idempotency_keys", on_delete=fields.CASCADE
    )
    event_id: Any
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "idempotency_keys"
        unique_together = (("organization", "key"),)


class Delivery(Model):
    # One event for one webhook. Due rows (next_attempt_at <= now, no live lease) are the
    # queue; webhook_id is no foreign key so that history outlives a deleted webhook.
    id = fields.UUIDField(primary_key=True, default=uuid7)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="deliveries", on_delete=fields.CASCADE
    )
    organization_id: Any
    event: fields.ForeignKeyRelation[Event] = fields.ForeignKeyField(
        "models.Event", related_name="deliveries", on_delete=fields.CASCADE
    )
    event_id: Any
    webhook_id = fields.UUIDField(db_index=True)
    status = fields.CharField(max_length=16, default="PENDING")
    attempt_count = fields.IntField(default=0)
    attempt_budget = fields.IntField()
    next_attempt_at = fields.DatetimeField(null=True)
    lease_owner = fields.CharField(max_length=64, null=True)
    lease_expires_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "deliveries"
        indexes = (("status", "next_attempt_at"), ("organization_id", "id"), ("event_id", "id"))


class DeliveryAttempt(Model):
    # One call to a webhook: an attempt of a Delivery, or one call of a sync hook invocation.
    id = fields.UUIDField(primary_key=True, default=uuid7)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="attempts", on_delete=fields.CASCADE
    )
    organization_id: Any
    delivery: fields.ForeignKeyNullableRelation[Delivery] = fields.ForeignKeyField(
        "models.Delivery", related_name="attempts", on_delete=fields.CASCADE, null=True
    )
    delivery_id: Any
    webhook_id = fields.UUIDField(db_index=True)
    event_id = fields.UUIDField(null=True, db_index=True)
    invocation_id = fields.UUIDField(null=True, db_index=True)
    trigger_type = fields.CharField(max_length=16)
    trigger_name = fields.CharField(max_length=128)
    attempt_number = fields.IntField()
    outcome = fields.CharField(max_length=32)
    status_code = fields.IntField(null=True)
    duration_ms = fields.FloatField()
    error = fields.TextField(null=True)
    response_body = fields.TextField(null=True)
    started_at = fields.DatetimeField()
    finished_at = fields.DatetimeField()
    will_retry = fields.BooleanField(default=False)
    next_attempt_at = fields.DatetimeField(null=True)

    class Meta:
        table = "delivery_attempts"
        indexes = (("delivery_id", "attempt_number"),)
