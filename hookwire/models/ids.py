"""UUIDv7 identifiers (RFC 9562): time-ordered, so id order is creation order."""

from __future__ import annotations

import os
import threading
import time
import uuid

_RANDOM_BITS = 74  # rand_a (12) + rand_b (62)
_POOL_IDS = 256
_lock = threading.Lock()
_last = (0, 0)
_pool = b""  # random bytes for the next ids, 10 per id, from _offset on
_offset = 0


def _forget_pool() -> None:
    global _pool, _offset
    _pool, _offset = b"", 0


# A forked child must not reuse the random bytes its parent has left.
os.register_at_fork(after_in_child=_forget_pool)


def _next() -> int:
    """The 128 bits of a new UUIDv7, strictly increasing within this process (RFC 9562,
    method 2)."""
    global _last, _pool, _offset
    with _lock:
        ms = time.time_ns() // 1_000_000
        if _offset >= len(_pool):
            # One os.urandom call per 256 ids: each call releases the GIL, and a busy worker
            # makes an id per attempt it records.
            _pool, _offset = os.urandom(10 * _POOL_IDS), 0
        random_bytes = _pool[_offset : _offset + 10]
        _offset += 10
        rand = int.from_bytes(random_bytes, "big") >> (80 - _RANDOM_BITS)
        last_ms, last_rand = _last
        if ms <= last_ms:
            ms, rand = last_ms, last_rand + 1
            if rand >> _RANDOM_BITS:
                ms, rand = ms + 1, 0
        _last = (ms, rand)
    rand_a, rand_b = rand >> 62, rand & ((1 << 62) - 1)
    return (ms << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b


def uuid7() -> uuid.UUID:
    """A new UUIDv7, strictly increasing within this process."""
    return uuid.UUID(int=_next())


def uuid7_text() -> str:
    """str(uuid7()) without building the UUID object (a busy worker makes one per attempt)."""
    digits = f"{_next():032x}"
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"
