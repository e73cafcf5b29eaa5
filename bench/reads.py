"""GraphQL read speed beside a bare Starlette + Tortoise endpoint returning the same rows.

    .venv/bin/python -m bench.reads [--database-url URL] [--seconds S] [--concurrency C]

Both servers run as their own uvicorn processes on the same database (one organization,
50 webhooks with 10 deliveries each); this process only generates load, alternating between
them, and prints one JSON object: requests per second of `webhooks(first: 50)` with each
webhook's first 10 deliveries through the whole GraphQL stack (authentication, validation,
limits, resolvers), and of a hand-written endpoint doing the same two queries with Tortoise.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import httpx
from cryptography.fernet import Fernet

from bench.machine import describe_machine

QUERY = """{ webhooks(first: 50) { edges { node { id name targetUrl
  deliveries(first: 10) { edges { node { id status attemptCount createdAt } } } } } } }"""
WEBHOOKS, DELIVERIES_EACH = 50, 10


async def seed(database_url: str, secret: str) -> str:
    """One organization, 50 webhooks, 10 delivered events each; returns an API key."""
    from hookwire.domain.master_keys import MasterKeyRing
    from hookwire.models import Delivery, Event, Webhook
    from hookwire.models.database import close_database, open_database
    from hookwire.services.organizations import create_organization

    await open_database(database_url)
    try:
        created = await create_organization("Bench", MasterKeyRing([secret]))
        org_id = created.organization.id
        now = datetime.now(UTC)
        for i in range(WEBHOOKS):
            webhook = await Webhook.create(
                organization_id=org_id, name=f"w{i}", target_url=f"https://h{i}.example.com/"
            )
            events = [
                Event(organization_id=org_id, name="PersonCreated_v1", timestamp=now, content={})
                for _ in range(DELIVERIES_EACH)
            ]
            await Event.bulk_create(events)
            await Delivery.bulk_create(
                [
                    Delivery(
                        organization_id=org_id,
                        event_id=e.id,
                        webhook_id=webhook.id,
                        status="SUCCEEDED",
                        attempt_count=1,
                        attempt_budget=8,
                    )
                    for e in events
                ]
            )
        return created.api_key
    finally:
        await close_database()


def bare_app(database_url: str) -> Any:
    """The baseline: the same rows as the GraphQL query, straight from Tortoise to JSON."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from hookwire.models import Delivery, Webhook
    from hookwire.models.database import close_database, open_database

    async def webhooks(request: Request) -> JSONResponse:
        rows = await Webhook.all().order_by("id").limit(50).values("id", "name", "target_url")
        ids = [row["id"] for row in rows]
        found = (
            await Delivery.filter(webhook_id__in=ids)
            .order_by("id")
            .values("id", "webhook_id", "status", "attempt_count", "created_at")
        )
        per_webhook: dict[Any, list[dict[str, Any]]] = {i: [] for i in ids}
        for d in found:
            page = per_webhook[d["webhook_id"]]
            if len(page) < 10:
                page.append(
                    {
                        "id": str(d["id"]),
                        "status": d["status"],
                        "attemptCount": d["attempt_count"],
                        "createdAt": d["created_at"].isoformat(),
                    }
                )
        return JSONResponse(
            [
                {
                    "id": str(r["id"]),
                    "name": r["name"],
                    "targetUrl": r["target_url"],
                    "deliveries": per_webhook[r["id"]],
                }
                for r in rows
            ]
        )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):  # type: ignore[no-untyped-def]
        await open_database(database_url, run_migrations=False)
        yield
        await close_database()

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    routes = [Route("/webhooks", webhooks), Route("/healthz", healthz)]
    return Starlette(routes=routes, lifespan=lifespan)


def start(args: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"server on port {port} did not start")


async def load(
    url: str, body: bytes | None, headers: dict[str, str], seconds: float, concurrency: int
) -> float:
    """Requests per second over `seconds`, `concurrency` requests at a time."""
    done = 0
    stop_at = time.perf_counter() + seconds
    async with aiohttp.ClientSession(headers=headers) as session:

        async def loop() -> None:
            nonlocal done
            while time.perf_counter() < stop_at:
                if body is None:
                    async with session.get(url) as response:
                        await response.read()
                        assert response.status == 200
                else:
                    async with session.post(url, data=body) as response:
                        payload = await response.read()
                        assert response.status == 200 and b'"errors"' not in payload, payload[:300]
                done += 1

        started = time.perf_counter()
        await asyncio.gather(*(loop() for _ in range(concurrency)))
        return done / (time.perf_counter() - started)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description="GraphQL reads beside a bare endpoint.")
    parser.add_argument("--database-url")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="hookwire-reads-"))
    database_url = args.database_url or f"sqlite://{workdir / 'reads.db'}"
    secret = Fernet.generate_key().decode()
    api_key = asyncio.run(seed(database_url, secret))
    env = {**os.environ, "HOOKWIRE_DATABASE_URL": database_url, "HOOKWIRE_SECRET_KEYS": secret}
    graphql_port, bare_port = free_port(), free_port()
    bare_code = (
        "import sys, uvicorn; from bench.reads import bare_app;"
        f"uvicorn.run(bare_app({database_url!r}), port={bare_port}, log_level='warning')"
    )
    hookwire = [sys.executable, "-m", "hookwire.cli", "serve", "--no-worker"]
    servers = [
        start([*hookwire, "--port", str(graphql_port)], env, graphql_port),
        start([sys.executable, "-c", bare_code], env, bare_port),
    ]
    try:
        graphql_body = json.dumps({"query": QUERY}).encode()
        headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
        results: dict[str, list[float]] = {"graphql": [], "bare": []}
        graphql_url = f"http://127.0.0.1:{graphql_port}/graphql"
        bare_url = f"http://127.0.0.1:{bare_port}/webhooks"
        for _ in range(args.rounds):
            results["graphql"].append(
                asyncio.run(
                    load(graphql_url, graphql_body, headers, args.seconds, args.concurrency)
                )
            )
            results["bare"].append(
                asyncio.run(load(bare_url, None, {}, args.seconds, args.concurrency))
            )
        best = {name: max(values) for name, values in results.items()}
        print(
            json.dumps(
                {
                    "query": " ".join(QUERY.split()),
                    "rows": {"webhooks": WEBHOOKS, "deliveries_each": DELIVERIES_EACH},
                    "database": database_url.split(":", 1)[0],
                    "concurrency": args.concurrency,
                    "seconds_per_round": args.seconds,
                    "graphql_requests_per_second": round(best["graphql"], 1),
                    "bare_requests_per_second": round(best["bare"], 1),
                    "ratio": round(best["graphql"] / best["bare"], 3),
                    "rounds": {k: [round(v, 1) for v in vs] for k, vs in results.items()},
                    "machine": describe_machine(),
                },
                indent=2,
            )
        )
    finally:
        for server in servers:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
