"""Webhooks and their triggers."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from hookwire.models.ids import uuid7
from hookwire.models.tenancy import Organization


class Webhook(Model):
    id = fields.UUIDField(primary_key=True, default=uuid7)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="webhooks", on_delete=fields.CASCADE
    )
    organization_id: object
    name = fields.CharField(max_length=255)
    description = fields.TextField(default="")
    target_url = fields.CharField(max_length=2048)
    custom_headers_encrypted = fields.TextField(default="")
    timeout_ns = fields.BigIntField(default=0)
    enabled = fields.BooleanField(default=True)
    disabled_reason = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    triggers: fields.ReverseRelation[Trigger]

    class Meta:
        table = "webhooks"
        unique_together = (("organization", "target_url"),)


class Trigger(Model):
    id = fields.UUIDField(primary_key=True, default=uuid7)
    webhook: fields.ForeignKeyRelation[Webhook] = fields.ForeignKeyField(
        "models.Webhook", related_name="triggers", on_delete=fields.CASCADE
    )
    webhook_id: object
    trigger_type = fields.CharField(max_length=16)
    trigger_name = fields.CharField(max_length=128)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "triggers"
        unique_together = (("webhook", "trigger_type", "trigger_name"),)
        indexes = (("trigger_type", "trigger_name"),)
