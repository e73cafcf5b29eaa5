"""generateTestEvents: realistic content, duplicates, and the per-organization rate limit."""

from __future__ import annotations

import jwt

from tests.support.delivery import hook_to, unique_path, wait_for_status
from tests.support.receiver import Receiver
from tests.support.server import Org

GENERATE = """
mutation G($events: [TestEventInput!]!) {
  generateTestEvents(events: $events) {
    __typename
    ... on TestEvents { events { id name isTestEvent timestamp content deliveries { id } } }
    ... on RateLimitedError { code message retryAfterSeconds }
    ... on ValidationError { code message field }
  }
}
"""
COUNT_EVENTS = "{ deliveries(first: 100) { edges { node { id } } } }"


def generate(org: Org, *events: dict) -> dict:
    result: dict = org.client().data(GENERATE, events=list(events))["generateTestEvents"]
    return result


def test_test_events_are_realistic_marked_and_delivered(org: Org, receiver: Receiver) -> None:
    path = unique_path()
    hook_to(org, receiver, path, events=("AuthenticationSucceeded_v1",))

    result = generate(
        org,
        {"eventName": "AuthenticationSucceeded_v1", "count": 2, "analyticsCorrelationId": "corr-1"},
    )

    first, second = result["events"]
    assert first["id"] != second["id"] and first["isTestEvent"] is True
    content = first["content"]
    metadata = content["event_metadata"]
    assert metadata["is_test_event"] is True
    assert (metadata["event_name"], metadata["event_type"], metadata["event_version"]) == (
        "AuthenticationSucceeded_v1",
        "AuthenticationSucceeded",
        1,
    )
    assert metadata["organization_id"] == org.id and metadata["timestamp"].endswith("Z")
    assert len(metadata["timestamp"].split(".")[1]) == 10  # nanoseconds and Z
    assert content["analytics_metadata"]["analytics_correlation_id"] == "corr-1"
    assert content["authn_method"] in content["authenticated_methods"]
    assert list(content) == sorted(content)
    requests = receiver.wait_for(2, path)
    delivered = {jwt.decode(r.body, options={"verify_signature": False})["sub"] for r in requests}
    assert delivered == {first["id"], second["id"]}


def test_duplicates_share_one_event_id_and_content(org: Org, receiver: Receiver) -> None:
    path = unique_path()
    hook_to(org, receiver, path)

    events = generate(org, {"eventName": "PersonCreated_v1", "count": 3, "duplicates": True})[
        "events"
    ]

    assert len(events) == 3
    assert len({e["id"] for e in events}) == 1
    assert len({str(e["content"]) for e in events}) == 1
    received = receiver.wait_for(3, path)
    tokens = [jwt.decode(r.body, options={"verify_signature": False}) for r in received]
    assert {t["sub"] for t in tokens} == {events[0]["id"]}
    assert len({t["jti"] for t in tokens}) == 3
    for d in events[0]["deliveries"]:
        wait_for_status(org, d["id"])


def test_count_and_names_are_validated_and_nothing_is_made(org: Org) -> None:
    cases = [
        ({"eventName": "PersonCreated_v1", "count": 0}, "INVALID_INPUT", "events[0].count"),
        ({"eventName": "PersonCreated_v1", "count": 51}, "INVALID_INPUT", "events[0].count"),
        ({"eventName": "Nope_v1"}, "UNKNOWN_EVENT", "events[0].eventName"),
    ]
    for event, code, field in cases:
        refused = (
            generate(org, {"eventName": "PersonCreated_v1"}, event)
            if "Nope" in event["eventName"]
            else generate(org, event)
        )
        assert refused["__typename"] == "ValidationError"
        assert refused["code"] == code
        assert refused["field"] in (field, field.replace("[0]", "[1]"))
    assert org.client().data(COUNT_EVENTS)["deliveries"]["edges"] == []


def test_the_limit_counts_events_and_refuses_without_generating(
    org: Org, other_org: Org, receiver: Receiver
) -> None:
    hook_to(org, receiver)

    allowed = generate(
        org,
        {"eventName": "PersonCreated_v1", "count": 30},
        {"eventName": "PersonDeleted_v1", "count": 20},
    )
    refused = generate(org, {"eventName": "PersonCreated_v1", "count": 1})
    elsewhere = generate(other_org, {"eventName": "PersonCreated_v1", "count": 50})

    assert len(allowed["events"]) == 50
    assert refused["__typename"] == "RateLimitedError" and refused["code"] == "RATE_LIMITED"
    assert 0 < refused["retryAfterSeconds"] <= 300
    assert elsewhere["__typename"] == "TestEvents"
    deliveries = org.client().data(COUNT_EVENTS)["deliveries"]["edges"]
    assert len(deliveries) == 30  # only PersonCreated_v1 is subscribed; the refused call made none


def test_a_correlation_id_no_database_can_store_is_refused_and_spends_nothing(
    org: Org, receiver: Receiver
) -> None:
    # NUL broke the write on PostgreSQL (found by tests/fuzz); an unpaired surrogate cannot be
    # stored anywhere. Both are refused before the rate limit is charged.
    hook_to(org, receiver, events=("AuthenticationSucceeded_v1",))
    named = {"eventName": "AuthenticationSucceeded_v1"}

    for bad in ("corr-\x00", "\udc80"):
        body = org.client().execute_unchecked(
            GENERATE, events=[named, {**named, "count": 50, "analyticsCorrelationId": bad}]
        )
        refused = body["data"]["generateTestEvents"]
        assert (refused["__typename"], refused["code"], refused["field"]) == (
            "ValidationError",
            "INVALID_INPUT",
            "events[1].analyticsCorrelationId",
        )

    assert org.client().data(COUNT_EVENTS)["deliveries"]["edges"] == []
    assert generate(org, {**named, "count": 50})["__typename"] == "TestEvents"
