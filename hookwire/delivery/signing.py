"""ES256 keys, their JWKs, and the one place that builds JWTs."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import time
from collections.abc import Callable, Hashable, Iterator
from json.encoder import encode_basestring
from typing import Any, NamedTuple

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

_ES256 = ec.ECDSA(hashes.SHA256())
_ES256_PREHASHED = ec.ECDSA(Prehashed(hashes.SHA256()))
_PREFIX_CACHE_SIZE = 4096
_URL_SAFE = bytes.maketrans(b"+/", b"-_")
_UUID_VARIANT = {f"{n:x}": "89ab"[n & 3] for n in range(16)}


def b64url(data: bytes) -> str:
    """Base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_bytes(data: bytes) -> bytes:
    return binascii.b2a_base64(data, newline=False).translate(_URL_SAFE).rstrip(b"=")


def _raw_signature(der: bytes) -> bytes:
    """R || S, 32 bytes each (RFC 7518 §3.4), of a DER ECDSA-Sig-Value."""
    # SEQUENCE { INTEGER r, INTEGER s }: under 128 bytes for P-256, so one-byte lengths.
    r_end = 4 + der[3]
    r, s = der[4:r_end], der[r_end + 2 : r_end + 2 + der[r_end + 1]]
    return r[-32:].rjust(32, b"\0") + s[-32:].rjust(32, b"\0")


def _fresh_entropy() -> Iterator[str]:
    pool = os.urandom(16 * 256).hex()
    return iter([pool[start : start + 32] for start in range(0, len(pool), 32)])


def _forget_entropy() -> None:
    global _entropy
    _entropy = iter(())


_entropy: Iterator[str] = iter(())
# A forked child must not hand out the random bytes its parent has left.
os.register_at_fork(after_in_child=_forget_entropy)


def _uuid4() -> str:
    """Like str(uuid.uuid4()), in a fraction of the time: a token needs one per attempt.

    The random bytes come from one os.urandom call per 256 UUIDs: each call releases the GIL,
    and taking it back can wait on the database driver's thread. next() on a list iterator
    is atomic, so threads never share a value; one refilling loses nothing but a few bytes.
    """
    global _entropy
    digits = next(_entropy, None)
    if digits is None:
        _entropy = _fresh_entropy()
        digits = next(_entropy)
    return (
        f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-"
        f"{_UUID_VARIANT[digits[16]]}{digits[17:20]}-{digits[20:]}"
    )


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
        self._header = _b64url_bytes(header.encode()) + b"."
        self._prefixes: dict[Hashable, tuple[bytes, Any] | None] = {}

    def sign(self, claims: dict[str, Any]) -> str:
        """The compact JWS of `claims`."""
        return self.sign_payload(json.dumps(claims, separators=(",", ":"), ensure_ascii=False))

    def sign_payload(self, payload_json: str) -> str:
        """The compact JWS of an already serialized claim set."""
        signing_input = self._header + _b64url_bytes(payload_json.encode())
        signature = _raw_signature(self._key.sign(signing_input, _ES256))
        return b".".join((signing_input, _b64url_bytes(signature))).decode("ascii")

    def sign_in_two_parts(
        self, prefix_key: Hashable, prefix_json: Callable[[], str], suffix_json: str
    ) -> str:
        """The compact JWS of prefix + suffix. A prefix (a multiple of 3 bytes) seen again,
        as when one event goes to several webhooks or is retried, has its base64url and its
        SHA-256 state reused; the first time costs what sign_payload costs."""
        cached = self._prefixes.get(prefix_key)
        if cached is None:
            if len(self._prefixes) >= _PREFIX_CACHE_SIZE:
                self._prefixes.clear()
            if prefix_key not in self._prefixes:
                self._prefixes[prefix_key] = None
                return self.sign_payload(prefix_json() + suffix_json)
            prefix = prefix_json().encode()
            if len(prefix) % 3:
                raise ValueError("a shared payload prefix must be a multiple of 3 bytes")
            encoded = self._header + _b64url_bytes(prefix)
            cached = self._prefixes[prefix_key] = (encoded, hashlib.sha256(encoded))
        encoded_prefix, state = cached
        encoded_suffix = _b64url_bytes(suffix_json.encode())
        digest = state.copy()
        digest.update(encoded_suffix)
        der = self._key.sign(digest.digest(), _ES256_PREHASHED)
        return b"".join(
            (encoded_prefix, encoded_suffix, b".", _b64url_bytes(_raw_signature(der)))
        ).decode("ascii")


EVENT_TOKEN_LIFETIME = 1200
SYNC_HOOK_TOKEN_LIFETIME = 300


class CallClaims(NamedTuple):
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


def _event_part(claims: CallClaims) -> str:
    """The claims every call about one event shares, padded with JSON whitespace to a
    multiple of 3 bytes, so that its base64url is a prefix of the whole payload's."""
    part = (
        f'{{"trigger_content":{claims.trigger_content_json},'
        f'"trigger_type":{encode_basestring(claims.trigger_type)},'
        f'"trigger_name":{encode_basestring(claims.trigger_name)},'
        f'"sub":{encode_basestring(claims.subject)},'
        f'"aud":{encode_basestring(claims.organization_id)},'
        f'"iss":{encode_basestring(claims.issuer)}'
    )
    return part + " " * (-len(part.encode()) % 3)


def call_token(signer: JwtSigner, claims: CallClaims, now: float | None = None) -> str:
    """The JWT body of one call: claims of §5 with a fresh jti, signed ES256."""
    issued_at = int(time.time() if now is None else now)
    # The payload is the event's shared part (encoded and hashed once per event and key)
    # followed by what changes per call. The claims are spelled out rather than given to
    # json.dumps: encode_basestring is what json.dumps(..., ensure_ascii=False) uses for
    # strings, and building an encoder per call costs more than the formatting.
    key = (
        claims.trigger_content_json,
        claims.trigger_type,
        claims.trigger_name,
        claims.subject,
        claims.organization_id,
        claims.issuer,
    )
    call_part = (
        f',"target_url":{encode_basestring(claims.target_url)},'
        f'"webhook_id":{encode_basestring(claims.webhook_id)},'
        f'"iat":{issued_at},"exp":{issued_at + claims.lifetime},"jti":"{_uuid4()}"}}'
    )
    return signer.sign_in_two_parts(key, lambda: _event_part(claims), call_part)
