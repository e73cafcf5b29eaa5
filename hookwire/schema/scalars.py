"""The contract's scalars: DateTime (RFC 3339, UTC), Duration (Go syntax) and JSON."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NewType

import strawberry
from strawberry.scalars import JSON
from strawberry.types.scalar import ScalarDefinition

__all__ = ["JSON", "SCALAR_MAP", "Duration"]

Duration = NewType("Duration", str)


def _serialize_datetime(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _parse_datetime(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError("DateTime must be an RFC 3339 string")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("DateTime needs a time zone offset, e.g. 2024-01-01T00:00:00Z")
    return parsed.astimezone(UTC)


def _parse_duration(value: object) -> str:
    # The rules (Go syntax, range) are checked by the resolver, so that a bad value is a
    # ValidationError with code INVALID_TIMEOUT rather than a request-level error.
    if not isinstance(value, str):
        raise ValueError('Duration must be a string such as "10s" or "500ms"')
    return value


SCALAR_MAP: dict[object, ScalarDefinition] = {
    datetime: strawberry.scalar(
        name="DateTime",
        description="RFC 3339 timestamp in UTC.",
        serialize=_serialize_datetime,
        parse_value=_parse_datetime,
    ),
    Duration: strawberry.scalar(
        name="Duration",
        description=(
            'A Go time.Duration string such as "10s", "500ms" or "1m30s". Output is '
            'normalized the way Go\'s Duration.String() prints it ("0s", "1.5s", "2m0s").'
        ),
        serialize=str,
        parse_value=_parse_duration,
    ),
}
