"""GraphQL over HTTP media types: application/graphql-response+json when accepted (§8)."""

from __future__ import annotations

import httpx
import pytest

from tests.support.server import Org, ServerThread

GRAPHQL_RESPONSE = "application/graphql-response+json"
BROKEN = {
    "syntax": {"query": "{"},
    "validation": {"query": "{ noSuchField }"},
    "variables": {"query": "query Q($id: ID!) { webhook(id: $id) { id } }", "variables": {}},
}


def post(server: ServerThread, body: object, accept: str | None, **headers: str) -> httpx.Response:
    if accept is not None:
        headers["Accept"] = accept
    return httpx.post(server.url + "/graphql", json=body, headers=headers, timeout=30)


@pytest.mark.parametrize(
    "accept",
    [
        GRAPHQL_RESPONSE,
        f"{GRAPHQL_RESPONSE}; charset=utf-8",
        f"{GRAPHQL_RESPONSE}, application/json;q=0.9",
        f"application/json, {GRAPHQL_RESPONSE}",
        f"*/*;q=0.1, {GRAPHQL_RESPONSE}",
    ],
)
def test_a_client_preferring_graphql_response_json_gets_it(org: Org, accept: str) -> None:
    response = post(
        org.server,
        {"query": "{ organization { id } }"},
        accept,
        Authorization=f"Bearer {org.api_key}",
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert response.json() == {"data": {"organization": {"id": org.id}}}


@pytest.mark.parametrize(
    "accept",
    [None, "*/*", "application/json", f"application/json, {GRAPHQL_RESPONSE};q=0.5", "text/html"],
)
def test_other_clients_keep_application_json(server: ServerThread, accept: str | None) -> None:
    response = post(server, {"query": "{ __typename }"}, accept)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_a_request_error_is_a_400_without_data(server: ServerThread, kind: str) -> None:
    response = post(server, BROKEN[kind], GRAPHQL_RESPONSE)

    assert response.status_code == 400
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    body = response.json()
    assert "data" not in body and body["errors"][0]["message"]


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_application_json_still_answers_request_errors_with_200(
    server: ServerThread, kind: str
) -> None:
    response = post(server, BROKEN[kind], "application/json")

    assert response.status_code == 200
    assert response.json()["data"] is None and response.json()["errors"]


def test_field_errors_after_execution_are_a_200_with_data(server: ServerThread) -> None:
    response = post(server, {"query": "{ organization { id } }"}, GRAPHQL_RESPONSE)

    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_request_that_is_not_graphql_is_refused_in_the_accepted_media_type(
    server: ServerThread,
) -> None:
    for accept, content_type in ((GRAPHQL_RESPONSE, GRAPHQL_RESPONSE), (None, "text/plain")):
        response = post(server, {"variables": {}}, accept)

        assert response.status_code == 400
        assert response.headers["content-type"].startswith(content_type)
        assert "No GraphQL query" in response.text
