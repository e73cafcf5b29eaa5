"""Re-encrypting stored secrets under the first master key (master key rotation)."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.transactions import in_transaction

from hookwire.domain.master_keys import MasterKeyRing
from hookwire.models import SigningKey, Webhook

BATCH = 500


@dataclass(frozen=True)
class Reencrypted:
    webhooks: int
    signing_keys: int


async def reencrypt_secrets(ring: MasterKeyRing) -> Reencrypted:
    """Custom headers and private keys, re-encrypted with the first master key."""
    webhooks = await Webhook.exclude(custom_headers_encrypted="").only(
        "id", "custom_headers_encrypted"
    )
    keys = await SigningKey.all().only("id", "private_key_encrypted")
    for webhook in webhooks:
        webhook.custom_headers_encrypted = ring.reencrypt(webhook.custom_headers_encrypted)
    for key in keys:
        key.private_key_encrypted = ring.reencrypt(key.private_key_encrypted)
    async with in_transaction():
        if webhooks:
            await Webhook.bulk_update(webhooks, ["custom_headers_encrypted"], batch_size=BATCH)
        if keys:
            await SigningKey.bulk_update(keys, ["private_key_encrypted"], batch_size=BATCH)
    return Reencrypted(len(webhooks), len(keys))
