"""Organizations and the API keys that act for them."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from hookwire.models.ids import uuid7


class Organization(Model):
    id = fields.UUIDField(primary_key=True, default=uuid7)
    name = fields.CharField(max_length=255)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "organizations"


class ApiKey(Model):
    # Stored as the SHA-256 of its secret beside the public lookup part that finds it.

    id = fields.UUIDField(primary_key=True, default=uuid7)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="api_keys", on_delete=fields.CASCADE
    )
    organization_id: object
    role = fields.CharField(max_length=16)
    lookup = fields.CharField(max_length=32, unique=True)
    secret_hash = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "api_keys"


class SigningKey(Model):
    # A P-256 key of an organization; the private half is encrypted with the master key.

    id = fields.UUIDField(primary_key=True, default=uuid7)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="signing_keys", on_delete=fields.CASCADE
    )
    organization_id: object
    kid = fields.CharField(max_length=64, unique=True)
    public_jwk: dict[str, Any] = fields.JSONField()
    private_key_encrypted = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)
    activates_at = fields.DatetimeField()
    retires_at = fields.DatetimeField(null=True)

    class Meta:
        table = "signing_keys"
