"""Each organization's decrypted signing keys, cached briefly so signing stays cheap."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass

from hookwire.delivery.signing import JwtSigner, private_key_from_pem
from hookwire.domain.master_keys import MasterKeyRing
from hookwire.models import SigningKey
from hookwire.services.signing_keys import now_utc, published_keys, signing_key_of

CACHE_SECONDS = 30.0


@dataclass
class _Entry:
    keys: list[SigningKey]
    signers: dict[str, JwtSigner]
    loaded_at: float


class SignerCache:
    """The signer for an organization at this moment; keys are re-read every 30 seconds,
    so a rotated key starts signing at its activation time (give or take that)."""

    def __init__(self, ring: MasterKeyRing, ttl: float = CACHE_SECONDS) -> None:
        self._ring = ring
        self._ttl = ttl
        self._entries: dict[uuid.UUID, _Entry] = {}
        self._loading: dict[uuid.UUID, asyncio.Future[_Entry]] = {}

    async def signer_for(self, organization_id: uuid.UUID) -> JwtSigner:
        """The signer with the organization's active key."""
        entry = self._entries.get(organization_id)
        if entry is None or time.monotonic() - entry.loaded_at > self._ttl:
            entry = await self._reload(organization_id)
        key = signing_key_of(entry.keys, now_utc())
        if key is None:
            raise LookupError(f"organization {organization_id} has no active signing key")
        return entry.signers[key.kid]

    async def _reload(self, organization_id: uuid.UUID) -> _Entry:
        # A worker asks for the same organization's signer from every attempt in flight;
        # when the entry is missing or stale they share one load instead of one each.
        loading = self._loading.get(organization_id)
        if loading is None:
            loading = asyncio.ensure_future(self._load(organization_id))
            self._loading[organization_id] = loading
            loading.add_done_callback(lambda _: self._loading.pop(organization_id, None))
        return await asyncio.shield(loading)

    async def _load(self, organization_id: uuid.UUID) -> _Entry:
        keys = await published_keys(organization_id)
        previous = self._entries.get(organization_id)
        signers = {
            key.kid: (previous.signers.get(key.kid) if previous else None)
            or JwtSigner(
                private_key_from_pem(self._ring.decrypt(key.private_key_encrypted)), key.kid
            )
            for key in keys
        }
        entry = _Entry(keys, signers, time.monotonic())
        self._entries[organization_id] = entry
        return entry
