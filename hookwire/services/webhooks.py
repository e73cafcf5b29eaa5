"""Webhook and trigger actions: validate everything first, then write, scoped to one org."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from hookwire.domain.custom_headers import validate_custom_headers
from hookwire.domain.errors import DuplicateTargetURL, NotFound, RuleViolation
from hookwire.domain.event_catalog import check_trigger
from hookwire.domain.go_duration import parse_webhook_timeout
from hookwire.domain.master_keys import MasterKeyRing
from hookwire.domain.storable import check_text
from hookwire.domain.target_url import normalize_target_url
from hookwire.models import Delivery, Trigger, Webhook
from hookwire.models.queue import ACTIVE

Headers = Sequence[tuple[str, Sequence[str]]]
TriggerKey = tuple[str, str]  # (trigger_type, trigger_name), e.g. ("event", "PersonCreated_v1")

MAX_NAME = 255
MAX_DESCRIPTION = 2000


@dataclass(frozen=True)
class WebhookChanges:
    """The fields a create or update sets; None leaves a field as it is (or default)."""

    name: str | None = None
    target_url: str | None = None
    description: str | None = None
    custom_headers: Headers | None = None
    timeout: str | None = None
    enabled: bool | None = None


def _checked(field: str, check: object, *args: object) -> object:
    try:
        return check(*args)  # type: ignore[operator]
    except RuleViolation as violation:
        violation.field = field
        raise


def _validated(changes: WebhookChanges, ring: MasterKeyRing) -> dict[str, object]:
    values: dict[str, object] = {}
    if changes.name is not None:
        if not 1 <= len(changes.name) <= MAX_NAME or not changes.name.strip():
            raise RuleViolation("name must be 1-255 characters, not only spaces", "name")
        check_text(changes.name, "name")
        values["name"] = changes.name
    if changes.description is not None:
        if len(changes.description) > MAX_DESCRIPTION:
            raise RuleViolation("description must be at most 2,000 characters", "description")
        check_text(changes.description, "description")
        values["description"] = changes.description
    if changes.target_url is not None:
        values["target_url"] = _checked("targetUrl", normalize_target_url, changes.target_url)
    if changes.timeout is not None:
        values["timeout_ns"] = _checked("timeout", parse_webhook_timeout, changes.timeout)
    if changes.custom_headers is not None:
        headers = _checked("customHeaders", validate_custom_headers, changes.custom_headers)
        values["custom_headers_encrypted"] = encrypt_headers(headers, ring)  # type: ignore[arg-type]
    if changes.enabled is not None:
        values["enabled"] = changes.enabled
        if changes.enabled:
            values["disabled_reason"] = None
    return values


def encrypt_headers(headers: dict[str, list[str]], ring: MasterKeyRing) -> str:
    """Custom headers as stored: encrypted JSON, or "" when there are none."""
    return ring.encrypt(json.dumps(list(headers.items())).encode()) if headers else ""


def decrypt_headers(encrypted: str, ring: MasterKeyRing) -> list[tuple[str, list[str]]]:
    """A webhook's custom headers (its `custom_headers_encrypted`) in clear, in the order
    they were given."""
    if not encrypted:
        return []
    return [(n, v) for n, v in json.loads(ring.decrypt(encrypted))]


def _checked_triggers(triggers: Sequence[TriggerKey], field: str = "triggers") -> list[TriggerKey]:
    for trigger_type, trigger_name in triggers:
        _checked(field, check_trigger, trigger_type, trigger_name)
    return list(dict.fromkeys(triggers))


async def _ensure_unique_url(org_id: uuid.UUID, url: str, exclude: uuid.UUID | None) -> None:
    clash = Webhook.filter(organization_id=org_id, target_url=url)
    if exclude is not None:
        clash = clash.exclude(id=exclude)
    if await clash.exists():
        raise DuplicateTargetURL(
            f"another webhook of this organization already targets {url}", "targetUrl"
        )


async def create_webhook(
    org_id: uuid.UUID,
    ring: MasterKeyRing,
    changes: WebhookChanges,
    triggers: Sequence[TriggerKey] = (),
) -> Webhook:
    """A new webhook with its triggers, after every rule has passed."""
    if changes.name is None or changes.target_url is None:
        raise RuleViolation("name and targetUrl are required", "name")
    values = _validated(changes, ring)
    wanted = _checked_triggers(triggers)
    await _ensure_unique_url(org_id, str(values["target_url"]), exclude=None)
    try:
        async with in_transaction():
            webhook = await Webhook.create(organization_id=org_id, **values)  # type: ignore[arg-type]
            await Trigger.bulk_create(
                [Trigger(webhook_id=webhook.id, trigger_type=t, trigger_name=n) for t, n in wanted]
            )
    except IntegrityError:
        await _ensure_unique_url(org_id, str(values["target_url"]), exclude=None)
        raise
    return webhook


async def get_webhook(org_id: uuid.UUID, webhook_id: str) -> Webhook:
    """The organization's webhook with this id; NotFound otherwise (also for other orgs')."""
    try:
        parsed = uuid.UUID(webhook_id)
    except (ValueError, AttributeError, TypeError):
        raise NotFound("webhook", webhook_id) from None
    webhook = await Webhook.get_or_none(id=parsed, organization_id=org_id)
    if webhook is None:
        raise NotFound("webhook", webhook_id)
    return webhook


async def update_webhook(
    org_id: uuid.UUID, ring: MasterKeyRing, webhook_id: str, changes: WebhookChanges
) -> Webhook:
    """Apply the given changes; omitted fields stay, customHeaders replaces the whole set."""
    webhook = await get_webhook(org_id, webhook_id)
    values = _validated(changes, ring)
    if "target_url" in values:
        await _ensure_unique_url(org_id, str(values["target_url"]), exclude=webhook.id)
    if values:
        webhook.update_from_dict(values)
        try:
            async with in_transaction():
                await webhook.save()
                if changes.enabled is False:
                    await _cancel_pending(webhook.id)
        except IntegrityError:
            await _ensure_unique_url(org_id, str(values["target_url"]), exclude=webhook.id)
            raise
    return webhook


async def _cancel_pending(webhook_id: uuid.UUID) -> None:
    await Delivery.filter(webhook_id=webhook_id, status__in=ACTIVE).update(
        status="CANCELLED", next_attempt_at=None
    )


async def delete_webhook(org_id: uuid.UUID, webhook_id: str) -> uuid.UUID:
    """Delete a webhook and its triggers, cancel its pending deliveries; history stays."""
    webhook = await get_webhook(org_id, webhook_id)
    async with in_transaction():
        await webhook.delete()
        await _cancel_pending(webhook.id)
    return webhook.id


async def add_trigger(org_id: uuid.UUID, webhook_id: str, trigger: TriggerKey) -> Webhook:
    """Attach a trigger; attaching one that is already there changes nothing."""
    webhook = await get_webhook(org_id, webhook_id)
    _checked_triggers([trigger], field="trigger")
    trigger_type, trigger_name = trigger
    with contextlib.suppress(IntegrityError):  # added concurrently: the result is the same
        await Trigger.get_or_create(
            webhook_id=webhook.id, trigger_type=trigger_type, trigger_name=trigger_name
        )
    return webhook


async def remove_trigger(org_id: uuid.UUID, webhook_id: str, trigger: TriggerKey) -> Webhook:
    """Detach a trigger; detaching one that is absent changes nothing."""
    webhook = await get_webhook(org_id, webhook_id)
    _checked_triggers([trigger], field="trigger")
    trigger_type, trigger_name = trigger
    await Trigger.filter(
        webhook_id=webhook.id, trigger_type=trigger_type, trigger_name=trigger_name
    ).delete()
    return webhook


async def list_triggers(webhook: Webhook) -> list[TriggerKey]:
    """The webhook's triggers in the order they were added."""
    rows = await Trigger.filter(webhook_id=webhook.id).order_by("id")
    return [(t.trigger_type, t.trigger_name) for t in rows]
