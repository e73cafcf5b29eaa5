"""API keys: made random, shown once, stored as SHA-256, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid

from hookwire.domain.access import Caller, Role
from hookwire.models import ApiKey

KEY_PREFIX = "hwk_"
_DUMMY_HASH = hashlib.sha256(b"no such key").hexdigest()


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_api_key(organization_id: uuid.UUID, role: Role) -> str:
    """A new API key for the organization; the returned token is never stored."""
    lookup = secrets.token_hex(12)
    secret = secrets.token_urlsafe(32)
    await ApiKey.create(
        organization_id=organization_id, role=role.value, lookup=lookup, secret_hash=_hash(secret)
    )
    return f"{KEY_PREFIX}{lookup}_{secret}"


async def authenticate(token: str, organization_id: str | None = None) -> Caller | None:
    """The caller an API key stands for, or None; SlashID-OrgID, when sent, must match."""
    lookup, _, secret = token.removeprefix(KEY_PREFIX).partition("_")
    if not token.startswith(KEY_PREFIX) or len(lookup) != 24 or not secret:
        return None
    key = await ApiKey.get_or_none(lookup=lookup)
    matches = hmac.compare_digest(key.secret_hash if key else _DUMMY_HASH, _hash(secret))
    if key is None or not matches:
        return None
    if organization_id is not None and str(key.organization_id) != organization_id.strip():
        return None
    return Caller(organization_id=key.organization_id, role=Role(key.role))  # type: ignore[arg-type]
