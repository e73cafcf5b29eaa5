"""A lean HTTPS webhook receiver in its own process, so it shares no core's event loop or GIL
with what is being measured; and the handle the benchmark holds on it.

The receiver answers 200 with an empty body to every POST and counts what it got; GET /stats
answers {"requests": n, "bytes": b, "cpu": seconds of CPU it has used}. It runs on uvloop
when installed, so that it is not the first thing to saturate. Run alone,
`python -m bench.receiver [httptools|aiohttp]` prints its port and CA bundle and serves until
interrupted.

It stands in for other companies' servers, which in production run on other machines: on a
2-core benchmark machine every microsecond of CPU it spends is taken from the worker (and its
sender process) being measured, and not from the bare loop, which uses one core. So the
default kind, `httptools`, is an asyncio protocol that parses HTTP/1.1 with httptools (the
parser uvicorn uses) and answers from a constant: 20 – 31 µs of CPU per request on the
benchmark VM. `aiohttp` is aiohttp's web server, as before (58 – 80 µs per request), kept
to compare with earlier figures.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import aiohttp
import httptools
import trustme
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

HOSTNAME = "hooks.test"
KINDS = ("httptools", "aiohttp")
_OK = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
_BAD = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


# --- the receiver process ----------------------------------------------------------------


class _Counts:
    def __init__(self) -> None:
        self.requests = 0
        self.bytes = 0

    def stats_json(self) -> bytes:
        counted = {"requests": self.requests, "bytes": self.bytes, "cpu": time.process_time()}
        return json.dumps(counted).encode()

    async def receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.requests += 1
        self.bytes += len(body)
        return web.Response()

    async def stats(self, request: web.Request) -> web.Response:
        return web.Response(body=self.stats_json(), content_type="application/json")


class _Connection(asyncio.Protocol):
    """One client connection of the httptools receiver: requests in, 200s out, in order."""

    def __init__(self, counts: _Counts) -> None:
        self._counts = counts
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._url = b""
        self._size = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        assert self._transport is not None
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:
            self._transport.write(_BAD)
            self._transport.close()

    # httptools calls these while it parses.
    def on_message_begin(self) -> None:
        self._url, self._size = b"", 0

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_body(self, body: bytes) -> None:
        self._size += len(body)

    def on_message_complete(self) -> None:
        assert self._transport is not None
        if self._parser.get_method() == b"GET" and self._url == b"/stats":
            body = self._counts.stats_json()
            head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            self._transport.write(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        else:
            self._counts.requests += 1
            self._counts.bytes += self._size
            self._transport.write(_OK)
        if not self._parser.should_keep_alive():
            self._transport.close()


async def serve(ca_path: str, kind: str = "httptools") -> None:
    """Serve until SIGTERM or SIGINT; the first stdout line is {"port", "ca_bundle"}."""
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(HOSTNAME).configure_cert(context)
    ca.cert_pem.write_to_path(ca_path)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    counts = _Counts()
    loop = asyncio.get_running_loop()
    if kind == "httptools":
        server = await loop.create_server(
            lambda: _Connection(counts), sock=sock, ssl=context, backlog=1024
        )
    else:
        app = web.Application()
        app.router.add_get("/stats", counts.stats)
        app.router.add_post("/{tail:.*}", counts.receive)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        await web.SockSite(runner, sock, ssl_context=context, backlog=1024).start()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    print(json.dumps({"port": sock.getsockname()[1], "ca_bundle": ca_path}), flush=True)
    await stop.wait()
    if kind == "httptools":
        server.close()
    else:
        await runner.cleanup()


def main(argv: list[str]) -> None:
    kind = argv[0] if argv else KINDS[0]
    if kind not in KINDS:
        raise SystemExit(f"usage: python -m bench.receiver [{'|'.join(KINDS)}]")
    fd, ca_path = tempfile.mkstemp(prefix="bench-receiver-ca-", suffix=".pem")
    os.close(fd)
    try:
        try:
            import uvloop
        except ImportError:
            asyncio.run(serve(ca_path, kind))
        else:
            uvloop.run(serve(ca_path, kind))
    finally:
        os.unlink(ca_path)


# --- the benchmark's side ----------------------------------------------------------------


class _Loopback(AbstractResolver):
    """hooks.test is 127.0.0.1, as HOOKWIRE_RESOLVE says for the worker."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        one = ResolveResult(
            hostname=host, host="127.0.0.1", port=port, family=socket.AF_INET, proto=0, flags=0
        )
        return [one]

    async def close(self) -> None:
        return None


@dataclass(frozen=True)
class ReceiverProcess:
    port: int
    ca_bundle: str

    def url(self, path: str) -> str:
        return f"https://{HOSTNAME}:{self.port}{path}"

    def session(self, connections: int = 100) -> aiohttp.ClientSession:
        """A plain aiohttp session that trusts the receiver's certificate."""
        context = ssl.create_default_context(cafile=self.ca_bundle)
        connector = aiohttp.TCPConnector(limit=connections, ssl=context, resolver=_Loopback())
        return aiohttp.ClientSession(connector=connector)

    async def stats(self) -> dict[str, Any]:
        """What the receiver has counted so far."""
        async with self.session(1) as session, session.get(self.url("/stats")) as response:
            counted: dict[str, Any] = await response.json()
            return counted


@contextlib.contextmanager
def running_receiver(kind: str = KINDS[0]) -> Iterator[ReceiverProcess]:
    """The receiver (of `kind`, one of KINDS) in a child process, stopped (and its CA bundle
    removed) afterwards."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.receiver", kind],
        cwd=Path(__file__).resolve().parents[1],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the receiver exited with status {process.wait()}")
        started = json.loads(line)
        yield ReceiverProcess(port=started["port"], ca_bundle=started["ca_bundle"])
    finally:
        process.terminate()
        process.wait(10)


if __name__ == "__main__":
    main(sys.argv[1:])
