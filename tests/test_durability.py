"""Nothing accepted is lost: processes killed and restarted, workers stopped with SIGTERM."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest

from tests.support.delivery import CREATE, DELIVERY, EMIT, unique_path
from tests.support.postgres import fresh_database
from tests.support.process import Deployment
from tests.support.receiver import Receiver, Response


@pytest.fixture
def deployment(tmp_path: Path, receiver: Receiver) -> Iterator[Deployment]:
    with fresh_database(tmp_path) as database_url:
        running = Deployment(tmp_path, database_url, receiver)
        yield running
        running.stop_all()


def test_an_event_accepted_before_a_crash_is_delivered_after_restart(
    deployment: Deployment, receiver: Receiver
) -> None:
    org = deployment.command("org", "create", "Acme", "--json")
    api, url = deployment.serve("--no-worker")
    client = deployment.client(url, org["api_key"])
    path = unique_path()
    webhook = {
        "name": "after-crash",
        "targetUrl": receiver.url(path),
        "triggers": [{"triggerType": "EVENT", "triggerName": "PersonCreated_v1"}],
    }
    assert client.data(CREATE, input=webhook)["createWebhook"]["__typename"] == "Webhook"

    event = client.data(EMIT, input={"eventName": "PersonCreated_v1"})["emitEvent"]
    api.send_signal(signal.SIGKILL)
    api.wait(10)
    assert receiver.requests(path) == []

    deployment.start("worker")
    (request,) = receiver.wait_for(1, path, timeout=20)

    assert jwt.decode(request.body, options={"verify_signature": False})["sub"] == event["id"]


def test_sigterm_lets_the_in_flight_attempt_finish_and_be_recorded(
    deployment: Deployment, receiver: Receiver
) -> None:
    org = deployment.command("org", "create", "Acme", "--json")
    _, url = deployment.serve("--no-worker")
    client = deployment.client(url, org["api_key"])
    path = unique_path()
    receiver.respond(path, Response(200, delay=1.5))
    client.data(
        CREATE,
        input={
            "name": "slow",
            "targetUrl": receiver.url(path),
            "triggers": [{"triggerType": "EVENT", "triggerName": "PersonCreated_v1"}],
        },
    )
    event = client.data(EMIT, input={"eventName": "PersonCreated_v1"})["emitEvent"]
    worker = deployment.start("worker")
    receiver.wait_for(1, path, timeout=20)

    worker.send_signal(signal.SIGTERM)

    assert worker.wait(20) == 0, deployment.logs()
    found = client.data(DELIVERY, id=event["deliveries"][0]["id"])["delivery"]
    assert (found["status"], found["attemptCount"]) == ("SUCCEEDED", 1)
    assert len(receiver.requests(path)) == 1
