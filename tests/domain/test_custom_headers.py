"""The custom header policy: RFC 9110 names, safe values, reserved names, limits."""

from __future__ import annotations

import string
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hookwire.domain.custom_headers import (
    MAX_HEADERS,
    MAX_TOTAL_BYTES,
    RESERVED_NAMES,
    TCHARS,
    InvalidHeader,
    validate_custom_headers,
)
from hookwire.domain.errors import RuleViolation

Headers = list[tuple[str, Sequence[str]]]

ACCEPTED: list[tuple[str, Headers]] = [
    ("no headers", []),
    ("one header", [("X-Api-Key", ["secret"])]),
    ("several values", [("X-Tags", ["a", "b", "c"])]),
    ("every tchar in a name", [("!#$%&'*+-.^_`|~09azAZ", ["v"])]),
    ("single-character name", [("x", ["v"])]),
    ("empty value", [("X-Empty", [""])]),
    ("HTAB inside a value", [("X-Tab", ["a\tb"])]),
    ("leading and trailing spaces kept", [("X-Space", ["  padded  "])]),
    ("non-ASCII value", [("X-Text", ["café ☕ ü"])]),
    ("visible ASCII value", [("X-Ascii", [string.punctuation + " " + string.ascii_letters])]),
    ("look-alikes of reserved names", [("X-Host", ["a"]), ("Hosts", ["b"]), ("Tea", ["c"])]),
    ("proxy without the dash", [("Proxyish", ["a"]), ("X-Proxy-Id", ["b"])]),
    ("same name, different header", [("X-A", ["1"]), ("X-B", ["1"])]),
    ("twenty headers", [(f"X-H{i}", ["v"]) for i in range(MAX_HEADERS)]),
    ("exactly 8 KiB", [("X-Big", ["a" * (MAX_TOTAL_BYTES - len("X-Big"))])]),
]

REFUSED: list[tuple[str, Headers, str]] = [
    ("empty name", [("", ["v"])], "a header name is empty"),
    ("space in name", [("X Api", ["v"])], "header name 'X Api' contains ' '"),
    ("colon in name", [("X-Api:", ["v"])], "contains ':'"),
    ("non-ASCII name", [("X-Café", ["v"])], "contains 'é'"),
    ("CR in value", [("X-A", ["a\rb"])], "carriage return (CR)"),
    ("LF in value", [("X-A", ["a\nb"])], "line feed (LF)"),
    ("NUL in value", [("X-A", ["a\0b"])], "NUL"),
    ("other C0 control in value", [("X-A", ["a\x1bb"])], "control character U+001B"),
    ("DEL in value", [("X-A", ["a\x7fb"])], "control character U+007F"),
    ("unpaired surrogate in value", [("X-A", ["\ud800"])], "unpaired surrogate"),
    ("no values", [("X-A", [])], "header 'X-A' has no values"),
    (
        "a string instead of a list",
        [("X-A", "abc")],
        "has a single string as its values; send a list of strings",
    ),
    ("host", [("Host", ["a"])], "header 'Host' is reserved"),
    ("content-length", [("content-length", ["1"])], "is reserved"),
    ("content-type", [("CONTENT-TYPE", ["a"])], "is reserved"),
    ("transfer-encoding", [("Transfer-Encoding", ["chunked"])], "is reserved"),
    ("connection", [("Connection", ["close"])], "is reserved"),
    ("keep-alive", [("Keep-Alive", ["timeout=5"])], "is reserved"),
    ("upgrade", [("Upgrade", ["websocket"])], "is reserved"),
    ("te", [("TE", ["trailers"])], "is reserved"),
    ("trailer", [("Trailer", ["X-A"])], "is reserved"),
    ("expect", [("Expect", ["100-continue"])], "is reserved"),
    ("user-agent", [("User-Agent", ["me"])], "is reserved"),
    ("proxy-authorization", [("Proxy-Authorization", ["Basic x"])], "is reserved"),
    ("any proxy-*", [("proxy-anything", ["a"])], "is reserved"),
    ("bare proxy (httpoxy)", [("Proxy", ["a"])], "is reserved"),
    (
        "same name twice",
        [("X-A", ["1"]), ("X-B", ["2"]), ("x-a", ["3"])],
        "header 'x-a' is given twice; put all its values in one entry",
    ),
    (
        "twenty-one headers",
        [(f"X-H{i}", ["v"]) for i in range(MAX_HEADERS + 1)],
        "21 custom headers given; at most 20",
    ),
    (
        "one byte over 8 KiB",
        [("X-Big", ["a" * (MAX_TOTAL_BYTES - len("X-Big") + 1)])],
        "take more than 8192 bytes (8 KiB) of names and values in all (reached at header 'X-Big')",
    ),
    (
        "over 8 KiB counted in UTF-8 bytes",
        [("X-Big", ["é" * (MAX_TOTAL_BYTES // 2)])],
        "more than 8192 bytes",
    ),
    (
        "over 8 KiB across headers and values",
        [(f"X-H{i}", ["v" * 300, "w" * 300]) for i in range(14)],
        "more than 8192 bytes",
    ),
]


@pytest.mark.parametrize(
    "headers", [case[1] for case in ACCEPTED], ids=[case[0] for case in ACCEPTED]
)
def test_accepted_headers_round_trip_unchanged(headers: Headers) -> None:
    # when
    result = validate_custom_headers(headers)
    # then
    assert list(result.items()) == [(name, list(values)) for name, values in headers]


@pytest.mark.parametrize(
    ("headers", "message"),
    [case[1:] for case in REFUSED],
    ids=[case[0] for case in REFUSED],
)
def test_refused_headers_say_why(headers: Headers, message: str) -> None:
    with pytest.raises(InvalidHeader) as caught:
        validate_custom_headers(headers)
    assert message in caught.value.message
    assert caught.value.code == "INVALID_HEADER"


def test_invalid_header_is_a_rule_violation() -> None:
    assert issubclass(InvalidHeader, RuleViolation)
    assert issubclass(InvalidHeader, ValueError)


def test_result_keeps_input_order_and_spelling() -> None:
    # given
    headers: Headers = [("x-zeta", ["1"]), ("X-Alpha", ["2"]), ("X-MIXED-case", ["3"])]
    # when
    result = validate_custom_headers(headers)
    # then
    assert list(result) == ["x-zeta", "X-Alpha", "X-MIXED-case"]


def test_result_does_not_share_lists_with_the_input() -> None:
    # given
    values = ["a"]
    result = validate_custom_headers([("X-A", values)])
    # when
    values.append("b")
    # then
    assert result == {"X-A": ["a"]}


def test_values_may_be_any_sequence() -> None:
    assert validate_custom_headers([("X-A", ("1", "2"))]) == {"X-A": ["1", "2"]}


def test_messages_name_the_header_and_say_what_to_do() -> None:
    for _, headers, _ in REFUSED:
        with pytest.raises(InvalidHeader) as caught:
            validate_custom_headers(headers)
        text = caught.value.message
        assert any(verb in text for verb in ("use ", "remove", "give", "put ", "send"))


# --- properties ---------------------------------------------------------------------

_TCHAR_ALPHABET = "".join(sorted(TCHARS))
_names = st.text(alphabet=_TCHAR_ALPHABET, min_size=1, max_size=30).filter(
    lambda n: n.lower() not in RESERVED_NAMES and not n.lower().startswith("proxy-")
)
_values = st.text(
    alphabet=st.characters(
        exclude_categories=["Cs"],
        exclude_characters=[chr(c) for c in range(0x20) if c != 0x09] + ["\x7f"],
    ),
    max_size=40,
)
_valid_sets = st.lists(
    st.tuples(_names, st.lists(_values, min_size=1, max_size=4)),
    max_size=MAX_HEADERS,
    unique_by=lambda header: header[0].lower(),
)


@given(_valid_sets)
def test_any_valid_set_round_trips_unchanged(headers: Headers) -> None:
    assert validate_custom_headers(headers) == {name: list(values) for name, values in headers}


@given(
    st.text(alphabet=_TCHAR_ALPHABET, max_size=10),
    st.characters().filter(lambda ch: ch not in TCHARS),
    st.text(alphabet=_TCHAR_ALPHABET, max_size=10),
)
def test_any_name_with_a_non_tchar_is_refused(prefix: str, bad: str, suffix: str) -> None:
    with pytest.raises(InvalidHeader, match="use only letters, digits"):
        validate_custom_headers([(prefix + bad + suffix, ["v"])])


@given(
    st.lists(
        st.tuples(
            st.text(max_size=12),
            st.lists(st.text(max_size=12), max_size=3),
        ),
        max_size=MAX_HEADERS + 2,
    )
)
def test_anything_is_either_refused_or_kept_exactly(headers: Headers) -> None:
    try:
        result = validate_custom_headers(headers)
    except InvalidHeader:
        return
    assert list(result.items()) == [(name, list(values)) for name, values in headers]
    assert all(name and set(name) <= TCHARS for name in result)
    assert not any(ch in value for ch in "\r\n\0" for vs in result.values() for value in vs)
