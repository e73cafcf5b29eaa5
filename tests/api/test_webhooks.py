"""createWebhook, updateWebhook, deleteWebhook, webhook and webhooks, through the real server."""

from __future__ import annotations

from tests.support.server import Org

CREATE = """
mutation Create($input: CreateWebhookInput!) {
  createWebhook(input: $input) {
    __typename
    ... on Webhook { id name description targetUrl timeout enabled disabledReason
                     customHeaders { name values } triggers { triggerType triggerName }
                     createdAt updatedAt }
    ... on UserError { code message }
    ... on ValidationError { field }
    ... on ConflictError { field }
  }
}
"""
UPDATE = """
mutation Update($id: ID!, $input: UpdateWebhookInput!) {
  updateWebhook(id: $id, input: $input) {
    __typename
    ... on Webhook { id name description targetUrl timeout enabled customHeaders { name values } }
    ... on UserError { code message }
    ... on ValidationError { field }
    ... on ConflictError { field }
    ... on NotFoundError { id }
  }
}
"""
DELETE = """
mutation Delete($id: ID!) {
  deleteWebhook(id: $id) {
    __typename ... on DeletedWebhook { id } ... on NotFoundError { code id }
  }
}
"""
GET = "query Get($id: ID!) { webhook(id: $id) { id name targetUrl customHeaders { name values } } }"
LIST = """
query List($first: Int, $after: String) {
  webhooks(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id name } }
  }
}
"""


def create(org: Org, **fields: object) -> dict:
    payload = {"name": "Orders", "targetUrl": "https://hooks.example.com/in", **fields}
    return org.client().data(CREATE, input=payload)["createWebhook"]


def test_create_returns_the_normalized_webhook_with_defaults(org: Org) -> None:
    created = create(org, targetUrl="HTTPS://Hooks.Example.COM:443")

    assert created["__typename"] == "Webhook"
    assert created["targetUrl"] == "https://hooks.example.com/"
    assert created["description"] == ""
    assert created["timeout"] == "0s"
    assert created["enabled"] is True
    assert created["disabledReason"] is None
    assert created["triggers"] == []
    assert created["customHeaders"] == []
    assert created["createdAt"].endswith("Z")


def test_create_with_triggers_headers_and_timeout(org: Org) -> None:
    created = create(
        org,
        description="order events",
        timeout="1500ms",
        customHeaders=[{"name": "X-Api-Key", "values": ["s3cret", "other"]}],
        triggers=[
            {"triggerType": "EVENT", "triggerName": "PersonCreated_v1"},
            {"triggerType": "SYNC_HOOK", "triggerName": "token_minted"},
            {"triggerType": "EVENT", "triggerName": "PersonCreated_v1"},
        ],
    )

    assert created["timeout"] == "1.5s"
    assert created["customHeaders"] == [{"name": "X-Api-Key", "values": ["s3cret", "other"]}]
    assert created["triggers"] == [
        {"triggerType": "EVENT", "triggerName": "PersonCreated_v1"},
        {"triggerType": "SYNC_HOOK", "triggerName": "token_minted"},
    ]


def test_each_rule_answers_its_error_code_and_field(org: Org) -> None:
    cases = [
        ({"targetUrl": "http://hooks.example.com"}, "INVALID_URL", "targetUrl"),
        ({"targetUrl": "https://127.0.0.1/"}, "INVALID_URL", "targetUrl"),
        ({"targetUrl": "https://a.example.com/?"}, "INVALID_URL", "targetUrl"),
        ({"timeout": "21s"}, "INVALID_TIMEOUT", "timeout"),
        ({"timeout": "-1s"}, "INVALID_TIMEOUT", "timeout"),
        ({"timeout": "10"}, "INVALID_TIMEOUT", "timeout"),
        ({"customHeaders": [{"name": "Host", "values": ["x"]}]}, "INVALID_HEADER", "customHeaders"),
        (
            {"customHeaders": [{"name": "X-A", "values": ["a\r\nb"]}]},
            "INVALID_HEADER",
            "customHeaders",
        ),
        ({"name": ""}, "INVALID_INPUT", "name"),
        ({"name": "x" * 256}, "INVALID_INPUT", "name"),
        ({"description": "x" * 2001}, "INVALID_INPUT", "description"),
        (
            {"triggers": [{"triggerType": "EVENT", "triggerName": "token_minted"}]},
            "UNKNOWN_TRIGGER",
            "triggers",
        ),
    ]
    for fields, code, field in cases:
        result = create(org, **fields)
        assert (result["__typename"], result["code"], result["field"]) == (
            "ValidationError",
            code,
            field,
        ), fields
        assert result["message"]

    listed = org.client().data(LIST)["webhooks"]
    assert listed["totalCount"] == 0, "a refused create must store nothing"


def test_target_url_is_unique_per_organization_on_the_normalized_form(
    org: Org, other_org: Org
) -> None:
    create(org, targetUrl="https://hooks.example.com/a")

    clash = create(org, name="Again", targetUrl="https://HOOKS.example.com:443/a")
    elsewhere = other_org.client().data(
        CREATE, input={"name": "Theirs", "targetUrl": "https://hooks.example.com/a"}
    )["createWebhook"]

    assert (clash["__typename"], clash["code"], clash["field"]) == (
        "ConflictError",
        "DUPLICATE_URL",
        "targetUrl",
    )
    assert elsewhere["__typename"] == "Webhook"


def test_update_changes_only_given_fields_and_replaces_headers(org: Org) -> None:
    created = create(
        org,
        description="keep me",
        customHeaders=[{"name": "X-One", "values": ["1"]}, {"name": "X-Two", "values": ["2"]}],
    )

    updated = org.client().data(
        UPDATE,
        id=created["id"],
        input={"name": "Renamed", "customHeaders": [{"name": "X-Three", "values": ["3"]}]},
    )["updateWebhook"]

    assert updated["name"] == "Renamed"
    assert updated["description"] == "keep me"
    assert updated["targetUrl"] == created["targetUrl"]
    assert updated["customHeaders"] == [{"name": "X-Three", "values": ["3"]}]


def test_update_refuses_a_duplicate_url_and_keeps_the_old_one(org: Org) -> None:
    first = create(org, targetUrl="https://a.example.com/")
    second = create(org, name="B", targetUrl="https://b.example.com/")

    clash = org.client().data(
        UPDATE, id=second["id"], input={"targetUrl": "https://A.example.com", "name": "changed"}
    )["updateWebhook"]
    same = org.client().data(UPDATE, id=first["id"], input={"targetUrl": "https://a.example.com"})

    assert clash["code"] == "DUPLICATE_URL"
    assert org.client().data(GET, id=second["id"])["webhook"]["name"] == "B"
    assert same["updateWebhook"]["__typename"] == "Webhook"


def test_update_and_delete_of_an_unknown_id_are_not_found(org: Org) -> None:
    missing = "01900000-0000-7000-8000-000000000000"

    updated = org.client().data(UPDATE, id=missing, input={"name": "x"})["updateWebhook"]
    deleted = org.client().data(DELETE, id="not-a-uuid")["deleteWebhook"]

    assert (updated["__typename"], updated["code"], updated["id"]) == (
        "NotFoundError",
        "NOT_FOUND",
        missing,
    )
    assert deleted == {"__typename": "NotFoundError", "code": "NOT_FOUND", "id": "not-a-uuid"}


def test_delete_removes_the_webhook(org: Org) -> None:
    created = create(org)

    deleted = org.client().data(DELETE, id=created["id"])["deleteWebhook"]

    assert deleted == {"__typename": "DeletedWebhook", "id": created["id"]}
    assert org.client().data(GET, id=created["id"])["webhook"] is None
    again = org.client().data(DELETE, id=created["id"])["deleteWebhook"]
    assert again["__typename"] == "NotFoundError"


def test_webhooks_paginates_in_creation_order(org: Org) -> None:
    ids = [
        create(org, name=f"w{i}", targetUrl=f"https://h.example.com/{i}")["id"] for i in range(5)
    ]

    page1 = org.client().data(LIST, first=2)["webhooks"]
    page2 = org.client().data(LIST, first=2, after=page1["pageInfo"]["endCursor"])["webhooks"]
    page3 = org.client().data(LIST, first=2, after=page2["pageInfo"]["endCursor"])["webhooks"]

    seen = [e["node"]["id"] for page in (page1, page2, page3) for e in page["edges"]]
    assert seen == ids
    assert page1["totalCount"] == 5
    assert [p["pageInfo"]["hasNextPage"] for p in (page1, page2, page3)] == [True, True, False]


def test_page_size_and_cursor_are_checked(org: Org) -> None:
    too_big = org.client().execute(LIST, first=101)
    bad_cursor = org.client().execute(LIST, after="!!")

    assert too_big["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    assert bad_cursor["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


def test_text_no_database_can_store_is_refused_and_nothing_changes(org: Org) -> None:
    # NUL breaks PostgreSQL's text columns, an unpaired surrogate breaks UTF-8 on any backend:
    # both are refused everywhere (found by tests/fuzz).
    cases = [
        ("name", "a\x00b"),
        ("description", "\x00"),
        ("name", "\ud800"),
        ("description", "x\udfff"),
    ]
    kept = create(org, name="Orders", description="kept")

    for field, value in cases:
        payload = {"name": "Other", "targetUrl": "https://hooks.example.com/other", field: value}
        created = org.client().execute_unchecked(CREATE, input=payload)["data"]["createWebhook"]
        updated = org.client().execute_unchecked(UPDATE, id=kept["id"], input={field: value})
        updated = updated["data"]["updateWebhook"]

        for refused in (created, updated):
            assert (refused["__typename"], refused["code"], refused["field"]) == (
                "ValidationError",
                "INVALID_INPUT",
                field,
            ), value
    listed = org.client().data(LIST)["webhooks"]
    assert [edge["node"]["name"] for edge in listed["edges"]] == ["Orders"]
    assert org.client().data(GET, id=kept["id"])["webhook"]["name"] == "Orders"
