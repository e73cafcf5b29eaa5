"""Off-the-shelf subscription clients receive delivery outcomes (§2, §8): graphql-ws for Node,
and Python's gql over graphql-transport-ws and legacy graphql-ws."""

from __future__ import annotations

import asyncio
import json

import pytest
from gql import Client, gql
from gql.transport.websockets import WebsocketsTransport

from tests.support.delivery import emit, hook_to, unique_path
from tests.support.node import NodeScripts
from tests.support.receiver import Receiver
from tests.support.server import Org, ServerThread

SUBSCRIBE = "subscription { deliveryOutcomes { eventId outcome statusCode triggerName } }"
# No protocol acknowledges a subscribe message: give the server this long to register it.
REGISTER_DELAY = 0.25


def websocket_url(server: ServerThread) -> str:
    return server.url.replace("http://", "ws://") + "/graphql"


def expected_outcome(event_id: str) -> dict[str, object]:
    return {
        "eventId": event_id,
        "outcome": "SUCCEEDED",
        "statusCode": 200,
        "triggerName": "PersonCreated_v1",
    }


def test_a_graphql_ws_node_client_receives_the_outcome_of_an_event(
    node_scripts: NodeScripts, server: ServerThread, org: Org, receiver: Receiver
) -> None:
    hook_to(org, receiver, unique_path())

    with node_scripts.start("subscribe.mjs", websocket_url(server), org.api_key, "1") as client:
        assert client.next_line(timeout=15) == "READY"
        event = emit(org)
        outcome = json.loads(client.next_line(timeout=15))
        assert client.wait(timeout=10) == 0, client.stderr

    assert outcome == expected_outcome(event["id"])


def test_a_graphql_ws_node_client_with_a_bad_key_is_refused(
    node_scripts: NodeScripts, server: ServerThread
) -> None:
    with node_scripts.start("subscribe.mjs", websocket_url(server), "hwk_bad", "1") as client:
        assert client.wait(timeout=15) == 1
        assert "4403" in client.stderr


@pytest.mark.parametrize(
    "subprotocol",
    [WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL, WebsocketsTransport.APOLLO_SUBPROTOCOL],
)
async def test_the_python_gql_client_receives_the_outcome_of_an_event(
    server: ServerThread, org: Org, receiver: Receiver, subprotocol: str
) -> None:
    await asyncio.to_thread(hook_to, org, receiver, unique_path())
    transport = WebsocketsTransport(
        url=websocket_url(server),
        subprotocols=[subprotocol],
        init_payload={"authorization": f"Bearer {org.api_key}"},
    )

    async with asyncio.timeout(30), Client(transport=transport) as session:
        outcomes = session.subscribe(gql(SUBSCRIBE))
        first = asyncio.ensure_future(anext(outcomes))
        await asyncio.sleep(REGISTER_DELAY)
        event = await asyncio.to_thread(emit, org)
        received = await asyncio.wait_for(first, 15)
        await outcomes.aclose()

    assert received == {"deliveryOutcomes": expected_outcome(event["id"])}
