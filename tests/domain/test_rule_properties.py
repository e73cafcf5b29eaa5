"""Properties of the three input rules: target URLs, Go durations and custom headers.

The example tables live beside each rule (test_target_url, test_go_duration,
test_custom_headers); these are the properties that hold for every input.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from hookwire.domain.custom_headers import (
    MAX_HEADERS,
    RESERVED_NAMES,
    TCHARS,
    InvalidHeader,
    validate_custom_headers,
)
from hookwire.domain.go_duration import (
    MAX_WEBHOOK_TIMEOUT_NS,
    InvalidDuration,
    format_go_duration,
    parse_go_duration,
    parse_webhook_timeout,
)
from hookwire.domain.target_url import InvalidTargetURL, normalize_target_url

MIN_INT64, MAX_INT64 = -(1 << 63), (1 << 63) - 1

# --- target URLs ---------------------------------------------------------------------

_label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
_tld = st.from_regex(r"[a-z]{2,6}", fullmatch=True)
_hosts = st.builds(lambda labels, tld: ".".join([*labels, tld]), st.lists(_label, max_size=3), _tld)
_segment = st.from_regex(r"([A-Za-z0-9._~!$&'()*+,;=:@-]|%[0-9A-F]{2}){0,8}", fullmatch=True)
_paths = st.lists(_segment, max_size=4).map(lambda parts: "".join("/" + p for p in parts))
_ports = st.one_of(st.just(""), st.integers(min_value=1, max_value=65535).map(":{}".format))
_domain_urls = st.builds(lambda h, port, path: f"https://{h}{port}{path}", _hosts, _ports, _paths)
# Near misses: each adds one thing the rules refuse, or that the parser rewrites.
_twists = st.sampled_from(
    ["", "?", "?a=1", "#", "#top", "@", "user@", ":0", "/..", "/%2e", "\\x", ".", ":443"]
)
_urls = st.one_of(
    _domain_urls,
    st.builds(lambda url, twist: url + twist, _domain_urls, _twists),
    st.builds(lambda user, url: url.replace("https://", f"https://{user}@"), _label, _domain_urls),
    st.builds(lambda ip: f"https://{ip}/", st.ip_addresses(v=4).map(str)),
    st.builds(lambda ip: f"https://[{ip}]/", st.ip_addresses(v=6).map(str)),
    st.builds(lambda host: f"https://{host}/", st.sampled_from(["localhost", "a.localhost."])),
    st.text(max_size=40).map("https://".__add__),
)


def _accepted(raw: str) -> str | None:
    try:
        return normalize_target_url(raw)
    except InvalidTargetURL:
        return None


def _random_case(text: str, flips: list[bool]) -> str:
    return "".join(ch.upper() if flip else ch for ch, flip in zip(text, flips, strict=False))


@given(_urls)
def test_url_normalization_is_idempotent(raw: str) -> None:
    normalized = _accepted(raw)
    if normalized is not None:
        assert normalize_target_url(normalized) == normalized


@given(_urls)
@example("https://Example.COM:443/a/../b")
@example("https://1.2.3.4/")
@example("https://localhost./")
def test_every_accepted_url_is_https_to_a_domain_with_nothing_else(raw: str) -> None:
    normalized = _accepted(raw)
    if normalized is None:
        return
    parts = urlsplit(normalized)
    host = parts.hostname or ""
    assert parts.scheme == "https" and normalized.startswith("https://")
    assert host and "" not in host.removesuffix(".").split(".")
    with pytest.raises(ValueError):
        ipaddress.ip_address(host.strip("[]"))
    assert host.rstrip(".") != "localhost" and not host.rstrip(".").endswith(".localhost")
    assert parts.username is None and parts.password is None and "@" not in parts.netloc
    assert "?" not in normalized and "#" not in normalized
    assert (parts.query, parts.fragment) == ("", "")


@given(
    _hosts,
    _paths,
    st.lists(st.booleans(), min_size=8, max_size=8),
    st.lists(st.booleans(), min_size=40, max_size=40),
    st.sampled_from(["", ":443", ":0443", ":"]),
)
def test_case_of_scheme_and_host_and_the_default_port_do_not_matter(
    host: str, path: str, scheme_flips: list[bool], host_flips: list[bool], port: str
) -> None:
    canonical = _accepted(f"https://{host}{path}")
    assume(canonical is not None)
    spelled = (
        f"{_random_case('https', scheme_flips)}://{_random_case(host, host_flips)}{port}{path}"
    )
    assert normalize_target_url(spelled) == canonical


# --- Go durations --------------------------------------------------------------------

# Units with their nanoseconds; both micro signs are Go spellings of "us".
_UNITS = {"ns": 1, "us": 10**3, "µs": 10**3, "μs": 10**3, "ms": 10**6, "s": 10**9}
_UNITS |= {"m": 60 * 10**9, "h": 3600 * 10**9}
_MAX_PARTS = 4


@st.composite
def _duration_part(draw: st.DrawFn) -> tuple[str, int]:
    """One Go duration part such as "12ms" or "1.25h", and its exact nanoseconds."""
    unit = draw(st.sampled_from(sorted(_UNITS)))
    nanos = _UNITS[unit]
    most = MAX_INT64 // nanos // (_MAX_PARTS + 1)
    whole = draw(st.integers(0, min(most, 20)) | st.integers(min_value=0, max_value=most))
    # Fractions with at most as many digits as the unit has trailing zeros are exact in Go too.
    exact_digits = len(str(nanos)) - len(str(nanos).rstrip("0"))
    digits = draw(st.text("0123456789", max_size=exact_digits))
    text = f"{whole}.{digits}{unit}" if digits else f"{whole}{unit}"
    fraction = int(digits) * nanos // 10 ** len(digits) if digits else 0
    return text, whole * nanos + fraction


_durations = st.tuples(
    st.sampled_from(["", "+", "-"]), st.lists(_duration_part(), min_size=1, max_size=_MAX_PARTS)
)


@given(st.integers(min_value=MIN_INT64, max_value=MAX_INT64))
@example(MIN_INT64)
@example(MAX_INT64)
def test_format_then_parse_is_the_identity_over_int64(nanoseconds: int) -> None:
    assert parse_go_duration(format_go_duration(nanoseconds)) == nanoseconds


@given(_durations)
def test_a_composite_duration_is_the_sum_of_its_parts(duration: tuple[str, list]) -> None:
    sign, parts = duration
    text = sign + "".join(part for part, _ in parts)
    total = sum(nanos for _, nanos in parts)
    assert parse_go_duration(text) == (-total if sign == "-" else total)


@given(st.integers(min_value=MIN_INT64, max_value=MAX_INT64))
@example(0)
@example(-1)
@example(MAX_WEBHOOK_TIMEOUT_NS)
@example(MAX_WEBHOOK_TIMEOUT_NS + 1)
def test_a_webhook_timeout_is_exactly_zero_to_twenty_seconds(nanoseconds: int) -> None:
    text = format_go_duration(nanoseconds)
    if 0 <= nanoseconds <= MAX_WEBHOOK_TIMEOUT_NS:
        assert parse_webhook_timeout(text) == nanoseconds
    else:
        with pytest.raises(InvalidDuration):
            parse_webhook_timeout(text)


@given(_durations)
def test_a_composite_timeout_is_accepted_exactly_within_range(duration: tuple[str, list]) -> None:
    sign, parts = duration
    total = sum(nanos for _, nanos in parts) * (-1 if sign == "-" else 1)
    text = sign + "".join(part for part, _ in parts)
    if 0 <= total <= MAX_WEBHOOK_TIMEOUT_NS:
        assert parse_webhook_timeout(text) == total
    else:
        with pytest.raises(InvalidDuration):
            parse_webhook_timeout(text)


# --- custom headers ------------------------------------------------------------------

_TCHAR_ALPHABET = "".join(sorted(TCHARS))
_names = st.text(alphabet=_TCHAR_ALPHABET, min_size=1, max_size=20).filter(
    lambda n: n.lower() not in RESERVED_NAMES and not n.lower().startswith("proxy-")
)
_values = st.text(
    st.characters(
        exclude_categories=["Cs"],
        exclude_characters=[chr(c) for c in range(0x20) if c != 0x09] + ["\x7f"],
    ),
    max_size=20,
)
_valid_sets = st.lists(
    st.tuples(_names, st.lists(_values, min_size=1, max_size=3)),
    max_size=MAX_HEADERS,
    unique_by=lambda header: header[0].lower(),
)
_reserved = st.one_of(
    st.sampled_from(sorted(RESERVED_NAMES)),
    st.text(alphabet=_TCHAR_ALPHABET, max_size=10).map("proxy-".__add__),
)


@given(_valid_sets)
def test_an_accepted_set_round_trips_in_order_and_spelling(headers: list) -> None:
    result = validate_custom_headers(headers)
    assert list(result.items()) == [(name, list(values)) for name, values in headers]


@given(_valid_sets, _reserved, st.lists(st.booleans(), min_size=30, max_size=30), st.data())
def test_a_reserved_name_in_any_case_is_refused(
    headers: list, reserved: str, flips: list[bool], data: st.DataObject
) -> None:
    name = _random_case(reserved, flips)
    at = data.draw(st.integers(min_value=0, max_value=len(headers)))
    kept = [h for h in headers if h[0].lower() != name.lower()][: MAX_HEADERS - 1]
    with pytest.raises(InvalidHeader, match="is reserved"):
        validate_custom_headers([*kept[:at], (name, ["v"]), *kept[at:]])


@given(_valid_sets.filter(bool), st.sampled_from(["\r", "\n", "\x00"]), st.data())
def test_a_value_with_cr_lf_or_nul_is_refused(headers: list, bad: str, data: st.DataObject) -> None:
    index = data.draw(st.integers(min_value=0, max_value=len(headers) - 1))
    name, values = headers[index]
    value = data.draw(st.sampled_from(values))
    cut = data.draw(st.integers(min_value=0, max_value=len(value)))
    spoiled = [*values, value[:cut] + bad + value[cut:]]
    with pytest.raises(InvalidHeader, match="cannot contain CR, LF, NUL"):
        validate_custom_headers([*headers[:index], (name, spoiled), *headers[index + 1 :]])


@given(st.lists(_names, min_size=MAX_HEADERS + 1, max_size=2 * MAX_HEADERS, unique_by=str.lower))
def test_more_than_twenty_names_are_refused(names: list[str]) -> None:
    with pytest.raises(InvalidHeader, match=f"at most {MAX_HEADERS} are allowed"):
        validate_custom_headers([(name, ["v"]) for name in names])
