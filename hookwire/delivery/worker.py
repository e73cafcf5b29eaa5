"""The delivery worker: claim due deliveries, sign, send, record, reschedule."""

from __future__ import annotations

import asyncio
import contextlib
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
from hookwire.models import Event, Webhook
from hookwire.models.queue import ClaimedDelivery, claim_due_deliveries, release_deliveries
from hookwire.runtime import Runtime
from hookwire.services.webhooks import decrypt_headers

log = logging.getLogger(__name__)

EVENT_TIMEOUT = 10.0
RECORD_BATCH = 1000
RECORD_LINGER = 0.05  # seconds a busy worker waits to record more attempts at once


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


@dataclass(frozen=True, slots=True)
class _Ready:
    """A claimed delivery and what its attempt needs, waiting for a sender."""

    delivery: ClaimedDelivery
    target: Target | None
    event: tuple[str, str] | None  # name and content JSON; None if deleted since the claim


class Worker:
    """Runs until `stop` is set; then lets in-flight attempts finish and records them.

    `concurrency` senders take claimed deliveries from a queue, one attempt at a time. Claims
    run up to `concurrency` deliveries ahead of them, so a sender that is done starts the next
    attempt at once rather than after a claim's round trips to the database. A claimed
    delivery so waits for a sender at most one attempt (20 s) before its own (20 s): the lease
    (HOOKWIRE_DELIVERY_LEASE, 90 s) must outlast both and the recording.
    """

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
        self.lease = timedelta(seconds=runtime.settings.delivery_lease)
        self._wake = asyncio.Event()
        self._room = asyncio.Event()
        self._ready: asyncio.Queue[_Ready | None] = asyncio.Queue()
        self._sending = 0
        self._finished: asyncio.Queue[Finished | None] = asyncio.Queue()

    def wake(self) -> None:
        """New deliveries were committed in this process: look for work now."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        recorder = asyncio.create_task(self._record_forever())
        senders = [asyncio.create_task(self._send_forever()) for _ in range(self.concurrency)]
        failures = 0
        try:
            while not stop.is_set():
                try:
                    found = await self._claim_and_send()
                    failures = 0
                except Exception:
                    # A locked SQLite file or a PostgreSQL restart must not end the worker:
                    # back off (up to 30 s) and claim again; leases keep deliveries safe.
                    failures += 1
                    delay = min(30.0, 0.5 * 2**failures)
                    log.exception("claiming failed; trying again in %.1f s", delay)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), delay)
                    continue
                if not found:
                    await self._idle(stop)
        finally:
            await self._release_ready()
            for _ in senders:
                self._ready.put_nowait(None)
            await asyncio.gather(*senders)
            await self._finished.put(None)
            await recorder

    async def _idle(self, stop: asyncio.Event) -> None:
        self._wake.clear()
        waits = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
        await asyncio.wait(waits, timeout=self.idle_poll, return_when=asyncio.FIRST_COMPLETED)
        for waiting in waits:
            waiting.cancel()

    async def _claim_and_send(self) -> bool:
        """Claim what room allows and queue it for the senders; False when nothing was due."""
        room = 2 * self.concurrency - self._sending - self._ready.qsize()
        if room < max(1, min(self.batch_size, self.concurrency) // 4):
            self._room.clear()
            await self._room.wait()
            return True
        rows = await claim_due_deliveries(self.owner, min(room, self.batch_size), self.lease)
        if not rows:
            return False
        try:
            targets, events = await self._load(rows)
        except Exception:
            await release_deliveries(self.owner, [row.id for row in rows])
            raise
        for row in rows:
            self._ready.put_nowait(
                _Ready(row, targets.get(row.webhook_id), events.get(row.event_id))
            )
        return True

    async def _send_forever(self) -> None:
        while (ready := await self._ready.get()) is not None:
            self._sending += 1
            try:
                await self._attempt(ready)
            except Exception:
                # A sender outlives any one delivery; the delivery is claimed again later.
                log.exception("delivery %s could not be attempted", ready.delivery.id)
            finally:
                self._sending -= 1
                self._room.set()

    async def _release_ready(self) -> None:
        """Stopping: hand back what was claimed but not started, for any worker to take."""
        ids: list[str] = []
        while not self._ready.empty():
            ready = self._ready.get_nowait()
            if ready is not None:
                ids.append(ready.delivery.id)
        try:
            await release_deliveries(self.owner, ids)
        except Exception:
            log.exception("could not release %d deliveries; their leases will expire", len(ids))

    async def _load(
        self, rows: Sequence[ClaimedDelivery]
    ) -> tuple[dict[str, Target], dict[str, tuple[str, str]]]:
        webhooks = await Webhook.filter(id__in={r.webhook_id for r in rows})
        targets = {str(w.id): Target.of(w, self.runtime) for w in webhooks}
        found = await Event.filter(id__in={r.event_id for r in rows}).values_list(
            "id", "name", "content"
        )
        events = {
            str(i): (name, json.dumps(c, separators=(",", ":"), ensure_ascii=False))
            for i, name, c in found
        }
        return targets, events

    async def _attempt(self, ready: _Ready) -> None:
        delivery, target, event = ready.delivery, ready.target, ready.event
        if event is None or target is None or not target.enabled:
            self._finished.put_nowait(Finished(delivery, event[0] if event else ""))
            return
        name, content_json = event
        try:
            signer = await self.runtime.signers.signer_for(uuid.UUID(delivery.organization_id))
            claims = CallClaims(
                issuer=self.runtime.settings.jwt_issuer,
                organization_id=delivery.organization_id,
                subject=delivery.event_id,
                target_url=target.url,
                webhook_id=delivery.webhook_id,
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
        self._finished.put_nowait(Finished(delivery, name, result, decision))

    async def _record_forever(self) -> None:
        done = False
        while not done:
            first = await self._finished.get()
            if first is not None and self._sending and self._finished.qsize() < self.batch_size:
                # More is about to finish: one transaction for all of it holds the database
                # (one connection, on SQLite) for fewer round trips than several small ones.
                await asyncio.sleep(RECORD_LINGER)
            batch: list[Finished] = [] if first is None else [first]
            done = first is None
            while not self._finished.empty() and len(batch) < RECORD_BATCH:
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
