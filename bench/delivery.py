"""Delivery throughput and JWT signing speed, each beside the ceiling measured in the same run.

    .venv/bin/python -m bench.delivery [--deliveries N] [--concurrency C] [--database-url URL]
    .venv/bin/python -m bench.delivery --senders 0 --receiver aiohttp
    .venv/bin/python -m bench.delivery --database-url postgres --workers 2 --skip-signing
    .venv/bin/python -m bench.delivery --reads [--database-url postgres]

Prints one JSON object on stdout; progress goes to stderr. See docs/performance.md.

`--database-url postgres` (the bare word) creates a fresh database `hookwire_bench_<random>`
through `--postgres-admin-url` and drops it (WITH (FORCE)) afterwards; a full URL is used as
given and left in place; without the flag, a SQLite file in a temporary directory.

`--workers N` (PostgreSQL only) replaces the in-process worker with N `hookwire worker`
processes, started in the window and stopped with SIGTERM after it. `--reads` runs the read
benchmark of bench/reads.py instead of everything else.

End to end: an organization whose `--webhooks` webhooks aim at a local HTTPS receiver (its
own process, bench/receiver.py, of the `--receiver` kind) emits events through
`hookwire.services.events.emit_event`, untimed. Then the real `Worker` runs in this process
at `--concurrency`, sending through `--senders` sender processes (HOOKWIRE_SENDER_PROCESSES;
by default, as docs/deploying.md advises, 1 on SQLite when this process may use 2 cores or
more, else 0); the measured window runs from its start (or from starting the `--workers` processes)
until every delivery has a recorded attempt (DeliveryAttempt rows, polled from this process
every 50 ms).

Ceiling: a bare aiohttp loop, `--concurrency` coroutines POSTing a real token of the same
event type (a body of the same size) to the same receiver, run before and after the end to
end pass; the faster run is the ceiling. Signing: see bench/signing.py.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import math
import os
import re
import resource
import signal
import sqlite3
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import asyncpg
from cryptography.fernet import Fernet

from bench.machine import MachineBusy, describe_machine, process_cpu_seconds
from bench.receiver import HOSTNAME, KINDS, ReceiverProcess, running_receiver
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
ROOT = Path(__file__).resolve().parents[1]
POSTGRES = "postgres"  # --database-url shorthand: a fresh database on the admin URL's server
POSTGRES_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
WORKER_CONCURRENCY = inspect.signature(Worker).parameters["concurrency"].default


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class CpuClock:
    """Wall time, and the CPU time of this process and of each of its threads, over a block.

    Threads are named as `threading` names them, with numbers dropped ("Thread-3
    (_connection_worker_thread)" is aiosqlite's driver thread); a thread that started inside
    the block counts from its start, one that ended inside it is missing.
    """

    seconds = process_cpu = main_thread_cpu = 0.0
    thread_cpu: dict[str, float]

    @contextmanager
    def measuring(self) -> Iterator[CpuClock]:
        wall, process, thread = time.perf_counter(), _process_cpu(), time.thread_time()
        threads = _thread_cpu()
        yield self
        self.seconds = time.perf_counter() - wall
        self.process_cpu = _process_cpu() - process
        self.main_thread_cpu = time.thread_time() - thread
        self.thread_cpu = {}
        for ident, (name, seconds) in _thread_cpu().items():
            spent = seconds - threads.get(ident, (name, 0.0))[1]
            self.thread_cpu[name] = self.thread_cpu.get(name, 0.0) + spent

    def per_item(self, count: int) -> dict[str, Any]:
        return {
            "process_cpu_us": round(self.process_cpu / count * 1e6, 1),
            "main_thread_cpu_us": round(self.main_thread_cpu / count * 1e6, 1),
            "thread_cpu_us": {
                name: round(seconds / count * 1e6, 1)
                for name, seconds in sorted(self.thread_cpu.items(), key=lambda kv: -kv[1])
                if seconds / count >= 0.5e-6
            },
        }


def _thread_cpu() -> dict[int, tuple[str, float]]:
    """Each live thread's CPU time so far, by thread ident, with its name sans numbers."""
    found = {}
    for thread in threading.enumerate():
        if thread.ident is None:
            continue
        try:
            seconds = time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
        except OSError:  # ended meanwhile
            continue
        found[thread.ident] = (re.sub(r"[-_]\d+", "", thread.name), seconds)
    return found


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

        machine = MachineBusy()
        with clock.measuring():
            machine.start()
            await asyncio.gather(*(send_while_any_left() for _ in range(concurrency)))
            busy = machine.fraction()
    return {
        "requests_per_second": round(total / clock.seconds, 1),
        "seconds": round(clock.seconds, 3),
        "per_request": clock.per_item(total),
        "machine_cpu_busy": busy,
    }


# --- end to end --------------------------------------------------------------------------


def bench_environment(
    database_url: str, secret_key: str, receiver: ReceiverProcess, senders: int = 0
) -> dict[str, str]:
    """The HOOKWIRE_* settings of the run, for this process and for `--workers` processes."""
    return {
        "HOOKWIRE_SENDER_PROCESSES": str(senders),
        "HOOKWIRE_DATABASE_URL": database_url,
        "HOOKWIRE_SECRET_KEYS": secret_key,
        "HOOKWIRE_ENV": "test",
        "HOOKWIRE_ALLOWED_NETWORKS": "127.0.0.1/32",
        "HOOKWIRE_RESOLVE": f"{HOSTNAME}=127.0.0.1",
        "HOOKWIRE_CA_BUNDLE": receiver.ca_bundle,
    }


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


@contextmanager
def attempt_counter(
    database_url: str, hook_ids: Sequence[object], count: Callable[[], Awaitable[int]]
) -> Iterator[Callable[[], Awaitable[int]]]:
    """How the window polls for completion: `count` (Tortoise; on PostgreSQL a connection of
    the pool that the worker does not wait for) or, on SQLite, a read-only connection of its
    own in a thread. Through Tortoise's one SQLite connection, the count (several ms over
    tens of thousands of rows) would hold up the worker's claims 20 times a second."""
    if not database_url.startswith("sqlite://"):
        yield count
        return
    path = database_url.removeprefix("sqlite://")
    reader = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    marks = ", ".join("?" * len(hook_ids))
    sql = f"SELECT COUNT(*) FROM delivery_attempts WHERE webhook_id IN ({marks})"
    ids = [str(hook_id) for hook_id in hook_ids]

    def counted() -> int:
        return int(reader.execute(sql, ids).fetchone()[0])

    async def count_in_thread() -> int:
        return await asyncio.to_thread(counted)

    try:
        yield count_in_thread
    finally:
        reader.close()


async def one_worker(
    runtime: Runtime, concurrency: int, finished: Callable[[], Awaitable[bool]]
) -> None:
    """Run one Worker in this process until `finished()` says so (`worker_processes` runs
    `hookwire worker` processes instead)."""
    worker = Worker(runtime, concurrency=concurrency)
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


async def worker_processes(
    count: int, environment: dict[str, str], finished: Callable[[], Awaitable[bool]]
) -> dict[str, Any]:
    """Start `count` `hookwire worker` processes, poll until `finished()`, stop them (SIGTERM).

    The window runs from starting them until `finished()`; stopping them is not in it. Returns
    its length, when each process said it was running, and the CPU time of each and of this
    process (the poller) and how busy the machine was, all over the window.
    """
    machine, bench_cpu = MachineBusy(), _process_cpu()
    started = time.perf_counter()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKWIRE_")} | environment
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "hookwire.cli",
            "worker",
            env=env,
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
        )
        for _ in range(count)
    ]
    ready: list[float | None] = [None] * count

    async def note_ready(index: int, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        if await process.stdout.readline():  # "worker running; SIGTERM stops it"
            ready[index] = time.perf_counter() - started
        await process.stdout.read()  # drain until it exits

    readers = [asyncio.create_task(note_ready(i, p)) for i, p in enumerate(processes)]
    try:
        while not await finished():
            for process in processes:
                if process.returncode is not None:
                    raise RuntimeError(f"a worker process exited with {process.returncode}")
            await asyncio.sleep(POLL_SECONDS)
        window = time.perf_counter() - started
        cpu = [process_cpu_seconds(process.pid) for process in processes]
        bench_cpu = _process_cpu() - bench_cpu
        busy = machine.fraction()
    finally:
        for process in processes:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        codes = await asyncio.wait_for(asyncio.gather(*(p.wait() for p in processes)), 60)
        await asyncio.gather(*readers, return_exceptions=True)
    return {
        "window_seconds": window,
        "ready_seconds": [None if r is None else round(r, 3) for r in ready],
        "cpu_seconds": cpu,
        "bench_process_cpu_seconds": bench_cpu,
        "machine_cpu_busy": busy,
        "exit_codes": codes,
    }


async def measure_end_to_end(
    database_url: str, receiver: ReceiverProcess, args: argparse.Namespace
) -> dict[str, Any]:
    environment = bench_environment(
        database_url, Fernet.generate_key().decode(), receiver, args.senders
    )
    runtime = Runtime.create(Settings.from_env(environment))
    await open_database(database_url)
    stack = ExitStack()
    try:
        org_id, hook_ids = await seed(runtime, receiver, args.webhooks, args.event)
        events = math.ceil(args.deliveries / args.webhooks)
        _log(f"emitting {events} events to {args.webhooks} webhooks (not timed)")
        emitting = CpuClock()
        with emitting.measuring():
            total = await emit(runtime, org_id, events, args.event)
        attempts = DeliveryAttempt.filter(webhook_id__in=hook_ids)
        count_attempts = stack.enter_context(
            attempt_counter(database_url, hook_ids, attempts.count)
        )
        first_attempt: list[float] = []

        async def every_delivery_attempted() -> bool:
            done = await count_attempts()
            if done and not first_attempt:
                first_attempt.append(time.perf_counter() - window_start)
            return done >= total

        received_before = await receiver.stats()
        clock, machine = CpuClock(), MachineBusy()
        window_start = time.perf_counter()
        if args.workers:
            _log(f"delivering {total} with {args.workers} `hookwire worker` processes")
            processes = await worker_processes(args.workers, environment, every_delivery_attempted)
            seconds, busy = processes["window_seconds"], processes["machine_cpu_busy"]
        else:
            _log(f"delivering {total} with one worker at concurrency {args.concurrency}")
            senders = runtime.delivery_transport
            with clock.measuring():
                machine.start()
                await one_worker(runtime, args.concurrency, every_delivery_attempted)
                busy = machine.fraction()
                # Sender processes start with the window (at the first attempt): all of
                # their CPU time is in it.
                sender_cpu = [process_cpu_seconds(pid) for pid in getattr(senders, "pids", ())]
            seconds = clock.seconds
        received = await receiver.stats()
        outcomes = await _counts(attempts, "outcome")
        statuses = await _counts(Delivery.filter(webhook_id__in=hook_ids), "status")
        unattempted = await Delivery.filter(webhook_id__in=hook_ids, attempt_count=0).count()
    finally:
        stack.close()
        await runtime.close()
        await close_database()
    requests = received["requests"] - received_before["requests"]
    receiver_cpu = received["cpu"] - received_before["cpu"]
    result: dict[str, Any] = {
        "deliveries_per_second": round(total / seconds, 1),
        "deliveries": total,
        "events": events,
        "webhooks": args.webhooks,
        "seconds": round(seconds, 3),
        "first_attempt_recorded_after_seconds": round(first_attempt[0], 3)
        if first_attempt
        else None,
    }
    if args.workers:
        worker_cpu = sum(processes["cpu_seconds"])
        result |= {
            "worker_processes": args.workers,
            "worker_concurrency_each": WORKER_CONCURRENCY,
            "workers_ready_after_seconds": processes["ready_seconds"],
            # Not the window the issue asks for: from the last worker saying it runs.
            "deliveries_per_second_after_ready": _rate_after(
                total, seconds, processes["ready_seconds"]
            ),
            "worker_exit_codes": processes["exit_codes"],
            "worker_cpu_us_per_delivery": round(worker_cpu / total * 1e6, 1),
            "worker_cpu_seconds_each": [round(c, 3) for c in processes["cpu_seconds"]],
            "bench_process_cpu_us_per_delivery": round(
                processes["bench_process_cpu_seconds"] / total * 1e6, 1
            ),
        }
    else:
        result |= {"worker_concurrency": args.concurrency, "per_delivery": clock.per_item(total)}
        if args.senders:
            result |= {
                "sender_processes": args.senders,
                "sender_cpu_us_per_delivery": round(sum(sender_cpu) / total * 1e6, 1),
            }
    return result | {
        "receiver_cpu_us_per_request": round(receiver_cpu / max(requests, 1) * 1e6, 1),
        "receiver_cpu_seconds": round(receiver_cpu, 3),
        "machine_cpu_busy": busy,
        "attempt_outcomes": outcomes,
        "delivery_statuses": statuses,
        "deliveries_without_attempt": unattempted,
        "receiver_requests": requests,
        "mean_body_bytes": round((received["bytes"] - received_before["bytes"]) / requests),
        "emit_seconds_untimed": round(emitting.seconds, 3),
    }


def _rate_after(total: int, seconds: float, ready: list[float | None]) -> float | None:
    if None in ready:
        return None
    return round(total / (seconds - max(r for r in ready if r is not None)), 1)


async def _counts(query: Any, field: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in await query.values_list(field, flat=True):
        counts[value] = counts.get(value, 0) + 1
    return counts


# --- the run -----------------------------------------------------------------------------


async def measure_delivery(args: argparse.Namespace, database_url: str) -> dict[str, Any]:
    with running_receiver(args.receiver) as receiver:
        claims = sample_claims(args.event, receiver.url(f"/hook/{uuid.uuid4()}/0"))
        body = call_token(worker_like_signer(generate_private_key()), claims).encode()
        _log(f"bare aiohttp loop: {args.deliveries} POSTs of {len(body)} bytes")
        ceiling_runs = [await bare_loop(receiver, body, args.deliveries, args.concurrency)]
        e2e = await measure_end_to_end(database_url, receiver, args)
        _log("bare aiohttp loop again")
        ceiling_runs.append(await bare_loop(receiver, body, args.deliveries, args.concurrency))
    ceiling = max(ceiling_runs, key=lambda run: float(run["requests_per_second"]))
    ratio = e2e["deliveries_per_second"] / ceiling["requests_per_second"]
    plural = "es" if args.workers > 1 else ""
    workers = f"{args.workers} worker process{plural}" if args.workers else "one in-process Worker"
    if args.senders and not args.workers:
        workers += f" with {args.senders} sender process{'es' if args.senders > 1 else ''}"
    return {
        "end_to_end": e2e,
        "bare_ceiling": {
            **ceiling,
            "runs_requests_per_second": [run["requests_per_second"] for run in ceiling_runs],
            "requests_per_run": args.deliveries,
            "concurrency": args.concurrency,
            "body_bytes": len(body),
        },
        "end_to_end_ratio": round(ratio, 3),
        "end_to_end_ratio_compares": f"{workers}, with one bare client process",
        "end_to_end_target": END_TO_END_TARGET,
        "end_to_end_met": ratio >= END_TO_END_TARGET,
    }


@contextmanager
def database_for_run(requested: str | None, admin_url: str) -> Iterator[str]:
    """The run's database URL: a temporary SQLite file by default; for `postgres`, a fresh
    PostgreSQL database created through `admin_url` and dropped afterwards; else as given."""
    if requested is None:
        with tempfile.TemporaryDirectory(prefix="hookwire-bench-") as workdir:
            yield f"sqlite://{workdir}/bench.db"
    elif requested != POSTGRES:
        yield requested
    else:
        name = f"hookwire_bench_{uuid.uuid4().hex[:12]}"
        asyncio.run(_postgres_admin(admin_url, f'CREATE DATABASE "{name}"'))
        _log(f"created database {name}")
        try:
            yield urllib.parse.urlsplit(admin_url)._replace(path=f"/{name}").geturl()
        finally:
            asyncio.run(
                _postgres_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            )
            _log(f"dropped database {name}")


async def _postgres_admin(admin_url: str, statement: str) -> str:
    connection = await asyncpg.connect(admin_url)
    try:
        return str(await connection.execute(statement))
    finally:
        await connection.close()


def database_report(database_url: str) -> dict[str, Any]:
    """The database's kind and, for PostgreSQL, the server's version."""
    kind = database_url.split(":", 1)[0]
    if kind not in ("postgres", "postgresql", "asyncpg"):
        return {"database": kind}
    version = asyncio.run(_postgres_version(database_url))
    return {"database": "postgres", "postgresql_version": version}


async def _postgres_version(database_url: str) -> str:
    connection = await asyncpg.connect(database_url)
    try:
        return str(await connection.fetchval("SHOW server_version"))
    finally:
        await connection.close()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--deliveries", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--webhooks", type=int, default=4, help="deliveries per event")
    parser.add_argument("--event", default=EVENT_NAME, help="the event type emitted")
    parser.add_argument(
        "--database-url",
        default=None,
        help="default: a SQLite file in a temporary directory; `postgres`: a fresh PostgreSQL "
        "database on --postgres-admin-url's server, dropped afterwards",
    )
    parser.add_argument("--postgres-admin-url", default=POSTGRES_ADMIN_URL)
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="PostgreSQL only: deliver with N `hookwire worker` processes instead of the "
        "in-process Worker (which ignores --concurrency: they run at their default)",
    )
    parser.add_argument(
        "--senders",
        type=int,
        default=None,
        help="HOOKWIRE_SENDER_PROCESSES: the worker sends through N child processes "
        "(default: on SQLite, 1 when this process may use 2 cores or more, else 0)",
    )
    parser.add_argument(
        "--receiver",
        choices=KINDS,
        default=KINDS[0],
        help="the local receiver: httptools (lean, the default) or aiohttp's web server",
    )
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop (as `serve` does)")
    parser.add_argument("--skip-e2e", action="store_true")
    parser.add_argument("--skip-signing", action="store_true")
    reads = parser.add_argument_group("reads", "bench/reads.py, instead of everything else")
    reads.add_argument("--reads", action="store_true", help="run the GraphQL read benchmark")
    reads.add_argument("--read-seconds", type=float, default=8.0, help="per round and side")
    reads.add_argument("--read-concurrency", type=int, default=16)
    reads.add_argument("--read-rounds", type=int, default=2)
    return parser


def main(argv: list[str] | None = None) -> None:
    parser = _parser()
    args = parser.parse_args(argv)
    postgres = (args.database_url or "sqlite").startswith(("postgres", "asyncpg"))
    if args.senders is None:  # as docs/deploying.md advises; `hookwire worker` defaults to 0
        several_cores = len(os.sched_getaffinity(0)) >= 2
        args.senders = 1 if several_cores and not postgres and not args.workers else 0
    if args.workers and not postgres:
        parser.error("--workers needs PostgreSQL: --database-url postgres (or a postgres:// URL)")
    report: dict[str, Any] = {
        "benchmark": "bench/delivery.py",
        "command": " ".join(["python -m bench.delivery", *(argv or sys.argv[1:])]),
        "machine": describe_machine(),
        "load_average_before": os.getloadavg(),
    }
    if args.reads:
        from bench.reads import measure_reads

        with database_for_run(args.database_url, args.postgres_admin_url) as database_url:
            report |= database_report(database_url)
            report["reads"] = measure_reads(
                database_url, args.read_seconds, args.read_concurrency, args.read_rounds
            )
        report["load_average_after"] = os.getloadavg()
        print(json.dumps(report, indent=2))
        return
    report |= {
        "deliveries": args.deliveries,
        "concurrency": args.concurrency,
        "event": args.event,
        "event_loop": "uvloop" if args.uvloop else "asyncio",
        "sender_processes": args.senders,
        "receiver": args.receiver,
    }
    if not args.skip_signing:
        _log("signing")
        url = f"https://{HOSTNAME}:40000/hook/{uuid.uuid4()}/0"  # as long as the real ones
        report["signing"] = measure_signing(args.event, url)
    if not args.skip_e2e:
        with database_for_run(args.database_url, args.postgres_admin_url) as database_url:
            report |= database_report(database_url)
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
