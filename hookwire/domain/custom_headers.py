"""The policy for a webhook's custom headers (product spec §3).

Choices where the spec is silent:
- Values: CR, LF and NUL are refused (spec), and so are the other C0 controls except
  HTAB, and DEL: RFC 9110 field values cannot carry them and HTTP stacks would refuse
  them at delivery time. Anything else (spaces, HTAB, non-ASCII text) is kept exactly as
  given; leading and trailing whitespace is not trimmed. An empty value is allowed.
- Every header needs at least one value; an empty list of values is refused.
- The 8 KiB budget counts the UTF-8 bytes of each name once plus all of its values.
- Names keep the spelling given; reserved and repeated names are compared ignoring case.
- Besides the spec's list, a bare `Proxy` name is refused too: it is the httpoxy vector
  (CGI receivers turn it into HTTP_PROXY) and has no legitimate use.
"""

from __future__ import annotations

import string
from collections.abc import Sequence

from hookwire.domain.errors import RuleViolation

MAX_HEADERS = 20
MAX_TOTAL_BYTES = 8 * 1024
TCHARS = frozenset("!#$%&'*+-.^_`|~" + string.digits + string.ascii_letters)
RESERVED_NAMES = frozenset(
    {
        "host",
        "content-length",
        "content-type",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "upgrade",
        "te",
        "trailer",
        "expect",
        "user-agent",
        "proxy",
    }
)
RESERVED_PREFIXES = ("proxy-",)
_FORBIDDEN_IN_VALUES = {chr(c) for c in range(0x20) if c != 0x09} | {"\x7f"}
_CHAR_NAMES = {"\r": "carriage return (CR)", "\n": "line feed (LF)", "\0": "NUL"}


class InvalidHeader(RuleViolation):
    """A custom header breaks the header policy."""

    code = "INVALID_HEADER"


def _check_name(name: str) -> None:
    if not name:
        raise InvalidHeader("a header name is empty; give every header a name")
    bad = next((ch for ch in name if ch not in TCHARS), None)
    if bad is not None:
        raise InvalidHeader(
            f"header name {name!r} contains {bad!r}, which HTTP does not allow in a "
            "header name; use only letters, digits and !#$%&'*+-.^_`|~"
        )
    lowered = name.lower()
    if lowered in RESERVED_NAMES or lowered.startswith(RESERVED_PREFIXES):
        raise InvalidHeader(
            f"header {name!r} is reserved: Hookwire sets it itself or it controls the "
            "connection; remove it from the custom headers"
        )


def _check_value(name: str, value: str) -> int:
    try:
        size = len(value.encode())
    except UnicodeEncodeError:
        raise InvalidHeader(
            f"a value of header {name!r} is not valid text (it holds an unpaired "
            "surrogate); send it as proper UTF-8"
        ) from None
    bad = next((ch for ch in value if ch in _FORBIDDEN_IN_VALUES), None)
    if bad is not None:
        what = _CHAR_NAMES.get(bad, f"control character U+{ord(bad):04X}")
        raise InvalidHeader(
            f"a value of header {name!r} contains a {what}; header values cannot "
            "contain CR, LF, NUL or other control characters (HTAB is fine), so remove it"
        )
    return size


def validate_custom_headers(
    headers: Sequence[tuple[str, Sequence[str]]],
) -> dict[str, list[str]]:
    """Check custom headers against the header policy; returns name -> values, in input order."""
    if len(headers) > MAX_HEADERS:
        raise InvalidHeader(
            f"{len(headers)} custom headers given; at most {MAX_HEADERS} are allowed, "
            f"so remove {len(headers) - MAX_HEADERS}"
        )
    result: dict[str, list[str]] = {}
    seen: set[str] = set()
    total = 0
    for name, values in headers:
        _check_name(name)
        if name.lower() in seen:
            raise InvalidHeader(f"header {name!r} is given twice; put all its values in one entry")
        seen.add(name.lower())
        if isinstance(values, str):
            raise InvalidHeader(
                f"header {name!r} has a single string as its values; send a list of strings"
            )
        if not values:
            raise InvalidHeader(
                f"header {name!r} has no values; give it at least one value or leave the header out"
            )
        total += len(name) + sum(_check_value(name, value) for value in values)
        if total > MAX_TOTAL_BYTES:
            raise InvalidHeader(
                f"custom headers take more than {MAX_TOTAL_BYTES} bytes (8 KiB) of names and "
                f"values in all (reached at header {name!r}); shorten or remove some"
            )
        result[name] = list(values)
    return result
