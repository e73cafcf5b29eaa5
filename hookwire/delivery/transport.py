"""Outbound webhook HTTP on aiohttp, sent only to addresses the network policy accepts.

The SSRF guard lives in the connector's resolver: it resolves the target host once and hands
aiohttp only the vetted addresses, which are the ones aiohttp connects to. There is no second
lookup for DNS rebinding to switch, and TLS still verifies the certificate for the hostname.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import ssl
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from ipaddress import ip_address
from types import MappingProxyType
from typing import Any, Literal, NamedTuple, Protocol

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from hookwire.domain.network_policy import Network, blocked_reason, parse_networks
from hookwire.domain.retry_after import parse_retry_after

__all__ = [
    "MAX_CONNECTIONS",
    "RESPONSE_BODY_LIMIT",
    "RESPONSE_JSON_LIMIT",
    "AttemptResult",
    "BlockedTarget",
    "NotStarted",
    "Outcome",
    "Sender",
    "Transport",
    "VettingResolver",
]

Outcome = Literal["SUCCEEDED", "HTTP_ERROR", "TIMEOUT", "CONNECTION_ERROR", "TLS_ERROR", "BLOCKED"]

RESPONSE_BODY_LIMIT = 4096
RESPONSE_JSON_LIMIT = 64 * 1024

MAX_CONNECTIONS = 256  # a Transport's connections at once, by default
_CACHE_SIZE = 4096
_ALLOW_HINT = "refused (HOOKWIRE_ALLOWED_NETWORKS can allow it)"
_NO_OVERRIDES: Mapping[str, str] = MappingProxyType({})


class AttemptResult(NamedTuple):
    """What one delivery attempt came to; `response_json` is only set for 2xx JSON documents."""

    outcome: Outcome
    status_code: int | None
    duration_ms: float
    started_at: datetime
    finished_at: datetime
    error: str | None = None
    response_body: str | None = None
    retry_after_seconds: float | None = None
    response_json: Any = None


class BlockedTarget(OSError):
    """Every address of a target host is refused by the network policy."""

    def __init__(self, host: str, refusals: Sequence[tuple[str, str]]) -> None:
        self.host = host
        self.refusals = tuple(refusals)
        if len(refusals) == 1:
            address, reason = refusals[0]
            message = f"{host} resolved to {address}, which is {reason}; {_ALLOW_HINT}"
        else:
            listed = ", ".join(f"{address} ({reason})" for address, reason in refusals)
            message = f"{host} resolved only to addresses that are not routable: {listed}; "
            message += _ALLOW_HINT
        super().__init__(message)


class VettingResolver(AbstractResolver):
    """Resolves with the host=ip overrides first, then the system; drops refused addresses."""

    def __init__(
        self,
        fallback: AbstractResolver,
        allowed: Sequence[Network] = (),
        overrides: Mapping[str, str] = _NO_OVERRIDES,
    ) -> None:
        self._fallback = fallback
        self._allowed = tuple(allowed)
        self._overrides = dict(overrides)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """The addresses of `host` that deliveries may connect to; BlockedTarget if none."""
        override = self._overrides.get(host.rstrip(".").lower())
        if override is None:
            found = await self._fallback.resolve(host, port, family)
        else:
            kind = socket.AF_INET6 if ":" in override else socket.AF_INET
            one = ResolveResult(
                hostname=host, host=override, port=port, family=kind, proto=0, flags=0
            )
            found = [one]
        vetted: list[ResolveResult] = []
        refusals: list[tuple[str, str]] = []
        for result in found:
            reason = blocked_reason(result["host"], self._allowed)
            if reason is None:
                vetted.append(result)
            else:
                refusals.append((result["host"], reason))
        if vetted:
            return vetted
        if refusals:
            raise BlockedTarget(host, refusals)
        raise OSError(f"{host} has no address to connect to")

    async def close(self) -> None:
        """Close the fallback resolver."""
        await self._fallback.close()


class NotStarted(RuntimeError):
    """An attempt that waited in a sender for a free connection past its `start_by`, or was
    dropped by `drop_waiting`: it was never sent."""


class Sender(Protocol):
    """What the worker sends attempts through: a `Transport`, or sender processes.

    `post` may wait inside the sender before the attempt starts (sender processes run at
    most their share of the worker's concurrency at once); an attempt that would start after
    `start_by` (a time.monotonic()) raises NotStarted instead.
    """

    def senders_for(self, concurrency: int) -> int:
        """How many posts a worker that runs `concurrency` attempts at once keeps under way."""
        ...

    def drop_waiting(self) -> None:
        """Let every post that has not started raise NotStarted (the worker is stopping)."""
        ...

    async def post(
        self,
        url: str,
        body: bytes,
        headers: Sequence[tuple[str, str]],
        timeout: float,
        start_by: float | None = None,
    ) -> AttemptResult: ...

    async def close(self) -> None: ...


class Transport:
    """POSTs to webhook targets: vetted addresses only, TLS verified for the host, no redirects."""

    def __init__(
        self,
        *,
        allowed_networks: Sequence[str] = (),
        resolve: Mapping[str, str] = _NO_OVERRIDES,
        ca_bundle: str | None = None,
        user_agent: str = "Hookwire/0.1.0",
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        self._allowed = parse_networks(allowed_networks)
        self._overrides = {host.rstrip(".").lower(): ip for host, ip in resolve.items()}
        for host, ip in self._overrides.items():
            try:
                ip_address(ip)
            except ValueError:
                raise ValueError(
                    f"resolve override {host}={ip}: {ip!r} is not an IP address"
                ) from None
        self._ssl = ssl.create_default_context()
        if ca_bundle is not None:
            self._ssl.load_verify_locations(ca_bundle)
        self._user_agent = user_agent
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None
        self._urls: dict[str, tuple[URL, str | None]] = {}
        self._built_headers: dict[tuple[tuple[str, str], ...], CIMultiDictProxy[str]] = {}
        self._timeouts: dict[float, aiohttp.ClientTimeout] = {}

    async def post(
        self,
        url: str,
        body: bytes,
        headers: Sequence[tuple[str, str]],
        timeout: float,
        start_by: float | None = None,
    ) -> AttemptResult:
        """Send one attempt; network failures come back as an outcome, never as an exception.
        It starts at once, so `start_by` has nothing to wait for."""
        started_at = datetime.now(UTC)
        start = time.perf_counter()
        status: int | None = None
        try:
            target, refusal = self._url(url)
            if refusal is not None:
                return _result(started_at, start, "BLOCKED", None, error=refusal)
            session = self._session if self._session is not None else self._open_session()
            async with session.post(
                target,
                data=body,
                headers=self._headers(headers),
                timeout=self._timeout(timeout),
                allow_redirects=False,
            ) as response:
                status = response.status
                success = 200 <= status < 300
                limit = RESPONSE_JSON_LIMIT if success else RESPONSE_BODY_LIMIT
                raw, complete = await _read_at_most(response.content, limit)
                retry_after = response.headers.get("Retry-After")
                location = response.headers.get("Location")
        except (aiohttp.ClientError, OSError, ValueError) as error:
            outcome, text = _failure(error, timeout)
            return _result(started_at, start, outcome, status, error=text)
        return _result(
            started_at,
            start,
            "SUCCEEDED" if success else "HTTP_ERROR",
            status,
            error=None if success else _http_error(status, location),
            response_body=_body_text(raw[:RESPONSE_BODY_LIMIT]),
            retry_after_seconds=parse_retry_after(retry_after),
            response_json=_json_document(raw) if success and complete else None,
        )

    def senders_for(self, concurrency: int) -> int:
        """Every post starts at once: as many as attempts may run at once."""
        return concurrency

    def drop_waiting(self) -> None:
        """Nothing waits here."""

    # A worker sends to the same few targets, with the same headers and timeouts, over and
    # over: parsing and building them once each saves a few microseconds per attempt.
    def _url(self, url: str) -> tuple[URL, str | None]:
        """The parsed URL, and why its host is refused if it is an IP address that is."""
        known = self._urls.get(url)
        if known is None:
            if len(self._urls) >= _CACHE_SIZE:
                self._urls.clear()
            parsed = URL(url)
            known = self._urls[url] = (parsed, self._literal_refusal(parsed.raw_host))
        return known

    def _headers(self, headers: Sequence[tuple[str, str]]) -> CIMultiDictProxy[str]:
        key = tuple(headers)
        built = self._built_headers.get(key)
        if built is None:
            if len(self._built_headers) >= _CACHE_SIZE:
                self._built_headers.clear()
            built = self._built_headers[key] = CIMultiDictProxy(CIMultiDict(key))
        return built

    def _timeout(self, seconds: float) -> aiohttp.ClientTimeout:
        built = self._timeouts.get(seconds)
        if built is None:
            if len(self._timeouts) >= _CACHE_SIZE:
                self._timeouts.clear()
            built = self._timeouts[seconds] = aiohttp.ClientTimeout(total=seconds)
        return built

    async def close(self) -> None:
        """Close pooled connections; a later post opens a new session."""
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def _open_session(self) -> aiohttp.ClientSession:
        resolver = VettingResolver(aiohttp.ThreadedResolver(), self._allowed, self._overrides)
        # Caching is safe: the cache holds what the resolver returned, i.e. vetted addresses
        # only, and a refusal is an exception, which aiohttp never caches.
        connector = aiohttp.TCPConnector(
            limit=self._max_connections, ssl=self._ssl, resolver=resolver, ttl_dns_cache=10
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            # Compressed answers would only cost CPU to inflate a body we keep 4 KiB of.
            # (Said in a default header: skip_auto_headers costs every request 2 µs.)
            headers={"User-Agent": self._user_agent, "Accept-Encoding": "identity"},
            # One receiver's cookies must never reach another tenant's receiver.
            cookie_jar=aiohttp.DummyCookieJar(),
            # A proxy from the environment would resolve the host itself, past the guard.
            trust_env=False,
        )
        return self._session

    def _literal_refusal(self, host: str | None) -> str | None:
        """Vet an IP-literal host, which aiohttp connects to without asking the resolver."""
        # The same test aiohttp uses to decide that a host skips resolution.
        if host is None or (":" not in host and not host.replace(".", "").isdigit()):
            return None
        try:
            reason = blocked_reason(host, self._allowed)
        except ValueError:
            return f"{host} is not a valid IP address; refused"
        return None if reason is None else f"{host} is {reason}; {_ALLOW_HINT}"


async def _read_at_most(stream: aiohttp.StreamReader, limit: int) -> tuple[bytes, bool]:
    """Up to `limit` bytes of a body, and whether that was all of it."""
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = await stream.read(limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks), size < limit or stream.at_eof()


def _body_text(raw: bytes) -> str:
    """The body as text that any database stores: PostgreSQL's text cannot hold NUL."""
    return raw.decode("utf-8", errors="replace").replace("\x00", "\ufffd")


def _json_document(raw: bytes) -> Any:
    """The parsed body when it is a JSON object or array, else None."""
    start = raw.lstrip()[:1]
    if start not in (b"{", b"["):
        return None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return None


def _http_error(status: int, location: str | None) -> str:
    if 300 <= status < 400 and location:
        return f"HTTP {status}; redirects are not followed (Location: {location[:200]})"
    return f"HTTP {status}"


def _failure(error: BaseException, timeout: float) -> tuple[Outcome, str]:
    """The outcome and a short error text for an exception raised while sending."""
    blocked = _blocked_cause(error)
    if blocked is not None:
        return "BLOCKED", str(blocked)
    if isinstance(error, aiohttp.ClientConnectorCertificateError):
        cert_error = error.certificate_error
        detail = getattr(cert_error, "verify_message", None) or str(cert_error)
        return "TLS_ERROR", f"TLS certificate of {error.host} not accepted: {detail}"
    if isinstance(error, (aiohttp.ClientSSLError, ssl.SSLError)):
        return "TLS_ERROR", f"TLS failed: {_os_error_text(error)}"
    if isinstance(error, asyncio.TimeoutError):
        return "TIMEOUT", f"no complete response within {timeout:g} s"
    if isinstance(error, aiohttp.ClientConnectorDNSError):
        return "CONNECTION_ERROR", f"cannot resolve {error.host}: {_os_error_text(error)}"
    if isinstance(error, aiohttp.ClientConnectorError):
        where = f"{error.host}:{error.port}"
        return "CONNECTION_ERROR", f"cannot connect to {where}: {_os_error_text(error)}"
    if isinstance(error, aiohttp.ServerDisconnectedError):
        return "CONNECTION_ERROR", "the target closed the connection without a complete response"
    if isinstance(error, aiohttp.InvalidURL):
        return "CONNECTION_ERROR", f"invalid target URL: {error}"
    return "CONNECTION_ERROR", str(error) or type(error).__name__


def _blocked_cause(error: BaseException) -> BlockedTarget | None:
    """The BlockedTarget behind an error: aiohttp wraps it in ClientConnectorDNSError."""
    seen: BaseException | None = error
    for _ in range(5):
        if seen is None or isinstance(seen, BlockedTarget):
            return seen
        wrapped = seen.os_error if isinstance(seen, aiohttp.ClientConnectorError) else None
        seen = wrapped or seen.__cause__
    return None


def _os_error_text(error: BaseException) -> str:
    inner = error.os_error if isinstance(error, aiohttp.ClientConnectorError) else error
    if isinstance(inner, ssl.SSLError) and inner.reason:
        return inner.reason.replace("_", " ").lower()
    errno = getattr(inner, "errno", None)
    if isinstance(errno, int) and errno > 0:
        # aiohappyeyeballs words refusals as "Connect call failed (address)"; errno says why.
        return os.strerror(errno)
    return str(getattr(inner, "strerror", None) or inner or type(inner).__name__)


def _result(
    started_at: datetime, start: float, outcome: Outcome, status: int | None, **details: Any
) -> AttemptResult:
    elapsed = time.perf_counter() - start
    return AttemptResult(
        outcome=outcome,
        status_code=status,
        duration_ms=elapsed * 1000,
        started_at=started_at,
        finished_at=started_at + timedelta(seconds=elapsed),
        **details,
    )
