"""Many processes, crashes and a kill between commit and answer: counted at the receiver."""

from __future__ import annotations

import signal
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from tests.support.delivery import CREATE, EMIT
from tests.support.inspect_db import queue_state
from tests.support.postgres import BACKEND, fresh_database
from tests.support.process import Deployment
from tests.support.receiver import Receiver, Response
from tests.support.redis import require_redis
from tests.support.server import GraphQLClient

FAST = {"HOOKWIRE_DELIVERY_LEASE": "3s", "HOOKWIRE_RETRY_SCHEDULE": "200ms,400ms,800ms"}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    # A receiver of its own: these tests count every request it gets.
    with Receiver() as running:
        yield running


@pytest.fixture
def deployment(tmp_path: Path, receiver: Receiver) -> Iterator[Deployment]:
    with fresh_database(tmp_path) as database_url:
        running = Deployment(tmp_path, database_url, receiver, **FAST)
        running.database_url = database_url  # type: ignore[attr-defined]
        yield running
        running.stop_all()


def webhooks(client: GraphQLClient, receiver: Receiver, count: int) -> None:
    for i in range(count):
        hook = {
            "name": f"w{i}",
            "targetUrl": receiver.url(f"/w/{i}"),
            "timeout": "2s",
            "triggers": [{"triggerType": "EVENT", "triggerName": "PersonCreated_v1"}],
        }
        assert client.data(CREATE, input=hook)["createWebhook"]["__typename"] == "Webhook"


def deliveries_seen(receiver: Receiver) -> Counter[tuple[str, str]]:
    """(event id, webhook id) of every request the receiver got, with how often."""
    seen: Counter[tuple[str, str]] = Counter()
    for request in receiver.requests():
        claims = jwt.decode(request.body, options={"verify_signature": False})
        seen[(claims["sub"], claims["webhook_id"])] += 1
    return seen


def wait_until_received(receiver: Receiver, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while len(receiver.requests()) < count:
        assert time.monotonic() < deadline, f"{len(receiver.requests())} of {count} arrived"
        time.sleep(0.2)


def emit_all(clients: list[GraphQLClient], count: int, **input: Any) -> list[dict[str, Any]]:
    def emit(i: int) -> dict[str, Any]:
        payload = {"eventName": "PersonCreated_v1", **input}
        result: dict[str, Any] = clients[i % len(clients)].data(EMIT, input=payload)["emitEvent"]
        return result

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(emit, range(count)))


@pytest.mark.skipif(BACKEND != "postgres", reason="several workers share only PostgreSQL")
def test_two_apis_and_two_workers_deliver_ten_thousand_exactly_once(
    tmp_path: Path, receiver: Receiver
) -> None:
    redis_url = require_redis()
    with fresh_database(tmp_path) as database_url:
        deployment = Deployment(
            tmp_path, database_url, receiver, HOOKWIRE_REDIS_URL=redis_url, **FAST
        )
        try:
            org = deployment.command("org", "create", "Acme", "--json")
            apis = [deployment.serve("--no-worker")[1] for _ in range(2)]
            clients = [GraphQLClient(url, org["api_key"]) for url in apis]
            webhooks(clients[0], receiver, 100)
            for _ in range(2):
                deployment.start("worker")

            emit_all(clients, 100)
            wait_until_received(receiver, 10_000, timeout=240)
            time.sleep(1)  # anything sent twice would arrive now

            seen = deliveries_seen(receiver)
            assert len(seen) == 10_000
            assert max(seen.values()) == 1, "a delivery was sent twice"
            state = queue_state(database_url)
            assert state.statuses == Counter({"SUCCEEDED": 10_000})
            assert state.attempt_problems == []
        finally:
            deployment.stop_all()


def test_a_worker_killed_mid_run_loses_nothing(deployment: Deployment, receiver: Receiver) -> None:
    for i in range(20):
        receiver.respond(f"/w/{i}", Response(200, delay=0.02))
    org = deployment.command("org", "create", "Acme", "--json")
    # On SQLite the worker lives in the API process (one process per SQLite file), so the
    # kill takes both; on PostgreSQL a separate worker process is killed.
    separate = BACKEND == "postgres"
    api, url = deployment.serve("--no-worker") if separate else deployment.serve()
    client = GraphQLClient(url, org["api_key"])
    webhooks(client, receiver, 20)
    if separate:
        worker = deployment.start("worker")
    emit_all([client], 100)  # 2,000 deliveries

    wait_until_received(receiver, 500, timeout=120)
    victim = worker if separate else api
    victim.send_signal(signal.SIGKILL)
    victim.wait(10)
    in_flight = queue_state(deployment.database_url).leased  # type: ignore[attr-defined]
    deployment.start("worker") if separate else deployment.serve()
    wait_until_received(receiver, 2_000, timeout=180)
    deadline = time.monotonic() + 60
    while (state := queue_state(deployment.database_url)).statuses["SUCCEEDED"] < 2_000:  # type: ignore[attr-defined]
        assert time.monotonic() < deadline, state
        time.sleep(0.5)

    seen = deliveries_seen(receiver)
    duplicates = sum(seen.values()) - len(seen)
    assert len(seen) == 2_000, "every delivery arrived at least once"
    assert duplicates <= in_flight, (duplicates, in_flight)
    assert state.attempt_problems == []


def test_an_api_killed_between_commit_and_answer_loses_nothing(
    deployment: Deployment, receiver: Receiver
) -> None:
    org = deployment.command("org", "create", "Acme", "--json")
    api, url = deployment.serve("--no-worker")
    client = GraphQLClient(url, org["api_key"])
    webhooks(client, receiver, 1)
    keys = [f"order-{i}" for i in range(200)]
    answered: dict[str, str] = {}

    def emit(key: str) -> None:
        try:
            payload = {"eventName": "PersonCreated_v1", "idempotencyKey": key}
            answered[key] = client.data(EMIT, input=payload)["emitEvent"]["id"]
        except (httpx.HTTPError, ValueError, KeyError):
            pass  # the process died under this request: the client retries below

    with ThreadPoolExecutor(16) as pool:
        futures = [pool.submit(emit, key) for key in keys]
        while len(answered) < 40:
            time.sleep(0.005)
        api.send_signal(signal.SIGKILL)
        for future in futures:
            future.result()
    api.wait(10)
    lost_answers = [k for k in keys if k not in answered]
    _, url = deployment.serve()
    client = GraphQLClient(url, org["api_key"])
    for key in keys:  # a client retries what got no answer, with the same key
        payload = {"eventName": "PersonCreated_v1", "idempotencyKey": key}
        event_id = client.data(EMIT, input=payload)["emitEvent"]["id"]
        assert answered.setdefault(key, event_id) == event_id

    wait_until_received(receiver, 200, timeout=60)
    time.sleep(0.5)

    assert lost_answers, "the kill should have cut some requests off"
    seen = deliveries_seen(receiver)
    assert sorted(event for event, _ in seen) == sorted(answered.values())
    assert set(seen.values()) == {1}
