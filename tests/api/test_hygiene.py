"""Request limits, error masking, GraphiQL and introspection (§8)."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from cryptography.fernet import Fernet

from hookwire.app import create_app
from hookwire.models import Webhook
from hookwire.settings import Settings
from tests.api.test_webhooks import GET, create
from tests.support.server import Org, ServerThread


def test_more_than_fifteen_aliases_are_refused(org: Org) -> None:
    query = "{ " + " ".join(f"a{i}: organization {{ id }}" for i in range(16)) + " }"
    body = org.client().execute(query)
    assert "aliases" in body["errors"][0]["message"].lower()


def test_more_than_two_thousand_tokens_are_refused(org: Org) -> None:
    query = "{ organization { " + " ".join(["id"] * 2100) + " } }"
    body = org.client().execute(query)
    assert "token" in body["errors"][0]["message"].lower()


def test_a_body_over_one_mebibyte_is_refused(server: ServerThread, org: Org) -> None:
    padding = " " * (1024 * 1024 + 1)
    response = httpx.post(
        server.url + "/graphql",
        content=('{"query": "{ organization { id } }"' + padding + "}").encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {org.api_key}"},
    )
    assert response.status_code == 413


def test_unexpected_errors_are_masked_with_a_correlation_id(org: Org) -> None:
    webhook = create(org, customHeaders=[{"name": "X-A", "values": ["1"]}])
    org.server.run(
        Webhook.filter(id=uuid.UUID(webhook["id"])).update(
            custom_headers_encrypted=Fernet(Fernet.generate_key()).encrypt(b"[]").decode()
        )
    )

    body = org.client().execute(GET, id=webhook["id"])

    (error,) = body["errors"]
    assert error["message"] == "Unexpected error"
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    uuid.UUID(error["extensions"]["correlationId"])
    assert "master key" not in str(body)


def test_graphiql_is_served_in_development(server: ServerThread) -> None:
    page = httpx.get(server.url + "/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()


def test_production_turns_graphiql_and_introspection_off() -> None:
    settings = Settings.from_env(
        {"HOOKWIRE_ENV": "production"}, secret_keys=(Fernet.generate_key().decode(),)
    )
    app = create_app(settings, run_migrations=False)

    async def ask() -> tuple[httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            page = await client.get("/graphql", headers={"Accept": "text/html"})
            schema = await client.post(
                "/graphql", json={"query": "{ __schema { types { name } } }"}
            )
            return page, schema

    page, schema = asyncio.run(ask())

    assert "graphiql" not in page.text.lower()
    assert "introspection" in schema.json()["errors"][0]["message"].lower()


def test_depth_over_ten_is_refused(org: Org) -> None:
    ten = (
        "{ deliveries { edges { node { event { deliveries { webhook { deliveries { edges {"
        " node { event { id } } } } } } } } } } }"
    )
    eleven = ten.replace("event { id }", "event { deliveries { id } }")

    assert "errors" not in org.client().execute(ten)
    body = org.client().execute(eleven)
    assert "exceeds maximum operation depth of 10" in body["errors"][0]["message"]


def test_a_subscription_over_plain_http_gets_a_clear_error(org: Org) -> None:
    body = org.client().execute("subscription { deliveryOutcomes { id } }")

    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "WebSocket" in error["message"]


def test_json_too_deep_or_too_long_for_the_decoder_is_a_bad_request(
    server: ServerThread, org: Org
) -> None:
    deep = '{"query": "{ organization { id } }", "variables": ' + "[" * 5000 + "]" * 5000 + "}"
    huge_int = '{"query": "{ organization { id } }", "variables": {"n": ' + "9" * 5000 + "}}"
    for body in (deep, huge_int):
        response = httpx.post(
            server.url + "/graphql",
            content=body.encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {org.api_key}"},
        )
        assert response.status_code == 400
