"""A real Hookwire server (uvicorn) in a background thread, and a GraphQL client for it."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import uvicorn

from hookwire.app import create_app
from hookwire.services.organizations import create_organization
from hookwire.settings import Settings

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerThread:
    """uvicorn serving create_app(settings) on a free port; `run` executes in its loop."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.app = create_app(settings)
        self.port = settings.port
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._loop.run_until_complete(self._server.serve())

    def start(self) -> ServerThread:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def run(self, awaitable: Awaitable[T]) -> T:
        """Await something in the server's event loop (where Tortoise lives) and wait."""
        assert self._loop is not None

        async def wrapped() -> T:
            return await awaitable

        return asyncio.run_coroutine_threadsafe(wrapped(), self._loop).result(timeout=30)

    @property
    def runtime(self) -> Any:
        return self.app.state.runtime


@dataclass
class Org:
    """An organization made for one test, with a GraphQL client holding its ADMIN key."""

    id: str
    api_key: str
    server: ServerThread

    def client(self, api_key: str | None = None) -> GraphQLClient:
        return GraphQLClient(self.server.url, api_key if api_key is not None else self.api_key)


def new_org(server: ServerThread, name: str = "Acme") -> Org:
    created = server.run(create_organization(name, server.runtime.key_ring))
    return Org(id=str(created.organization.id), api_key=created.api_key, server=server)


class GraphQLClient:
    """POSTs GraphQL documents with a bearer key; `data` asserts there were no errors."""

    def __init__(self, base_url: str, api_key: str | None) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.http = httpx.Client(base_url=base_url, headers=headers, timeout=30)

    def execute(self, query: str, **variables: Any) -> dict[str, Any]:
        response = self.http.post("/graphql", json={"query": query, "variables": variables})
        body: dict[str, Any] = response.json()
        return body

    def execute_unchecked(self, query: str, **variables: Any) -> dict[str, Any]:
        """As `execute`, with variables JSON-encoded as Python's json does by default, so
        that what a strict encoder refuses (NaN, unpaired surrogates) reaches the server."""
        content = json.dumps({"query": query, "variables": variables}).encode()
        headers = {"Content-Type": "application/json"}
        response = self.http.post("/graphql", content=content, headers=headers)
        body: dict[str, Any] = response.json()
        return body

    def data(self, query: str, **variables: Any) -> dict[str, Any]:
        body = self.execute(query, **variables)
        assert "errors" not in body, body["errors"]
        result: dict[str, Any] = body["data"]
        return result
