"""Tests for hookwire.domain.target_url: accepted spellings, refusals and idempotence."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hookwire.domain.errors import RuleViolation
from hookwire.domain.target_url import (
    MAX_TARGET_URL_LENGTH,
    InvalidTargetURL,
    normalize_target_url,
)

ACCEPTED = [
    # scheme and host case, default port, empty path
    ("https://example.com", "https://example.com/"),
    ("HTTPS://EXAMPLE.COM", "https://example.com/"),
    ("hTtPs://Example.Com/Hooks", "https://example.com/Hooks"),
    ("https://example.com:443/a", "https://example.com/a"),
    ("https://example.com:0443/a", "https://example.com/a"),
    ("https://example.com:/a", "https://example.com/a"),
    ("https://example.com:8443/a", "https://example.com:8443/a"),
    ("https://example.com:1/", "https://example.com:1/"),
    ("https://example.com:65535/", "https://example.com:65535/"),
    # IDNA and percent-decoding of the host
    ("https://bücher.de", "https://xn--bcher-kva.de/"),
    ("https://BÜCHER.de/x", "https://xn--bcher-kva.de/x"),
    ("https://xn--bcher-kva.de", "https://xn--bcher-kva.de/"),
    ("https://ex%41mple.com", "https://example.com/"),
    ("https://ｅｘａｍｐｌｅ.com", "https://example.com/"),
    # trailing dot is kept, as WHATWG keeps it
    ("https://example.com.", "https://example.com./"),
    ("https://example.com./x", "https://example.com./x"),
    # paths: dot segments, percent-encoding, backslashes, '@' after the host
    ("https://example.com/a/./b/../c", "https://example.com/a/c"),
    ("https://example.com/%2e%2e/x", "https://example.com/x"),
    ("https://example.com/a/../../..", "https://example.com/"),
    ("https://example.com/ä", "https://example.com/%C3%A4"),
    ("https://example.com/a%20b", "https://example.com/a%20b"),
    ("https://example.com/a%2fb", "https://example.com/a%2fb"),
    ("https://example.com/%7e", "https://example.com/%7e"),
    ("https://example.com/~user", "https://example.com/~user"),
    ("https://example.com\\a\\b", "https://example.com/a/b"),
    ("https://example.com\\@evil.com", "https://example.com/@evil.com"),
    ("https://example.com/@user", "https://example.com/@user"),
    ("https://example.com/a:b;c=d", "https://example.com/a:b;c=d"),
    # single-label and numeric-looking names that are not IP addresses
    ("https://intranet/", "https://intranet/"),
    ("https://1.2.3.example", "https://1.2.3.example/"),
    ("https://localhost.example.com", "https://localhost.example.com/"),
    ("https://mylocalhost/", "https://mylocalhost/"),
]


@pytest.mark.parametrize(("raw", "expected"), ACCEPTED)
def test_accepted_urls_normalize(raw: str, expected: str) -> None:
    assert normalize_target_url(raw) == expected


@pytest.mark.parametrize(("_raw", "expected"), ACCEPTED)
def test_normalized_form_is_a_fixed_point(_raw: str, expected: str) -> None:
    assert normalize_target_url(expected) == expected


SAME_URL = [
    ("https://Example.COM", "https://example.com:443/"),
    ("HTTPS://bücher.de/", "https://xn--bcher-kva.de"),
    ("https://example.com/a/../b", "https://example.com/b"),
    ("https://example.com\\b", "https://example.com/b"),
    ("https://ex%61mple.com/x", "https://example.com/x"),
    ("https://example.com/ä", "https://example.com/%C3%A4"),
    ("https://example.com:0443", "https://EXAMPLE.com/"),
]


@pytest.mark.parametrize(("one", "other"), SAME_URL)
def test_two_spellings_normalize_identically(one: str, other: str) -> None:
    assert normalize_target_url(one) == normalize_target_url(other)


REFUSED = [
    # not a usable string
    ("", "required"),
    ("   ", "required"),
    ("\t\n", "required"),
    # whitespace and control characters are refused, not stripped
    (" https://example.com", "spaces"),
    ("https://example.com ", "spaces"),
    ("https://example.com/\n", "spaces"),
    ("https://example.com/a b", "spaces"),
    ("https://example.com/\tx", "spaces"),
    ("https://exa\rmple.com", "spaces"),
    ("https://example.com/\x00", "control"),
    ("https://example.com/\x7f", "control"),
    ("https://example.com/\u00a0", "spaces"),
    # scheme
    ("http://example.com", "must use https"),
    ("ftp://example.com", "must use https"),
    ("wss://example.com", "must use https"),
    ("example.com", "must use https"),
    ("//example.com", "must use https"),
    ("https:example.com", "must start with 'https://'"),
    ("https:/example.com", "must start with 'https://'"),
    ("https:\\\\example.com", "must start with 'https://'"),
    # no host
    ("https://", "host name"),
    ("https:///path", "host name"),
    ("https://\\path", "host name"),
    ("https://:8443/", "host name"),
    ("https://?x", "host name"),
    # userinfo, even empty
    ("https://user:pass@example.com", "user name or password"),
    ("https://user@example.com", "user name or password"),
    ("https://:pass@example.com", "user name or password"),
    ("https://@example.com", "user name or password"),
    ("https://:@example.com", "user name or password"),
    ("https://example.com@evil.com/", "user name or password"),
    # localhost in any spelling
    ("https://localhost", "localhost"),
    ("https://LOCALHOST/x", "localhost"),
    ("https://localhost.", "localhost"),
    ("https://localhost:8443/", "localhost"),
    ("https://api.localhost", "localhost"),
    ("https://a.b.LocalHost.", "localhost"),
    ("https://%6c%6fcalhost/", "localhost"),
    ("https://localhost%2e", "localhost"),
    ("https://ｌｏｃａｌｈｏｓｔ/", "localhost"),
    ("https://local\u00adhost/", "localhost"),
    ("https://ⓛocalhost/", "localhost"),
    # IP addresses in every spelling, public ones too
    ("https://127.0.0.1/", "IP address"),
    ("https://127.1/", "IP address"),
    ("https://2130706433/", "IP address"),
    ("https://0x7f000001/", "IP address"),
    ("https://0177.0.0.1/", "IP address"),
    ("https://0x7f.1/", "IP address"),
    ("https://1.2.3.4./", "IP address"),
    ("https://１２７.０.０.１/", "IP address"),
    ("https://8.8.8.8/", "IP address"),
    ("https://93.184.216.34:8443/hook", "IP address"),
    ("https://[::1]/", "IP address"),
    ("https://[::ffff:127.0.0.1]/", "IP address"),
    ("https://[0:0:0:0:0:ffff:7f00:1]/", "IP address"),
    ("https://[2001:db8::1]:8443/", "IP address"),
    # hosts made of dots or with empty labels
    ("https://./", "empty label"),
    ("https://../", "empty label"),
    ("https://%2e/", "empty label"),
    ("https://a..com/", "empty label"),
    ("https://.example.com/", "empty label"),
    ("https://example.com../", "empty label"),
    # query and fragment, even empty
    ("https://example.com/?", "query string"),
    ("https://example.com?", "query string"),
    ("https://example.com/?a=1", "query string"),
    ("https://example.com/#", "fragment"),
    ("https://example.com#top", "fragment"),
    ("https://example.com/?a#b", "fragment"),
    # ports
    ("https://example.com:0/", "port"),
    ("https://example.com:65536/", "not a valid URL"),
    ("https://example.com:99999/", "not a valid URL"),
    ("https://example.com:-1/", "not a valid URL"),
    ("https://example.com:80x/", "not a valid URL"),
    # other things the WHATWG parser refuses
    ("https://exa<mple.com/", "not a valid URL"),
    ("https://[::1/", "not a valid URL"),
    ("https://1.2.3.4.5/", "not a valid URL"),
    ("https://example.1/", "not a valid URL"),
    ("https://a\u3000b.com/", "spaces"),
    # length
    ("https://example.com/" + "a" * (MAX_TARGET_URL_LENGTH - 19), "too long"),
    ("https://example.com/" + "ä" * 1000, "too long once normalized"),
]


@pytest.mark.parametrize(("raw", "fragment"), REFUSED)
def test_refused_urls(raw: str, fragment: str) -> None:
    with pytest.raises(InvalidTargetURL) as excinfo:
        normalize_target_url(raw)
    error = excinfo.value
    assert error.code == "INVALID_URL"
    assert fragment.lower() in error.message.lower()
    assert error.message.startswith("target URL")


def test_longest_allowed_url_is_accepted() -> None:
    raw = "https://example.com/" + "a" * (MAX_TARGET_URL_LENGTH - 20)
    assert len(raw) == MAX_TARGET_URL_LENGTH
    assert normalize_target_url(raw) == raw


@pytest.mark.parametrize("value", [None, b"https://example.com", 42, ["https://example.com"]])
def test_non_string_input_is_refused(value: Any) -> None:
    with pytest.raises(InvalidTargetURL, match="must be a string") as excinfo:
        normalize_target_url(value)
    assert excinfo.value.code == "INVALID_URL"


def test_error_is_a_rule_violation_and_value_error() -> None:
    assert issubclass(InvalidTargetURL, RuleViolation)
    assert issubclass(InvalidTargetURL, ValueError)
    assert InvalidTargetURL.code == "INVALID_URL"


_URL_CHARS = st.sampled_from(
    [
        *"aZ09.-_~:/\\?#@%[]!$&'()*+,;= \t\n\x00\x7fäü.ß漢ｌ\u00ad",
        "%2e",
        "%41",
        "%zz",
        "..",
        "xn--",
        "localhost",
        "127.0.0.1",
        "[::1]",
        ":443",
        ":0",
    ]
)
_URL_TEXT = st.lists(_URL_CHARS, max_size=30).map("".join)
_URLISH = st.one_of(
    st.text(max_size=60),
    st.builds(lambda rest: "https://" + rest, st.text(max_size=60)),
    st.builds(
        lambda scheme, rest: scheme + rest,
        st.sampled_from(["https://", "HTTPS://"]),
        _URL_TEXT,
    ),
    st.builds(
        lambda host, path: f"https://{host}.example/{path}",
        st.from_regex(r"[a-zA-Z0-9-]{1,12}", fullmatch=True),
        _URL_TEXT,
    ),
)


@settings(max_examples=1000, deadline=None)
@given(_URLISH)
def test_result_is_https_fixed_point_or_invalid(raw: str) -> None:
    try:
        out = normalize_target_url(raw)
    except InvalidTargetURL as error:
        assert error.code == "INVALID_URL"
        assert error.message
        return
    assert out.startswith("https://")
    assert len(out) <= MAX_TARGET_URL_LENGTH
    assert normalize_target_url(out) == out
