"""Sync hooks (§6): call every subscribed webhook at once, merge what they answer."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from typing import Any

from tortoise.transactions import in_transaction

from hookwire.delivery.recording import attempt_record, outcome_message
from hookwire.delivery.signing import CallClaims, call_token
from hookwire.delivery.transport import AttemptResult
from hookwire.domain.errors import RuleViolation
from hookwire.domain.event_catalog import check_trigger
from hookwire.domain.storable import check_json
from hookwire.models import Webhook
from hookwire.models.ids import uuid7
from hookwire.models.queue import insert_attempts
from hookwire.runtime import Runtime
from hookwire.services.webhooks import decrypt_headers

SYNC_HOOK_TIMEOUT = 2.0
RESERVED_CLAIMS = frozenset({"iss", "sub", "aud", "exp", "nbf", "iat", "jti"})


@dataclass(frozen=True)
class SyncHookCall:
    webhook_id: uuid.UUID
    result: AttemptResult

    @property
    def answer(self) -> dict[str, Any] | None:
        """The JSON object the hook answered with 200, if it did."""
        if self.result.status_code == 200 and isinstance(self.result.response_json, dict):
            return self.result.response_json
        return None


@dataclass(frozen=True)
class Invocation:
    id: uuid.UUID
    calls: list[SyncHookCall]
    claims: dict[str, Any]


def merge_claims(answers: list[dict[str, Any] | None]) -> dict[str, Any]:
    """Answers merged in order (later keys win), reserved JWT claims dropped."""
    merged: dict[str, Any] = {}
    for answer in answers:
        if answer:
            merged.update({k: v for k, v in answer.items() if k not in RESERVED_CLAIMS})
    return merged


async def invoke_sync_hook(
    org_id: uuid.UUID, name: str, content: Any, runtime: Runtime
) -> Invocation:
    """Call each enabled webhook with this SYNC_HOOK trigger once, concurrently."""
    try:
        check_trigger("sync_hook", name)
    except RuleViolation as violation:
        violation.field = "name"
        raise
    if not isinstance(content, dict):
        raise RuleViolation("content must be a JSON object", "content")
    check_json(content, "content")
    invocation_id = uuid7()
    webhooks = await Webhook.filter(
        organization_id=org_id,
        enabled=True,
        triggers__trigger_type="sync_hook",
        triggers__trigger_name=name,
    ).order_by("created_at", "id")
    signer = await runtime.signers.signer_for(org_id) if webhooks else None
    content_json = json.dumps(content, separators=(",", ":"), ensure_ascii=False)

    async def call(webhook: Webhook) -> SyncHookCall:
        assert signer is not None
        claims = CallClaims(
            issuer=runtime.settings.jwt_issuer,
            organization_id=str(org_id),
            subject=str(invocation_id),
            target_url=webhook.target_url,
            webhook_id=str(webhook.id),
            trigger_type="sync_hook",
            trigger_name=name,
            trigger_content_json=content_json,
        )
        headers = [("Content-Type", "application/jwt")] + [
            (n, v)
            for n, values in decrypt_headers(webhook.custom_headers_encrypted, runtime.key_ring)
            for v in values
        ]
        timeout = webhook.timeout_ns / 1e9 or SYNC_HOOK_TIMEOUT
        body = call_token(signer, claims).encode()
        result = await runtime.transport.post(webhook.target_url, body, headers, timeout)
        return SyncHookCall(webhook.id, result)

    calls = list(await asyncio.gather(*(call(w) for w in webhooks)))
    await _record(org_id, name, invocation_id, calls, runtime)
    return Invocation(invocation_id, calls, merge_claims([c.answer for c in calls]))


async def _record(
    org_id: uuid.UUID,
    name: str,
    invocation_id: uuid.UUID,
    calls: list[SyncHookCall],
    runtime: Runtime,
) -> None:
    rows = [
        attempt_record(
            organization_id=org_id,
            webhook_id=call.webhook_id,
            trigger_type="sync_hook",
            trigger_name=name,
            attempt_number=1,
            result=call.result,
            invocation_id=invocation_id,
        )
        for call in calls
    ]
    async with in_transaction() as connection:
        await insert_attempts(rows, connection)
    await runtime.bus.publish([outcome_message(row) for row in rows])
