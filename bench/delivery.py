"""Delivery throughput and JWT signing speed, each beside the ceiling measured in the same run.

    .venv/bin/python -m bench.delivery [--deliveries N] [--concurrency C] [--database-url URL]

Prints one JSON object on stdout; progress goes to stderr. See docs/performance.md.

End to end: an organization whose `--webhooks` webhooks aim at a local HTTPS receiver (its
own process, bench/receiver.py) emits events through `hookwire.services.events.emit_event`,
untimed. Then the real `Worker` runs in this process at `--concurrency`; the measured window
runs from its start until every delivery has a recorded attempt (DeliveryAttempt rows,
polled every 50 ms).

Ceiling: a bare aiohttp loop, `--concurrency` coroutines POSTing a real token of the same
event type (a body of the same size) to the same receiver, run before and after the end to
end pass; the faster run is the ceiling. Signing: see bench/signing.py.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

from cryptography.fernet import Fernet

from bench.machine import describe_machine
from bench.receiver import HOSTNAME, ReceiverProcess, running_receiver
from bench.signing import (
    event_fields,
    measure_signing,
    sample_claims,
    worker_like_signer,
)
from hookwire.delivery.signing import call_token, generate_private_key
from hookwire.delivery.worker import Worker
from hookwire.models import Delivery, DeliveryAttempt
from hookwire.models.database import close_database, open_database
from hookwire.runtime import Runtime
from hookwire.services.events import emit_event
from hookwire.services.organizations import create_organization
from hookwire.services.webhooks import WebhookChanges, create_webhook
from hookwire.settings import Settings

END_TO_END_TARGET = 0.5
POLL_SECONDS = 0.05
EVENT_NAME = "AuthenticationSucceeded_v1"


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class CpuClock:
    """Wall time, and the CPU time of this process and of its main thread, over a block."""

    seconds = process_cpu = main_thread_cpu = 0.0

    @contextmanager
    def measuring(self) -> Iterator[CpuClock]:
        wall, process, thread = time.perf_counter(), _process_cpu(), time.thread_time()
        yield self
        self.seconds = time.perf_counter() - wall
        self.process_cpu = _process_cpu() - process
        self.main_thread_cpu = time.thread_time() - thread

    def per_item(self, count: int) -> dict[str, float]:
        return {
            "process_cpu_us": round(self.process_cpu / count * 1e6, 1),
            "main_thread_cpu_us": round(self.main_thread_cpu / count * 1e6, 1),
        }


def _process_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- the bare ceiling --------------------------------------------------------------------


async def bare_loop(
    receiver: ReceiverProcess, body: bytes, total: int, concurrency: int
) -> dict[str, Any]:
    """`concurrency` coroutines POSTing `body` `total` times with nothing else to do."""
    left = total
    url = receiver.url(f"/hook/bare/{uuid.uuid4()}")
    headers = {"Content-Type": "application/jwt"}
    clock = CpuClock()
    async with receiver.session(concurrency) as session:

        async def send_while_any_left() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"the receiver answered {response.status}")

        with clock.measuring():
            await asyncio.gather(*(send_while_any_left() for _ in range(concurrency)))
    return {
        "requests_per_second": round(total / clock.seconds, 1),
        "seconds": round(clock.seconds, 3),
        "per_request": clock.per_item(total),
    }


# --- end to end --------------------------------------------------------------------------


def bench_settings(database_url: str, receiver: ReceiverProcess) -> Settings:
    return Settings.from_env(
        {
            "HOOKWIRE_DATABASE_URL": database_url,
            "HOOKWIRE_ENV": "test",
            "HOOKWIRE_ALLOWED_NETWORKS": "127.0.0.1/32",
            "HOOKWIRE_RESOLVE": f"{HOSTNAME}=127.0.0.1",
            "HOOKWIRE_CA_BUNDLE": receiver.ca_bundle,
        },
        secret_keys=(Fernet.generate_key().decode(),),
    )


async def seed(
    runtime: Runtime, receiver: ReceiverProcess, webhooks: int, event_name: str
) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """A fresh organization with `webhooks` webhooks subscribed to `event_name`."""
    created = await create_organization("bench", runtime.key_ring)
    org_id = created.organization.id
    hooks = [
        await create_webhook(
            org_id,
            runtime.key_ring,
            WebhookChanges(name=f"bench {i}", target_url=receiver.url(f"/hook/{org_id}/{i}")),
            [("event", event_name)],
        )
        for i in range(webhooks)
    ]
    return org_id, [hook.id for hook in hooks]


async def emit(runtime: Runtime, org_id: uuid.UUID, events: int, event_name: str) -> int:
    """Emit `events` events of one type, one emitEvent each; the deliveries made."""
    fields = event_fields(event_name)
    made = 0
    for _ in range(events):
        _, created = await emit_event(org_id, event_name, fields, None, runtime.attempt_budget)
        made += created
    return made


async def one_worker(
    runtime: Runtime, concurrency: int, finished: Callable[[], Awaitable[bool]]
) -> None:
    """Run one Worker in this process until `finished()` says so.

    The place to start worker processes instead, to measure several on PostgreSQL.
    """
    worker = Worker(runtime, runtime.transport, runtime.bus, concurrency=concurrency)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        while not await finished():
            if task.done():
                task.result()
                raise RuntimeError("the worker stopped before every delivery was attempted")
            await asyncio.sleep(POLL_SECONDS)
    finally:
        stop.set()
        await task


async def measure_end_to_end(
    database_url: str, receiver: ReceiverProcess, args: argparse.Namespace
) -> dict[str, Any]:
    runtime = Runtime.create(bench_settings(database_url, receiver))
    await open_database(database_url)
    try:
        org_id, hook_ids = await seed(runtime, receiver, args.webhooks, args.event)
        events = math.ceil(args.deliveries / args.webhooks)
        _log(f"emitting {events} events to {args.webhooks} webhooks (not timed)")
        emitting = CpuClock()
        with emitting.measuring():
            total = await emit(runtime, org_id, events, args.event)
        attempts = DeliveryAttempt.filter(webhook_id__in=hook_ids)

        async def every_delivery_attempted() -> bool:
            return await attempts.count() >= total

        _log(f"delivering {total} with one worker at concurrency {args.concurrency}")
        received_before = await receiver.stats()
        clock = CpuClock()
        with clock.measuring():
            await one_worker(runtime, args.concurrency, every_delivery_attempted)
        received = await receiver.stats()
        outcomes = await _counts(attempts, "outcome")
        statuses = await _counts(Delivery.filter(webhook_id__in=hook_ids), "status")
        unattempted = await Delivery.filter(webhook_id__in=hook_ids, attempt_count=0).count()
    finally:
        await runtime.close()
        await close_database()
    requests = received["requests"] - received_before["requests"]
    return {
        "deliveries_per_second": round(total / clock.seconds, 1),
        "deliveries": total,
        "events": events,
        "webhooks": args.webhooks,
        "seconds": round(clock.seconds, 3),
        "per_delivery": clock.per_item(total),
        "receiver_cpu_us_per_request": round(
            (received["cpu"] - received_before["cpu"]) / max(requests, 1) * 1e6, 1
        ),
        "attempt_outcomes": outcomes,
        "delivery_statuses": statuses,
        "deliveries_without_attempt": unattempted,
        "receiver_requests": requests,
        "mean_body_bytes": round((received["bytes"] - received_before["bytes"]) / requests),
        "emit_seconds_untimed": round(emitting.seconds, 3),
    }


async def _counts(query: Any, field: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in await query.values_list(field, flat=True):
        counts[value] = counts.get(value, 0) + 1
    return counts


# --- the run -----------------------------------------------------------------------------


async def measure_delivery(args: argparse.Namespace, database_url: str) -> dict[str, Any]:
    with running_receiver() as receiver:
        claims = sample_claims(args.event, receiver.url(f"/hook/{uuid.uuid4()}/0"))
        body = call_token(worker_like_signer(generate_private_key()), claims).encode()
        _log(f"bare aiohttp loop: {args.deliveries} POSTs of {len(body)} bytes")
        ceiling_runs = [await bare_loop(receiver, body, args.deliveries, args.concurrency)]
        e2e = await measure_end_to_end(database_url, receiver, args)
        _log("bare aiohttp loop again")
        ceiling_runs.append(await bare_loop(receiver, body, args.deliveries, args.concurrency))
    ceiling = max(ceiling_runs, key=lambda run: float(run["requests_per_second"]))
    ratio = e2e["deliveries_per_second"] / ceiling["requests_per_second"]
    return {
        "end_to_end": e2e,
        "bare_ceiling": {
            **ceiling,
            "runs_requests_per_second": [run["requests_per_second"] for run in ceiling_runs],
            "requests_per_run": args.deliveries,
            "body_bytes": len(body),
        },
        "end_to_end_ratio": round(ratio, 3),
        "end_to_end_target": END_TO_END_TARGET,
        "end_to_end_met": ratio >= END_TO_END_TARGET,
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--deliveries", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--webhooks", type=int, default=4, help="deliveries per event")
    parser.add_argument("--event", default=EVENT_NAME, help="the event type emitted")
    parser.add_argument(
        "--database-url", default=None, help="default: a SQLite file in a temporary directory"
    )
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop (as `serve` does)")
    parser.add_argument("--skip-e2e", action="store_true")
    parser.add_argument("--skip-signing", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    report: dict[str, Any] = {
        "benchmark": "bench/delivery.py",
        "command": " ".join(["python -m bench.delivery", *(argv or sys.argv[1:])]),
        "machine": describe_machine(),
        "load_average_before": os.getloadavg(),
        "deliveries": args.deliveries,
        "concurrency": args.concurrency,
        "event": args.event,
        "event_loop": "uvloop" if args.uvloop else "asyncio",
    }
    if not args.skip_signing:
        _log("signing")
        url = f"https://{HOSTNAME}:40000/hook/{uuid.uuid4()}/0"  # as long as the real ones
        report["signing"] = measure_signing(args.event, url)
    if not args.skip_e2e:
        with tempfile.TemporaryDirectory(prefix="hookwire-bench-") as workdir:
            database_url = args.database_url or f"sqlite://{workdir}/bench.db"
            report["database"] = database_url.split(":", 1)[0]
            run = measure_delivery(args, database_url)
            if args.uvloop:
                import uvloop

                report.update(uvloop.run(run))
            else:
                report.update(asyncio.run(run))
    report["load_average_after"] = os.getloadavg()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
