"""Helpers for end-to-end delivery tests: webhooks aimed at the receiver, polling outcomes."""

from __future__ import annotations

import time
import uuid
from typing import Any

from tests.support.receiver import Receiver
from tests.support.server import Org

CREATE = """
mutation Create($input: CreateWebhookInput!) {
  createWebhook(input: $input) {
    __typename ... on Webhook { id targetUrl } ... on UserError { code message }
  }
}
"""
EMIT = """
mutation Emit($input: EmitEventInput!) {
  emitEvent(input: $input) {
    __typename
    ... on Event { id name isTestEvent content deliveries { id webhookId status } }
    ... on ValidationError { code message field }
  }
}
"""
DELIVERY = """
query D($id: ID!) {
  delivery(id: $id) {
    id status attemptCount nextAttemptAt webhookId webhook { id enabled disabledReason }
    event { id name }
    attempts { attemptNumber outcome statusCode error responseBody willRetry nextAttemptAt
               durationMs startedAt finishedAt deliveryId webhookId eventId triggerType
               triggerName }
  }
}
"""
TERMINAL = {"SUCCEEDED", "FAILED", "CANCELLED"}


def unique_path() -> str:
    return f"/hook/{uuid.uuid4().hex}"


def hook_to(
    org: Org,
    receiver: Receiver,
    path: str | None = None,
    *,
    host: str = "hooks.test",
    events: tuple[str, ...] = ("PersonCreated_v1",),
    sync_hooks: tuple[str, ...] = (),
    **fields: Any,
) -> dict[str, Any]:
    """A webhook of `org` aimed at the receiver, triggered by `events` and `sync_hooks`."""
    triggers = [{"triggerType": "EVENT", "triggerName": n} for n in events] + [
        {"triggerType": "SYNC_HOOK", "triggerName": n} for n in sync_hooks
    ]
    url = fields.pop("targetUrl", None) or receiver.url(path or unique_path(), host=host)
    payload = {"name": "receiver", "targetUrl": url, "triggers": triggers, **fields}
    created: dict[str, Any] = org.client().data(CREATE, input=payload)["createWebhook"]
    assert created["__typename"] == "Webhook", created
    return created


def emit(org: Org, name: str = "PersonCreated_v1", **input: Any) -> dict[str, Any]:
    event: dict[str, Any] = org.client().data(EMIT, input={"eventName": name, **input})["emitEvent"]
    return event


def delivery(org: Org, delivery_id: str) -> dict[str, Any]:
    found: dict[str, Any] = org.client().data(DELIVERY, id=delivery_id)["delivery"]
    return found


def wait_for_status(
    org: Org, delivery_id: str, statuses: set[str] = TERMINAL, timeout: float = 15.0
) -> dict[str, Any]:
    """Poll a delivery until it reaches one of `statuses`."""
    deadline = time.monotonic() + timeout
    while True:
        found = delivery(org, delivery_id)
        if found["status"] in statuses:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"delivery stayed {found['status']}: {found}")
        time.sleep(0.05)
