"""Key rotation over time: publish now, sign after the delay, retire after tokens expire."""

from __future__ import annotations

import uuid
from datetime import timedelta

from hookwire.services.signing_keys import (
    MAX_TOKEN_LIFETIME,
    all_keys,
    key_status,
    now_utc,
    rotate_signing_key,
    signing_key_of,
)
from tests.support.server import Org


def test_statuses_follow_the_rotation_timeline(org: Org) -> None:
    runtime = org.server.runtime
    delay, margin = timedelta(hours=1), timedelta(hours=24)
    org_id = uuid.UUID(org.id)
    org.server.run(rotate_signing_key(org_id, runtime.key_ring, delay, margin))
    old, new = org.server.run(all_keys(org_id))
    start = now_utc()

    def at(offset: timedelta) -> tuple[str, str, str]:
        moment = start + offset
        signer = signing_key_of([old, new], moment)
        return (
            key_status(old, [old, new], moment),
            key_status(new, [old, new], moment),
            signer.kid if signer else "",
        )

    assert at(timedelta(minutes=59)) == ("ACTIVE", "PENDING", old.kid)
    assert at(timedelta(minutes=61)) == ("RETIRING", "ACTIVE", new.kid)
    retired = delay + MAX_TOKEN_LIFETIME + margin + timedelta(minutes=1)
    assert at(retired) == ("RETIRED", "ACTIVE", new.kid)


def test_a_second_rotation_keeps_every_unexpired_key_published(org: Org) -> None:
    runtime = org.server.runtime
    org_id = uuid.UUID(org.id)
    for _ in range(2):
        org.server.run(
            rotate_signing_key(org_id, runtime.key_ring, timedelta(hours=1), timedelta(hours=24))
        )

    keys = org.server.run(all_keys(org_id))
    now = now_utc()

    assert [key_status(k, keys, now) for k in keys] == ["ACTIVE", "PENDING", "PENDING"]
    assert all(k.retires_at is None or k.retires_at > now for k in keys)
