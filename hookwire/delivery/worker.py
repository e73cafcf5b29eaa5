"""The delivery worker: claim due deliveries, sign, send, record, reschedule."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hookwire.delivery.bus import Bus
from hookwire.delivery.recording import Finished, record_finished
from hookwire.delivery.signing import CallClaims, call_token
from hookwire.delivery.transport import Transport
from hookwire.domain.retry_policy import decide
from hookwire.models import Delivery, Event, Webhook
from hookwire.models.queue import claim_due_deliveries, release_deliveries
from hookwire.runtime import Runtime
from hookwire.services.webhooks import decrypt_headers

log = logging.getLogger(__name__)

EVENT_TIMEOUT = 10.0
LEASE = timedelta(seconds=90)  # longer than the longest attempt (20 s) plus recording


@dataclass(frozen=True)
class Target:
    """What a webhook looks like to the sender, decrypted once per batch."""

    url: str
    headers: tuple[tuple[str, str], ...]
    timeout: float
    enabled: bool

    @classmethod
    def of(cls, webhook: Webhook, runtime: Runtime) -> Target:
        pairs = [(n, v) for n, values in decrypt_headers(webhook, runtime.key_ring) for v in values]
        return cls(
            url=webhook.target_url,
            headers=(("Content-Type", "application/jwt"), *pairs),
            timeout=webhook.timeout_ns / 1e9 or EVENT_TIMEOUT,
            enabled=webhook.enabled,
        )


class Worker:
    """Runs until `stop` is set; then lets in-flight attempts finish and records them."""

    def __init__(
        self,
        runtime: Runtime,
        transport: Transport,
        bus: Bus,
        *,
        concurrency: int = 128,
        batch_size: int = 128,
        idle_poll: float = 0.25,
    ) -> None:
        self.runtime = runtime
        self.transport = transport
        self.bus = bus
        self.concurrency = concurrency
        self.batch_size = batch_size
        self.idle_poll = idle_poll
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._wake = asyncio.Event()
        self._inflight: set[asyncio.Task[None]] = set()
        self._finished: asyncio.Queue[Finished | None] = asyncio.Queue()

    def wake(self) -> None:
        """New deliveries were committed in this process: look for work now."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        recorder = asyncio.create_task(self._record_forever())
        try:
            while not stop.is_set():
                if not await self._claim_and_send():
                    await self._idle(stop)
        finally:
            if self._inflight:
                await asyncio.wait(self._inflight)
            await self._finished.put(None)
            await recorder

    async def _idle(self, stop: asyncio.Event) -> None:
        self._wake.clear()
        waits = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
        await asyncio.wait(waits, timeout=self.idle_poll, return_when=asyncio.FIRST_COMPLETED)
        for waiting in waits:
            waiting.cancel()

    async def _claim_and_send(self) -> bool:
        """Claim what free capacity allows and start sending; False when nothing was due."""
        free = self.concurrency - len(self._inflight)
        if free < max(1, min(self.batch_size, self.concurrency) // 4):
            await asyncio.wait(self._inflight, return_when=asyncio.FIRST_COMPLETED)
            return True
        rows = await claim_due_deliveries(self.owner, min(free, self.batch_size), LEASE)
        if not rows:
            return False
        try:
            targets, events = await self._load(rows)
        except Exception:
            await release_deliveries(self.owner, [row.id for row in rows])
            raise
        for row in rows:
            task = asyncio.create_task(self._attempt(row, targets.get(row.webhook_id), events))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)
        return True

    async def _load(
        self, rows: Sequence[Delivery]
    ) -> tuple[dict[uuid.UUID, Target], dict[uuid.UUID, tuple[str, str]]]:
        webhooks = await Webhook.filter(id__in={r.webhook_id for r in rows})
        targets = {w.id: Target.of(w, self.runtime) for w in webhooks}
        found = await Event.filter(id__in={r.event_id for r in rows}).values_list(
            "id", "name", "content"
        )
        events = {
            i: (name, json.dumps(c, separators=(",", ":"), ensure_ascii=False))
            for i, name, c in found
        }
        return targets, events

    async def _attempt(
        self,
        delivery: Delivery,
        target: Target | None,
        events: dict[uuid.UUID, tuple[str, str]],
    ) -> None:
        name, content_json = events[delivery.event_id]
        if target is None or not target.enabled:
            await self._finished.put(Finished(delivery, name))
            return
        try:
            signer = await self.runtime.signers.signer_for(delivery.organization_id)
            claims = CallClaims(
                issuer=self.runtime.settings.jwt_issuer,
                organization_id=str(delivery.organization_id),
                subject=str(delivery.event_id),
                target_url=target.url,
                webhook_id=str(delivery.webhook_id),
                trigger_type="event",
                trigger_name=name,
                trigger_content_json=content_json,
            )
            body = call_token(signer, claims).encode()
            result = await self.transport.post(target.url, body, target.headers, target.timeout)
        except Exception:
            # Left leased: it is claimed again when the lease ends, not in a tight loop.
            log.exception("delivery %s could not be attempted; it stays queued", delivery.id)
            return
        decision = decide(
            outcome=result.outcome,
            status_code=result.status_code,
            attempt_number=delivery.attempt_count + 1,
            budget=delivery.attempt_budget,
            schedule=self.runtime.settings.retry_schedule,
            retry_after_seconds=result.retry_after_seconds,
            now=datetime.now(UTC),
        )
        await self._finished.put(Finished(delivery, name, result, decision))

    async def _record_forever(self) -> None:
        done = False
        while not done:
            first = await self._finished.get()
            batch: list[Finished] = [] if first is None else [first]
            done = first is None
            while not self._finished.empty() and len(batch) < 1000:
                item = self._finished.get_nowait()
                if item is None:
                    done = True
                else:
                    batch.append(item)
            if batch:
                await self._record(batch)

    async def _record(self, batch: list[Finished]) -> None:
        try:
            messages = await record_finished(batch)
        except Exception:
            # Leases expire and the deliveries are claimed again: at least once, never lost.
            log.exception("could not record %d attempts; they will be retried", len(batch))
            return
        await self.bus.publish(messages)
