"""Events on the wire (product spec §4) and random but realistic content for test events.

The wire form follows `events.json`: snake_case keys, enums as numbers, zero values left
out (recursively), keys sorted (recursively), `event_metadata` beside the event's fields.
Random content only uses fictional or documentation values: example.com/org addresses,
+1 NPA 555-01xx phone numbers and IP addresses from RFC 5737 / RFC 3849 ranges.
"""

from __future__ import annotations

import ipaddress
import json
import random
import string
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from hookwire.domain.event_catalog import (
    EVENT_SOURCES,
    FACTOR_METHODS,
    PASSWORD_CHANGE_INITIATORS,
    PERSON_HANDLE_TYPES,
    event_type,
)

Fields = dict[str, Any]
_Generator = Callable[[random.Random, Fields], Any]


def format_event_timestamp(ts: datetime) -> str:
    """RFC 3339 in UTC with nanoseconds, e.g. 2024-01-02T03:04:05.123456000Z."""
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ValueError("event timestamps must be timezone-aware")
    u = ts.astimezone(UTC)
    return (
        f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:"
        f"{u.second:02d}.{u.microsecond:06d}000Z"
    )


def _is_zero(value: Any) -> bool:
    if isinstance(value, (str, list, dict, int, float)):  # bool is an int
        return not value
    return value is None


def _wire(value: Any) -> Any:
    if isinstance(value, Mapping):
        pairs = ((str(k), _wire(v)) for k, v in value.items())
        return {k: v for k, v in sorted(pairs, key=lambda kv: kv[0]) if not _is_zero(v)}
    if isinstance(value, (list, tuple)):
        return [_wire(item) for item in value]
    return value


def build_event_content(
    event_name: str,
    *,
    event_id: str,
    organization_id: str,
    timestamp: datetime,
    fields: Mapping[str, Any] | None = None,
    is_test_event: bool = False,
    source: int = 1,
) -> dict[str, Any]:
    """The wire form of an event (§4): snake_case, event_metadata, keys sorted, zero values left out."""  # noqa: E501
    name = event_type(event_name).name
    if source not in EVENT_SOURCES.values():
        raise ValueError(f"unknown event source {source!r}; use one of {EVENT_SOURCES}")
    content = {k: v for k, v in (fields or {}).items() if k != "event_metadata"}
    content["event_metadata"] = {
        "event_id": event_id,
        "event_name": name,
        "event_type": name.removesuffix("_v1"),
        "event_version": 1,
        "organization_id": organization_id,
        "source": source,
        "timestamp": format_event_timestamp(timestamp),
        "is_test_event": is_test_event,
    }
    result: dict[str, Any] = _wire(content)
    return result


# --- random content --------------------------------------------------------------


def _words(text: str, sep: str | None = None) -> tuple[str, ...]:
    return tuple(text.split(sep))


_FIRST = _words("ada grace alan linus margaret ken barbara dennis")
_LAST = _words("lovelace hopper turing torvalds hamilton thompson liskov")
_AREA_CODES = _words("202 212 305 312 415 617 206 512")
_IP_NETWORKS = _words("192.0.2.0/24 198.51.100.0/24 203.0.113.0/24 2001:db8::/32")
_PAGES = _words("|login|signup|account/settings|dashboard|checkout|docs/start", "|")
_ROLES = _words("admin editor viewer billing-manager support-agent ci-deployer")
_PERMISSIONS = _words("documents:read documents:write billing:manage users:invite")
_RESOURCES = _words("orders customers invoices reports")
_AWS_MANAGED = _words("ReadOnlyAccess AmazonS3ReadOnlyAccess AmazonSQSFullAccess")
_CLIENTS = _words("Reporting CLI|Mobile app|Partner portal|Data sync job", "|")
_WEBKIT = "AppleWebKit/537.36 (KHTML, like Gecko)"
_SAFARI = "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5"
_USER_AGENTS = tuple(
    f"Mozilla/5.0 ({platform}) {engine}"
    for platform, engine in (
        ("Windows NT 10.0; Win64; x64", f"{_WEBKIT} Chrome/126.0.0.0 Safari/537.36"),
        ("Macintosh; Intel Mac OS X 10_15_7", f"{_SAFARI} Safari/605.1.15"),
        ("X11; Ubuntu; Linux x86_64; rv:127.0", "Gecko/20100101 Firefox/127.0"),
        ("iPhone; CPU iPhone OS 17_5 like Mac OS X", f"{_SAFARI} Mobile/15E148 Safari/604.1"),
        ("Linux; Android 14; Pixel 8", f"{_WEBKIT} Chrome/126.0.6478.71 Mobile Safari/537.36"),
    )
)
# Handle kinds that fit an authentication method; methods not listed take any kind.
_HANDLE_KINDS = {
    **dict.fromkeys(_words("email_link otp_via_email oidc saml"), ("EmailAddress",)),
    **dict.fromkeys(_words("sms_link otp_via_sms"), ("PhoneNumber",)),
    "password": ("EmailAddress", "Username"),
    "anonymous": (),
}
_FAILURES = {
    "challenge_expired": "The challenge expired before the person completed it.",
    "rate_limited": "Too many attempts; the person must wait before trying again.",
    "user_cancelled": "The person closed the authentication prompt.",
    "invalid_password": "The password does not match.",
    "invalid_otp": "The one-time code does not match.",
    "link_already_used": "The magic link was already used.",
    "webauthn_verification_failed": "The authenticator's assertion did not verify.",
    "identity_provider_error": "The identity provider answered with an error.",
}
_METHOD_FAILURES = {
    "password": "invalid_password",
    **dict.fromkeys(_words("otp_via_sms otp_via_email totp"), "invalid_otp"),
    **dict.fromkeys(_words("email_link sms_link"), "link_already_used"),
    "webauthn": "webauthn_verification_failed",
    **dict.fromkeys(_words("oidc saml"), "identity_provider_error"),
}
# Fields whose value is one item of a pool, and fields whose value is a few of them.
_PICK: dict[str, tuple[Any, ...]] = {
    "authn_method": FACTOR_METHODS,
    "failed_authn_method": FACTOR_METHODS,
    "initiator": tuple(PASSWORD_CHANGE_INITIATORS.values()),
    "region": _words("us-iowa europe-belgium europe-england asia-japan australia-sydney"),
    "request_method": _words("GET GET GET POST PUT DELETE"),
    "response_status": (200, 200, 200, 201, 204, 401, 403, 404, 502),
    "user_agent": _USER_AGENTS,
    "credential_type": _words("api_key jwt basic_auth session_cookie"),
    "credential_location": _words("header query cookie"),
    "expected_origin": ("https://app.example.com", "https://login.example.org"),
    "permission_name": _PERMISSIONS,
    "description": _words("Read shared documents|Manage invoices|Invite team members", "|"),
    "suborganization_name": _words("Acme EMEA|Acme Retail|Acme Labs|Acme Support", "|"),
    "client_name": _CLIENTS,
    "display_name": _CLIENTS,
    "role": _words("roles/storage.objectViewer roles/pubsub.publisher roles/viewer"),
    "role_definition_name": _words("Contributor|Reader|Owner|Key Vault Secrets User", "|"),
}
_SOME: dict[str, tuple[str, ...]] = {
    "consent_levels": _words("necessary analytics marketing retargeting tracking"),
    "permissions": _PERMISSIONS,
    "roles": _ROLES,
    "grant_types": _words("authorization_code client_credentials refresh_token"),
    "included_permissions": _words("storage.objects.get storage.objects.list"),
    "policy_names": _words("s3-read-reports dynamodb-write-orders sqs-consume-jobs"),
}
_UUIDS = _words("person_id token_id suborganization_id client_id tenant_id object_id app_id")


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _some(rng: random.Random, pool: tuple[str, ...]) -> list[str]:
    return sorted(rng.sample(pool, rng.randint(1, min(3, len(pool)))))


def _person(rng: random.Random) -> str:
    return f"{rng.choice(_FIRST)}.{rng.choice(_LAST)}"


def _slug(rng: random.Random) -> str:
    return f"{rng.choice(_ROLES)}-{rng.randint(1, 99)}"


def _ip(rng: random.Random) -> str:
    net = ipaddress.ip_network(rng.choice(_IP_NETWORKS))
    host_bits = net.max_prefixlen - net.prefixlen
    offset = rng.randint(1, 254) if host_bits == 8 else rng.getrandbits(host_bits) | 1
    return str(net.network_address + offset)


def _handle(rng: random.Random, f: Fields) -> dict[str, Any] | None:
    method = f.get("authn_method") or f.get("failed_authn_method") or ""
    kinds = _HANDLE_KINDS.get(method, tuple(PERSON_HANDLE_TYPES))
    if not kinds:
        return None
    kind = rng.choice(kinds)
    if kind == "EmailAddress":
        value = f"{_person(rng)}@{rng.choice(('example.com', 'example.org'))}"
    elif kind == "PhoneNumber":
        value = f"+1{rng.choice(_AREA_CODES)}55501{rng.randint(0, 99):02d}"
    else:
        value = f"{rng.choice(_FIRST)}{rng.choice(_LAST)[0]}{rng.randint(1, 999)}"
    return {"type": PERSON_HANDLE_TYPES[kind], "value": value}


def _failure(rng: random.Random, f: Fields) -> str:
    specific = _METHOD_FAILURES.get(f.get("failed_authn_method", ""))
    generic = ["challenge_expired", "rate_limited", "user_cancelled"]
    return rng.choice([specific] * 3 + generic if specific else generic)


def _account(rng: random.Random, f: Fields) -> str:
    return str(f.get("account_id") or rng.randint(10**11, 10**12 - 1))


def _arn(rng: random.Random, f: Fields) -> str:
    if "user_name" in f:
        return f"arn:aws:iam::{_account(rng, f)}:user/{f['user_name']}"
    return f"arn:aws:iam::{_account(rng, f)}:role/{f.get('role_name') or _slug(rng)}"


def _trust_policy(rng: random.Random, f: Fields) -> str:
    principal = {"Service": rng.choice(("ec2.amazonaws.com", "lambda.amazonaws.com"))}
    statement = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _project(rng: random.Random, f: Fields) -> str:
    env = rng.choice(("prod", "staging", "data"))
    return str(f.get("project_id") or f"acme-{env}-{rng.randint(1000, 9999)}")


def _sa_email(rng: random.Random, f: Fields) -> str:
    return f"{_slug(rng)}@{_project(rng, f)}.iam.gserviceaccount.com"


_GENERATORS: dict[str, _Generator] = {
    "authenticated_methods": lambda r, f: sorted(
        {f.get("authn_method") or r.choice(FACTOR_METHODS), r.choice(FACTOR_METHODS)}
    ),
    "handle": _handle,
    "failure_reason": _failure,
    "failure_detail": lambda r, f: _FAILURES[f.get("failure_reason") or "rate_limited"],
    "challenge_id": lambda r, f: "".join(r.choices(string.ascii_letters + string.digits, k=22)),
    "gate_version": lambda r, f: f"1.{r.randint(0, 20)}.{r.randint(0, 15)}",
    "instance_id": lambda r, f: f"gate-{r.getrandbits(32):08x}",
    "request_url": lambda r, f: f"https://api.example.com/v1/{r.choice(_RESOURCES)}",
    "duration_ms": lambda r, f: r.randint(1, 800),
    "client_ip_address": lambda r, f: _ip(r),
    "detected_origin": lambda r, f: f"https://login-{r.randint(1, 99)}.example.net",
    "role_name": lambda r, f: _slug(r),
    "scopes": lambda r, f: ["openid", *_some(r, ("email", "phone", "profile"))],
    "account_id": _account,
    "user_name": lambda r, f: _person(r),
    "arn": _arn,
    "policy_arns": lambda r, f: [f"arn:aws:iam::aws:policy/{p}" for p in _some(r, _AWS_MANAGED)],
    "policy_document": _trust_policy,
    "permissions_boundary_arn": lambda r, f: (
        f"arn:aws:iam::{_account(r, f)}:policy/boundary-developers"
    ),
    "project_id": _project,
    "service_account_email": _sa_email,
    "role_id": lambda r, f: f"projects/{_project(r, f)}/roles/webhookReader",
    "title": lambda r, f: f"Webhook reader {r.randint(1, 9)}",
    "members": lambda r, f: [
        f"serviceAccount:{_sa_email(r, f)}",
        f"user:{_person(r)}@example.com",
    ],
    "scope": lambda r, f: f"/subscriptions/{_uuid(r)}/resourceGroups/rg-{_slug(r)}",
    "user_principal_name": lambda r, f: f"{_person(r)}@example.com",
    "browser_metadata": lambda r, f: {
        "user_agent": r.choice(_USER_AGENTS),
        "window_location": f"https://app.example.com/{r.choice(_PAGES)}",
        "slashid_sdk_version": f"1.{r.randint(0, 30)}.{r.randint(0, 20)}",
    },
}


def _generate(name: str, rng: random.Random, fields: Fields) -> Any:
    if name in _UUIDS:
        return _uuid(rng)
    if name in _PICK:
        return rng.choice(_PICK[name])
    if name in _SOME:
        return _some(rng, _SOME[name])
    return _GENERATORS[name](rng, fields)


def random_event_fields(
    event_name: str, rng: random.Random, analytics_correlation_id: str | None = None
) -> dict[str, Any]:
    """Random but realistic content for an event type (test events)."""
    fields: Fields = {}
    for field in event_type(event_name).fields:
        if field.name == "event_metadata":
            continue
        if field.name == "analytics_metadata":
            value: Any = {
                "analytics_correlation_id": analytics_correlation_id or _uuid(rng),
                "client_ip_address": _ip(rng),
            }
        else:
            value = _generate(field.name, rng, fields)
        if value is not None:
            fields[field.name] = value
    return fields
