"""Validation and normalization of webhook target URLs (WHATWG parsing via ada-url).

Policy, beyond the WHATWG parser itself:

* The input must literally start with ``https://`` (scheme case-insensitive). Forms
  the WHATWG parser would repair, such as ``https:example.com``, ``https:\\\\a.com``
  or ``https:///a.com``, are refused rather than guessed at.
* Whitespace and control characters are refused anywhere, including leading or
  trailing ones: nothing is silently stripped. Spaces in a path must be sent as ``%20``.
* Backslashes after the host are WHATWG path separators and normalize to ``/``.
* The host must be a domain name: never an IP address (in any spelling), never
  ``localhost`` or ``*.localhost`` (with or without a trailing dot), and without empty
  labels (``a..com``, ``.``). One trailing dot is kept as WHATWG keeps it.
* No userinfo, query or fragment, even empty ones. Any port from 1 to 65535.
* Both the raw input and the normalized result are at most 2,048 characters, so the
  result is always a fixed point of :func:`normalize_target_url`.
"""

from __future__ import annotations

import unicodedata

from ada_url import URL, HostType

from hookwire.domain.errors import RuleViolation

MAX_TARGET_URL_LENGTH = 2048

_PREFIX = "https://"
_EXAMPLE = "e.g. https://example.com/webhooks"


class InvalidTargetURL(RuleViolation):
    """A webhook target URL breaks one of the target URL rules."""

    code = "INVALID_URL"


def normalize_target_url(raw: str) -> str:
    """Validate a webhook target URL and return its normalized (WHATWG) form."""
    _check_raw(raw)
    try:
        url = URL(raw)
    except ValueError:
        raise InvalidTargetURL(
            f"target URL is not a valid URL; check the host name and port ({_EXAMPLE})"
        ) from None
    _check_parsed(url)
    href = url.href
    if len(href) > MAX_TARGET_URL_LENGTH:
        raise InvalidTargetURL(
            f"target URL is too long once normalized ({len(href)} characters); "
            f"it must be at most {MAX_TARGET_URL_LENGTH} characters"
        )
    return href


def _check_raw(raw: object) -> None:
    """Refuse what must be judged on the input text, before the parser repairs it."""
    if not isinstance(raw, str):
        raise InvalidTargetURL(f"target URL must be a string, not {type(raw).__name__}")
    if not raw.strip():
        raise InvalidTargetURL(f"target URL is required ({_EXAMPLE})")
    if len(raw) > MAX_TARGET_URL_LENGTH:
        raise InvalidTargetURL(
            f"target URL is too long ({len(raw)} characters); "
            f"it must be at most {MAX_TARGET_URL_LENGTH} characters"
        )
    if any(ch.isspace() or unicodedata.category(ch) == "Cc" for ch in raw):
        raise InvalidTargetURL(
            "target URL must not contain spaces, tabs, line breaks or control characters; "
            "remove them (write a space in the path as %20)"
        )
    if raw[: len(_PREFIX)].lower() != _PREFIX:
        if raw[:6].lower() == "https:":
            raise InvalidTargetURL(f"target URL must start with 'https://' ({_EXAMPLE})")
        raise InvalidTargetURL(f"target URL must use https ({_EXAMPLE})")
    authority = raw[len(_PREFIX) :]
    for delimiter in "/\\?#":
        authority = authority.split(delimiter, 1)[0]
    if "@" in authority:
        raise InvalidTargetURL(
            "target URL must not contain a user name or password (the part before '@'); "
            "authenticate with the webhook signature instead"
        )
    if not authority or authority.startswith(":"):
        raise InvalidTargetURL(f"target URL must include a host name ({_EXAMPLE})")


def _check_parsed(url: URL) -> None:
    """Refuse what must be judged on the parsed URL: host, port, userinfo, query, fragment."""
    if url.username or url.password:
        raise InvalidTargetURL("target URL must not contain a user name or password")
    if url.host_type != HostType.DEFAULT:
        raise InvalidTargetURL(
            "target URL host cannot be an IP address; use a domain name, e.g. example.com"
        )
    host = url.hostname
    if not host:
        raise InvalidTargetURL(f"target URL must include a host name ({_EXAMPLE})")
    bare = host.removesuffix(".")
    if "" in bare.split("."):
        raise InvalidTargetURL(
            f"target URL host {host!r} is not a valid domain name (it has an empty label); "
            "use a name like example.com"
        )
    if bare == "localhost" or bare.endswith(".localhost"):
        raise InvalidTargetURL(
            "target URL host cannot be localhost; use a publicly reachable domain name"
        )
    if url.port == "0":
        raise InvalidTargetURL("target URL port must be between 1 and 65535")
    href = url.href
    if "#" in href:
        raise InvalidTargetURL("target URL must not have a fragment (remove the '#' part)")
    if "?" in href:
        raise InvalidTargetURL(
            "target URL must not have a query string (remove the '?' part); "
            "put any routing information in the path"
        )
