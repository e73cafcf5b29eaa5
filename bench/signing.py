"""JWT signing per second beside raw ECDSA P-256 signing, and the typical call it signs.

    .venv/bin/python -m bench.delivery --skip-e2e

Both sides run in this thread, in alternating rounds; each side's best round counts, since
on a shared machine anything slower than the best is interference, not the code.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from hookwire.delivery.signing import (
    CallClaims,
    JwtSigner,
    call_token,
    generate_private_key,
    public_jwk,
)
from hookwire.domain.sample_events import build_event_content, random_event_fields

SIGNING_TARGET = 0.8


def event_fields(event_name: str) -> dict[str, Any]:
    """Realistic fields for `event_name`, the same on every call, so one body size."""
    return random_event_fields(event_name, random.Random(1))


def sample_claims(event_name: str, target_url: str) -> CallClaims:
    """The claims of a typical call: an event of this type, serialized as the worker does."""
    content = build_event_content(
        event_name,
        event_id=str(uuid.uuid4()),
        organization_id=str(uuid.uuid4()),
        timestamp=datetime.now(UTC),
        fields=event_fields(event_name),
    )
    return CallClaims(
        issuer="http://127.0.0.1:8000",
        organization_id=str(uuid.uuid4()),
        subject=str(uuid.uuid4()),
        target_url=target_url,
        webhook_id=str(uuid.uuid4()),
        trigger_type="event",
        trigger_name=event_name,
        trigger_content_json=json.dumps(content, separators=(",", ":"), ensure_ascii=False),
    )


def worker_like_signer(key: ec.EllipticCurvePrivateKey) -> JwtSigner:
    """A signer as the worker has one: its kid is the key's thumbprint (43 characters)."""
    return JwtSigner(key, kid=public_jwk(key)["kid"])


def _rate(work: Callable[[], object], iterations: int) -> float:
    start = time.perf_counter()
    for _ in range(iterations):
        work()
    return iterations / (time.perf_counter() - start)


def measure_signing(
    event_name: str, target_url: str, rounds: int = 20, iterations: int = 1000
) -> dict[str, Any]:
    """call_token per second beside key.sign(input, ECDSA(SHA256)) on an input of its size."""
    key = generate_private_key()
    signer = worker_like_signer(key)
    claims = sample_claims(event_name, target_url)
    token = call_token(signer, claims)
    signing_input = token.rsplit(".", 1)[0].encode()
    algorithm = ec.ECDSA(hashes.SHA256())
    jwt_rates: list[float] = []
    raw_rates: list[float] = []
    for _ in range(rounds):
        raw_rates.append(_rate(lambda: key.sign(signing_input, algorithm), iterations))
        jwt_rates.append(_rate(lambda: call_token(signer, claims), iterations))
    jwt, raw = max(jwt_rates), max(raw_rates)
    return {
        "jwt_per_second": round(jwt),
        "raw_ecdsa_per_second": round(raw),
        "ratio": round(jwt / raw, 3),
        "target": SIGNING_TARGET,
        "met": jwt / raw >= SIGNING_TARGET,
        "token_bytes": len(token),
        "signed_input_bytes": len(signing_input),
        "rounds": rounds,
        "iterations_per_round": iterations,
        "median_round": {
            "jwt_per_second": round(sorted(jwt_rates)[rounds // 2]),
            "raw_ecdsa_per_second": round(sorted(raw_rates)[rounds // 2]),
        },
    }
