"""Literal strategies for the fuzz run: every scalar of the schema, leaning on the edges.

Registered with `schemathesis.graphql.scalar`, so they replace the generator's own strings,
ids and ints too: NUL and line breaks (PostgreSQL refuses NUL in text), lengths around the
limits, ids that are no UUIDs, ints around the page-size bounds, Go durations around 20s,
and JSON that is deep, huge or not finite.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import graphql
import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes

_awkward = st.sampled_from(["\x00", "\r\n", "\n", "\t", "\x7f", "\u2028", "\ufeff", "%00"])
_plain = st.text(st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]), max_size=12)
# Plain text three times in five, so that whole inputs are often valid but for one field.
strings = st.one_of(
    _plain,
    _plain,
    _plain,
    st.tuples(_plain, _awkward, _plain).map("".join),
    st.sampled_from(["", " ", "x" * 255, "x" * 256, "x" * 2000, "x" * 2001, "x" * 3000]),
)
ids = st.one_of(st.uuids().map(str), strings)
ints = st.one_of(
    st.integers(min_value=-(2**31), max_value=2**31 - 1),
    st.sampled_from([-(2**31), -1, 0, 1, 50, 51, 99, 100, 101, 2**31 - 1]),
)

_go_units = st.sampled_from(["ns", "us", "µs", "μs", "ms", "s", "m", "h"])
_go_parts = st.tuples(
    st.integers(min_value=0, max_value=10**20).map(str),
    st.sampled_from(["", ".5", ".000001"]),
    _go_units,
).map("".join)
durations = st.one_of(
    st.sampled_from(["0", "0s", "20s", "20.000000001s", "-1ns", "1m", "", "9223372036854775808ns"]),
    st.lists(_go_parts, min_size=1, max_size=3).map("".join),
    st.text(max_size=12),
)

_json_keys = st.from_regex(r"[_A-Za-z][_0-9A-Za-z]{0,10}", fullmatch=True)
_json_leaves = st.one_of(
    st.just(nodes.Null),
    st.booleans().map(nodes.Boolean),
    st.integers(min_value=-(10**30), max_value=10**30).map(nodes.Int),
    st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float),
    strings.map(nodes.String),
    # graphql-core reads these as inf and NaN (an int past 4,300 digits cannot be parsed)
    st.just(graphql.FloatValueNode(value="1e999")),
    st.just(graphql.IntValueNode(value="9" * 5000)),
)


def _object(fields: Sequence[tuple[str, graphql.ValueNode]]) -> graphql.ObjectValueNode:
    return nodes.Object(
        [graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=v) for k, v in fields]
    )


def _fields(values: st.SearchStrategy[graphql.ValueNode], size: int) -> st.SearchStrategy[Any]:
    return st.lists(st.tuples(_json_keys, values), max_size=size, unique_by=lambda kv: kv[0])


def _nested(depth: int) -> graphql.ValueNode:
    value: graphql.ValueNode = nodes.Int(1)
    for _ in range(depth):
        value = _object([("a", value)])
    return value


_json_values = st.recursive(
    _json_leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(nodes.List), _fields(inner, 4).map(_object)
    ),
    max_leaves=30,
)
# Objects (what `content` wants) most of the time, anything else, and deep nesting.
json_values = st.one_of(
    _fields(_json_values, 6).map(_object),
    _json_values,
    st.integers(min_value=1, max_value=200).map(_nested),
)


def register_scalars() -> None:
    """Make schemathesis draw every scalar of the schema from the strategies above."""
    schemathesis.graphql.scalar("String", strings.map(nodes.String))
    schemathesis.graphql.scalar("ID", ids.map(nodes.String))
    schemathesis.graphql.scalar("Int", ints.map(nodes.Int))
    schemathesis.graphql.scalar("Duration", durations.map(nodes.String))
    schemathesis.graphql.scalar("JSON", json_values)
