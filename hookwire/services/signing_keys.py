"""Each organization's signing keys: creation, rotation, publication and the active signer."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from tortoise.expressions import Q

from hookwire.delivery.signing import generate_private_key, private_key_to_pem, public_jwk
from hookwire.domain.master_keys import MasterKeyRing
from hookwire.models import SigningKey

# The longest a token lives (events: iat + 1200 s); the old key stays published past it.
MAX_TOKEN_LIFETIME = timedelta(seconds=1200)


def now_utc() -> datetime:
    return datetime.now(UTC)


async def create_signing_key(
    organization_id: uuid.UUID, ring: MasterKeyRing, activates_at: datetime
) -> SigningKey:
    """A new P-256 key for the organization, published now, signing from `activates_at`."""
    private_key = generate_private_key()
    jwk = public_jwk(private_key)
    return await SigningKey.create(
        organization_id=organization_id,
        kid=jwk["kid"],
        public_jwk=jwk,
        private_key_encrypted=ring.encrypt(private_key_to_pem(private_key)),
        activates_at=activates_at,
    )


async def rotate_signing_key(
    organization_id: uuid.UUID,
    ring: MasterKeyRing,
    publish_delay: timedelta,
    retire_margin: timedelta,
) -> SigningKey:
    """Publish a new key that signs after `publish_delay`; schedule the others' retirement."""
    now = now_utc()
    new_key = await create_signing_key(organization_id, ring, now + publish_delay)
    retires_at = new_key.activates_at + MAX_TOKEN_LIFETIME + retire_margin
    await (
        SigningKey.filter(organization_id=organization_id)
        .exclude(id=new_key.id)
        .filter(Q(retires_at__isnull=True) | Q(retires_at__gt=retires_at))
        .update(retires_at=retires_at)
    )
    return new_key


async def published_keys(organization_id: uuid.UUID) -> list[SigningKey]:
    """Keys verifiers must know now: every key not yet retired, oldest first."""
    now = now_utc()
    return await SigningKey.filter(
        Q(retires_at__isnull=True) | Q(retires_at__gt=now), organization_id=organization_id
    ).order_by("created_at", "id")


async def all_keys(organization_id: uuid.UUID) -> list[SigningKey]:
    """Every key the organization ever had, oldest first."""
    return await SigningKey.filter(organization_id=organization_id).order_by("created_at", "id")


def key_status(key: SigningKey, keys: list[SigningKey], now: datetime) -> str:
    """PENDING (published, not signing yet), ACTIVE (signs), RETIRING or RETIRED."""
    if key.retires_at is not None and key.retires_at <= now:
        return "RETIRED"
    if key.activates_at > now:
        return "PENDING"
    active = signing_key_of(keys, now)
    return "ACTIVE" if active is not None and active.id == key.id else "RETIRING"


def signing_key_of(keys: list[SigningKey], now: datetime) -> SigningKey | None:
    """The key that signs at `now`: the newest one already active and not retired."""
    live = [
        k for k in keys if k.activates_at <= now and (k.retires_at is None or k.retires_at > now)
    ]
    return max(live, key=lambda k: (k.activates_at, k.id), default=None)
