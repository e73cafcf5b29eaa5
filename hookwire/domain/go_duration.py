"""Go's time.Duration text form, ported from Go's src/time (format.go and time.go).

`parse_go_duration` is `time.ParseDuration` and `format_go_duration` is
`Duration.String()`, edge cases included: Go's overflow checks, its truncation
of over-long fractions, its error texts and its quoting of the input in them.
A parse error is a ValueError whose text is Go's error text.
Go works on the bytes of a string; a `str` is turned into the bytes Go would
hold (see `_go_bytes`), so even invalid UTF-8 read with "surrogateescape" is
quoted byte for byte as Go quotes it.
"""

from __future__ import annotations

from hookwire.domain.errors import RuleViolation

__all__ = [
    "MAX_WEBHOOK_TIMEOUT_NS",
    "InvalidDuration",
    "format_go_duration",
    "parse_go_duration",
    "parse_webhook_timeout",
]

_NANOSECOND = 1
_MICROSECOND = 1000 * _NANOSECOND
_MILLISECOND = 1000 * _MICROSECOND
_SECOND = 1000 * _MILLISECOND
_MINUTE = 60 * _SECOND
_HOUR = 60 * _MINUTE

_MIN_INT64 = -(1 << 63)
_MAX_INT64 = (1 << 63) - 1
_UINT64_MASK = (1 << 64) - 1

_ZERO, _NINE, _DOT = ord("0"), ord("9"), ord(".")

# Go's unitMap. Both micro spellings are accepted; String() writes U+00B5.
_UNIT_MAP: dict[bytes, int] = {
    b"ns": _NANOSECOND,
    b"us": _MICROSECOND,
    "\u00b5s".encode(): _MICROSECOND,  # U+00B5 micro sign
    "\u03bcs".encode(): _MICROSECOND,  # U+03BC Greek small letter mu
    b"ms": _MILLISECOND,
    b"s": _SECOND,
    b"m": _MINUTE,
    b"h": _HOUR,
}

MAX_WEBHOOK_TIMEOUT_NS = 20 * 1_000_000_000

_TIMEOUT_GUIDANCE = (
    'a timeout is a Go duration such as "10s" or "1500ms" (units ns, us, ms, s, m, h), '
    'at most 20s; "0s" uses the default'
)


class InvalidDuration(RuleViolation):
    """A webhook timeout that is no Go duration, is negative or is over 20s."""

    code = "INVALID_TIMEOUT"


# --- parsing: time.ParseDuration -------------------------------------------------


def parse_go_duration(text: str) -> int:
    """Parse a Go time.Duration string exactly like Go's time.ParseDuration; returns nanoseconds."""
    if not isinstance(text, str):
        raise TypeError(f"a Go duration is a str, not {type(text).__name__}")
    s = _go_bytes(text)
    i, neg = 0, False
    if s[:1] in (b"-", b"+"):
        i, neg = 1, s[:1] == b"-"
    # Special case: if all that is left is "0", this is zero.
    if s[i:] == b"0":
        return 0
    if i == len(s):
        raise _invalid(s)
    d = 0
    while i < len(s):
        v, i = _parse_segment(s, i)
        # Go adds in uint64, so 1<<63 + 1<<63 wraps to 0 and passes this check.
        d = (d + v) & _UINT64_MASK
        if d > 1 << 63:
            raise _invalid(s)
    if neg:
        return -d
    if d > _MAX_INT64:
        raise _invalid(s)
    return d


def _parse_segment(s: bytes, i: int) -> tuple[int, int]:
    """One `[0-9]*(.[0-9]*)?unit` run at s[i]; returns (nanoseconds, next index)."""
    if not (s[i] == _DOT or _is_digit(s[i])):
        raise _invalid(s)
    leading = _leading_int(s, i)
    if leading is None:
        raise _invalid(s)
    v, j = leading
    pre = j != i  # whether we consumed anything before a period
    f, scale, post = 0, 1.0, False
    if j < len(s) and s[j] == _DOT:
        f, scale, k = _leading_fraction(s, j + 1)
        post = k != j + 1
        j = k
    if not pre and not post:
        raise _invalid(s)  # no digits, e.g. ".s" or "-.s"
    unit, j = _consume_unit(s, j)
    if v > (1 << 63) // unit:
        raise _invalid(s)
    v *= unit
    if f > 0:
        # float64 is needed to be nanosecond accurate for fractions of hours; Python's
        # float is the same IEEE double and int() truncates like Go's uint64().
        v += int(float(f) * (float(unit) / scale))
        if v > 1 << 63:
            raise _invalid(s)
    return v, j


def _consume_unit(s: bytes, i: int) -> tuple[int, int]:
    """The unit at s[i], up to a digit or '.'; returns (its nanoseconds, next index)."""
    j = i
    while j < len(s) and not (s[j] == _DOT or _is_digit(s[j])):
        j += 1
    if j == i:
        raise ValueError("time: missing unit in duration " + _quote(s))
    unit = _UNIT_MAP.get(s[i:j])
    if unit is None:
        raise ValueError(f"time: unknown unit {_quote(s[i:j])} in duration {_quote(s)}")
    return unit, j


def _leading_int(s: bytes, i: int) -> tuple[int, int] | None:
    """Go's leadingInt: [0-9]* at s[i] as (value, next index); None past 1<<63."""
    x = 0
    while i < len(s) and _is_digit(s[i]):
        if x > (1 << 63) // 10:
            return None
        x = x * 10 + s[i] - _ZERO
        if x > 1 << 63:
            return None
        i += 1
    return x, i


def _leading_fraction(s: bytes, i: int) -> tuple[int, float, int]:
    """Go's leadingFraction: [0-9]* at s[i] as (digits, 10**kept, next index)."""
    x, scale, overflow = 0, 1.0, False
    while i < len(s) and _is_digit(s[i]):
        if not overflow:
            y = x * 10 + s[i] - _ZERO
            # Once it would overflow, later digits are consumed but dropped.
            overflow = x > _MAX_INT64 // 10 or y > 1 << 63
            if not overflow:
                x, scale = y, scale * 10
        i += 1
    return x, scale, i


def _is_digit(byte: int) -> bool:
    """Whether a byte is an ASCII digit, as Go's '0' <= c <= '9'."""
    return _ZERO <= byte <= _NINE


def _invalid(s: bytes) -> ValueError:
    """Go's most common ParseDuration error."""
    return ValueError("time: invalid duration " + _quote(s))


def _go_bytes(text: str) -> bytes:
    """The bytes Go would see; a surrogateescape'd byte turns back into that byte."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate not made by surrogateescape
        return b"".join(
            bytes([ord(ch) - 0xDC00])
            if 0xDC80 <= ord(ch) <= 0xDCFF
            else ch.encode("utf-8", "surrogatepass")
            for ch in text
        )


def _quote(s: bytes) -> str:
    """Go's time.quote: '"' and '\\' escaped, control and non-ASCII bytes as \\xNN."""
    out = ['"']
    for byte in s:
        if byte >= 0x80 or byte < 0x20:
            out.append(f"\\x{byte:02x}")
        elif byte in (0x22, 0x5C):
            out.append("\\" + chr(byte))
        else:
            out.append(chr(byte))
    out.append('"')
    return "".join(out)


# --- formatting: Duration.String() -------------------------------------------------


def format_go_duration(nanoseconds: int) -> str:
    """Format nanoseconds exactly like Go's time.Duration.String()."""
    if isinstance(nanoseconds, bool) or not isinstance(nanoseconds, int):
        raise TypeError(f"a Go duration is an int of nanoseconds, not {type(nanoseconds).__name__}")
    if not _MIN_INT64 <= nanoseconds <= _MAX_INT64:
        raise ValueError(f"{nanoseconds} ns is outside the int64 range of a Go time.Duration")
    u = abs(nanoseconds)  # Go's uint64(-d), exact even for the smallest int64
    text = _format_under_second(u) if u < _SECOND else _format_seconds_up(u)
    return "-" + text if nanoseconds < 0 else text


def _format_under_second(u: int) -> str:
    """Below one second Go uses smaller units, like "1.2ms"; zero is "0s"."""
    if u == 0:
        return "0s"
    if u < _MICROSECOND:
        prec, unit = 0, "ns"
    elif u < _MILLISECOND:
        prec, unit = 3, "\u00b5s"  # U+00B5 micro sign, as Go writes it
    else:
        prec, unit = 6, "ms"
    frac, u = _fmt_frac(u, prec)
    return _fmt_int(u) + frac + unit


def _format_seconds_up(u: int) -> str:
    """From one second up Go writes [h][m]s, e.g. "1h0m0s"; it stops at hours."""
    frac, u = _fmt_frac(u, 9)
    text = _fmt_int(u % 60) + frac + "s"  # u is now integer seconds
    u //= 60
    if u > 0:  # u is now integer minutes
        text = _fmt_int(u % 60) + "m" + text
        u //= 60
        if u > 0:  # u is now integer hours
            text = _fmt_int(u) + "h" + text
    return text


def _fmt_frac(v: int, prec: int) -> tuple[str, int]:
    """Go's fmtFrac: (fraction of v/10**prec as ".12" or "", v // 10**prec)."""
    digits: list[str] = []
    printing = False
    for _ in range(prec):
        digit = v % 10
        printing = printing or digit != 0
        if printing:
            digits.append(str(digit))
        v //= 10
    if not printing:
        return "", v
    return "." + "".join(reversed(digits)), v


def _fmt_int(v: int) -> str:
    """Go's fmtInt: v in decimal ("0" for zero)."""
    return str(v)


# --- the webhook rule --------------------------------------------------------------


def parse_webhook_timeout(text: str) -> int:
    """A webhook timeout: a Go duration, not negative, at most 20s; returns nanoseconds."""
    if not isinstance(text, str):
        raise InvalidDuration(
            f"timeout must be a string, not {type(text).__name__}; {_TIMEOUT_GUIDANCE}"
        )
    try:
        nanoseconds = parse_go_duration(text)
    except ValueError as error:
        raise InvalidDuration(f"{error}; {_TIMEOUT_GUIDANCE}") from None
    if nanoseconds < 0:
        raise InvalidDuration("timeout cannot be negative")
    if nanoseconds > MAX_WEBHOOK_TIMEOUT_NS:
        raise InvalidDuration("timeout cannot be more than 20s")
    return nanoseconds
