"""event, delivery, deliveries (filters, pagination), Webhook.deliveries, Event.deliveries."""

from __future__ import annotations

from tests.support.delivery import emit, hook_to, unique_path, wait_for_status
from tests.support.receiver import Receiver, Response
from tests.support.server import Org

DELIVERIES = """
query L($webhookId: ID, $eventId: ID, $status: DeliveryStatus, $first: Int, $after: String) {
  deliveries(webhookId: $webhookId, eventId: $eventId, status: $status, first: $first,
             after: $after) {
    edges { cursor node { id webhookId status event { id } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
EVENT = """
query E($id: ID!) {
  event(id: $id) { id name isTestEvent timestamp content deliveries { id webhookId } }
}
"""
WEBHOOK_DELIVERIES = """
query W($id: ID!, $status: DeliveryStatus) {
  webhook(id: $id) { deliveries(first: 10, status: $status) { edges { node { id status } } } }
}
"""


def ids(connection: dict) -> list[str]:
    return [edge["node"]["id"] for edge in connection["edges"]]


def test_deliveries_filter_by_webhook_event_and_status_and_paginate(
    org: Org, receiver: Receiver
) -> None:
    failing = unique_path()
    receiver.respond(failing, Response(500))
    good = hook_to(org, receiver)
    bad = hook_to(org, receiver, failing)
    events = [emit(org) for _ in range(3)]
    all_ids = [d["id"] for e in events for d in e["deliveries"]]
    for delivery_id in all_ids:
        wait_for_status(org, delivery_id)
    client = org.client()

    everything = client.data(DELIVERIES)["deliveries"]
    by_webhook = client.data(DELIVERIES, webhookId=good["id"])["deliveries"]
    by_event = client.data(DELIVERIES, eventId=events[1]["id"])["deliveries"]
    failed = client.data(DELIVERIES, status="FAILED")["deliveries"]
    page1 = client.data(DELIVERIES, first=4)["deliveries"]
    page2 = client.data(DELIVERIES, first=4, after=page1["pageInfo"]["endCursor"])["deliveries"]

    assert ids(everything) == sorted(all_ids)
    assert {e["node"]["webhookId"] for e in by_webhook["edges"]} == {good["id"]}
    assert len(by_webhook["edges"]) == 3
    assert {e["node"]["event"]["id"] for e in by_event["edges"]} == {events[1]["id"]}
    assert {e["node"]["webhookId"] for e in failed["edges"]} == {bad["id"]}
    assert ids(page1) + ids(page2) == sorted(all_ids)
    assert (page1["pageInfo"]["hasNextPage"], page2["pageInfo"]["hasNextPage"]) == (True, False)


def test_event_and_webhook_deliveries(org: Org, receiver: Receiver) -> None:
    webhook = hook_to(org, receiver)
    event = emit(org, content={"person_id": "p-1"})
    wait_for_status(org, event["deliveries"][0]["id"])

    found = org.client().data(EVENT, id=event["id"])["event"]
    succeeded = org.client().data(WEBHOOK_DELIVERIES, id=webhook["id"], status="SUCCEEDED")
    pending = org.client().data(WEBHOOK_DELIVERIES, id=webhook["id"], status="PENDING")

    assert found["content"] == event["content"] and found["isTestEvent"] is False
    assert [d["webhookId"] for d in found["deliveries"]] == [webhook["id"]]
    assert ids(succeeded["webhook"]["deliveries"]) == [event["deliveries"][0]["id"]]
    assert pending["webhook"]["deliveries"]["edges"] == []


def test_another_organizations_events_and_deliveries_are_invisible(
    org: Org, other_org: Org, receiver: Receiver
) -> None:
    hook_to(other_org, receiver)
    theirs = emit(other_org)
    delivery_id = theirs["deliveries"][0]["id"]
    mine = org.client()

    assert mine.data(EVENT, id=theirs["id"])["event"] is None
    assert (
        mine.data("query D($id: ID!) { delivery(id: $id) { id } }", id=delivery_id)["delivery"]
        is None
    )
    assert mine.data(DELIVERIES, eventId=theirs["id"])["deliveries"]["edges"] == []
    redeliver = mine.data(
        "mutation R($id: ID!) { redeliver(deliveryId: $id) { __typename } }", id=delivery_id
    )
    assert redeliver["redeliver"]["__typename"] == "NotFoundError"


def test_malformed_ids_find_nothing(org: Org) -> None:
    assert org.client().data(EVENT, id="nope")["event"] is None
    assert org.client().data(DELIVERIES, webhookId="nope")["deliveries"]["edges"] == []


def test_disabling_a_webhook_cancels_its_pending_deliveries(org: Org, receiver: Receiver) -> None:
    path = unique_path()
    receiver.respond(path, Response(500))
    webhook = hook_to(org, receiver, path)
    event = emit(org)
    receiver.wait_for(1, path)

    org.client().data(
        "mutation U($id: ID!) { updateWebhook(id: $id, input: {enabled: false}) { __typename } }",
        id=webhook["id"],
    )

    assert wait_for_status(org, event["deliveries"][0]["id"])["status"] == "CANCELLED"
    assert emit(org)["deliveries"] == []


WEBHOOK_PAGES = """
query P($first: Int, $after: String, $status: DeliveryStatus) {
  webhooks(first: 50) { edges { node { id
    deliveries(first: $first, after: $after, status: $status) {
      edges { cursor node { id webhookId status } }
      pageInfo { hasNextPage endCursor }
    }
  } } }
}
"""


def test_each_webhook_in_a_list_gets_its_own_page_of_deliveries(
    org: Org, other_org: Org, receiver: Receiver
) -> None:
    """Webhook.deliveries for many webhooks is loaded together; each page must still be
    that webhook's own: its first N, its next page, its status filter."""
    failing = unique_path()
    receiver.respond(failing, *[Response(500)] * 20)
    hooks = [hook_to(org, receiver) for _ in range(3)] + [hook_to(org, receiver, failing)]
    hook_to(other_org, receiver)
    events = [emit(org) for _ in range(3)]
    emit(other_org)
    expected: dict[str, list[str]] = {hook["id"]: [] for hook in hooks}
    for event in events:
        for made in event["deliveries"]:
            expected[made["webhookId"]].append(made["id"])
            wait_for_status(org, made["id"])
    client = org.client()

    def pages(**variables: object) -> dict[str, dict]:
        found = client.data(WEBHOOK_PAGES, **variables)["webhooks"]["edges"]
        return {edge["node"]["id"]: edge["node"]["deliveries"] for edge in found}

    first_two = pages(first=2)
    failed = pages(first=10, status="FAILED")
    none = pages(first=0)

    assert set(first_two) == set(expected)  # the other organization's webhook is not listed
    for webhook_id, delivery_ids in expected.items():
        page = first_two[webhook_id]
        assert ids(page) == sorted(delivery_ids)[:2]
        assert {e["node"]["webhookId"] for e in page["edges"]} == {webhook_id}
        assert page["pageInfo"]["hasNextPage"] is True
        rest = pages(first=2, after=page["pageInfo"]["endCursor"])[webhook_id]
        assert ids(rest) == sorted(delivery_ids)[2:]
        assert rest["pageInfo"]["hasNextPage"] is False
        wanted = sorted(delivery_ids) if webhook_id == hooks[-1]["id"] else []
        assert ids(failed[webhook_id]) == wanted
        assert none[webhook_id] == {
            "edges": [],
            "pageInfo": {"hasNextPage": True, "endCursor": None},
        }
