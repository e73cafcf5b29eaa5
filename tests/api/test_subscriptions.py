"""deliveryOutcomes over graphql-transport-ws and graphql-ws, scoped to the caller's org."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

import pytest
from websockets.asyncio.client import connect

from tests.support.delivery import emit, hook_to, unique_path
from tests.support.receiver import Receiver, Response
from tests.support.server import Org, ServerThread

SUBSCRIBE = """
subscription S($webhookId: ID, $eventId: ID) {
  deliveryOutcomes(webhookId: $webhookId, eventId: $eventId) {
    id deliveryId webhookId eventId triggerType triggerName attemptNumber outcome statusCode
    willRetry durationMs
  }
}
"""


class Listener:
    """A WebSocket client in its own thread, collecting what a subscription pushes."""

    def __init__(self, server: ServerThread, org: Org, protocol: str, **variables: Any) -> None:
        self.url = server.url.replace("http://", "ws://") + "/graphql"
        self.org, self.protocol, self.variables = org, protocol, variables
        self.received: list[dict[str, Any]] = []
        self.ready = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._listen()), daemon=True)

    def __enter__(self) -> Listener:
        self._thread.start()
        assert self.ready.wait(10), "the subscription did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    async def _listen(self) -> None:
        legacy = self.protocol == "graphql-ws"
        async with connect(self.url, subprotocols=[self.protocol]) as socket:  # type: ignore[list-item]
            auth = {"authorization": f"Bearer {self.org.api_key}"}
            await socket.send(json.dumps({"type": "connection_init", "payload": auth}))
            assert json.loads(await socket.recv())["type"] == "connection_ack"
            start = {"query": SUBSCRIBE, "variables": self.variables}
            await socket.send(
                json.dumps(
                    {"id": "1", "type": "start" if legacy else "subscribe", "payload": start}
                )
            )
            await asyncio.sleep(0.2)  # let the server register the subscriber
            self.ready.set()
            while not self._stop.is_set():
                try:
                    message = json.loads(await asyncio.wait_for(socket.recv(), 0.1))
                except TimeoutError:
                    continue
                if message["type"] in ("next", "data"):
                    self.received.append(message["payload"]["data"]["deliveryOutcomes"])

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.received) >= count, self.received
        return self.received


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
def test_outcomes_stream_live_and_only_to_the_owning_organization(
    server: ServerThread, org: Org, other_org: Org, receiver: Receiver, protocol: str
) -> None:
    path = unique_path()
    receiver.respond(path, Response(500), Response(200))
    webhook = hook_to(org, receiver, path)

    with Listener(server, org, protocol) as mine, Listener(server, other_org, protocol) as theirs:
        event = emit(org)
        outcomes = mine.wait_for(2)

    assert [(o["attemptNumber"], o["outcome"], o["statusCode"]) for o in outcomes[:2]] == [
        (1, "HTTP_ERROR", 500),
        (2, "SUCCEEDED", 200),
    ]
    assert {(o["webhookId"], o["eventId"], o["triggerType"]) for o in outcomes} == {
        (webhook["id"], event["id"], "EVENT")
    }
    assert outcomes[0]["willRetry"] is True
    assert theirs.received == []


def test_filters_narrow_to_one_webhook_or_event(
    server: ServerThread, org: Org, receiver: Receiver
) -> None:
    watched = hook_to(org, receiver)
    hook_to(org, receiver)

    with Listener(server, org, "graphql-transport-ws", webhookId=watched["id"]) as listener:
        emit(org)
        emit(org)
        received = listener.wait_for(2)
        time.sleep(0.5)  # anything unfiltered would have arrived by now

    assert len(listener.received) == 2
    assert {o["webhookId"] for o in received} == {watched["id"]}


def test_sync_hook_calls_are_streamed_too(
    server: ServerThread, org: Org, receiver: Receiver
) -> None:
    path = unique_path()
    receiver.respond(path, Response(200, {"claim": 1}))
    webhook = hook_to(org, receiver, path, events=(), sync_hooks=("identify_user",))
    invoke = 'mutation { invokeSyncHook(name: "identify_user", content: {}) { __typename } }'

    with Listener(server, org, "graphql-transport-ws") as listener:
        org.client().data(invoke)
        (call,) = listener.wait_for(1)

    assert (call["triggerType"], call["triggerName"], call["outcome"]) == (
        "SYNC_HOOK",
        "identify_user",
        "SUCCEEDED",
    )
    assert call["webhookId"] == webhook["id"]
    assert call["deliveryId"] is None and call["eventId"] is None
