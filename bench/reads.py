"""GraphQL read speed beside a bare Starlette + Tortoise endpoint returning the same rows.

    .venv/bin/python -m bench.delivery --reads [--database-url postgres]
    .venv/bin/python -m bench.reads [--database-url URL] [--seconds S] [--concurrency C]

The servers run as their own uvicorn processes on the same database (one organization,
50 webhooks with 10 deliveries each), started the way `hookwire serve` starts (uvicorn's
defaults, log level info, so access lines are written: to /dev/null); this process only
generates load with aiohttp, one server at a time, in alternating rounds, and prints one JSON
object. The sides:

- `graphql`: `webhooks(first: 50)` with each webhook's first 10 deliveries, POSTed to
  `hookwire serve --no-worker` with an API key: the whole stack (authentication, validation,
  limits, resolvers). Its resolvers run one deliveries query per webhook (N+1).
- `bare`: GET on a hand-written Starlette endpoint returning the same rows with two Tortoise
  queries (the organization's first 50 webhooks, then their deliveries in one `IN` query).
- `bare_per_webhook`: the same endpoint with one deliveries query per webhook, run
  concurrently as GraphQL's resolvers are: how much of the gap the N+1 alone explains.

Before measuring, one response of each side is compared: the same webhooks in the same order,
each with the same deliveries in the same order, every field equal.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import httpx
from cryptography.fernet import Fernet

from bench.machine import MachineBusy, describe_machine, process_cpu_seconds

ROOT = Path(__file__).resolve().parents[1]
QUERY = """{ webhooks(first: 50) { edges { node { id name targetUrl
  deliveries(first: 10) { edges { node { id status attemptCount createdAt } } } } } } }"""
WEBHOOKS, DELIVERIES_EACH = 50, 10
WARM_UP_REQUESTS = 50


async def seed(database_url: str, secret: str) -> tuple[str, str]:
    """One organization, 50 webhooks, 10 delivered events each; its id and an ADMIN API key."""
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
        return str(org_id), created.api_key
    finally:
        await close_database()


def bare_app(database_url: str, organization_id: str) -> Any:
    """The baseline: the same rows as the GraphQL query, straight from Tortoise to JSON."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from hookwire.models import Delivery, Webhook
    from hookwire.models.database import close_database, open_database

    org_id = uuid.UUID(organization_id)
    fields = ("id", "webhook_id", "status", "attempt_count", "created_at")

    def delivery_json(d: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": str(d["id"]),
            "status": d["status"],
            "attemptCount": d["attempt_count"],
            "createdAt": d["created_at"].astimezone(UTC).isoformat().replace("+00:00", "Z"),
        }

    def page_json(rows: list[dict[str, Any]], pages: dict[Any, list[Any]]) -> JSONResponse:
        return JSONResponse(
            [
                {
                    "id": str(r["id"]),
                    "name": r["name"],
                    "targetUrl": r["target_url"],
                    "deliveries": [delivery_json(d) for d in pages[r["id"]]],
                }
                for r in rows
            ]
        )

    async def first_webhooks() -> list[dict[str, Any]]:
        query = Webhook.filter(organization_id=org_id).order_by("id").limit(WEBHOOKS)
        return await query.values("id", "name", "target_url")

    def deliveries_of(org: uuid.UUID) -> Any:
        return Delivery.filter(organization_id=org).order_by("id")

    async def webhooks(request: Request) -> JSONResponse:
        """Two queries. Correct only while no webhook has more than 10 deliveries, which
        holds for the seeded rows: a general version needs a window function."""
        rows = await first_webhooks()
        ids = [row["id"] for row in rows]
        found = await deliveries_of(org_id).filter(webhook_id__in=ids).values(*fields)
        pages: dict[Any, list[dict[str, Any]]] = {i: [] for i in ids}
        for d in found:
            if len(pages[d["webhook_id"]]) < DELIVERIES_EACH:
                pages[d["webhook_id"]].append(d)
        return page_json(rows, pages)

    async def webhooks_per_webhook(request: Request) -> JSONResponse:
        """One deliveries query per webhook, concurrently, as the GraphQL resolvers do."""
        rows = await first_webhooks()
        found = await asyncio.gather(
            *(
                deliveries_of(org_id)
                .filter(webhook_id=row["id"])
                .limit(DELIVERIES_EACH)
                .values(*fields)
                for row in rows
            )
        )
        return page_json(rows, {row["id"]: page for row, page in zip(rows, found, strict=True)})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):  # type: ignore[no-untyped-def]
        await open_database(database_url, run_migrations=False)
        yield
        await close_database()

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    routes = [
        Route("/webhooks", webhooks),
        Route("/webhooks-per-webhook", webhooks_per_webhook),
        Route("/healthz", healthz),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


def start(args: list[str], env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    """Start a server (its output to `log`) and wait until /healthz answers 200."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=output
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    process.kill()
    process.wait()
    tail = log.read_text(errors="replace")[-2000:]
    raise RuntimeError(f"server on port {port} did not start:\n{tail}")


class Side:
    """One server under load: how to ask it, and how to read its answer as plain rows."""

    def __init__(
        self,
        name: str,
        process: subprocess.Popen[bytes],
        url: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.name, self.process, self.url = name, process, url
        self.body, self.headers = body, headers or {}

    async def request(self, session: aiohttp.ClientSession) -> bytes:
        method = "GET" if self.body is None else "POST"
        async with session.request(
            method, self.url, data=self.body, headers=self.headers
        ) as response:
            payload = await response.read()
            if response.status != 200 or (self.body is not None and b'"errors"' in payload):
                raise RuntimeError(f"{self.name}: {response.status} {payload[:300]!r}")
            return payload

    def rows(self, payload: bytes) -> list[dict[str, Any]]:
        data = json.loads(payload)
        if self.body is None:
            return list(data)
        if data.get("errors"):
            raise RuntimeError(f"{self.name}: {data['errors']}")
        return [
            {**node, "deliveries": [e["node"] for e in node["deliveries"]["edges"]]}
            for node in (edge["node"] for edge in data["data"]["webhooks"]["edges"])
        ]


async def same_rows(sides: list[Side]) -> dict[str, Any]:
    """Fetch once from each side and insist on identical rows; a summary of what they hold."""
    async with aiohttp.ClientSession() as session:
        payloads = [await side.request(session) for side in sides]
    reference = sides[0].rows(payloads[0])
    for side, payload in zip(sides[1:], payloads[1:], strict=True):
        rows = side.rows(payload)
        if rows != reference:
            ids = [(r["id"], [d["id"] for d in r["deliveries"]]) for r in rows]
            expected = [(r["id"], [d["id"] for d in r["deliveries"]]) for r in reference]
            what = "ids" if ids != expected else "fields"
            first = next(
                (got, want) for got, want in zip(rows, reference, strict=False) if got != want
            )
            raise RuntimeError(f"{side.name} differs from {sides[0].name} in {what}: {first}")
    if len(reference) != WEBHOOKS or any(
        len(r["deliveries"]) != DELIVERIES_EACH for r in reference
    ):
        raise RuntimeError("the responses do not hold 50 webhooks of 10 deliveries")
    return {
        "webhooks": len(reference),
        "deliveries": sum(len(r["deliveries"]) for r in reference),
        "response_bytes": {side.name: len(p) for side, p in zip(sides, payloads, strict=True)},
    }


async def load(side: Side, seconds: float, concurrency: int, warm_up: int = 0) -> dict[str, Any]:
    """`concurrency` requests at a time for `seconds`: rate, and CPU per request of the server,
    of this (client) process and of the whole machine."""
    done = 0
    async with aiohttp.ClientSession() as session:
        for _ in range(warm_up):
            await side.request(session)

        async def loop() -> None:
            nonlocal done
            while time.perf_counter() < stop_at:
                await side.request(session)
                done += 1

        server_cpu, client_cpu = process_cpu_seconds(side.process.pid), _own_cpu()
        machine = MachineBusy()
        started = time.perf_counter()
        stop_at = started + seconds
        await asyncio.gather(*(loop() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
        busy = machine.fraction()
        server_cpu = process_cpu_seconds(side.process.pid) - server_cpu
        client_cpu = _own_cpu() - client_cpu
    return {
        "requests_per_second": round(done / elapsed, 1),
        "requests": done,
        "server_cpu_ms_per_request": round(server_cpu / done * 1e3, 2),
        "client_cpu_ms_per_request": round(client_cpu / done * 1e3, 2),
        "server_cpu_busy": round(server_cpu / elapsed, 3),
        "machine_cpu_busy": busy,
    }


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def measure_reads(
    database_url: str, seconds: float = 8.0, concurrency: int = 16, rounds: int = 2
) -> dict[str, Any]:
    """Seed `database_url` (which must be fresh), start the servers, measure; JSON-ready."""
    secret = Fernet.generate_key().decode()
    org_id, api_key = asyncio.run(seed(database_url, secret))
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKWIRE_")}
    env |= {"HOOKWIRE_DATABASE_URL": database_url, "HOOKWIRE_SECRET_KEYS": secret}
    graphql_port, bare_port = free_port(), free_port()
    # As `hookwire serve` runs uvicorn: default loop and HTTP parser, log level info.
    bare_code = (
        "import uvicorn; from bench.reads import bare_app; "
        f"uvicorn.run(bare_app({database_url!r}, {org_id!r}), host='127.0.0.1', "
        f"port={bare_port}, log_level='info')"
    )
    hookwire = [sys.executable, "-m", "hookwire.cli", "serve", "--no-worker"]
    with tempfile.TemporaryDirectory(prefix="hookwire-reads-") as logs:
        graphql_server = start(
            [*hookwire, "--port", str(graphql_port)], env, graphql_port, Path(logs, "graphql")
        )
        try:
            bare_server = start([sys.executable, "-c", bare_code], env, bare_port, Path(logs, "b"))
        except BaseException:
            graphql_server.terminate()
            graphql_server.wait(10)
            raise
        try:
            headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
            bare_url = f"http://127.0.0.1:{bare_port}"
            sides = [
                Side(
                    "graphql",
                    graphql_server,
                    f"http://127.0.0.1:{graphql_port}/graphql",
                    json.dumps({"query": QUERY}).encode(),
                    headers,
                ),
                Side("bare", bare_server, f"{bare_url}/webhooks"),
                Side("bare_per_webhook", bare_server, f"{bare_url}/webhooks-per-webhook"),
            ]
            checked = asyncio.run(same_rows(sides))
            runs: dict[str, list[dict[str, Any]]] = {side.name: [] for side in sides}
            for number in range(rounds):
                for side in sides:
                    warm_up = WARM_UP_REQUESTS if number == 0 else 0
                    runs[side.name].append(asyncio.run(load(side, seconds, concurrency, warm_up)))
                    print(
                        f"round {number + 1} {side.name}: "
                        f"{runs[side.name][-1]['requests_per_second']}/s",
                        file=sys.stderr,
                        flush=True,
                    )
        finally:
            for server in (graphql_server, bare_server):
                server.terminate()
                server.wait(10)
    best = {
        name: max(results, key=lambda r: float(r["requests_per_second"]))
        for name, results in runs.items()
    }
    rate = {name: float(result["requests_per_second"]) for name, result in best.items()}
    return {
        "query": " ".join(QUERY.split()),
        "rows": {"webhooks": WEBHOOKS, "deliveries_each": DELIVERIES_EACH},
        "same_rows_checked": checked,
        "database": database_url.split(":", 1)[0],
        "concurrency": concurrency,
        "seconds_per_round": seconds,
        "graphql_requests_per_second": rate["graphql"],
        "bare_requests_per_second": rate["bare"],
        "ratio": round(rate["graphql"] / rate["bare"], 3),
        "bare_per_webhook_requests_per_second": rate["bare_per_webhook"],
        "ratio_to_bare_per_webhook": round(rate["graphql"] / rate["bare_per_webhook"], 3),
        "best_round": best,
        "rounds_requests_per_second": {
            name: [r["requests_per_second"] for r in results] for name, results in runs.items()
        },
    }


def main() -> None:
    from bench.delivery import POSTGRES_ADMIN_URL, database_for_run

    parser = argparse.ArgumentParser(description="GraphQL reads beside a bare endpoint.")
    parser.add_argument(
        "--database-url", help="default: SQLite in a temporary directory; `postgres`: fresh"
    )
    parser.add_argument("--postgres-admin-url", default=POSTGRES_ADMIN_URL)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    report: dict[str, Any] = {"machine": describe_machine(), "load_average_before": os.getloadavg()}
    with database_for_run(args.database_url, args.postgres_admin_url) as database_url:
        report["reads"] = measure_reads(database_url, args.seconds, args.concurrency, args.rounds)
    report["load_average_after"] = os.getloadavg()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
