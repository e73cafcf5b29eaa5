"""ES256 keys, their JWKs, and the one place that builds JWTs."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

_ES256 = ec.ECDSA(hashes.SHA256())


def b64url(data: bytes) -> str:
    """Base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def generate_private_key() -> ec.EllipticCurvePrivateKey:
    """A new P-256 private key."""
    return ec.generate_private_key(ec.SECP256R1())


def private_key_to_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    """PKCS#8 PEM, unencrypted: the caller encrypts it with the master key ring."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def private_key_from_pem(pem: bytes) -> ec.EllipticCurvePrivateKey:
    """Load a P-256 private key from PEM."""
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("signing key is not an EC key")
    return key


def public_jwk(key: ec.EllipticCurvePrivateKey) -> dict[str, Any]:
    """The public JWK of a key, with its RFC 7638 thumbprint as kid."""
    numbers = key.public_key().public_numbers()
    x = b64url(numbers.x.to_bytes(32, "big"))
    y = b64url(numbers.y.to_bytes(32, "big"))
    canonical = json.dumps({"crv": "P-256", "kty": "EC", "x": x, "y": y}, separators=(",", ":"))
    kid = b64url(hashlib.sha256(canonical.encode()).digest())
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": x,
        "y": y,
        "kid": kid,
        "alg": "ES256",
        "use": "sig",
        "key_ops": ["verify"],
    }


class JwtSigner:
    """Signs claim sets as compact ES256 JWS with one key.

    >>> signer = JwtSigner(generate_private_key(), kid="k1")
    >>> token = signer.sign({"sub": "x"})
    """

    def __init__(self, key: ec.EllipticCurvePrivateKey, kid: str) -> None:
        self.kid = kid
        self._key = key
        header = json.dumps({"alg": "ES256", "kid": kid, "typ": "JWT"}, separators=(",", ":"))
        self._header = b64url(header.encode()) + "."

    def sign(self, claims: dict[str, Any]) -> str:
        """The compact JWS of `claims`."""
        return self.sign_payload(json.dumps(claims, separators=(",", ":"), ensure_ascii=False))

    def sign_payload(self, payload_json: str) -> str:
        """The compact JWS of an already serialized claim set."""
        signing_input = self._header + b64url(payload_json.encode())
        r, s = decode_dss_signature(self._key.sign(signing_input.encode(), _ES256))
        return signing_input + "." + b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


EVENT_TOKEN_LIFETIME = 1200
SYNC_HOOK_TOKEN_LIFETIME = 300


@dataclass(frozen=True)
class CallClaims:
    """What a webhook call's JWT says, apart from the per-attempt iat, exp and jti."""

    issuer: str
    organization_id: str
    subject: str  # the event id, or the sync hook invocation id
    target_url: str
    webhook_id: str
    trigger_type: str  # "event" or "sync_hook"
    trigger_name: str
    trigger_content_json: str  # serialized once per event, spliced into every attempt

    @property
    def lifetime(self) -> int:
        return EVENT_TOKEN_LIFETIME if self.trigger_type == "event" else SYNC_HOOK_TOKEN_LIFETIME


def call_token(signer: JwtSigner, claims: CallClaims, now: float | None = None) -> str:
    """The JWT body of one call: claims of §5 with a fresh jti, signed ES256."""
    issued_at = int(time.time() if now is None else now)
    head = {
        "iss": claims.issuer,
        "aud": claims.organization_id,
        "sub": claims.subject,
        "iat": issued_at,
        "exp": issued_at + claims.lifetime,
        "jti": str(uuid.uuid4()),
        "target_url": claims.target_url,
        "webhook_id": claims.webhook_id,
        "trigger_type": claims.trigger_type,
        "trigger_name": claims.trigger_name,
    }
    head_json = json.dumps(head, separators=(",", ":"), ensure_ascii=False)
    return signer.sign_payload(
        head_json[:-1] + ',"trigger_content":' + claims.trigger_content_json + "}"
    )
