"""Tortoise models and migrations: the only part of Hookwire that knows SQL."""

from hookwire.models.tenancy import ApiKey, Organization, SigningKey
from hookwire.models.webhooks import Trigger, Webhook

__all__ = ["ApiKey", "Organization", "SigningKey", "Trigger", "Webhook"]
