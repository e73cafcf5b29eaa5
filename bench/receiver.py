"""A lean HTTPS webhook receiver in its own process, so it shares no core's event loop or GIL
with what is being measured; and the handle the benchmark holds on it.

The receiver answers 200 with an empty body to every POST and counts what it got; GET /stats
answers {"requests": n, "bytes": b, "cpu": seconds of CPU it has used}. It runs on uvloop
when installed, so that it is not the first thing to saturate. Run alone,
`python -m bench.receiver` prints its port and CA bundle and serves until interrupted.
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
from typing import Any

import aiohttp
import trustme
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

HOSTNAME = "hooks.test"


# --- the receiver process ----------------------------------------------------------------


class _Counts:
    def __init__(self) -> None:
        self.requests = 0
        self.bytes = 0

    async def receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.requests += 1
        self.bytes += len(body)
        return web.Response()

    async def stats(self, request: web.Request) -> web.Response:
        counted = {"requests": self.requests, "bytes": self.bytes, "cpu": time.process_time()}
        return web.json_response(counted)


async def serve(ca_path: str) -> None:
    """Serve until SIGTERM or SIGINT; the first stdout line is {"port", "ca_bundle"}."""
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(HOSTNAME).configure_cert(context)
    ca.cert_pem.write_to_path(ca_path)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    counts = _Counts()
    app = web.Application()
    app.router.add_get("/stats", counts.stats)
    app.router.add_post("/{tail:.*}", counts.receive)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    await web.SockSite(runner, sock, ssl_context=context, backlog=1024).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    print(json.dumps({"port": sock.getsockname()[1], "ca_bundle": ca_path}), flush=True)
    await stop.wait()
    await runner.cleanup()


def main() -> None:
    fd, ca_path = tempfile.mkstemp(prefix="bench-receiver-ca-", suffix=".pem")
    os.close(fd)
    try:
        try:
            import uvloop
        except ImportError:
            asyncio.run(serve(ca_path))
        else:
            uvloop.run(serve(ca_path))
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
def running_receiver() -> Iterator[ReceiverProcess]:
    """The receiver in a child process, stopped (and its CA bundle removed) afterwards."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.receiver"],
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
    main()
