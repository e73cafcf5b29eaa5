"""A real HTTPS webhook receiver on 127.0.0.1 (aiohttp.web in a background thread), scriptable."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import trustme
from aiohttp import web


@dataclass(frozen=True)
class Response:
    """One scripted answer; `delay` waits before answering, `close_connection` never answers."""

    status: int = 200
    body: bytes | str | dict[str, Any] = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    close_connection: bool = False


@dataclass(frozen=True)
class ReceivedRequest:
    """A request as it arrived; `headers` has lower-cased names, repeated ones joined by ', '."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    received_at: float  # time.time()


class Receiver:
    """An HTTPS server on 127.0.0.1 with a trustme certificate for `hostnames`, in a thread.

    Usage::

        with Receiver() as receiver:
            receiver.respond("/hook", Response(500), Response(200))
            transport = Transport(resolve=receiver.resolve, ca_bundle=receiver.ca_bundle_path,
                                  allowed_networks=["127.0.0.0/8"])
            await transport.post(receiver.url("/hook"), ...)
            [request] = receiver.wait_for(1, "/hook")
    """

    def __init__(self, hostnames: Sequence[str] = ("hooks.test", "*.hooks.test")) -> None:
        self.hostnames = tuple(hostnames)
        self._ca = trustme.CA()
        self._ssl = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._ca.issue_cert(*self.hostnames).configure_cert(self._ssl)
        fd, self.ca_bundle_path = tempfile.mkstemp(prefix="receiver-ca-", suffix=".pem")
        os.close(fd)
        self._ca.cert_pem.write_to_path(self.ca_bundle_path)
        # Bound now, so that `port` and `url()` work before `start()`.
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]
        self.resolve: dict[str, str] = {
            name: "127.0.0.1" for name in self.hostnames if not name.startswith("*")
        }
        self._lock = threading.Condition()
        self._requests: list[ReceivedRequest] = []
        self._scripts: dict[str, tuple[list[Response], int]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    def url(self, path: str = "/hook", host: str = "hooks.test") -> str:
        return f"https://{host}:{self.port}{path}"

    def respond(self, path: str, *responses: Response) -> None:
        """Script `path`: its Nth request from now gets the Nth response; the last one repeats."""
        if not responses:
            raise ValueError("respond() needs at least one Response")
        with self._lock:
            self._scripts[path] = (list(responses), 0)

    def requests(self, path: str | None = None) -> list[ReceivedRequest]:
        with self._lock:
            return [r for r in self._requests if path is None or r.path == path]

    def wait_for(
        self, count: int, path: str | None = None, timeout: float = 10.0
    ) -> list[ReceivedRequest]:
        """Block until at least `count` requests (to `path`, if given) arrived; return them."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                arrived = [r for r in self._requests if path is None or r.path == path]
                remaining = deadline - time.monotonic()
                if len(arrived) >= count or remaining <= 0:
                    break
                self._lock.wait(remaining)
        if len(arrived) < count:
            seen = ", ".join(f"{r.method} {r.path}" for r in self.requests()) or "nothing"
            raise AssertionError(
                f"expected {count} request(s) to {path or 'any path'} within {timeout} s, "
                f"got {len(arrived)}; the receiver saw: {seen}"
            )
        return arrived

    def clear(self) -> None:
        """Forget received requests and scripted responses."""
        with self._lock:
            self._requests.clear()
            self._scripts.clear()

    def start(self) -> Receiver:
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(
            target=self._serve, args=(ready, failure), name=f"receiver-{self.port}", daemon=True
        )
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the receiver did not start within 10 s")
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
        self._socket.close()
        if os.path.exists(self.ca_bundle_path):
            os.unlink(self.ca_bundle_path)

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _serve(self, ready: threading.Event, failure: list[BaseException]) -> None:
        self._loop = loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._startup())
        except BaseException as error:
            failure.append(error)
            ready.set()
            loop.close()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.close()

    async def _startup(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.SockSite(self._runner, self._socket, ssl_context=self._ssl, backlog=1024)
        await site.start()

    async def _shutdown(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        # Handlers still sleeping for a scripted delay outlive cleanup(); end them quietly.
        pending = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        headers: dict[str, str] = {}
        for name, value in request.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        received = ReceivedRequest(request.method, request.path, headers, body, time.time())
        with self._lock:
            self._requests.append(received)
            self._lock.notify_all()
            response = self._next_response(request.path)
        if response.delay:
            await asyncio.sleep(response.delay)
        if response.close_connection:
            assert request.transport is not None
            request.transport.close()
            return web.Response()
        return _to_web_response(response)

    def _next_response(self, path: str) -> Response:
        script = self._scripts.get(path)
        if script is None:
            return _DEFAULT
        responses, served = script
        self._scripts[path] = (responses, served + 1)
        return responses[min(served, len(responses) - 1)]


_DEFAULT = Response()


def _to_web_response(response: Response) -> web.Response:
    headers = dict(response.headers)
    body = response.body
    if isinstance(body, dict):
        body = json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    elif isinstance(body, str):
        body = body.encode()
    return web.Response(status=response.status, body=body, headers=headers)
