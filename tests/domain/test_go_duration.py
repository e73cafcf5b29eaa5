"""Go duration parsing and formatting, checked against Go's own tables in src/time/time_test.go.

Go string literals with invalid UTF-8 ("\\x85") are written here as the str that
"surrogateescape" decoding gives ("\\udc85"): the module turns it back into that byte.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hookwire.domain import go_duration
from hookwire.domain.errors import RuleViolation
from hookwire.domain.go_duration import (
    MAX_WEBHOOK_TIMEOUT_NS,
    InvalidDuration,
    format_go_duration,
    parse_go_duration,
    parse_webhook_timeout,
)

NANOSECOND = 1
MICROSECOND = 1000 * NANOSECOND
MILLISECOND = 1000 * MICROSECOND
SECOND = 1000 * MILLISECOND
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE

MIN_INT64 = -(1 << 63)
MAX_INT64 = (1 << 63) - 1

# Go's parseDurationTests.
GO_PARSE_DURATION_TESTS: list[tuple[str, int]] = [
    # simple
    ("0", 0),
    ("5s", 5 * SECOND),
    ("30s", 30 * SECOND),
    ("1478s", 1478 * SECOND),
    # sign
    ("-5s", -5 * SECOND),
    ("+5s", 5 * SECOND),
    ("-0", 0),
    ("+0", 0),
    # decimal
    ("5.0s", 5 * SECOND),
    ("5.6s", 5 * SECOND + 600 * MILLISECOND),
    ("5.s", 5 * SECOND),
    (".5s", 500 * MILLISECOND),
    ("1.0s", 1 * SECOND),
    ("1.00s", 1 * SECOND),
    ("1.004s", 1 * SECOND + 4 * MILLISECOND),
    ("1.0040s", 1 * SECOND + 4 * MILLISECOND),
    ("100.00100s", 100 * SECOND + 1 * MILLISECOND),
    # different units
    ("10ns", 10 * NANOSECOND),
    ("11us", 11 * MICROSECOND),
    ("12\u00b5s", 12 * MICROSECOND),  # U+00B5
    ("12\u03bcs", 12 * MICROSECOND),  # U+03BC
    ("13ms", 13 * MILLISECOND),
    ("14s", 14 * SECOND),
    ("15m", 15 * MINUTE),
    ("16h", 16 * HOUR),
    # composite durations
    ("3h30m", 3 * HOUR + 30 * MINUTE),
    ("10.5s4m", 4 * MINUTE + 10 * SECOND + 500 * MILLISECOND),
    ("-2m3.4s", -(2 * MINUTE + 3 * SECOND + 400 * MILLISECOND)),
    (
        "1h2m3s4ms5us6ns",
        1 * HOUR + 2 * MINUTE + 3 * SECOND + 4 * MILLISECOND + 5 * MICROSECOND + 6,
    ),
    ("39h9m14.425s", 39 * HOUR + 9 * MINUTE + 14 * SECOND + 425 * MILLISECOND),
    # large value
    ("52763797000ns", 52763797000 * NANOSECOND),
    # more than 9 digits after decimal point, see https://golang.org/issue/6617
    ("0.3333333333333333333h", 20 * MINUTE),
    # 9007199254740993 = 1<<53+1 cannot be stored precisely in a float64
    ("9007199254740993ns", (1 << 53) + 1),
    # largest duration that can be represented by int64 in nanoseconds
    ("9223372036854775807ns", MAX_INT64),
    ("9223372036854775.807us", MAX_INT64),
    ("9223372036s854ms775us807ns", MAX_INT64),
    ("-9223372036854775808ns", MIN_INT64),
    ("-9223372036854775.808us", MIN_INT64),
    ("-9223372036s854ms775us808ns", MIN_INT64),
    # largest negative value
    ("-9223372036854775808ns", MIN_INT64),
    # largest negative round trip value, see https://golang.org/issue/48629
    ("-2562047h47m16.854775808s", MIN_INT64),
    # huge string; issue 15011.
    ("0.100000000000000000000h", 6 * MINUTE),
    # This value tests the first overflow check in leadingFraction.
    ("0.830103483285477580700h", 49 * MINUTE + 48 * SECOND + 372539827),
]

# The cases this project relies on, and more of Go's behaviour, checked against Go 1.19.
MORE_PARSE_DURATION_TESTS: list[tuple[str, int]] = [
    ("1h2m3.5s", HOUR + 2 * MINUTE + 3 * SECOND + 500 * MILLISECOND),
    ("1.5h", HOUR + 30 * MINUTE),
    ("2h45m", 2 * HOUR + 45 * MINUTE),
    ("-1.5h", -(HOUR + 30 * MINUTE)),
    ("300ms", 300 * MILLISECOND),
    ("1500ms", 1500 * MILLISECOND),
    ("0s", 0),
    ("-0s", 0),
    ("+0s", 0),
    ("0.0s", 0),
    ("0ns", 0),
    ("0001s", SECOND),
    ("00h00m01s", SECOND),
    ("20s", 20 * SECOND),
    ("1\u00b5s", MICROSECOND),
    ("1.5\u03bcs", 1500),
    ("1.1\u00b5s", 1100),
    ("2.2ms", 2200 * MICROSECOND),
    ("4m5.001s", 4 * MINUTE + 5001 * MILLISECOND),
    ("8m0.000000001s", 8 * MINUTE + 1),
    ("2562047h47m16.854775807s", MAX_INT64),
    ("1s1s", 2 * SECOND),  # units may repeat and come in any order
    ("1ms1h", HOUR + MILLISECOND),
    ("1.5ns", 1),  # fractions below the unit are truncated toward zero
    ("0.9ns", 0),
    ("-0.9ns", 0),
    # huge fractions are truncated, not errors
    ("0.0000000000000000000000000001s", 0),
    ("1.00000000000000000000000000001s", SECOND),
    ("0." + "0" * 400 + "1h", 0),
    # Go scales the kept fraction digits in float64, which can round up to the next unit.
    ("1." + "9" * 400 + "s", 2 * SECOND),
    ("0.99999999999999999999h", HOUR),
    ("0.999999999s", SECOND - 1),
    # Go sums the parts in uint64, so 1<<63 + 1<<63 wraps to 0 and passes its check.
    ("9223372036854775808ns9223372036854775808ns", 0),
    ("-9223372036854775808ns9223372036854775808ns1ns", -1),
]

# Go's parseDurationErrorTests: the error must contain the quoted input.
GO_PARSE_DURATION_ERROR_TESTS: list[tuple[str, str]] = [
    # invalid
    ("", '""'),
    ("3", '"3"'),
    ("-", '"-"'),
    ("s", '"s"'),
    (".", '"."'),
    ("-.", '"-."'),
    (".s", '".s"'),
    ("+.s", '"+.s"'),
    ("1d", '"1d"'),
    ("\udc85\udc85", '"\\x85\\x85"'),
    ("\udcffff", '"\\xffff"'),
    ("hello \udcffff world", '"hello \\xffff world"'),
    ("\ufffd", '"\\xef\\xbf\\xbd"'),  # utf8.RuneError
    ("\ufffd hello \ufffd world", '"\\xef\\xbf\\xbd hello \\xef\\xbf\\xbd world"'),
    # overflow
    ("9223372036854775810ns", '"9223372036854775810ns"'),
    ("9223372036854775808ns", '"9223372036854775808ns"'),
    ("-9223372036854775809ns", '"-9223372036854775809ns"'),
    ("9223372036854776us", '"9223372036854776us"'),
    ("3000000h", '"3000000h"'),
    ("9223372036854775.808us", '"9223372036854775.808us"'),
    ("9223372036854ms775us808ns", '"9223372036854ms775us808ns"'),
]

# Whole error texts, each as Go 1.19 prints it.
PARSE_DURATION_ERROR_MESSAGES: list[tuple[str, str]] = [
    ("", 'time: invalid duration ""'),
    ("+", 'time: invalid duration "+"'),
    ("-.", 'time: invalid duration "-."'),
    (".s", 'time: invalid duration ".s"'),
    ("1", 'time: missing unit in duration "1"'),
    ("-1", 'time: missing unit in duration "-1"'),
    ("00", 'time: missing unit in duration "00"'),
    ("1.5", 'time: missing unit in duration "1.5"'),
    ("1m1", 'time: missing unit in duration "1m1"'),
    ("1..5s", 'time: missing unit in duration "1..5s"'),
    ("1x", 'time: unknown unit "x" in duration "1x"'),
    ("1d", 'time: unknown unit "d" in duration "1d"'),
    ("1S", 'time: unknown unit "S" in duration "1S"'),
    ("1H", 'time: unknown unit "H" in duration "1H"'),
    ("1sec", 'time: unknown unit "sec" in duration "1sec"'),
    ("1e3s", 'time: unknown unit "e" in duration "1e3s"'),
    ("1_000s", 'time: unknown unit "_" in duration "1_000s"'),
    ("0x10s", 'time: unknown unit "x" in duration "0x10s"'),
    ("1s ", 'time: unknown unit "s " in duration "1s "'),
    ("1 s", 'time: unknown unit " s" in duration "1 s"'),
    ("1\ts", 'time: unknown unit "\\x09s" in duration "1\\x09s"'),
    ('1"s', 'time: unknown unit "\\"s" in duration "1\\"s"'),
    ("1\\s", 'time: unknown unit "\\\\s" in duration "1\\\\s"'),
    ("1\u00b5", 'time: unknown unit "\\xc2\\xb5" in duration "1\\xc2\\xb5"'),
    (" 1s", 'time: invalid duration " 1s"'),
    ("\n1s", 'time: invalid duration "\\x0a1s"'),
    ("++1s", 'time: invalid duration "++1s"'),
    ("+-1s", 'time: invalid duration "+-1s"'),
    ("1s-1s", 'time: unknown unit "s-" in duration "1s-1s"'),
    ("\u22121s", 'time: invalid duration "\\xe2\\x88\\x921s"'),  # U+2212 minus sign
    ("\u0661s", 'time: invalid duration "\\xd9\\xa1s"'),  # Arabic-Indic digit one
    ("\ud800", 'time: invalid duration "\\xed\\xa0\\x80"'),  # a lone surrogate
]

# Go's durationTests for Duration.String().
GO_DURATION_TESTS: list[tuple[str, int]] = [
    ("0s", 0),
    ("1ns", 1 * NANOSECOND),
    ("1.1\u00b5s", 1100 * NANOSECOND),
    ("2.2ms", 2200 * MICROSECOND),
    ("3.3s", 3300 * MILLISECOND),
    ("4m5s", 4 * MINUTE + 5 * SECOND),
    ("4m5.001s", 4 * MINUTE + 5001 * MILLISECOND),
    ("5h6m7.001s", 5 * HOUR + 6 * MINUTE + 7001 * MILLISECOND),
    ("8m0.000000001s", 8 * MINUTE + 1 * NANOSECOND),
    ("2562047h47m16.854775807s", MAX_INT64),
    ("-2562047h47m16.854775808s", MIN_INT64),
]

MORE_DURATION_TESTS: list[tuple[str, int]] = [
    ("1h0m0s", HOUR),
    ("-1.5s", -1500 * MILLISECOND),
    ("1.5s", 1500 * MILLISECOND),
    ("2m0s", 2 * MINUTE),
    ("1s", SECOND),
    ("20s", 20 * SECOND),
    ("999ns", 999),
    ("1\u00b5s", MICROSECOND),
    ("999.999\u00b5s", 999999),
    ("1ms", MILLISECOND),
    ("999.999999ms", SECOND - 1),
    ("1.000000001s", SECOND + 1),
    ("59.999999999s", MINUTE - 1),
    ("1m0s", MINUTE),
    ("59m59.999999999s", HOUR - 1),
    ("24h0m0s", 24 * HOUR),
    ("100h0m0.01s", 100 * HOUR + 10 * MILLISECOND),
    ("-1ns", -1),
    ("-1h0m0s", -HOUR),
]


@pytest.mark.parametrize(("text", "want"), GO_PARSE_DURATION_TESTS + MORE_PARSE_DURATION_TESTS)
def test_parse_go_duration(text: str, want: int) -> None:
    assert parse_go_duration(text) == want


@pytest.mark.parametrize(("text", "expect"), GO_PARSE_DURATION_ERROR_TESTS)
def test_parse_go_duration_errors_quote_the_input(text: str, expect: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_go_duration(text)
    assert expect in str(caught.value)


@pytest.mark.parametrize(("text", "message"), PARSE_DURATION_ERROR_MESSAGES)
def test_parse_go_duration_error_messages(text: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_go_duration(text)
    assert str(caught.value) == message


@pytest.mark.parametrize("text", [b"1s", 1, 1.5, None])
def test_parse_go_duration_wants_a_str(text: object) -> None:
    with pytest.raises(TypeError):
        parse_go_duration(text)  # type: ignore[arg-type]


@pytest.mark.parametrize(("want", "nanoseconds"), GO_DURATION_TESTS + MORE_DURATION_TESTS)
def test_format_go_duration(want: str, nanoseconds: int) -> None:
    assert format_go_duration(nanoseconds) == want
    if nanoseconds > 0:  # as Go's TestDurationString does
        assert format_go_duration(-nanoseconds) == "-" + want


@pytest.mark.parametrize("nanoseconds", [MAX_INT64 + 1, MIN_INT64 - 1, 1 << 100])
def test_format_go_duration_stays_within_int64(nanoseconds: int) -> None:
    with pytest.raises(ValueError):
        format_go_duration(nanoseconds)


@pytest.mark.parametrize("value", [1.5, "1s", None, True])
def test_format_go_duration_wants_an_int(value: object) -> None:
    with pytest.raises(TypeError):
        format_go_duration(value)  # type: ignore[arg-type]


@given(st.integers(min_value=MIN_INT64, max_value=MAX_INT64))
@example(0)
@example(MIN_INT64)
@example(MAX_INT64)
@example(-1)
@example(MINUTE - 1)
def test_format_then_parse_round_trips(nanoseconds: int) -> None:
    text = format_go_duration(nanoseconds)
    assert parse_go_duration(text) == nanoseconds
    assert format_go_duration(parse_go_duration(text)) == text


@given(st.integers(min_value=0, max_value=(1 << 31) - 1))
def test_milliseconds_round_trip_as_in_go(milliseconds: int) -> None:
    # Go's TestParseDurationRoundTrip: Duration(rand.Int31()) * Millisecond.
    d0 = milliseconds * MILLISECOND
    assert parse_go_duration(format_go_duration(d0)) == d0


def test_module_stays_free_of_web_and_orm_imports() -> None:
    tree = ast.parse(Path(go_duration.__file__).read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert imported <= {"__future__", "hookwire"}


# --- webhook timeouts ----------------------------------------------------------------

ACCEPTED_TIMEOUTS: list[tuple[str, int]] = [
    ("0", 0),  # 0 means "use the defaults"
    ("0s", 0),
    ("-0", 0),
    ("+0s", 0),
    ("-0s", 0),
    ("0.0000000001s", 0),  # truncated to 0 like Go does
    ("1ns", 1),
    ("500ms", 500 * MILLISECOND),
    ("1.5s", 1500 * MILLISECOND),
    ("5s", 5 * SECOND),
    ("+10s", 10 * SECOND),
    ("19.999999999s", 20 * SECOND - 1),
    ("20s", MAX_WEBHOOK_TIMEOUT_NS),
    ("20000ms", MAX_WEBHOOK_TIMEOUT_NS),
    ("0.33333333333333333m", MAX_WEBHOOK_TIMEOUT_NS),  # float64 rounds up to 20s, as in Go
    ("10s10s", MAX_WEBHOOK_TIMEOUT_NS),
    ("0.0055555555555555555h", MAX_WEBHOOK_TIMEOUT_NS),
    ("20000000\u00b5s", MAX_WEBHOOK_TIMEOUT_NS),
]

REFUSED_TIMEOUTS: list[tuple[object, str]] = [
    ("", 'time: invalid duration ""'),
    (" 5s", 'time: invalid duration " 5s"'),
    ("5", 'time: missing unit in duration "5"'),
    ("5 s", 'time: unknown unit " s" in duration "5 s"'),
    ("5sec", 'time: unknown unit "sec" in duration "5sec"'),
    ("1d", 'time: unknown unit "d" in duration "1d"'),
    ("PT5S", 'time: invalid duration "PT5S"'),
    ("9223372036854775808ns", 'time: invalid duration "9223372036854775808ns"'),
    ("-1ns", "timeout cannot be negative"),
    ("-5s", "timeout cannot be negative"),
    ("-9223372036854775808ns", "timeout cannot be negative"),
    ("20.000000001s", "timeout cannot be more than 20s"),
    ("20s1ns", "timeout cannot be more than 20s"),
    ("21s", "timeout cannot be more than 20s"),
    ("1m", "timeout cannot be more than 20s"),
    ("2562047h47m16.854775807s", "timeout cannot be more than 20s"),
    (5, "timeout must be a string, not int"),
    (5.0, "timeout must be a string, not float"),
    (None, "timeout must be a string, not NoneType"),
    (b"5s", "timeout must be a string, not bytes"),
]


@pytest.mark.parametrize(("text", "want"), ACCEPTED_TIMEOUTS)
def test_parse_webhook_timeout_accepts(text: str, want: int) -> None:
    assert parse_webhook_timeout(text) == want


@pytest.mark.parametrize(("value", "message"), REFUSED_TIMEOUTS)
def test_parse_webhook_timeout_refuses(value: object, message: str) -> None:
    with pytest.raises(InvalidDuration) as caught:
        parse_webhook_timeout(value)  # type: ignore[arg-type]
    error = caught.value
    assert error.code == "INVALID_TIMEOUT"
    assert isinstance(error, RuleViolation)
    assert isinstance(error, ValueError)
    assert error.message == str(error)
    assert error.message.startswith(message)


def test_timeout_parse_errors_carry_guidance() -> None:
    with pytest.raises(InvalidDuration) as caught:
        parse_webhook_timeout("5")
    assert caught.value.message.startswith('time: missing unit in duration "5"; ')
    assert '"10s"' in caught.value.message
    assert "at most 20s" in caught.value.message


def test_timeout_range_errors_are_exact() -> None:
    with pytest.raises(InvalidDuration, match=r"^timeout cannot be negative$"):
        parse_webhook_timeout("-1s")
    with pytest.raises(InvalidDuration, match=r"^timeout cannot be more than 20s$"):
        parse_webhook_timeout("21s")


def test_invalid_duration_code() -> None:
    assert InvalidDuration.code == "INVALID_TIMEOUT"
    assert issubclass(InvalidDuration, RuleViolation)
    assert MAX_WEBHOOK_TIMEOUT_NS == 20 * SECOND
