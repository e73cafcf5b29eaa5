"""The delivery worker: claim due deliveries, sign, send, record, reschedule."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from hookwire.delivery.collector import settle_collector
from hookwire.delivery.recording import Finished, outcome_message, record_finished
from hookwire.delivery.signing import CallClaims, JwtSigner, call_token
from hookwire.delivery.transport import NotStarted
from hookwire.domain.retry_policy import decide
from hookwire.models.queue import (
    Claim,
    ClaimedDelivery,
    DeliveryQueue,
    EventRow,
    WebhookRow,
    delivery_queue,
)
from hookwire.runtime import Runtime
from hookwire.services.webhooks import decrypt_headers

log = logging.getLogger(__name__)

EVENT_TIMEOUT = 10.0
RECORD_BATCH = 1000
RECORD_LINGER = 0.05  # seconds a busy worker waits to record more attempts at once
# A token signed at claim time that waited longer than this for a sender (slow receivers
# hold every sender) is signed again, so that iat says when the call was made.
RESIGN_AFTER = 5.0
# Claims run ahead of the senders, so that a sender that is done starts the next attempt at
# once rather than after a claim and a signature (tens of ms under load, more while a
# recording holds SQLite's one connection). Ahead means claimed and not yet sending:
# `concurrency` deliveries, or, while attempts finish quickly, as many as finished in
# AHEAD_SECONDS over the last second (the last AHEAD_SECONDS once `concurrency` have finished
# in them), up to AHEAD_MAX times `concurrency`. A claimed delivery so waits about
# AHEAD_SECONDS for a sender while receivers answer quickly, and one attempt when they are
# slow; when they turn slow all at once it could wait AHEAD_MAX attempts (20 s each), longer
# than its lease: a sender starts an attempt only while the lease will outlast it by a
# margin for the recording, and otherwise hands the delivery back to the queue unsent.
AHEAD_SECONDS = 0.25
AHEAD_MAX = 6
LEASE_MARGIN = 10.0  # seconds of lease left after an attempt, at most a tenth of the lease
SIGN_CHUNK = 32  # tokens signed between two turns of the event loop


@dataclass(frozen=True)
class Target:
    """What a webhook looks like to the sender, decrypted once per batch."""

    url: str
    headers: tuple[tuple[str, str], ...]
    timeout: float
    enabled: bool

    @classmethod
    def of(cls, webhook: WebhookRow, runtime: Runtime) -> Target:
        stored = decrypt_headers(webhook.custom_headers_encrypted, runtime.key_ring)
        pairs = [(name, value) for name, values in stored for value in values]
        return cls(
            url=webhook.target_url,
            headers=(("Content-Type", "application/jwt"), *pairs),
            timeout=webhook.timeout_ns / 1e9 or EVENT_TIMEOUT,
            enabled=webhook.enabled,
        )


@dataclass(slots=True)
class _Ready:
    """A claimed delivery and what its attempt needs, waiting for a sender."""

    delivery: ClaimedDelivery
    target: Target | None
    event: EventRow | None  # None if deleted since the claim
    lease_ends: float  # time.monotonic() when the claim's lease runs out
    claims: CallClaims | None = None  # None when there is nothing to send
    signer: JwtSigner | None = None
    body: bytes | None = None  # the token, signed ahead
    signed_at: float = 0.0  # time.monotonic() of the signature


class Worker:
    """Runs until `stop` is set; then lets in-flight attempts finish and records them.

    `concurrency` senders take claimed deliveries from a queue, one attempt at a time (with
    sender processes three times as many, the others waiting in the processes for a
    connection or on their way: `Sender.senders_for`). Claims run ahead of them (see
    AHEAD_SECONDS), so a sender that is done starts the next attempt at once rather than
    after a claim's round trip to the database; each claimed batch comes with its webhooks and
    events and is signed ahead, SIGN_CHUNK tokens between two turns of the event loop, while
    the next claim runs. An attempt starts only while the claim's lease
    (HOOKWIRE_DELIVERY_LEASE, 90 s) will outlast its timeout by LEASE_MARGIN (or a tenth of a
    shorter lease); a delivery that waited longer goes back to the queue unsent. A token that
    waited more than RESIGN_AFTER is signed again before it is sent.

    Signing is on the event loop's thread: ECDSA in `cryptography` runs without the GIL, but
    a signing thread needs the GIL back after every signature, and beside a busy event loop
    it waited for it (up to the 5 ms switch interval) so long that the senders ran dry.
    """

    def __init__(
        self,
        runtime: Runtime,
        *,
        concurrency: int = 128,
        batch_size: int = 128,
        idle_poll: float = 0.25,
    ) -> None:
        self.runtime = runtime
        self.concurrency = concurrency
        self.batch_size = batch_size
        self.idle_poll = idle_poll
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease = timedelta(seconds=runtime.settings.delivery_lease)
        self._wake = asyncio.Event()
        self._room = asyncio.Event()
        self._ready: asyncio.Queue[_Ready | None] = asyncio.Queue()
        self._stopping = False
        self._sending = 0
        self._preparing = 0  # claimed, being signed before they join _ready
        self._ahead = concurrency  # how many may be claimed and not yet sending
        self._finished_count = 0  # attempts finished since _rate_since
        self._rate_since = time.monotonic()
        self._preparations: set[asyncio.Task[None]] = set()
        self._finished: asyncio.Queue[Finished | None] = asyncio.Queue()
        self._queue: DeliveryQueue  # opened by run()

    def wake(self) -> None:
        """New deliveries were committed in this process: look for work now."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        settle_collector()
        self._queue = delivery_queue()
        self._stopping = False
        recorder = asyncio.create_task(self._record_forever())
        count = self.runtime.delivery_transport.senders_for(self.concurrency)
        senders = [asyncio.create_task(self._send_forever()) for _ in range(count)]
        # A worker waiting for room (every sender busy) stops at once, not when an attempt
        # ends, which with slow receivers is up to a timeout later; meanwhile senders that
        # finished would start what was claimed ahead.
        stopping = asyncio.ensure_future(stop.wait())
        stopping.add_done_callback(lambda _: self._room.set())
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
            stopping.cancel()
            await asyncio.gather(*self._preparations)
            await self._release_ready()
            # Attempts waiting in sender processes for a connection go back too.
            self._stopping = True
            self.runtime.delivery_transport.drop_waiting()
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
        """Claim what room allows and queue it for the senders; False when nothing was due.

        Signing a claimed batch goes on in its own task while the next claim runs.
        """
        in_hand = self._sending + self._ready.qsize() + self._preparing
        # Senders beyond `concurrency` (sender processes keep posts waiting in them) take
        # their work from what is claimed ahead, which grows with the rate: at a slow rate a
        # worker holds no more claimed than without them, and the last claimed is not kept
        # waiting longer than its lease allows.
        room = self.concurrency + self._ahead_allowed() - in_hand
        if room < max(1, min(self.batch_size, self.concurrency) // 4):
            self._room.clear()
            await self._room.wait()
            return True
        lease_ends = time.monotonic() + self.lease.total_seconds()
        claims = await self._queue.claim(self.owner, min(room, self.batch_size), self.lease)
        if not claims:
            return False
        try:
            batch = self._batch(claims, lease_ends)
        except Exception:
            await self._queue.release(self.owner, [claim.delivery.id for claim in claims])
            raise
        self._preparing += len(batch)
        preparing = asyncio.create_task(self._sign_and_queue(batch))
        self._preparations.add(preparing)
        preparing.add_done_callback(self._preparations.discard)
        return True

    def _ahead_allowed(self) -> int:
        """How many deliveries may wait claimed for a sender: from the rate at which attempts
        finished over the last second or so, or over the last AHEAD_SECONDS once as many as
        `concurrency` have finished in them (enough to tell a rate: a worker that starts
        with a backlog claims ahead after a quarter second, not after a whole one)."""
        now = time.monotonic()
        elapsed = now - self._rate_since
        if elapsed >= 1.0 or (
            elapsed >= AHEAD_SECONDS and self._finished_count >= self.concurrency
        ):
            rate = self._finished_count / elapsed
            most = AHEAD_MAX * self.concurrency
            self._ahead = max(self.concurrency, min(most, int(rate * AHEAD_SECONDS)))
            self._finished_count, self._rate_since = 0, now
        return self._ahead

    def _batch(self, claims: Sequence[Claim], lease_ends: float) -> list[_Ready]:
        """Claimed rows as work for the senders: each webhook's headers decrypted once per
        batch."""
        targets: dict[str, Target] = {}
        batch: list[_Ready] = []
        for delivery, webhook, event in claims:
            target = None
            if webhook is not None:
                target = targets.get(webhook.id)
                if target is None:
                    target = targets[webhook.id] = Target.of(webhook, self.runtime)
            batch.append(_Ready(delivery, target, event, lease_ends))
        return batch

    async def _sign_and_queue(self, batch: list[_Ready]) -> None:
        """Sign the batch ahead and queue it for the senders, a chunk at a time."""
        queued = 0
        try:
            await self._prepare(batch)
            for start in range(0, len(batch), SIGN_CHUNK):
                chunk = batch[start : start + SIGN_CHUNK]
                _sign_all(chunk)
                self._queue_ready(chunk)
                queued += len(chunk)
                await asyncio.sleep(0)  # let the senders and their answers in
        except Exception:
            # Not a reason to hold the batch: each attempt signs for itself, or logs why not.
            log.exception("signing ahead failed for %d deliveries", len(batch) - queued)
        finally:
            self._queue_ready(batch[queued:])

    def _queue_ready(self, ready: Sequence[_Ready]) -> None:
        self._preparing -= len(ready)
        for one in ready:
            self._ready.put_nowait(one)

    async def _prepare(self, batch: list[_Ready]) -> None:
        """Fill in each sendable delivery's claims and signer."""
        signers: dict[str, JwtSigner] = {}
        for ready in batch:
            delivery, target, event = ready.delivery, ready.target, ready.event
            if event is None or target is None or not target.enabled:
                continue
            signer = signers.get(delivery.organization_id)
            if signer is None:
                organization_id = uuid.UUID(delivery.organization_id)
                signer = await self.runtime.signers.signer_for(organization_id)
                signers[delivery.organization_id] = signer
            ready.signer = signer
            ready.claims = self._claims(delivery, target, event)

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
                self._finished_count += 1
                self._room.set()

    async def _release_ready(self) -> None:
        """Stopping: hand back what was claimed but not started, for any worker to take."""
        ids: list[str] = []
        while not self._ready.empty():
            ready = self._ready.get_nowait()
            if ready is not None:
                ids.append(ready.delivery.id)
        if not ids:
            return
        try:
            await self._queue.release(self.owner, ids)
        except Exception:
            log.exception("could not release %d deliveries; their leases will expire", len(ids))

    async def _attempt(self, ready: _Ready) -> None:
        delivery, target, event = ready.delivery, ready.target, ready.event
        if event is None or target is None or not target.enabled:
            self._finished.put_nowait(Finished(delivery, event.name if event else ""))
            return
        name = event.name
        if not self._lease_covers(ready.lease_ends, target.timeout):
            await self._hand_back(delivery.id)
            return
        try:
            body = ready.body
            if body is None or time.monotonic() - ready.signed_at > RESIGN_AFTER:
                signer = await self.runtime.signers.signer_for(uuid.UUID(delivery.organization_id))
                claims = ready.claims or self._claims(delivery, target, event)
                body = call_token(signer, claims).encode()
            # runtime.delivery_transport: this process's Transport, or the sender processes.
            transport = self.runtime.delivery_transport
            start_by = ready.lease_ends - self._lease_needed(target.timeout)
            result = await transport.post(
                target.url, body, target.headers, target.timeout, start_by=start_by
            )
        except NotStarted:
            await self._hand_back(delivery.id)
            return
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
        )
        self._finished.put_nowait(Finished(delivery, name, result, decision))

    def _lease_covers(self, lease_ends: float, timeout: float) -> bool:
        """Whether an attempt starting now ends, and is recorded, before the lease does.

        A lease too short for a webhook's timeout (against the documented guidance) is asked
        to have nine tenths of itself left instead, so that such deliveries are still sent
        soon after their claim, as before this check, rather than handed back for ever.
        """
        return time.monotonic() + self._lease_needed(timeout) <= lease_ends

    def _lease_needed(self, timeout: float) -> float:
        lease = self.lease.total_seconds()
        return min(timeout + min(LEASE_MARGIN, lease / 10), lease * 0.9)

    async def _hand_back(self, delivery_id: str) -> None:
        """A delivery whose lease would run out during its attempt, or that waited in a
        sender process when the worker stopped: back to the queue unsent, for any worker to
        claim (another may already have it, once the lease ran out)."""
        if self._stopping:
            log.info("delivery %s not started before the worker stopped; handed back", delivery_id)
        else:
            log.warning("delivery %s waited past its lease for a sender; handed back", delivery_id)
        try:
            await self._queue.release(self.owner, [delivery_id])
        except Exception:
            log.exception("could not hand back delivery %s; its lease will expire", delivery_id)

    def _claims(self, delivery: ClaimedDelivery, target: Target, event: EventRow) -> CallClaims:
        return CallClaims(
            issuer=self.runtime.settings.jwt_issuer,
            organization_id=delivery.organization_id,
            subject=delivery.event_id,
            target_url=target.url,
            webhook_id=delivery.webhook_id,
            trigger_type="event",
            trigger_name=event.name,
            trigger_content_json=event.content,
        )

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
            attempts = await record_finished(batch, self._queue, self.owner)
        except Exception:
            # Leases expire and the deliveries are claimed again: at least once, never lost.
            log.exception("could not record %d attempts; they will be retried", len(batch))
            return
        bus = self.runtime.bus
        if bus.listened_to:  # messages nobody will read are not worth building
            await bus.publish([outcome_message(attempt) for attempt in attempts])


def _sign_all(batch: Sequence[_Ready]) -> None:
    """Sign each sendable delivery's token."""
    for ready in batch:
        if ready.signer is not None and ready.claims is not None:
            ready.body = call_token(ready.signer, ready.claims).encode()
            ready.signed_at = time.monotonic()
