"""The JWT builder: claims of §5, verifiable by an independent library (PyJWT)."""

from __future__ import annotations

import json
import time

import jwt
import pytest
from joserfc.jwk import ECKey
from jwt.algorithms import ECAlgorithm

from hookwire.delivery.signing import (
    CallClaims,
    JwtSigner,
    call_token,
    generate_private_key,
    public_jwk,
)


def claims(trigger_type: str = "event", content: object | None = None) -> CallClaims:
    return CallClaims(
        issuer="https://hookwire.example",
        organization_id="org-1",
        subject="evt-1",
        target_url="https://hooks.example.com/",
        webhook_id="wh-1",
        trigger_type=trigger_type,
        trigger_name="PersonCreated_v1",
        trigger_content_json=json.dumps(content or {"person_id": "p", "ü": "✓"}),
    )


@pytest.mark.parametrize(("trigger_type", "lifetime"), [("event", 1200), ("sync_hook", 300)])
def test_call_token_carries_every_claim_and_verifies(trigger_type: str, lifetime: int) -> None:
    key = generate_private_key()
    jwk = public_jwk(key)
    token = call_token(JwtSigner(key, jwk["kid"]), claims(trigger_type), now=time.time())

    header = jwt.get_unverified_header(token)
    public = ECAlgorithm.from_jwk(json.dumps(jwk))
    decoded = jwt.decode(token, public, algorithms=["ES256"], audience="org-1")  # type: ignore[arg-type]

    assert (header["alg"], header["kid"]) == ("ES256", jwk["kid"])
    assert set(decoded) == {
        "iss", "aud", "sub", "iat", "exp", "jti", "target_url", "webhook_id",
        "trigger_type", "trigger_name", "trigger_content",
    }  # fmt: skip
    assert decoded["exp"] - decoded["iat"] == lifetime
    assert decoded["trigger_type"] == trigger_type
    assert decoded["trigger_content"] == {"person_id": "p", "ü": "✓"}


def test_every_attempt_gets_a_new_jti() -> None:
    key = generate_private_key()
    signer = JwtSigner(key, "k")
    jtis = {
        jwt.decode(call_token(signer, claims()), options={"verify_signature": False})["jti"]
        for _ in range(5)
    }
    assert len(jtis) == 5


def test_kid_is_the_rfc7638_thumbprint_and_no_private_member_leaks() -> None:
    jwk = public_jwk(generate_private_key())
    public_members = {name: jwk[name] for name in ("kty", "crv", "x", "y")}

    assert ECKey.import_key(public_members).thumbprint() == jwk["kid"]
    assert "d" not in jwk


def test_tokens_for_a_repeated_event_verify_like_the_first() -> None:
    # The second and later calls about one event reuse its encoded, hashed shared part.
    key = generate_private_key()
    jwk = public_jwk(key)
    signer = JwtSigner(key, jwk["kid"])
    public = ECAlgorithm.from_jwk(json.dumps(jwk))

    tokens = [call_token(signer, claims(content={"n": "é" * i})) for i in (1, 1, 1, 2, 2)]

    for token in tokens:
        decoded = jwt.decode(token, public, algorithms=["ES256"], audience="org-1")  # type: ignore[arg-type]
        assert decoded["trigger_content"]["n"].startswith("é")
    assert len(set(tokens)) == len(tokens)
