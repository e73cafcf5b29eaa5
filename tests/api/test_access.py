"""API keys, roles and tenancy: nobody sees or changes another organization's data."""

from __future__ import annotations

import uuid

import httpx

from hookwire.domain.access import Role
from hookwire.services.access import create_api_key
from tests.api.test_webhooks import DELETE, GET, LIST, UPDATE, create
from tests.support.server import GraphQLClient, Org, ServerThread

ORG = "{ organization { id name } }"


def member_key(org: Org) -> str:
    return org.server.run(create_api_key(uuid.UUID(org.id), Role.MEMBER))


def test_missing_and_bad_keys_are_unauthenticated(server: ServerThread, org: Org) -> None:
    for key in (None, "nope", "hwk_" + "0" * 24 + "_x", org.api_key + "x"):
        body = GraphQLClient(server.url, key).execute(ORG)
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", key


def test_slashid_header_pair_authenticates_and_must_match(server: ServerThread, org: Org) -> None:
    def ask(org_id: str) -> dict:
        headers = {"SlashID-OrgID": org_id, "SlashID-API-Key": org.api_key}
        return httpx.post(f"{server.url}/graphql", json={"query": ORG}, headers=headers).json()

    assert ask(org.id)["data"]["organization"]["id"] == org.id
    wrong = ask("01900000-0000-7000-8000-000000000000")
    assert wrong["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_member_reads_but_cannot_write_and_sees_header_values_redacted(org: Org) -> None:
    webhook = create(org, customHeaders=[{"name": "X-Secret", "values": ["a", "b"]}])
    member = org.client(member_key(org))

    seen = member.data(GET, id=webhook["id"])["webhook"]
    refused = member.execute(DELETE, id=webhook["id"])

    assert seen["customHeaders"] == [{"name": "X-Secret", "values": ["[redacted]", "[redacted]"]}]
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert org.client().data(GET, id=webhook["id"])["webhook"]["customHeaders"] == [
        {"name": "X-Secret", "values": ["a", "b"]}
    ]


def test_no_operation_reaches_another_organizations_webhook(org: Org, other_org: Org) -> None:
    theirs = create(other_org, name="Theirs")
    mine = org.client()

    assert mine.data(GET, id=theirs["id"])["webhook"] is None
    assert mine.data(LIST)["webhooks"]["totalCount"] == 0
    assert (
        mine.data(UPDATE, id=theirs["id"], input={"name": "x"})["updateWebhook"]["__typename"]
        == "NotFoundError"
    )
    assert mine.data(DELETE, id=theirs["id"])["deleteWebhook"]["__typename"] == "NotFoundError"
    assert other_org.client().data(GET, id=theirs["id"])["webhook"]["name"] == "Theirs"


def test_api_keys_are_stored_hashed(org: Org) -> None:
    from hookwire.models import ApiKey

    rows = org.server.run(
        ApiKey.filter(organization_id=org.id).values_list("secret_hash", "lookup")
    )

    secret = org.api_key.rsplit("_", 1)[1]
    assert rows and all(secret not in h and secret not in lookup for h, lookup in rows)
