"""Tortoise models and migrations: the only part of Hookwire that knows SQL."""

from hookwire.models.deliveries import Delivery, DeliveryAttempt, Event, IdempotencyKey
from hookwire.models.tenancy import ApiKey, Organization, SigningKey
from hookwire.models.webhooks import Trigger, Webhook

__all__ = [
    "ApiKey",
    "Delivery",
    "DeliveryAttempt",
    "Event",
    "IdempotencyKey",
    "Organization",
    "SigningKey",
    "Trigger",
    "Webhook",
]
