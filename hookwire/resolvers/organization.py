"""The caller's organization and its signing keys."""

from __future__ import annotations

import strawberry

from hookwire.models import Organization as OrganizationModel
from hookwire.schema.context import Info
from hookwire.schema.types import Organization, SigningKey
from hookwire.services import signing_keys as keys


async def _view(organization_id: object) -> Organization:
    model = await OrganizationModel.get(id=organization_id)
    rows = await keys.all_keys(organization_id)  # type: ignore[arg-type]
    now = keys.now_utc()
    return Organization(
        id=strawberry.ID(str(model.id)),
        name=model.name,
        signing_keys=[
            SigningKey(
                kid=key.kid,
                created_at=key.created_at,
                activates_at=key.activates_at,
                retires_at=key.retires_at,
                status=keys.key_status(key, rows, now),
            )
            for key in rows
        ],
    )


async def organization(info: Info) -> Organization:
    caller = await info.context.reader()
    return await _view(caller.organization_id)


async def rotate_signing_key(info: Info) -> Organization:
    caller = await info.context.writer()
    runtime = info.context.runtime
    await keys.rotate_signing_key(
        caller.organization_id,
        runtime.key_ring,
        runtime.key_publish_delay,
        runtime.key_retire_margin,
    )
    return await _view(caller.organization_id)
