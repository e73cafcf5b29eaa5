"""Retry-After: delta-seconds or an HTTP-date, anything else ignored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from hookwire.domain.retry_after import parse_retry_after

NOW = datetime(2015, 10, 21, 7, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("7", 7.0),
        ("0", 0.0),
        (" 120 ", 120.0),
        ("86400", 86400.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 1680.0),
        ("Wed, 21 Oct 2015 07:28:00 -0000", 1680.0),
        ("Wednesday, 21-Oct-15 07:00:30 GMT", 30.0),
        ("Wed Oct 21 07:01:00 2015", 60.0),
        ("Wed, 21 Oct 2015 06:00:00 GMT", 0.0),
    ],
)
def test_valid_values_give_seconds_from_now(value: str, seconds: float) -> None:
    assert parse_retry_after(value, NOW) == seconds


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "  ",
        "-5",
        "+5",
        "1.5",
        "1e3",
        "soon",
        "٣",
        "9" * 20,
        "Wed, 32 Oct 2015 07:28:00 GMT",
    ],
)
def test_invalid_values_are_ignored(value: str | None) -> None:
    assert parse_retry_after(value, NOW) is None


def test_now_defaults_to_the_current_time() -> None:
    soon = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)

    seconds = parse_retry_after(soon)

    assert seconds is not None
    assert 55 < seconds <= 60
