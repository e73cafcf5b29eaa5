"""Several processes on one database and one Redis: shared outcomes, shared rate limits."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.support.delivery import CREATE, EMIT, unique_path
from tests.support.postgres import fresh_database
from tests.support.process import Deployment
from tests.support.receiver import Receiver
from tests.support.redis import require_redis

SUBSCRIBE = "subscription { deliveryOutcomes { eventId outcome statusCode } }"


@pytest.fixture
def deployment(tmp_path: Path, receiver: Receiver) -> Iterator[Deployment]:
    redis_url = require_redis()
    with fresh_database(tmp_path) as database_url:
        running = Deployment(tmp_path, database_url, receiver, HOOKWIRE_REDIS_URL=redis_url)
        yield running
        running.stop_all()


async def first_outcome(ws_url: str, api_key: str, emit: object) -> dict:
    async with connect(ws_url, subprotocols=["graphql-transport-ws"]) as socket:  # type: ignore[list-item]
        auth = {"authorization": f"Bearer {api_key}"}
        await socket.send(json.dumps({"type": "connection_init", "payload": auth}))
        assert json.loads(await socket.recv())["type"] == "connection_ack"
        await socket.send(
            json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}})
        )
        await asyncio.sleep(0.3)
        await asyncio.to_thread(emit)  # type: ignore[arg-type]
        message = json.loads(await asyncio.wait_for(socket.recv(), 20))
        return message["payload"]["data"]["deliveryOutcomes"]


def test_a_subscriber_on_one_api_process_sees_outcomes_of_a_worker_in_another(
    deployment: Deployment, receiver: Receiver
) -> None:
    org = deployment.command("org", "create", "Acme", "--json")
    _, api_url = deployment.serve("--no-worker")
    deployment.start("worker")
    client = deployment.client(api_url, org["api_key"])
    hook = {
        "name": "x",
        "targetUrl": receiver.url(unique_path()),
        "triggers": [{"triggerType": "EVENT", "triggerName": "PersonCreated_v1"}],
    }
    client.data(CREATE, input=hook)
    emitted: list[dict] = []

    def emit() -> None:
        emitted.append(client.data(EMIT, input={"eventName": "PersonCreated_v1"})["emitEvent"])

    ws_url = api_url.replace("http://", "ws://") + "/graphql"
    outcome = asyncio.run(first_outcome(ws_url, org["api_key"], emit))

    assert outcome == {"eventId": emitted[0]["id"], "outcome": "SUCCEEDED", "statusCode": 200}


def test_jwks_rate_limit_is_shared_by_every_api_process(deployment: Deployment) -> None:
    org = deployment.command("org", "create", "Acme", "--json")
    urls = [deployment.serve("--no-worker")[1] for _ in range(2)]
    headers = {"SlashID-OrgID": org["organization_id"]}
    path = "/organizations/webhooks/verification-jwks"

    statuses = [httpx.get(urls[i % 2] + path, headers=headers).status_code for i in range(61)]

    assert statuses[:60] == [200] * 60
    assert statuses[60] == 429
