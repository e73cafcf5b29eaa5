"""Organizations: created with a first ADMIN key and a first signing key."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.transactions import in_transaction

from hookwire.domain.access import Role
from hookwire.domain.errors import RuleViolation
from hookwire.domain.master_keys import MasterKeyRing
from hookwire.models import Organization
from hookwire.services.access import create_api_key
from hookwire.services.signing_keys import create_signing_key, now_utc


@dataclass(frozen=True)
class NewOrganization:
    organization: Organization
    api_key: str


async def create_organization(name: str, ring: MasterKeyRing) -> NewOrganization:
    """A new organization, its first ADMIN API key and its first (active) signing key."""
    name = name.strip()
    if not 1 <= len(name) <= 255:
        raise RuleViolation("organization name must be 1-255 characters", field="name")
    async with in_transaction():
        organization = await Organization.create(name=name)
        api_key = await create_api_key(organization.id, Role.ADMIN)
        await create_signing_key(organization.id, ring, activates_at=now_utc())
    return NewOrganization(organization, api_key)
