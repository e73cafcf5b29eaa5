"""invokeSyncHook: concurrent calls, merged claims in creation order, failures harmless."""

from __future__ import annotations

import jwt

from tests.support.delivery import hook_to, unique_path
from tests.support.receiver import Receiver, Response
from tests.support.server import Org

INVOKE = """
mutation I($name: String!, $content: JSON!) {
  invokeSyncHook(name: $name, content: $content) {
    __typename
    ... on SyncHookInvocation { id claims calls { webhookId outcome statusCode error response } }
    ... on ValidationError { code field message }
  }
}
"""


def test_answers_merge_in_creation_order_and_slow_or_failing_hooks_add_nothing(
    org: Org, receiver: Receiver
) -> None:
    paths = [unique_path() for _ in range(4)]
    receiver.respond(paths[0], Response(200, {"role": "reader", "tier": "free", "sub": "evil"}))
    receiver.respond(paths[1], Response(200, {"tier": "gold"}, delay=3.0))  # too slow
    receiver.respond(paths[2], Response(500, {"tier": "broken"}))
    receiver.respond(paths[3], Response(200, {"tier": "pro", "iat": 1}))
    hooks = [hook_to(org, receiver, p, events=(), sync_hooks=("token_minted",)) for p in paths]
    org.client().data(
        'mutation U($id: ID!) { updateWebhook(id: $id, input: {timeout: "500ms"}) { __typename } }',
        id=hooks[1]["id"],
    )
    hook_to(org, receiver, events=(), sync_hooks=("identify_user",))

    result = org.client().data(INVOKE, name="token_minted", content={"sub": "person-1"})[
        "invokeSyncHook"
    ]

    assert result["__typename"] == "SyncHookInvocation"
    assert result["claims"] == {"role": "reader", "tier": "pro"}
    assert [c["webhookId"] for c in result["calls"]] == [h["id"] for h in hooks]
    assert [c["outcome"] for c in result["calls"]] == [
        "SUCCEEDED",
        "TIMEOUT",
        "HTTP_ERROR",
        "SUCCEEDED",
    ]
    assert result["calls"][0]["response"] == {"role": "reader", "tier": "free", "sub": "evil"}
    assert result["calls"][2]["response"] is None
    arrivals = [receiver.requests(p)[0].received_at for p in paths]
    assert max(arrivals) - min(arrivals) < 0.45, "all calls start together, not one by one"
    token = jwt.decode(receiver.requests(paths[0])[0].body, options={"verify_signature": False})
    assert token["sub"] == result["id"]
    assert (token["trigger_type"], token["trigger_name"]) == ("sync_hook", "token_minted")
    assert token["exp"] - token["iat"] == 300
    assert token["trigger_content"] == {"sub": "person-1"}


def test_no_subscribed_hook_gives_empty_claims(org: Org) -> None:
    result = org.client().data(INVOKE, name="threat_detection", content={})["invokeSyncHook"]
    assert (result["claims"], result["calls"]) == ({}, [])


def test_unknown_names_and_non_object_content_are_refused(org: Org) -> None:
    unknown = org.client().data(INVOKE, name="PersonCreated_v1", content={})["invokeSyncHook"]
    not_object = org.client().data(INVOKE, name="token_minted", content=[1])["invokeSyncHook"]

    assert (unknown["code"], unknown["field"]) == ("UNKNOWN_TRIGGER", "name")
    assert (not_object["code"], not_object["field"]) == ("INVALID_INPUT", "content")


def test_content_that_is_not_plain_json_is_refused_before_any_call(
    org: Org, receiver: Receiver
) -> None:
    # NaN and Infinity would make the signed token's JSON invalid, an unpaired surrogate
    # cannot be encoded, and NUL and deep nesting are refused as for events.
    path = unique_path()
    hook_to(org, receiver, path, events=(), sync_hooks=("token_minted",))
    deep: object = 1
    for _ in range(65):
        deep = [deep]
    contents = [
        {"a": float("nan")},
        {"a": float("inf")},
        {"a": "\udc80"},
        {"a\x00": 1},
        {"a": deep},
    ]

    for content in contents:
        body = org.client().execute_unchecked(INVOKE, name="token_minted", content=content)
        refused = body["data"]["invokeSyncHook"]
        assert (refused["__typename"], refused["code"], refused["field"]) == (
            "ValidationError",
            "INVALID_INPUT",
            "content",
        )

    assert receiver.requests(path) == []


def test_a_body_with_nul_is_recorded_with_a_replacement_character(
    org: Org, receiver: Receiver
) -> None:
    # PostgreSQL refused to store such an attempt, which made invokeSyncHook fail.
    path = unique_path()
    receiver.respond(path, Response(500, b"bad\x00body"))
    hook_to(org, receiver, path, events=(), sync_hooks=("posture_detection",))

    result = org.client().data(INVOKE, name="posture_detection", content={})["invokeSyncHook"]

    assert [(c["outcome"], c["statusCode"]) for c in result["calls"]] == [("HTTP_ERROR", 500)]
