"""The outbound transport against a real local HTTPS receiver: outcomes, bodies, SSRF guard."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from hookwire.delivery.transport import RESPONSE_BODY_LIMIT, Transport
from tests.support.receiver import Receiver, Response

JWT_HEADERS = [("Content-Type", "application/jwt"), ("X-Token", "t1"), ("X-Token", "t2")]
LOOPBACK_ONLY = ["127.0.0.0/8"]


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


@pytest.fixture(autouse=True)
async def connections(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[list[str]]:
    """Every address a test connects to; anything but 127.0.0.1 fails before a packet is sent."""
    loop = asyncio.get_running_loop()
    seen: list[str] = []
    sock_connect = loop.sock_connect

    async def loopback_only(sock: socket.socket, address: Any) -> None:
        seen.append(address[0])
        assert address[0] == "127.0.0.1", f"a test tried to connect to {address[0]}"
        await sock_connect(sock, address)

    monkeypatch.setattr(loop, "sock_connect", loopback_only)
    yield seen
    assert set(seen) <= {"127.0.0.1"}


@pytest.fixture
async def transport(receiver: Receiver) -> AsyncIterator[Transport]:
    sender = Transport(
        allowed_networks=LOOPBACK_ONLY, resolve=receiver.resolve, ca_bundle=receiver.ca_bundle_path
    )
    yield sender
    await sender.close()


async def test_a_2xx_succeeds_and_the_receiver_gets_exactly_the_request(
    receiver: Receiver, transport: Transport
) -> None:
    receiver.respond("/ok", Response(202, "thanks"))

    result = await transport.post(receiver.url("/ok"), b"header.claims.sig", JWT_HEADERS, 5)

    assert (result.outcome, result.status_code, result.error) == ("SUCCEEDED", 202, None)
    assert result.response_body == "thanks"
    assert result.started_at.tzinfo is UTC
    assert result.finished_at >= result.started_at
    assert result.duration_ms > 0
    [request] = receiver.requests("/ok")
    assert (request.method, request.body) == ("POST", b"header.claims.sig")
    assert request.headers["content-type"] == "application/jwt"
    assert request.headers["user-agent"] == "Hookwire/0.1.0"
    assert request.headers["x-token"] == "t1, t2"
    assert request.headers["host"] == f"hooks.test:{receiver.port}"
    assert request.headers["accept-encoding"] == "identity"  # no compressed answers
    assert set(request.headers) == {
        "host",
        "accept",
        "accept-encoding",
        "user-agent",
        "content-type",
        "content-length",
        "x-token",
    }


async def test_the_user_agent_is_configurable(receiver: Receiver) -> None:
    transport = Transport(
        allowed_networks=LOOPBACK_ONLY,
        resolve=receiver.resolve,
        ca_bundle=receiver.ca_bundle_path,
        user_agent="Hookwire/9.9",
    )
    try:
        await transport.post(receiver.url("/agent"), b"x", JWT_HEADERS, 5)
    finally:
        await transport.close()

    assert receiver.requests("/agent")[0].headers["user-agent"] == "Hookwire/9.9"


async def test_a_500_is_an_http_error_with_the_first_4_kib_of_the_body(
    receiver: Receiver, transport: Transport
) -> None:
    receiver.respond("/error", Response(500, "é" + "x" * 10 * 1024))

    result = await transport.post(receiver.url("/error"), b"x", JWT_HEADERS, 5)

    assert (result.outcome, result.status_code, result.error) == ("HTTP_ERROR", 500, "HTTP 500")
    assert result.response_body is not None
    assert result.response_body.encode() == ("é" + "x" * 10 * 1024).encode()[:RESPONSE_BODY_LIMIT]
    assert result.response_json is None


async def test_a_redirect_is_not_followed(receiver: Receiver, transport: Transport) -> None:
    elsewhere = receiver.url("/elsewhere")
    receiver.respond("/moved", Response(302, headers={"Location": elsewhere}))

    result = await transport.post(receiver.url("/moved"), b"x", JWT_HEADERS, 5)

    assert (result.outcome, result.status_code) == ("HTTP_ERROR", 302)
    assert result.error == f"HTTP 302; redirects are not followed (Location: {elsewhere})"
    assert receiver.requests("/elsewhere") == []


async def test_retry_after_in_seconds_is_read(receiver: Receiver, transport: Transport) -> None:
    receiver.respond("/busy", Response(429, headers={"Retry-After": "7"}))

    result = await transport.post(receiver.url("/busy"), b"x", JWT_HEADERS, 5)

    assert (result.outcome, result.status_code) == ("HTTP_ERROR", 429)
    assert result.retry_after_seconds == 7


async def test_retry_after_as_an_http_date_is_read(
    receiver: Receiver, transport: Transport
) -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    receiver.respond("/down", Response(503, headers={"Retry-After": later}))

    result = await transport.post(receiver.url("/down"), b"x", JWT_HEADERS, 5)

    assert (result.outcome, result.status_code) == ("HTTP_ERROR", 503)
    assert result.retry_after_seconds is not None
    assert 100 < result.retry_after_seconds <= 120


async def test_a_2xx_json_document_is_parsed(receiver: Receiver, transport: Transport) -> None:
    receiver.respond("/sync", Response(200, {"allow": True, "claims": {"role": "admin"}}))
    receiver.respond("/list", Response(200, b"[1, 2]"))
    receiver.respond("/text", Response(200, "not json"))
    receiver.respond("/bad-json", Response(200, "{not json"))

    synced = await transport.post(receiver.url("/sync"), b"x", JWT_HEADERS, 5)
    listed = await transport.post(receiver.url("/list"), b"x", JWT_HEADERS, 5)
    text = await transport.post(receiver.url("/text"), b"x", JWT_HEADERS, 5)
    bad = await transport.post(receiver.url("/bad-json"), b"x", JWT_HEADERS, 5)

    assert synced.response_json == {"allow": True, "claims": {"role": "admin"}}
    assert synced.response_body == '{"allow": true, "claims": {"role": "admin"}}'
    assert listed.response_json == [1, 2]
    assert (text.response_json, text.response_body) == (None, "not json")
    assert (bad.outcome, bad.response_json) == ("SUCCEEDED", None)


async def test_json_is_read_up_to_64_kib(receiver: Receiver, transport: Transport) -> None:
    receiver.respond("/big", Response(200, {"padding": "x" * 60_000}))
    receiver.respond("/huge", Response(200, {"padding": "x" * 70_000}))

    big = await transport.post(receiver.url("/big"), b"x", JWT_HEADERS, 5)
    huge = await transport.post(receiver.url("/huge"), b"x", JWT_HEADERS, 5)

    assert big.response_json == {"padding": "x" * 60_000}
    assert big.response_body is not None and len(big.response_body) == RESPONSE_BODY_LIMIT
    assert (huge.outcome, huge.response_json) == ("SUCCEEDED", None)


async def test_a_slow_answer_times_out(receiver: Receiver, transport: Transport) -> None:
    receiver.respond("/slow", Response(200, delay=3))

    result = await transport.post(receiver.url("/slow"), b"x", JWT_HEADERS, 0.3)

    assert result.outcome == "TIMEOUT"
    assert result.error == "no complete response within 0.3 s"
    assert result.duration_ms < 2500


async def test_a_dropped_connection_is_a_connection_error(
    receiver: Receiver, transport: Transport
) -> None:
    receiver.respond("/drop", Response(close_connection=True))

    result = await transport.post(receiver.url("/drop"), b"x", JWT_HEADERS, 5)

    assert (result.outcome, result.status_code) == ("CONNECTION_ERROR", None)
    assert result.error


async def test_a_closed_port_is_a_connection_error(
    receiver: Receiver, transport: Transport
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    result = await transport.post(f"https://hooks.test:{port}/", b"x", JWT_HEADERS, 5)

    assert result.outcome == "CONNECTION_ERROR"
    assert result.error is not None
    assert result.error.startswith(f"cannot connect to hooks.test:{port}: ")


async def test_an_unresolvable_name_is_a_connection_error(transport: Transport) -> None:
    result = await transport.post("https://nonexistent.invalid/hook", b"x", JWT_HEADERS, 5)

    assert result.outcome == "CONNECTION_ERROR"
    assert result.error is not None
    assert result.error.startswith("cannot resolve nonexistent.invalid: ")


async def test_loopback_is_blocked_without_the_allow_list(
    receiver: Receiver, connections: list[str]
) -> None:
    transport = Transport(resolve=receiver.resolve, ca_bundle=receiver.ca_bundle_path)
    try:
        result = await transport.post(receiver.url("/guarded"), b"x", JWT_HEADERS, 5)
    finally:
        await transport.close()

    assert (result.outcome, result.status_code) == ("BLOCKED", None)
    assert result.error == (
        "hooks.test resolved to 127.0.0.1, which is loopback; "
        "refused (HOOKWIRE_ALLOWED_NETWORKS can allow it)"
    )
    assert connections == []
    assert receiver.requests("/guarded") == []


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("10.0.0.1", "private"),
        ("169.254.169.254", "link-local, the cloud metadata address"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback (IPv4-mapped 127.0.0.1)"),
        ("64:ff9b::a9fe:a9fe", "link-local, the cloud metadata address (NAT64 169.254.169.254)"),
    ],
)
async def test_non_routable_answers_are_blocked_before_connecting(
    address: str, reason: str, connections: list[str]
) -> None:
    transport = Transport(allowed_networks=LOOPBACK_ONLY, resolve={"evil.test": address})
    try:
        result = await transport.post("https://evil.test/hook", b"x", JWT_HEADERS, 5)
    finally:
        await transport.close()

    assert result.outcome == "BLOCKED"
    assert result.error is not None
    assert result.error.startswith(f"evil.test resolved to {address}, which is {reason}")
    assert connections == []


@pytest.mark.parametrize(
    "url", ["https://127.0.0.1/", "https://[::1]/", "https://169.254.169.254/", "https://127.1/"]
)
async def test_an_ip_literal_host_is_vetted_too(url: str, connections: list[str]) -> None:
    transport = Transport()
    try:
        result = await transport.post(url, b"x", JWT_HEADERS, 5)
    finally:
        await transport.close()

    assert result.outcome == "BLOCKED"
    assert result.error is not None and "refused" in result.error
    assert connections == []


async def test_overrides_ignore_case_and_a_trailing_dot(receiver: Receiver) -> None:
    transport = Transport(
        allowed_networks=LOOPBACK_ONLY,
        resolve={"Hooks.Test.": "127.0.0.1"},
        ca_bundle=receiver.ca_bundle_path,
    )
    try:
        result = await transport.post(receiver.url("/dot", "HOOKS.test."), b"x", JWT_HEADERS, 5)
    finally:
        await transport.close()

    assert result.outcome == "SUCCEEDED"


async def test_a_certificate_for_another_host_is_a_tls_error(receiver: Receiver) -> None:
    transport = Transport(
        allowed_networks=LOOPBACK_ONLY,
        resolve={"other.test": "127.0.0.1"},
        ca_bundle=receiver.ca_bundle_path,
    )
    try:
        result = await transport.post(receiver.url("/", "other.test"), b"x", JWT_HEADERS, 5)
    finally:
        await transport.close()

    assert result.outcome == "TLS_ERROR"
    assert result.error is not None
    assert "other.test" in result.error
    assert receiver.requests("/") == []


async def test_an_untrusted_certificate_is_a_tls_error(receiver: Receiver) -> None:
    transport = Transport(allowed_networks=LOOPBACK_ONLY, resolve=receiver.resolve)
    try:
        result = await transport.post(receiver.url("/untrusted"), b"x", JWT_HEADERS, 5)
    finally:
        await transport.close()

    assert result.outcome == "TLS_ERROR"
    assert result.error is not None
    assert "unable to get local issuer certificate" in result.error
    assert receiver.requests("/untrusted") == []


async def test_many_concurrent_posts_share_the_pool(
    receiver: Receiver, transport: Transport
) -> None:
    results = await asyncio.gather(
        *(transport.post(receiver.url("/burst"), b"%d" % i, JWT_HEADERS, 10) for i in range(200))
    )

    assert {r.outcome for r in results} == {"SUCCEEDED"}
    assert sorted(r.body for r in receiver.requests("/burst")) == sorted(
        b"%d" % i for i in range(200)
    )


def test_invalid_settings_are_refused_up_front() -> None:
    with pytest.raises(ValueError, match=r"allowed network 'nope'"):
        Transport(allowed_networks=["nope"])
    with pytest.raises(ValueError, match=r"resolve override hooks\.test=localhost"):
        Transport(resolve={"hooks.test": "localhost"})


async def test_nul_in_a_body_becomes_a_replacement_character(
    receiver: Receiver, transport: Transport
) -> None:
    # PostgreSQL refused to store the attempt otherwise, so the call or delivery failed.
    receiver.respond("/nul", Response(500, b"bad\x00body\xff"))

    result = await transport.post(receiver.url("/nul"), b"x", JWT_HEADERS, 5)

    assert result.response_body == "bad\ufffdbody\ufffd"
