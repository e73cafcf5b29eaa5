"""The Node clients of tests/conformance: installed once with `npm ci`, run as subprocesses."""

from __future__ import annotations

import hashlib
import queue
import re
import shutil
import subprocess
import threading
from pathlib import Path
from types import TracebackType

CONFORMANCE = Path(__file__).resolve().parents[1] / "conformance"
MIN_NODE_MAJOR = 20
INSTALL_TIMEOUT = 300.0


class NodeUnavailable(Exception):
    """Node or npm is missing, too old, or `npm ci` failed: the conformance tests skip."""


class NodeScripts:
    """The scripts of `folder`, with their node_modules installed from package-lock.json.

    Usage::

        scripts = NodeScripts.installed()
        done = scripts.run("verify.mjs", jwks_url, org_id, token, timeout=30)
        with scripts.start("subscribe.mjs", ws_url, api_key, "1") as client:
            assert client.next_line(timeout=15) == "READY"
    """

    def __init__(self, node: str, folder: Path = CONFORMANCE) -> None:
        self.node = node
        self.folder = folder

    @classmethod
    def installed(cls, folder: Path = CONFORMANCE) -> NodeScripts:
        """Run `npm ci` unless node_modules already holds this package-lock.json."""
        node, npm = shutil.which("node"), shutil.which("npm")
        if node is None or npm is None:
            raise NodeUnavailable("node and npm are not on PATH")
        version = _run([node, "--version"], timeout=30).stdout.strip()
        match = re.match(r"v(\d+)\.", version)
        if match is None or int(match.group(1)) < MIN_NODE_MAJOR:
            raise NodeUnavailable(f"node {version} is older than v{MIN_NODE_MAJOR}")
        digest = hashlib.sha256((folder / "package-lock.json").read_bytes()).hexdigest()
        stamp = folder / "node_modules" / ".package-lock.sha256"
        if not (stamp.is_file() and stamp.read_text().strip() == digest):
            command = [npm, "ci", "--prefix", str(folder), "--no-audit", "--no-fund"]
            try:
                _run([*command, "--loglevel=error"], timeout=INSTALL_TIMEOUT, cwd=folder)
            except subprocess.CalledProcessError as failed:
                raise NodeUnavailable(f"`npm ci` failed: {failed.stderr[-2000:]}") from None
            except subprocess.TimeoutExpired:
                raise NodeUnavailable(f"`npm ci` took over {INSTALL_TIMEOUT:.0f} s") from None
            stamp.write_text(digest + "\n")
        return cls(node, folder)

    def run(
        self, script: str, *args: str, timeout: float = 30.0
    ) -> subprocess.CompletedProcess[str]:
        """Run a script to its end; the caller checks `returncode`, `stdout` and `stderr`."""
        return subprocess.run(
            [self.node, str(self.folder / script), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.folder,
        )

    def start(self, script: str, *args: str) -> NodeProcess:
        """Start a script whose stdout lines are read while it runs."""
        return NodeProcess([self.node, str(self.folder / script), *args], cwd=self.folder)


class NodeProcess:
    """A running script: its stdout lines arrive in a queue; killed on leaving the block."""

    def __init__(self, command: list[str], cwd: Path) -> None:
        self._process = subprocess.Popen(
            command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._errors: list[str] = []
        self._readers = [
            threading.Thread(target=self._read_stdout, daemon=True),
            threading.Thread(target=self._read_stderr, daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read_stdout(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def _read_stderr(self) -> None:
        assert self._process.stderr is not None
        for line in self._process.stderr:
            self._errors.append(line)

    def next_line(self, timeout: float) -> str:
        """The next stdout line; fails with stderr when the script ends or stays silent."""
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no output within {timeout} s; stderr: {self.stderr}") from None
        if line is None:
            self._lines.put(None)
            raise AssertionError(f"the script exited ({self.wait(5)}); stderr: {self.stderr}")
        return line

    def wait(self, timeout: float) -> int:
        """The exit code, once the script ends by itself within `timeout`."""
        code = self._process.wait(timeout=timeout)
        for reader in self._readers:
            reader.join(timeout=5)
        return code

    @property
    def stderr(self) -> str:
        """What the script wrote to stderr so far."""
        return "".join(self._errors)

    def __enter__(self) -> NodeProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self.wait(timeout=10)


def _run(
    command: list[str], timeout: float, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, cwd=cwd, check=True
    )
