"""UUIDv7 ids: version 7, RFC 9562 variant, unique and strictly increasing in a process, even
thousands within one millisecond and across refills of the random pool."""

from __future__ import annotations

import itertools
import uuid
from concurrent.futures import ThreadPoolExecutor

from hookwire.models.ids import uuid7, uuid7_text


def test_ids_are_v7_unique_and_strictly_increasing() -> None:
    ids = [uuid7() for _ in range(5_000)]  # about 20 refills of the 256-id pool

    assert all(u.version == 7 and u.variant == uuid.RFC_4122 for u in ids)
    assert all(a < b for a, b in itertools.pairwise(ids))
    assert len(set(ids)) == 5_000


def test_threads_never_share_an_id() -> None:
    with ThreadPoolExecutor(4) as pool:
        batches = list(pool.map(lambda _: [uuid7() for _ in range(2_000)], range(4)))

    assert len({u for batch in batches for u in batch}) == 8_000


def test_ids_as_text_are_the_same_ids_in_the_same_order() -> None:
    """uuid7_text() spells what str(uuid7()) would, from the same sequence."""
    mixed = [uuid7_text() if n % 2 else str(uuid7()) for n in range(1_000)]

    parsed = [uuid.UUID(text) for text in mixed]
    assert [str(u) for u in parsed] == mixed
    assert all(u.version == 7 and u.variant == uuid.RFC_4122 for u in parsed)
    assert all(a < b for a, b in itertools.pairwise(parsed))
