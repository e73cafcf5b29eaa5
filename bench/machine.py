"""What a benchmark ran on: CPU, cores, memory, OS and the versions that matter."""

from __future__ import annotations

import os
import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

PACKAGES = (
    "hookwire",
    "aiohttp",
    "cryptography",
    "tortoise-orm",
    "aiosqlite",
    "asyncpg",
    "strawberry-graphql",
    "starlette",
    "uvicorn",
    "uvloop",
    "httptools",
)


def _proc_field(path: str, name: str) -> str | None:
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        key, _, value = line.partition(":")
        if key.strip() == name:
            return value.strip()
    return None


def _version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def describe_machine() -> dict[str, Any]:
    """The machine and software of this run, JSON-ready."""
    memory = _proc_field("/proc/meminfo", "MemTotal")
    return {
        "cpu_model": _proc_field("/proc/cpuinfo", "model name"),
        "processor": platform.processor() or None,
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)),
        "memory_total": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "versions": {package: _version(package) for package in PACKAGES},
    }


_TICK = os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int) -> float:
    """User plus system CPU time of another process so far (Linux /proc), 0.0 once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rpartition(")")[2].split()  # the command name may hold spaces
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime: fields 14 and 15


class MachineBusy:
    """How busy all cores were between `start()` and `fraction()`: every process, not just ours.

    From the first line of /proc/stat: 1.0 means every core was busy the whole time.
    """

    def __init__(self) -> None:
        self._start = self._sample()

    @staticmethod
    def _sample() -> tuple[int, int]:
        try:
            first = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        except OSError:
            return 0, 0
        ticks = [int(value) for value in first[:8]]  # user … steal; guest is inside user
        idle = ticks[3] + ticks[4]  # idle, iowait
        return sum(ticks) - idle, sum(ticks)

    def start(self) -> MachineBusy:
        self._start = self._sample()
        return self

    def fraction(self) -> float | None:
        busy, total = self._sample()
        if total <= self._start[1]:
            return None
        return round((busy - self._start[0]) / (total - self._start[1]), 3)
