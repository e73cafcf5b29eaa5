"""Text and JSON content that every backend can store: no NUL, no lone surrogate, no NaN."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hookwire.domain.errors import RuleViolation
from hookwire.domain.storable import MAX_JSON_DEPTH, check_json, check_text


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize("text", ["", "plain", "tab\tand\nlines", "café ☕", "\U0001f600", "\x7f"])
def test_ordinary_text_passes(text: str) -> None:
    check_text(text, "name")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a\x00b", "name holds a NUL character (U+0000)"),
        ("\x00", "NUL"),
        ("\ud800", "name is not valid text (it holds an unpaired surrogate)"),
        ("ok\udfff", "unpaired surrogate"),
    ],
)
def test_text_no_database_can_store_is_refused(text: str, message: str) -> None:
    with pytest.raises(RuleViolation) as caught:
        check_text(text, "name")
    assert message in caught.value.message
    assert (caught.value.code, caught.value.field) == ("INVALID_INPUT", "name")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"a": {"b": [1, "x\x00"]}}, "content.a.b[1] holds a NUL character"),
        ({"a": {"k\x00": 1}}, "a key in content.a holds a NUL character"),
        ({"a": ["\udc80"]}, "content.a[0] is not valid text"),
        ({"a": float("nan")}, "content.a is NaN or infinite"),
        ({"a": [float("-inf")]}, "content.a[0] is NaN or infinite"),
        (nested(MAX_JSON_DEPTH + 1), f"more than {MAX_JSON_DEPTH} levels deep"),
        (nested(10_000), f"more than {MAX_JSON_DEPTH} levels deep"),
    ],
)
def test_json_no_database_can_store_is_refused(content: Any, message: str) -> None:
    with pytest.raises(RuleViolation) as caught:
        check_json(content, "content")
    assert message in caught.value.message
    assert (caught.value.code, caught.value.field) == ("INVALID_INPUT", "content")


def test_json_up_to_the_depth_limit_passes() -> None:
    check_json(nested(MAX_JSON_DEPTH), "content")
    check_json({"n": 10**4000, "f": 1e308, "s": "\t", "none": None, "t": True}, "content")


_storable_text = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"))
_storable_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | _storable_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_storable_text, inner, max_size=4),
    max_leaves=20,
)


@given(_storable_json)
def test_any_json_of_storable_text_and_finite_numbers_passes(content: Any) -> None:
    check_json(content, "content")


@given(_storable_json, st.sampled_from(["\x00", "\ud800", float("nan"), float("inf")]))
def test_one_bad_leaf_anywhere_is_refused(content: Any, bad: Any) -> None:
    with pytest.raises(RuleViolation):
        check_json([content, {"x": [bad]}], "content")
