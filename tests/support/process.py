"""Hookwire as separate processes (`hookwire serve`, `hookwire worker`), as an operator runs it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet

from tests.support.receiver import Receiver
from tests.support.server import GraphQLClient, free_port


class Deployment:
    """Environment shared by every process of one test: database, master key, receiver."""

    def __init__(self, workdir: Path, database_url: str, receiver: Receiver, **env: str) -> None:
        self.workdir = workdir
        self.env = {
            **os.environ,
            "HOOKWIRE_DATABASE_URL": database_url,
            "HOOKWIRE_SECRET_KEYS": Fernet.generate_key().decode(),
            "HOOKWIRE_ALLOWED_NETWORKS": "127.0.0.1/32",
            "HOOKWIRE_RESOLVE": ",".join(f"{h}={a}" for h, a in receiver.resolve.items()),
            "HOOKWIRE_CA_BUNDLE": receiver.ca_bundle_path,
            "HOOKWIRE_RETRY_SCHEDULE": "200ms,400ms",
            **env,
        }
        self.processes: list[subprocess.Popen[bytes]] = []

    def command(self, *args: str) -> dict[str, Any]:
        done = subprocess.run(
            [sys.executable, "-m", "hookwire.cli", *args],
            env=self.env,
            cwd=self.workdir,
            capture_output=True,
            timeout=60,
            check=True,
        )
        result: dict[str, Any] = json.loads(done.stdout)
        return result

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        log = open(self.workdir / f"process-{len(self.processes)}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", "hookwire.cli", *args],
            env=self.env,
            cwd=self.workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        return process

    def serve(self, *extra: str) -> tuple[subprocess.Popen[bytes], str]:
        """`hookwire serve` on a free port, once it answers /healthz."""
        port = free_port()
        process = self.start("serve", "--port", str(port), *extra)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"hookwire serve exited: {self.logs()}")
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    return process, url
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError(f"hookwire serve did not start: {self.logs()}")

    def client(self, url: str, api_key: str) -> GraphQLClient:
        return GraphQLClient(url, api_key)

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.workdir.glob("process-*.log"))

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait(10)
