"""WebSocket connection_init authentication for both subscription protocols."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.support.server import Org, ServerThread

PROTOCOLS = ["graphql-transport-ws", "graphql-ws"]


async def handshake(server: ServerThread, protocol: str, payload: dict) -> tuple[str, int | None]:
    url = server.url.replace("http://", "ws://") + "/graphql"
    async with connect(url, subprotocols=[protocol]) as socket:  # type: ignore[list-item]
        await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
        try:
            while True:
                message = json.loads(await asyncio.wait_for(socket.recv(), 5))
                if message["type"] == "connection_ack":
                    return "ack", None
        except ConnectionClosed as closed:
            return "closed", closed.rcvd.code if closed.rcvd else None


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_valid_key_is_acknowledged(server: ServerThread, org: Org, protocol: str) -> None:
    outcome = asyncio.run(handshake(server, protocol, {"authorization": f"Bearer {org.api_key}"}))
    assert outcome == ("ack", None)


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("payload", [{}, {"authorization": "Bearer wrong"}])
def test_a_missing_or_bad_key_closes_with_4403(
    server: ServerThread, protocol: str, payload: dict
) -> None:
    assert asyncio.run(handshake(server, protocol, payload)) == ("closed", 4403)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_slashid_header_pair_in_the_payload_is_accepted(
    server: ServerThread, org: Org, protocol: str
) -> None:
    payload = {"SlashID-OrgID": org.id, "SlashID-API-Key": org.api_key}
    assert asyncio.run(handshake(server, protocol, payload)) == ("ack", None)


def test_graphiqls_headers_editor_content_is_accepted(server: ServerThread, org: Org) -> None:
    # GraphiQL (@graphiql/toolkit) sends the headers editor's JSON as the connection_init
    # payload, with the header names as typed.
    payload = {"Authorization": f"Bearer {org.api_key}"}
    assert asyncio.run(handshake(server, "graphql-transport-ws", payload)) == ("ack", None)
