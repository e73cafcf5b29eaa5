from __future__ import annotations

import pytest

from hookwire.schema.media_types import (
    APPLICATION_JSON,
    GRAPHQL_RESPONSE_JSON,
    graphql_response,
    negotiate_media_type,
)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, APPLICATION_JSON),
        ("", APPLICATION_JSON),
        ("*/*", APPLICATION_JSON),
        ("application/*", APPLICATION_JSON),
        ("text/html", APPLICATION_JSON),
        ("application/json", APPLICATION_JSON),
        ("Application/GraphQL-Response+JSON", GRAPHQL_RESPONSE_JSON),
        ("application/graphql-response+json;charset=utf-8", GRAPHQL_RESPONSE_JSON),
        ("application/json;q=0.9, application/graphql-response+json", GRAPHQL_RESPONSE_JSON),
        ("application/json, application/graphql-response+json;q=0.9", APPLICATION_JSON),
        ("application/*;q=0.5, application/graphql-response+json;q=0.4", APPLICATION_JSON),
        ("application/graphql-response+json;q=0", APPLICATION_JSON),
        ("application/graphql-response+json;q=oops", APPLICATION_JSON),
    ],
)
def test_negotiation(accept: str | None, expected: str) -> None:
    assert negotiate_media_type(accept) == expected


def test_anything_executed_is_a_200_as_it_is() -> None:
    field_error = {"data": None, "errors": [{"message": "no", "path": ["organization"]}]}

    assert graphql_response({"data": {"a": 1}}) == (200, {"data": {"a": 1}})
    assert graphql_response(field_error) == (200, field_error)


def test_a_request_error_is_a_400_without_data() -> None:
    status, body = graphql_response({"data": None, "errors": [{"message": "Syntax Error"}]})

    assert (status, body) == (400, {"errors": [{"message": "Syntax Error"}]})


def test_an_unexpected_error_before_execution_is_a_500() -> None:
    error = {"message": "Unexpected error", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}

    assert graphql_response({"data": None, "errors": [error]}) == (500, {"errors": [error]})
